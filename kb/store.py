"""The unit of work: with `kb.profile` (entity lookups and profiles, and the shape of a claim) the only
module that talks SQL. Every statement binds its parameters.

Writes happen inside `Store.transaction()`, one per story or analyst decision; reads return plain rows
and dicts for the layers above (graph, diff, watch, render).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import (
    DateTime,
    String,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    null,
    or_,
    type_coerce,
    update,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from kb import profile
from kb.db import (
    CURATIONS,
    DECISIONS,
    count_claims,
    fill_claim_roles,
    fill_evidence_backing,
    index_claims,
    make_engine,
    mention_roles,
    tally_key,
)
from kb.errors import StoreError
from kb.models import (
    Alias,
    Claim,
    ClaimLink,
    Entity,
    Event,
    Evidence,
    Judgement,
    Mention,
    Meta,
    Source,
    Story,
)
from kb.vocab import ACTIVE_LINK, Kind, LinkKind, LinkStatus, Moment, Stance, State

CHUNK = 5000  # ids per IN list (PostgreSQL takes at most 65,535 parameters in one statement)
# The tables themselves, for the ingest path's bulk statements (no ORM unit of work on the way).
TABLES = SQLModel.metadata.tables
CLAIM, STORY, MENTION, EVIDENCE = TABLES["claim"], TABLES["story"], TABLES["mention"], TABLES["evidence"]
LINK, TERMS, POSTING = TABLES["claim_link"], TABLES["term_stat"], TABLES["posting"]
ENTITY, ALIAS, SOURCE, EVENT = TABLES["entity"], TABLES["alias"], TABLES["source"], TABLES["event"]


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class CandidateRow(NamedTuple):
    """An existing claim that an incoming claim may match, with what matching needs (a tuple: an ingest
    reads tens of thousands)."""

    id: int
    kind: str
    text: str
    terms: str
    story_id: int
    source_id: int
    subject: frozenset[int]
    context: frozenset[int]
    aside: frozenset[int]
    source: frozenset[int] = frozenset()  # entities it is attributed to
    traits: str | None = None  # kb.match.traits_of, when it was stored with the claim


class LinkRow(NamedTuple):
    """A link between two claims (a tuple: an ingest reads tens of thousands)."""

    id: int
    kind: str
    src_id: int
    dst_id: int
    score: float
    status: str
    reason: str


class WatchRow(NamedTuple):
    """A claim with what a watch-list item shows of it (a tuple: a watch-list makes hundreds of
    thousands). A brief row, which only ranks the claim, has its id, kind, state, first_seen and
    entity_ids; the rest is empty."""

    id: int
    text: str
    kind: str
    state: str
    confidence: float
    first_seen: datetime | None
    last_seen: datetime | None
    entity_ids: tuple[int, ...]  # the entities it names (any role but context), in no order
    answers: tuple[str, ...]  # texts of the claims answering it (active links), by claim id
    triggered_by: tuple[str, ...]  # "title (outlet, date)" of the stories whose facts touched it, in order
    last_event: datetime | None  # when its latest event happened (published clock)


@dataclass(frozen=True)
class WatchScope:
    """Claims of a kind: all of them, or with `states` those in one of them (with `exclude`, those in
    none)."""

    kind: str
    states: frozenset[str] | None = None
    exclude: bool = False

    def where(self, t: Any) -> Any:
        """The condition on a claim table (or an alias of it)."""
        if self.states is None:
            return t.c.kind == self.kind
        chosen = t.c.state.in_(sorted(self.states))
        return and_(t.c.kind == self.kind, ~chosen if self.exclude else chosen)


class Store:
    """A knowledge base in one database."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or make_engine(url)
        self.reader = profile.Reader(self.engine)  # entity lookups and profiles

    @contextmanager
    def transaction(self, bulk: bool = False) -> Iterator[Session]:
        """One unit of work: committed whole, or rolled back whole. Writers take turns: SQLite's begin
        takes the write lock (BEGIN IMMEDIATE), PostgreSQL's takes a transaction-level advisory lock. So
        an ingest sees every committed claim, and the ids it numbers its rows with stay free. `bulk` is an
        ingest batch's transaction, whose rows reference only ids it numbered or read (see kb.db)."""
        engine = self.engine.execution_options(kb_write=True, kb_bulk=bulk)
        with Session(engine) as session, session.begin():
            if session.get_bind().dialect.name == "postgresql":
                session.execute(sql_text("SELECT pg_advisory_xact_lock(4243)"))
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with Session(self.engine) as session:
            yield session

    # ----------------------------------------------------------------- writes (inside a transaction)

    @staticmethod
    def marks(s: Session) -> tuple[int, int, int]:
        """(newest story id, curations so far, claim decisions so far): whether what an ingest keeps in
        memory between batches still holds."""
        newest = select(func.max(STORY.c.id)).scalar_subquery()
        curations = select(TERMS.c.df).where(TERMS.c.term == CURATIONS).scalar_subquery()
        decisions = select(TERMS.c.df).where(TERMS.c.term == DECISIONS).scalar_subquery()
        row = s.execute(select(newest, curations, decisions)).one()
        return row[0] or 0, row[1] or 0, row[2] or 0

    ID_TABLES = (
        "source",
        "story",
        "entity",
        "alias",
        "claim",
        "evidence",
        "claim_link",
        "event",
        "judgement",
    )

    @staticmethod
    def last_ids(s: Session) -> dict[str, int]:
        """The highest id in each table an ingest numbers rows of (0 for an empty table). Writers take
        turns (see `transaction`), so the ids after these are free until the transaction ends."""
        row = s.execute(
            select(*(select(func.max(TABLES[t].c.id)).scalar_subquery() for t in Store.ID_TABLES))
        ).one()
        return {t: v or 0 for t, v in zip(Store.ID_TABLES, row, strict=True)}

    @staticmethod
    def follow_ids(s: Session, last: Mapping[str, int]) -> None:
        """After rows were inserted with the ids given: PostgreSQL's sequences continue after them."""
        if s.get_bind().dialect.name != "postgresql":
            return
        for table, value in sorted(last.items()):
            if table in Store.ID_TABLES and value:
                s.execute(
                    sql_text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v)"), {"t": table, "v": value}
                )

    @staticmethod
    def insert_rows(s: Session, table: str, rows: list[dict]) -> None:
        """Rows of one table (every row with the same keys) in one bulk statement through the driver, with
        SQLAlchemy's own conversion of each column's values, so they are stored as every other statement
        stores them: an executemany on SQLite, a COPY on PostgreSQL (faster than an INSERT per row, a
        quarter more rows/s in bench/run.py's raw figure, and checking the same constraints). The bulk
        writes of the ingest path."""
        if not rows:
            return
        t = TABLES[table]
        conn = s.connection()
        dialect = conn.dialect
        cols = list(rows[0])
        procs = [
            (i, p)
            for i, c in enumerate(cols)
            if (p := t.c[c].type.dialect_impl(dialect).bind_processor(dialect))
        ]
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(c) for c in cols)
        params: list[Any] = (
            list(map(itemgetter(*cols), rows)) if len(cols) > 1 else [(r[cols[0]],) for r in rows]
        )
        if procs:
            columns: list[Any] = list(zip(*params, strict=True))
            for i, proc in procs:
                columns[i] = map(proc, columns[i])
            params = list(zip(*columns, strict=True))
        if dialect.name == "postgresql":
            with _cursor(s).copy(f"COPY {quote(t.name)} ({names}) FROM STDIN") as copy:
                for row in params:
                    copy.write_row(row)
            return
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        _cursor(s).executemany(
            f"INSERT INTO {quote(t.name)} ({names}) VALUES ({', '.join([mark] * len(cols))})", params
        )

    @staticmethod
    def _executemany(s: Session, sql: str, rows: list[tuple]) -> None:
        """A statement written with "?" placeholders, run once per row through the driver."""
        if not rows:
            return
        if s.get_bind().dialect.paramstyle != "qmark":
            sql = sql.replace("?", "%s")
        _cursor(s).executemany(sql, rows)

    @staticmethod
    def sources(s: Session) -> dict[str, tuple[int, str]]:
        """Every source: key -> (id, reliability grade)."""
        return {
            r[0]: (r[1], r[2]) for r in s.execute(select(SOURCE.c.key, SOURCE.c.id, SOURCE.c.reliability))
        }

    @staticmethod
    def source_grades(s: Session) -> dict[int, str]:
        return _pairs(s.execute(select(SOURCE.c.id, SOURCE.c.reliability)))

    @staticmethod
    def set_grades(s: Session, grades: Mapping[int, str]) -> None:
        Store._executemany(
            s, "UPDATE source SET reliability = ? WHERE id = ?", [(g, i) for i, g in sorted(grades.items())]
        )

    @staticmethod
    def stories_by_hash(s: Session, hashes: Iterable[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for chunk in _chunks(sorted(set(hashes))):
            where, params = _among(s, "content_hash", chunk)
            out.update(_raw(s, f"SELECT content_hash, id FROM story WHERE {where}", params))
        return out

    @staticmethod
    def alias_index(s: Session) -> dict[str, int]:
        return _pairs(s.execute(select(ALIAS.c.key, ALIAS.c.entity_id)))

    @staticmethod
    def entity_keys(s: Session) -> dict[str, int]:
        return _pairs(s.execute(select(ENTITY.c.key, ENTITY.c.id)))

    @staticmethod
    def entity_pairs(s: Session) -> set[frozenset[int]]:
        """Pairs of entities an analyst was asked about or judged different: never suggested again."""
        rows = s.execute(
            select(Judgement.entity_id, Judgement.other_id).where(
                Judgement.kind.in_(["suggested", "not_same"])
            )
        )
        return {frozenset(r) for r in rows}

    @staticmethod
    def add_alias(s: Session, entity_id: int, name: str, key: str, origin: str) -> bool:
        if s.execute(select(ALIAS.c.id).where(ALIAS.c.key == key)).scalar() is not None:
            return False
        s.execute(insert(ALIAS), [{"entity_id": entity_id, "name": name, "key": key, "origin": origin}])
        return True

    @staticmethod
    def claims_by_hash(s: Session, hashes: Iterable[str]) -> dict[tuple[str, str], int]:
        """(normalised text hash, kind) -> the first claim with that text."""
        out: dict[tuple[str, str], int] = {}
        for chunk in _chunks(sorted(set(hashes))):
            where, params = _among(s, "norm_hash", chunk)
            sql = f"SELECT norm_hash, kind, min(id) FROM claim WHERE {where} GROUP BY norm_hash, kind"
            for h, kind, cid in _raw(s, sql, params):
                out[(h, kind)] = cid
        return out

    @staticmethod
    def counts(s: Session, keys: Iterable[str]) -> dict[str, int]:
        """Stored counters: claims using a term, claims about an entity ("@<id>"), all claims ("#claims").
        Keys never counted are left out."""
        out: dict[str, int] = {}
        for chunk in _chunks(sorted(set(keys))):
            where, params = _among(s, "term", chunk)
            out.update(_raw(s, f"SELECT term, df FROM term_stat WHERE {where}", params))
        return out

    @staticmethod
    def add_counts(s: Session, counts: Mapping[str, int]) -> None:
        """Add to the counters (see `counts`)."""
        rows = [(t, n) for t, n in sorted(counts.items()) if n]
        Store._executemany(
            s,
            "INSERT INTO term_stat (term, df) VALUES (?, ?) "
            "ON CONFLICT (term) DO UPDATE SET df = term_stat.df + excluded.df",
            rows,
        )

    @staticmethod
    def postings(s: Session, terms: Iterable[str], per_term: int) -> list[tuple[str, int]]:
        """(term, claim id) for the newest `per_term` claims using each term: an index range each, so a
        term in half the KB costs no more than a rare one."""
        return _newest(s, POSTING.c.term, POSTING.c.claim_id, sorted(set(terms)), per_term)

    @staticmethod
    def entity_claims(s: Session, entity_ids: Iterable[int], per_entity: int) -> list[tuple[int, int]]:
        """(entity id, claim id) for the newest `per_entity` claims naming each entity, in any role."""
        return _newest(s, MENTION.c.entity_id, MENTION.c.claim_id, sorted(set(entity_ids)), per_entity)

    @staticmethod
    def candidate_rows(s: Session, claim_ids: Iterable[int]) -> list[CandidateRow]:
        """What matching needs of existing claims: text, terms, source and entities by role, in one
        statement (each claim's mentions as one string of roles and ids: the copy on its row, or, where
        there is none, from its mention rows)."""
        ids = sorted(set(claim_ids))
        if not ids:
            return []
        roles = f"coalesce(c.roles, {mention_roles(s.get_bind().dialect.name, 'c.id')})"
        out = []
        for chunk in _chunks(ids):
            where, params = _among(s, "c.id", chunk)
            rows = _raw(
                s,
                f"SELECT c.id, c.kind, c.text, c.terms, c.traits, c.story_id, s.source_id, {roles} "
                f"FROM claim c JOIN story s ON s.id = c.story_id WHERE {where}",
                params,
            )
            for cid, kind, text, terms, traits, story_id, source_id, mentions in rows:
                subject, context, aside, source = _by_role(mentions)
                out.append(
                    CandidateRow(
                        cid, kind, text, terms, story_id, source_id, subject, context, aside, source, traits
                    )
                )
        return out

    @staticmethod
    def entity_kinds(s: Session) -> dict[int, str]:
        """Every entity's kind."""
        return _pairs(s.execute(select(ENTITY.c.id, ENTITY.c.kind)))

    @staticmethod
    def links(s: Session, claim_ids: Iterable[int], active: bool = False) -> list[LinkRow]:
        """Every link from or to the claims, each once, by id; with `active`, only the automatic and
        accepted ones (read by end and status from the index: most links are suggestions)."""
        found: dict[int, LinkRow] = {}
        statuses = sorted(str(x.value) for x in ACTIVE_LINK) if active else []
        for chunk in _chunks(sorted(set(claim_ids))):
            src, src_params = _among(s, "src_id", chunk)
            dst, dst_params = _among(s, "dst_id", chunk)
            if statuses:
                status, status_params = _among(s, "status", statuses)
                src, dst = f"({src} AND {status})", f"({dst} AND {status})"
                src_params, dst_params = src_params + status_params, dst_params + status_params
            sql = (
                f"SELECT id, kind, src_id, dst_id, score, status, reason FROM claim_link WHERE {src} OR {dst}"
            )
            for r in _raw(s, sql, src_params + dst_params):
                found[r[0]] = LinkRow(*r)
        return [found[i] for i in sorted(found)]

    @staticmethod
    def active_links(s: Session, claim_ids: Iterable[int]) -> list[LinkRow]:
        """The active (automatic or accepted) links from or to the claims, each once, by id."""
        return Store.links(s, claim_ids, active=True)

    @staticmethod
    def link(s: Session, link_id: int) -> LinkRow | None:
        r = s.get(ClaimLink, link_id)
        return None if r is None else LinkRow(r.id, r.kind, r.src_id, r.dst_id, r.score, r.status, r.reason)

    @staticmethod
    def set_link_status(s: Session, link_id: int, status: str) -> None:
        s.execute(update(ClaimLink).where(ClaimLink.id == link_id).values(status=status, decided_at=utcnow()))

    @staticmethod
    def backing(s: Session, claim_ids: Iterable[int]) -> list[tuple[int, int, str, float]]:
        """(claim id, source id, stance, best story weight) of the claims' evidence, claim by claim, each
        claim's in the order its sources first gave it that stance: a range of the unique evidence index per
        claim, and its rows (read only for claims whose backing is not kept on them)."""
        out: list[tuple[int, int, str, float]] = []
        for chunk in _chunks(sorted(set(claim_ids))):
            where, params = _among(s, "claim_id", chunk)
            out += _raw(
                s,
                "SELECT claim_id, source_id, stance, max(weight) FROM evidence "
                f"WHERE {where} GROUP BY claim_id, source_id, stance ORDER BY claim_id, min(id)",
                params,
            )
        return out

    @staticmethod
    def claim_states(
        s: Session, claim_ids: Iterable[int]
    ) -> list[tuple[int, str, str, float, str | None, str, str | None]]:
        """(id, kind, state, confidence, analyst_state, text, backing) of each claim: `backing` as kept
        on the claim (kb.memo.backing_text), or None where it is not (then `backing` reads it)."""
        out: list[tuple[int, str, str, float, str | None, str, str | None]] = []
        for chunk in _chunks(sorted(set(claim_ids))):
            where, params = _among(s, "id", chunk)
            out += _raw(
                s,
                f"SELECT id, kind, state, confidence, analyst_state, text, backing FROM claim WHERE {where}",
                params,
            )
        return out

    @staticmethod
    def set_backing(s: Session, rows: Iterable[tuple[int, str | None]]) -> None:
        """Claims' backing as kept on the claim: (id, kb.memo.backing_text, or None to read it from the
        claim's evidence again)."""
        Store._executemany(s, "UPDATE claim SET backing = ? WHERE id = ?", [(b, i) for i, b in rows])

    @staticmethod
    def claim_texts(s: Session, claim_ids: Iterable[int]) -> dict[int, str]:
        ids = list(set(claim_ids))
        return _pairs(s.execute(select(CLAIM.c.id, CLAIM.c.text).where(CLAIM.c.id.in_(ids)))) if ids else {}

    @staticmethod
    def set_analyst_state(s: Session, claim_id: int, state: str | None) -> None:
        s.execute(update(Claim).where(Claim.id == claim_id).values(analyst_state=state))

    @staticmethod
    def set_states(s: Session, rows: Iterable[tuple[int, str, float]]) -> None:
        """Claims' derived state and confidence: (id, state, confidence)."""
        Store._executemany(
            s, "UPDATE claim SET state = ?, confidence = ? WHERE id = ?", [(st, c, i) for i, st, c in rows]
        )

    @staticmethod
    def widen_seen(s: Session, rows: Iterable[tuple[int, datetime, datetime]]) -> None:
        """Widen claims' first/last seen times to include (earliest, latest)."""
        proc = CLAIM.c.first_seen.type.dialect_impl(s.get_bind().dialect).bind_processor(s.get_bind().dialect)

        def conv(v: datetime) -> Any:
            return proc(v) if proc else v

        Store._executemany(
            s,
            "UPDATE claim SET "
            "first_seen = CASE WHEN first_seen IS NULL OR first_seen > ? THEN ? ELSE first_seen END, "
            "last_seen = CASE WHEN last_seen IS NULL OR last_seen < ? THEN ? ELSE last_seen END WHERE id = ?",
            [(conv(lo), conv(lo), conv(hi), conv(hi), i) for i, lo, hi in rows],
        )

    @staticmethod
    def tally(s: Session, moves: Mapping[int, tuple[str, str | None, str]]) -> None:
        """Keep the per-entity (kind, state) tallies true after claims moved: claim id -> (kind, state
        before or None for a new claim, state now)."""
        tally: dict[str, int] = defaultdict(int)
        for cid, eid in _named_entities(s, [c for c, (_, old, new) in moves.items() if old != new]):
            kind, old, new = moves[cid]
            if old is not None:
                tally[tally_key(eid, kind, old)] -= 1
            tally[tally_key(eid, kind, new)] += 1
        Store.add_counts(s, tally)

    @staticmethod
    def add_events(s: Session, rows: list[dict]) -> None:
        if rows:
            s.execute(insert(EVENT), rows)

    @staticmethod
    def add_event(s: Session, **values: Any) -> None:
        s.execute(insert(Event).values(**values))

    # ----------------------------------------------------------------------------------- reads

    def claim_rows(
        self,
        ids: list[int] | None = None,
        entity_id: int | None = None,
        state: str | None = None,
        kind: str | None = None,
        text: str | None = None,
        limit: int | None = None,
        as_of: Moment | None = None,
    ) -> list[dict]:
        """Claims as the JSON contract shapes them, filtered and ordered by id; with `as_of`, as they
        stood at that moment (rebuilt from the event log)."""
        q = select(Claim)
        if ids is not None:
            q = q.where(Claim.id.in_(ids))
        if entity_id is not None:
            q = q.where(
                Claim.id.in_(
                    select(Mention.claim_id).where(Mention.entity_id == entity_id, Mention.role != "context")
                )
            )
        if state and as_of is None:
            q = q.where(Claim.state == state)
        if kind:
            q = q.where(Claim.kind == kind)
        if text:
            q = q.where(func.lower(Claim.text).contains(text.lower()))
        q = q.order_by(Claim.id)
        if limit and as_of is None:
            q = q.limit(limit)
        with self.reading() as s:
            claims = [c for (c,) in s.execute(q)]
            rows = self._shape_claims(s, claims, as_of)
        if as_of is not None and state:
            rows = [r for r in rows if r["state"] == state]
        return rows[:limit] if limit else rows

    def _shape_claims(self, s: Session, claims: list[Claim], as_of: Moment | None = None) -> list[dict]:
        """Claims as dicts (see `kb.profile.shape_claims`), read in the session's transaction."""
        return profile.shape_claims(s.connection(), claims, as_of)

    def claim_detail(self, claim_id: int, as_of: Moment | None = None) -> dict | None:
        """One claim with its evidence trail, links and history (up to the moment, with `as_of`)."""
        with self.reading() as s:
            claim = s.get(Claim, claim_id)
            if claim is None:
                return None
            shaped = self._shape_claims(s, [claim], as_of)
            if not shaped:
                return None
            out = shaped[0]
            out["analyst_state"] = claim.analyst_state
            links = []
            rows = self.links(s, [claim_id])
            texts = self.claim_texts(s, {ln.dst_id if ln.src_id == claim_id else ln.src_id for ln in rows})
            for ln in rows:
                other = ln.dst_id if ln.src_id == claim_id else ln.src_id
                other_text = texts.get(other)
                links.append(
                    {
                        "id": ln.id,
                        "kind": ln.kind,
                        "direction": "out" if ln.src_id == claim_id else "in",
                        "other_claim_id": other,
                        "other_text": other_text,
                        "score": round(ln.score, 3),
                        "status": ln.status,
                        "reason": ln.reason,
                    }
                )
            out["links"] = links
            out["history"] = self.events(s, claim_id=claim_id, as_of=as_of)
            return out

    @staticmethod
    def events(
        s: Session,
        claim_id: int | None = None,
        as_of: Moment | None = None,
        since: Moment | None = None,
        claim_ids: list[int] | None = None,
    ) -> list[dict]:
        """Events as dicts, in the order of the moments' clock (event id within one time)."""
        clock = (as_of or since).clock if (as_of or since) else "ingested"
        col = _event_time(clock)
        q = (
            select(Event, Story.title, Source.name, Claim.text, Claim.kind)
            .outerjoin(Story, Story.id == Event.story_id)
            .outerjoin(Source, Source.id == Story.source_id)
            .outerjoin(Claim, Claim.id == Event.claim_id)
        )
        if claim_id is not None:
            q = q.where(Event.claim_id == claim_id)
        if claim_ids is not None:
            q = q.where(Event.claim_id.in_(claim_ids))
        if as_of is not None:
            q = q.where(col <= as_of.at)
        if since is not None:
            q = q.where(col > since.at)
        out = []
        for ev, title, publisher, text, kind in s.execute(q.order_by(col, Event.id)):
            cause: dict[str, Any] = (
                {"story_id": ev.story_id, "title": title, "publisher": publisher}
                if ev.story_id is not None
                else {"analyst": ev.analyst, "reason": ev.reason}
            )
            out.append(
                {
                    "id": ev.id,
                    "claim_id": ev.claim_id,
                    "entity_id": ev.entity_id,
                    "action": ev.action,
                    "from_state": ev.old_state,
                    "to_state": ev.new_state,
                    "from_confidence": _round(ev.old_confidence),
                    "to_confidence": _round(ev.new_confidence),
                    "at_published": _iso(ev.at_published),
                    "at_ingested": _iso(ev.at_ingested),
                    "cause": cause,
                    "reason": ev.reason,
                    "text": text,
                    "kind": kind,
                }
            )
        return out

    def entity_rows(self, include_unused: bool = False) -> list[dict]:
        """Entities with aliases and the number of claims naming them, by name."""
        with self.reading() as s:
            counts = _pairs(
                s.execute(
                    select(Mention.entity_id, func.count())
                    .where(Mention.role != "context")
                    .group_by(Mention.entity_id)
                )
            )
            aliases: dict[int, list[str]] = defaultdict(list)
            for eid, name in s.execute(select(Alias.entity_id, Alias.name).order_by(Alias.id)):
                aliases[eid].append(name)
            rows = []
            for e in s.execute(
                select(Entity).where(Entity.merged_into.is_(None)).order_by(func.lower(Entity.name))
            ).scalars():
                n = counts.get(e.id, 0)
                if n or include_unused:
                    rows.append(
                        {
                            "id": e.id,
                            "name": e.name,
                            "kind": e.kind,
                            "aliases": [a for a in aliases[e.id] if a != e.name],
                            "claims": n,
                        }
                    )
            return rows

    def entity_by_alias(self, key: str) -> int | None:
        """The entity an exact alias key names (the fast path of a lookup)."""
        return self.reader.entity_by_alias(key)

    def entity_display_names(self) -> dict[int, str]:
        return self.reader.entity_display_names()

    def entity_names(self) -> list[tuple[int, str, str]]:
        """(entity id, alias key, alias name) for every alias, for lookups by name."""
        return self.reader.entity_names()

    PROFILE_WINDOW = profile.PROFILE_WINDOW  # the newest claims related entities etc. are read from
    PROFILE_EVENTS = profile.PROFILE_EVENTS  # events in a profile's timeline: the newest ones

    def entity_profile(
        self, entity_id: int, as_of: Moment | None = None, limit: int = 10, window: int | None = None
    ) -> dict:
        """An entity's aliases, claims by kind and state, related entities, sources and timeline (as they
        stood at the moment, with `as_of`): see `kb.profile.Reader.entity_profile`, which reads it."""
        return self.reader.entity_profile(
            entity_id, as_of, limit, window or self.PROFILE_WINDOW, events=self.PROFILE_EVENTS
        )

    def new_entities(self, since: Moment, until: Moment) -> list[str]:
        """Names of entities first met between the two moments (on the moments' clock)."""
        when: Any = Entity.created_at
        q = select(Entity.name)
        if since.clock == "published":
            q = q.outerjoin(Story, Story.id == Entity.created_by_story_id)
            when = func.coalesce(Story.published, Entity.created_at)
        with self.reading() as s:
            return list(
                s.execute(q.where(when > since.at, when <= until.at).order_by(when, Entity.id)).scalars()
            )

    def history(self, since: Moment, until: Moment, claim_ids: list[int] | None = None) -> list[dict]:
        """Events after `since` and up to `until`, in time order on their clock."""
        with self.reading() as s:
            return self.events(s, since=since, as_of=until, claim_ids=claim_ids)

    def claim_ids(self, entity_id: int | None = None, kind: str | None = None) -> list[int]:
        q = select(Claim.id)
        if entity_id is not None:
            q = q.where(
                Claim.id.in_(
                    select(Mention.claim_id).where(Mention.entity_id == entity_id, Mention.role != "context")
                )
            )
        if kind:
            q = q.where(Claim.kind == kind)
        with self.reading() as s:
            return list(s.execute(q).scalars())

    # ------------------------------------------------------------------------------- watch-list reads
    # A watch-list ranks every open question and watch item of the KB. These reads run in one snapshot
    # and in bounded pieces: the aggregates a priority needs once (claims per entity, the stories naming
    # each entity), then the claims in chunks of CHUNK, each with what its item shows and never its
    # sources.

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """One read transaction for several statements that must see the same KB and that read their
        results whole, in pieces: a SQLite read transaction is a snapshot already; on PostgreSQL it is
        made repeatable read, and its planner is told that a cursor's results are read to the end (by
        default it plans a cursor for its first tenth, which took a plan three times slower here)."""
        engine = self.engine
        postgres = engine.dialect.name == "postgresql"
        if postgres:
            engine = engine.execution_options(isolation_level="REPEATABLE READ")
        with Session(engine) as session:
            if postgres:
                session.execute(sql_text("SET LOCAL cursor_tuple_fraction = 1.0"))
            yield session

    @staticmethod
    def watch_entities(s: Session) -> list[dict]:
        """Every entity some claim names: id, name, aliases (besides the name, in the order they came),
        claims (how many claims name it, as `entity_rows` counts them) and merged (folded into another
        entity), in the order of their names (as the database orders them)."""
        counts = _pairs(
            s.execute(
                select(MENTION.c.entity_id, func.count())
                .where(MENTION.c.role != "context")
                .group_by(MENTION.c.entity_id)
            )
        )
        aliases: dict[int, list[str]] = defaultdict(list)
        for eid, name in s.execute(select(ALIAS.c.entity_id, ALIAS.c.name).order_by(ALIAS.c.id)):
            aliases[eid].append(name)
        rows = []
        for eid, name, merged in s.execute(
            select(ENTITY.c.id, ENTITY.c.name, ENTITY.c.merged_into).order_by(ENTITY.c.name, ENTITY.c.id)
        ):
            if counts.get(eid):
                rows.append(
                    {
                        "id": eid,
                        "name": name,
                        "aliases": [a for a in aliases[eid] if a != name],
                        "claims": counts[eid],
                        "merged": merged is not None,
                    }
                )
        return rows

    @staticmethod
    def story_times(s: Session) -> Iterator[tuple[int, datetime]]:
        """(story id, when it happened: its publication date, else when it was ingested), earliest
        first."""
        when = func.coalesce(STORY.c.published, STORY.c.ingested_at)
        q = select(STORY.c.id, when).order_by(when, STORY.c.id)
        yield from ((sid, at) for sid, at in s.execute(q.execution_options(yield_per=CHUNK)))

    @staticmethod
    def entity_stories(
        s: Session, entity_ids: Collection[int] | None = None
    ) -> Iterator[tuple[int, set[int]]]:
        """(entity id, ids of stories giving evidence for claims that name it), for every entity a claim
        names (or those of `entity_ids`; all of them when that is more than CHUNK, which costs less than
        reading them a chunk at a time), one entity after another. The database sends each entity's story
        ids as one text; an entity in many claims is read from it in several pieces."""
        q = (
            select(MENTION.c.entity_id, func.aggregate_strings(cast(EVIDENCE.c.story_id, String), ","))
            .join(EVIDENCE, EVIDENCE.c.claim_id == MENTION.c.claim_id)
            .where(MENTION.c.role != "context")
            .group_by(MENTION.c.entity_id)
        )
        scopes = (
            [q]
            if entity_ids is None or len(entity_ids) > CHUNK
            else [q.where(MENTION.c.entity_id.in_(sorted(entity_ids)))]
        )
        for scope in scopes:
            for eid, ids in s.execute(scope.execution_options(yield_per=64)):
                for piece in _id_pieces(ids):
                    yield eid, piece

    @staticmethod
    def entities_named_with(s: Session, entity_id: int) -> set[int]:
        """The entities named in the claims that name this one, itself included (any role but context)."""
        named = select(MENTION.c.claim_id).where(
            MENTION.c.entity_id == entity_id, MENTION.c.role != "context"
        )
        q = select(MENTION.c.entity_id).where(MENTION.c.claim_id.in_(named), MENTION.c.role != "context")
        return set(s.execute(q.distinct()).scalars())

    @staticmethod
    def watch_claims(
        s: Session, scopes: Sequence[WatchScope], entity_id: int | None = None, brief: bool = False
    ) -> Iterator[list[WatchRow]]:
        """The claims of the scopes with what a watch-list item shows (`brief`: only what ranks it, see
        WatchRow), in chunks of about CHUNK and in no particular order; with `entity_id`, only claims
        naming that entity."""

        def where(t: Any, chosen: Sequence[WatchScope] = scopes) -> list[Any]:
            return [or_(*(x.where(t) for x in chosen)), *_naming_where(t, entity_id)]

        if s.get_bind().dialect.name == "sqlite":  # one pass per scope, through its index
            for x in scopes:
                yield from _watch_chunks(s, lambda t, x=x: where(t, [x]), {x.kind}, brief)
        else:  # one pass over them all
            yield from _watch_chunks(s, where, {x.kind for x in scopes}, brief)

    @staticmethod
    def stale_claims(
        s: Session, before: datetime, entity_id: int | None = None, brief: bool = False
    ) -> Iterator[list[WatchRow]]:
        """Facts still `reported`, last seen before `before`, whose asserting and supporting evidence all
        comes from one publisher (with `entity_id`, those naming that entity), as `watch_claims` gives
        claims."""
        one = _one_publisher_sql if s.get_bind().dialect.name == "sqlite" else _one_publisher_in

        def stale(t: Any) -> list[Any]:
            return [*_stale_where(t, before, entity_id), one(t)]

        yield from _watch_chunks(s, stale, {Kind.fact.value}, brief)

    @staticmethod
    def newest_stale(s: Session, before: datetime, count: int, entity_id: int | None = None) -> list[int]:
        """The ids of the `count` stale claims (as `stale_claims` chooses them) last seen most recently,
        newest first (ties: the later claim). Read newest first a page at a time, each page's claims
        checked for a single publisher, so that this costs about `count` claims, not all of them."""
        picked: list[int] = []
        after: tuple[datetime, int] | None = None
        while len(picked) < count:
            page = select(CLAIM.c.id, CLAIM.c.last_seen).where(*_stale_where(CLAIM, before, entity_id))
            if after is not None:
                page = page.where(
                    or_(
                        CLAIM.c.last_seen < after[0],
                        and_(CLAIM.c.last_seen == after[0], CLAIM.c.id < after[1]),
                    )
                )
            size = min(CHUNK, max(2 * (count - len(picked)), 100))
            rows = s.execute(page.order_by(CLAIM.c.last_seen.desc(), CLAIM.c.id.desc()).limit(size)).all()
            if not rows:
                break
            single = set(
                s.execute(
                    _one_publisher_claims().where(EVIDENCE.c.claim_id.in_([r[0] for r in rows]))
                ).scalars()
            )
            picked += [r[0] for r in rows if r[0] in single][: count - len(picked)]
            after = (rows[-1][1], rows[-1][0])
        return picked

    @staticmethod
    def watch_rows(s: Session, claim_ids: Iterable[int], brief: bool = False) -> Iterator[list[WatchRow]]:
        """These claims (of any kind), as `watch_claims` gives claims, in chunks of at most CHUNK."""
        kinds = {Kind.question.value, Kind.watch.value}
        for chunk in _chunks(sorted(set(claim_ids))):
            yield from _watch_chunks(s, lambda t, chunk=chunk: [t.c.id.in_(chunk)], kinds, brief)

    def neighbourhood(self, entity_id: int, depth: int) -> set[int]:
        """Claims within `depth` hops of an entity (entity -> claims naming it -> their entities -> ...)."""
        entities, claims = {entity_id}, set[int]()
        with self.reading() as s:
            for _ in range(max(1, depth)):
                found = set(
                    s.execute(
                        select(Mention.claim_id).where(
                            Mention.entity_id.in_(entities), Mention.role != "context"
                        )
                    ).scalars()
                )
                new = found - claims
                claims |= found
                if not new:
                    break
                entities |= set(
                    s.execute(
                        select(Mention.entity_id).where(Mention.claim_id.in_(new), Mention.role != "context")
                    ).scalars()
                )
        return claims

    def graph_rows(self, claim_ids: set[int] | None = None) -> dict[str, list[tuple]]:
        """The rows a graph is made of, for the given claims (or the whole KB): entities, claims, stories,
        mentions, evidence and active claim links."""
        with self.reading() as s:

            def where(col: Any) -> list[Any]:
                return [] if claim_ids is None else [col.in_(sorted(claim_ids))]

            claims = s.execute(
                select(Claim.id, Claim.text, Claim.kind, Claim.state, Claim.confidence).where(
                    *where(Claim.id)
                )
            ).all()
            mentions = s.execute(
                select(Mention.claim_id, Mention.entity_id, Mention.role).where(
                    Mention.role != "context", *where(Mention.claim_id)
                )
            ).all()
            evidence = s.execute(
                select(Evidence.story_id, Evidence.claim_id, Evidence.stance).where(*where(Evidence.claim_id))
            ).all()
            links = s.execute(
                select(ClaimLink.src_id, ClaimLink.dst_id, ClaimLink.kind, ClaimLink.score).where(
                    ClaimLink.status.in_([str(x) for x in ACTIVE_LINK]),
                    *where(ClaimLink.src_id),
                    *where(ClaimLink.dst_id),
                )
            ).all()
            entity_ids = {m[1] for m in mentions}
            story_ids = {e[0] for e in evidence}
            entities = s.execute(
                select(Entity.id, Entity.name, Entity.kind).where(Entity.id.in_(sorted(entity_ids)))
            ).all()
            stories = s.execute(
                select(Story.id, Story.title, Source.name, Story.published)
                .join(Source, Source.id == Story.source_id)
                .where(Story.id.in_(sorted(story_ids)))
            ).all()
        return {
            "entities": [tuple(r) for r in entities],
            "claims": [tuple(r) for r in claims],
            "stories": [tuple(r) for r in stories],
            "mentions": [tuple(r) for r in mentions],
            "evidence": [tuple(r) for r in evidence],
            "links": [tuple(r) for r in links],
        }

    # ------------------------------------------------------------------------ entity curation

    @staticmethod
    def entity(s: Session, entity_id: int) -> Entity | None:
        return s.get(Entity, entity_id)

    @staticmethod
    def active_judgement(s: Session, kind: str, a: int, b: int | None = None) -> Judgement | None:
        """The standing judgement of this kind on the pair (either order), or on `a` as the merged one."""
        q = select(Judgement).where(Judgement.kind == kind, Judgement.undone_at.is_(None))
        if b is None:
            q = q.where(Judgement.other_id == a)
        else:
            q = q.where(
                or_(
                    and_(Judgement.entity_id == a, Judgement.other_id == b),
                    and_(Judgement.entity_id == b, Judgement.other_id == a),
                )
            )
        return s.execute(q.order_by(Judgement.id.desc()).limit(1)).scalars().first()

    @staticmethod
    def not_same_pairs(s: Session) -> set[frozenset[int]]:
        rows = s.execute(
            select(Judgement.entity_id, Judgement.other_id).where(
                Judgement.kind == "not_same", Judgement.undone_at.is_(None)
            )
        )
        return {frozenset(r) for r in rows}

    @staticmethod
    def move_entity(s: Session, keep: int, other: int) -> dict:
        """Move the other entity's aliases and mentions to `keep`; returns what moved, for an undo."""
        aliases = list(s.execute(select(Alias.id).where(Alias.entity_id == other)).scalars())
        s.execute(update(Alias).where(Alias.entity_id == other).values(entity_id=keep))
        both = set(
            s.execute(
                select(Mention.claim_id).where(
                    Mention.entity_id == keep,
                    Mention.claim_id.in_(select(Mention.claim_id).where(Mention.entity_id == other)),
                )
            ).scalars()
        )
        mentions = [
            tuple(r)
            for r in s.execute(select(Mention.claim_id, Mention.role).where(Mention.entity_id == other))
        ]
        moved = [[c, r] for c, r in mentions if c not in both]
        dropped = [[c, r] for c, r in mentions if c in both]
        s.execute(delete(Mention).where(Mention.entity_id == other, Mention.claim_id.in_(sorted(both))))
        s.execute(update(Mention).where(Mention.entity_id == other).values(entity_id=keep))
        s.execute(update(Entity).where(Entity.id == other).values(merged_into=keep))
        count_claims(s.connection(), {keep, other})
        fill_claim_roles(s.connection(), [c for c, _ in mentions])
        return {"aliases": aliases, "moved": moved, "dropped": dropped}

    @staticmethod
    def restore_entity(s: Session, keep: int, other: int, moved: dict) -> None:
        """Undo `move_entity` exactly."""
        if moved.get("aliases"):
            s.execute(update(Alias).where(Alias.id.in_(moved["aliases"])).values(entity_id=other))
        claims = [c for c, _ in moved.get("moved", [])]
        if claims:
            s.execute(
                update(Mention)
                .where(Mention.entity_id == keep, Mention.claim_id.in_(claims))
                .values(entity_id=other)
            )
        rows = [{"claim_id": c, "entity_id": other, "role": r} for c, r in moved.get("dropped", [])]
        if rows:
            s.execute(insert(Mention), rows)
        s.execute(update(Entity).where(Entity.id == other).values(merged_into=None))
        count_claims(s.connection(), {keep, other})
        fill_claim_roles(s.connection(), [*claims, *(c for c, _ in moved.get("dropped", []))])

    def merged_entities(self) -> dict[int, str]:
        """Entities currently merged into another: id -> name."""
        with self.reading() as s:
            return _pairs(s.execute(select(Entity.id, Entity.name).where(Entity.merged_into.is_not(None))))

    @staticmethod
    def suggest_same_entity(s: Session, entity_id: int, other_id: int, reason: str) -> None:
        """Ask an analyst whether a new entity is an existing one (a "suggested" judgement)."""
        if s.execute(
            select(Judgement.id).where(
                Judgement.kind.in_(["suggested", "not_same"]),
                or_(
                    and_(Judgement.entity_id == entity_id, Judgement.other_id == other_id),
                    and_(Judgement.entity_id == other_id, Judgement.other_id == entity_id),
                ),
            )
        ).first():
            return
        s.execute(
            insert(Judgement).values(
                kind="suggested", entity_id=entity_id, other_id=other_id, reason=reason, created_at=utcnow()
            )
        )

    def entity_suggestions(self) -> list[dict]:
        """Open entity suggestions, as review rows ("e" ids: accepting merges, rejecting keeps apart)."""
        with self.reading() as s:
            names = _pairs(s.execute(select(Entity.id, Entity.name)))
            rows = s.execute(
                select(Judgement)
                .where(Judgement.kind == "suggested", Judgement.undone_at.is_(None))
                .order_by(Judgement.id)
            ).scalars()
            return [
                {
                    "id": f"e{j.id}",
                    "kind": "same_entity",
                    "claim_id": None,
                    "other_claim_id": None,
                    "score": None,
                    "reason": j.reason,
                    "entity_id": j.entity_id,
                    "other_entity_id": j.other_id,
                    "claim_text": names.get(j.entity_id),
                    "other_text": names.get(j.other_id),
                }
                for j in rows
            ]

    @staticmethod
    def judgement(s: Session, judgement_id: int) -> Judgement | None:
        return s.get(Judgement, judgement_id)

    @staticmethod
    def add_judgement(s: Session, **values: Any) -> int:
        return s.execute(insert(Judgement).values(**values).returning(Judgement.id)).scalar_one()

    @staticmethod
    def undo_judgement(s: Session, judgement_id: int) -> None:
        s.execute(update(Judgement).where(Judgement.id == judgement_id).values(undone_at=utcnow()))

    @staticmethod
    def set_entity_kind(s: Session, entity_id: int, kind: str) -> None:
        s.execute(update(Entity).where(Entity.id == entity_id).values(kind=kind))

    # ---------------------------------------------------------------------------- backup

    DUMP_TABLES = (
        "source",
        "story",
        "entity",
        "alias",
        "claim",
        "evidence",
        "mention",
        "claim_link",
        "event",
        "judgement",
        "term_stat",
        "meta",
    )

    # Derived from other rows, so neither dumped nor loaded: a claim's kept backing (from its evidence; a
    # loaded claim's is read from there).
    NOT_DUMPED = frozenset({("claim", "backing"), ("claim", "roles")})

    @classmethod
    def _dumped(cls, table: str, row: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in row.items() if (table, k) not in cls.NOT_DUMPED}

    def dump_rows(self) -> Iterator[tuple[str, dict]]:
        """Every row of every table, in dependency order and primary-key order, as plain values."""
        tables = SQLModel.metadata.tables
        with self.reading() as s:
            for name in self.DUMP_TABLES:
                table = tables[name]
                for row in s.execute(select(table).order_by(*table.primary_key.columns)).mappings():
                    if name == "meta" and row["key"] == "schema_version":
                        continue
                    yield name, {k: _plain(v) for k, v in self._dumped(name, row).items()}

    def is_empty(self) -> bool:
        with self.reading() as s:
            tables = (Story, Entity, Claim, Event)
            return not any(s.execute(select(func.count()).select_from(t)).scalar_one() for t in tables)

    def load_rows(self, rows: Iterable[tuple[str, dict]], batch: int = 1000) -> int:
        """Insert dumped rows into this (empty) database in one transaction; returns how many."""
        tables = SQLModel.metadata.tables
        count = 0
        with self.transaction() as s:
            pending: list[dict] = []
            current: str | None = None
            for name, row in rows:
                if name not in tables:
                    raise StoreError(f"unknown table {name!r} in the dump")
                if name != current or len(pending) >= batch:
                    if pending and current:
                        s.execute(insert(tables[current]), pending)
                    pending, current = [], name
                pending.append(_typed(tables[name], self._dumped(name, row)))
                count += 1
            if pending and current:
                s.execute(insert(tables[current]), pending)
            index_claims(s.connection())  # derived, so not in a dump
            fill_evidence_backing(s.connection())  # (a dump from before evidence rows carried them)
            fill_claim_roles(s.connection())  # (a copy of the mentions, so not in a dump)
            if s.get_bind().dialect.name == "postgresql":
                for name in self.DUMP_TABLES:
                    if "id" in tables[name].columns:
                        # Table names come from DUMP_TABLES, never from the input.
                        s.execute(
                            sql_text(
                                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
                            )
                        )
        return count

    def meta(self, key: str) -> str | None:
        with self.reading() as s:
            return s.execute(select(Meta.value).where(Meta.key == key)).scalar()

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as s:
            if s.execute(select(Meta.key).where(Meta.key == key)).scalar() is None:
                s.execute(insert(Meta).values(key=key, value=value))
            else:
                s.execute(update(Meta).where(Meta.key == key).values(value=value))

    def suggestion_rows(self) -> list[dict]:
        """Suggested claim links, best first, then entity suggestions."""
        return self._link_suggestions() + self.entity_suggestions()

    def _link_suggestions(self) -> list[dict]:
        with self.reading() as s:
            rows = (
                s.execute(
                    select(ClaimLink)
                    .where(ClaimLink.status == LinkStatus.suggested.value)
                    .order_by(ClaimLink.score.desc(), ClaimLink.id)
                )
                .scalars()
                .all()
            )
            texts = self.claim_texts(s, {r.src_id for r in rows} | {r.dst_id for r in rows})
            # The claim acted on (the question answered, the claim repeated) leads; the other is the evidence.
            return [
                {
                    "id": r.id,
                    "kind": r.kind,
                    "claim_id": r.dst_id,
                    "other_claim_id": r.src_id,
                    "score": round(r.score, 3),
                    "reason": r.reason,
                    "claim_text": texts.get(r.dst_id),
                    "other_text": texts.get(r.src_id),
                }
                for r in rows
            ]

    def stats(self) -> dict:
        with self.reading() as s:

            def count(model: Any) -> int:
                return int(s.execute(select(func.count()).select_from(model)).scalar_one())

            by_kind_state: dict[str, dict[str, int]] = defaultdict(dict)
            for kind, state, n in s.execute(
                select(Claim.kind, Claim.state, func.count()).group_by(Claim.kind, Claim.state)
            ):
                by_kind_state[kind][state] = n
            by_kind = {k: dict(sorted(v.items())) for k, v in sorted(by_kind_state.items())}
            links = {
                f"{k}:{st}": n
                for k, st, n in s.execute(
                    select(ClaimLink.kind, ClaimLink.status, func.count()).group_by(
                        ClaimLink.kind, ClaimLink.status
                    )
                )
            }
            return {
                "stories": count(Story),
                "sources": count(Source),
                "entities": count(Entity),
                "aliases": count(Alias),
                "claims": count(Claim),
                "claims_by_kind": by_kind,
                "evidence": count(Evidence),
                "mentions": count(Mention),
                "links": dict(sorted(links.items())),
                "events": count(Event),
            }


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _typed(table: Any, row: dict) -> dict:
    """A dumped row with its times turned back into datetimes."""
    out = {}
    for key, value in row.items():
        column = table.columns.get(key)
        if column is None:
            raise StoreError(f"unknown column {table.name}.{key} in the dump")
        is_time = any(isinstance(t, DateTime) for t in (column.type, getattr(column.type, "impl", None)))
        out[key] = datetime.fromisoformat(value) if is_time and isinstance(value, str) else value
    return out


def _event_time(clock: str) -> Any:
    return Event.at_published if clock == "published" else Event.at_ingested


def _named_entities(s: Session, claim_ids: Iterable[int]) -> list[tuple[int, int]]:
    """(claim id, entity id) for the entities each claim names (any role but context)."""
    out: list[tuple[int, int]] = []
    for chunk in _chunks(sorted(set(claim_ids))):
        out += s.execute(
            select(MENTION.c.claim_id, MENTION.c.entity_id).where(
                MENTION.c.claim_id.in_(chunk), MENTION.c.role != "context"
            )
        ).all()
    return out


def _dialect_insert(s: Session, table: Any) -> Any:
    """An INSERT that can say ON CONFLICT, in the session's SQL dialect."""
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def _chunks(ids: list[Any]) -> Iterator[list[Any]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _newest(s: Session, key: Any, claim: Any, keys: list[Any], per_key: int) -> list[tuple[Any, int]]:
    """(key, claim id) for the `per_key` highest claim ids of each key: one index range per key, all in
    one statement per chunk of keys."""
    out: list[tuple[Any, int]] = []
    for i in range(0, len(keys), 100):
        chunk = keys[i : i + 100]
        params: list[Any] = []
        for k in chunk:
            params += [k, per_key]
        out += _raw(s, _newest_sql(key.table.name, key.name, claim.name, len(chunk)), params)
    return out


@lru_cache(maxsize=256)
def _newest_sql(table: str, key: str, claim: str, n: int) -> str:
    # Names come from the table definitions, never from input; values are bound.
    part = (
        f"SELECT * FROM (SELECT {key}, {claim} FROM {table} WHERE {key} = ? "
        f"ORDER BY {claim} DESC LIMIT ?) AS p{{}}"
    )
    return " UNION ALL ".join(part.format(j) for j in range(n))


def _raw(s: Session, sql: str, params: Sequence[Any]) -> list[Any]:
    """A read through the driver, for the ingest path's reads of numbers and text: rows as plain tuples,
    none of SQLAlchemy's result processing. `sql` marks its parameters with "?"."""
    if s.get_bind().dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    cur = _cursor(s)
    cur.execute(sql, tuple(params))
    return list(cur.fetchall())


_NONE: frozenset[int] = frozenset()


def _by_role(mentions: str | None) -> tuple[frozenset[int], frozenset[int], frozenset[int], frozenset[int]]:
    """A claim's entities by role (subject, context, aside, source) from its roles string ("role id ...",
    as `claim.roles` keeps its mentions)."""
    if not mentions:
        return _NONE, _NONE, _NONE, _NONE
    ids: dict[str, list[int]] = {"subject": [], "context": [], "aside": [], "source": []}
    words = mentions.split()
    for role, eid in zip(words[::2], map(int, words[1::2]), strict=True):
        ids[role].append(eid)
    subject, context, aside, source = ids.values()
    return (
        frozenset(subject) if subject else _NONE,
        frozenset(context) if context else _NONE,
        frozenset(aside) if aside else _NONE,
        frozenset(source) if source else _NONE,
    )


def _cursor(s: Session) -> Any:
    """A cursor of the session's own database connection, inside its transaction: the ingest path's bulk
    statements go to the driver as they are (values bound, never spliced into the text)."""
    return s.connection().connection.cursor()


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


def _among(s: Session, column: str, values: list[Any]) -> tuple[str, list[Any]]:
    """`column` is one of `values`, as SQL for `_raw` and its parameters. On PostgreSQL the values go as
    one array parameter: the statement's text, and so the plan the server keeps for it, stays the same
    whatever their number, where a list of marks is a new statement to plan for each length."""
    if s.get_bind().dialect.name == "postgresql":
        return f"{column} = ANY(?)", [values]
    return f"{column} IN ({_marks(values)})", list(values)


PIECE = 1 << 20  # characters of an aggregated list of ids parsed at a time


def _naming_where(t: Any, entity_id: int | None) -> list[Any]:
    """Conditions keeping a claim table's rows to the claims naming the entity, when there is one."""
    if entity_id is None:
        return []
    named = select(MENTION.c.claim_id).where(MENTION.c.entity_id == entity_id, MENTION.c.role != "context")
    return [t.c.id.in_(named)]


def _stale_where(t: Any, before: datetime, entity_id: int | None) -> list[Any]:
    """Facts still reported, last seen before `before` (naming the entity, with one)."""
    return [
        t.c.kind == Kind.fact.value,
        t.c.state == State.reported.value,
        t.c.last_seen < before,
        *_naming_where(t, entity_id),
    ]


_BACKING = [Stance.asserts.value, Stance.supports.value]


def _one_publisher_sql(t: Any) -> Any:
    """The claim of `t` is asserted or supported by one publisher: a subquery per claim (SQLite)."""
    publishers = (
        select(func.count(func.distinct(SOURCE.c.name)))
        .select_from(EVIDENCE.join(STORY, STORY.c.id == EVIDENCE.c.story_id))
        .join(SOURCE, SOURCE.c.id == STORY.c.source_id)
        .where(EVIDENCE.c.claim_id == t.c.id, EVIDENCE.c.stance.in_(_BACKING))
        .scalar_subquery()
    )
    return publishers == 1


def _one_publisher_in(t: Any) -> Any:
    """The same, as one pass over all evidence (PostgreSQL)."""
    return t.c.id.in_(_one_publisher_claims())


def _one_publisher_claims() -> Any:
    """The claims that one publisher asserts or supports."""
    return (
        select(EVIDENCE.c.claim_id)
        .join(STORY, STORY.c.id == EVIDENCE.c.story_id)
        .join(SOURCE, SOURCE.c.id == STORY.c.source_id)
        .where(EVIDENCE.c.stance.in_(_BACKING))
        .group_by(EVIDENCE.c.claim_id)
        .having(func.count(func.distinct(SOURCE.c.name)) == 1)
    )


def _watch_chunks(s: Session, where: Any, kinds: set[str], brief: bool) -> Iterator[list[WatchRow]]:
    """The claims meeting `where` (conditions on a claim table, or an alias of it), in chunks."""
    if s.get_bind().dialect.name == "sqlite":
        q = _watch_select_correlated(kinds, brief).where(*where(CLAIM))
    else:
        q = _watch_select_joined(kinds, where, brief)
    for rows in s.execute(q.execution_options(yield_per=CHUNK)).partitions():
        yield _brief_rows(rows) if brief else _watch_rows(s, rows)


def _claim_columns(brief: bool) -> list[Any]:
    """A claim's own columns in a watch select; `brief` reads only those that rank it."""
    if brief:
        return [
            CLAIM.c.id,
            null(),
            CLAIM.c.kind,
            CLAIM.c.state,
            null(),
            _plain_time(CLAIM.c.first_seen),
            null(),
        ]
    return [
        CLAIM.c.id,
        CLAIM.c.text,
        CLAIM.c.kind,
        CLAIM.c.state,
        CLAIM.c.confidence,
        _plain_time(CLAIM.c.first_seen),
        _plain_time(CLAIM.c.last_seen),
    ]


def _plain_time(column: Any) -> Any:
    """A UTCTime read as the plain DateTime it is stored as (UTCTime changes nothing on the way out),
    without a Python call per value."""
    return type_coerce(column, DateTime)


def _pair_list(*columns: Any) -> Any:
    """Ids as "a:b" pairs, comma-separated."""
    pair = cast(columns[0], String).concat(":").concat(cast(columns[1], String))
    return func.aggregate_strings(pair, ",")


def _watch_select_correlated(kinds: set[str], brief: bool) -> Any:
    """What an item shows of a claim, one row per claim, on SQLite: beside the claim's columns, each
    read by a subquery from an index, the ids of the entities it names, when its latest event happened,
    and a question's active "answers" and a triggered watch item's active "triggers" links ("link
    id:claim id" pairs). Kind and status are tested on expressions, which no index provides: given the
    columns, SQLite (a kb.db is never ANALYZEd) walks every link of the kind or every active one
    instead of this claim's few."""
    named = select(func.aggregate_strings(cast(MENTION.c.entity_id, String), ",")).where(
        MENTION.c.claim_id == CLAIM.c.id, MENTION.c.role != "context"
    )
    if brief:
        return select(*_claim_columns(brief), named.scalar_subquery())
    latest = select(func.max(EVENT.c.at_published)).where(EVENT.c.claim_id == CLAIM.c.id)

    def acting(kind: LinkKind, when: Any) -> Any:
        links = select(_pair_list(LINK.c.id, LINK.c.src_id)).where(
            LINK.c.dst_id == CLAIM.c.id,
            LINK.c.kind.concat("") == kind.value,
            LINK.c.status.concat("").in_(_ACTIVE),
        )
        return case((when, links.scalar_subquery()))

    answers = triggers = null()
    if Kind.question.value in kinds:
        answers = acting(LinkKind.answers, CLAIM.c.kind == Kind.question.value)
    if Kind.watch.value in kinds:
        triggered = and_(CLAIM.c.kind == Kind.watch.value, CLAIM.c.state == State.triggered.value)
        triggers = acting(LinkKind.triggers, triggered)
    return select(
        *_claim_columns(brief),
        named.scalar_subquery(),
        _plain_time(latest.scalar_subquery()),
        answers,
        triggers,
    )


def _watch_select_joined(kinds: set[str], where: Any, brief: bool) -> Any:
    """The columns of `_watch_select_correlated`, on PostgreSQL: each aggregate is computed in one pass
    over its table for all the claims meeting `where` and joined by hash, which its planner does far
    better than a subquery per claim."""

    def scoped(table: Any, column: Any, *conditions: Any) -> tuple[Any, list[Any]]:
        """`table` joined to the claims in scope on `column`, and the conditions."""
        k = CLAIM.alias()
        return table.join(k, k.c.id == column), [*where(k), *conditions]

    source, conditions = scoped(MENTION, MENTION.c.claim_id, MENTION.c.role != "context")
    named = (
        select(MENTION.c.claim_id.label("id"), func.aggregate_strings(cast(MENTION.c.entity_id, String), ","))
        .select_from(source)
        .where(*conditions)
        .group_by(MENTION.c.claim_id)
        .subquery()
    )
    joined = CLAIM.outerjoin(named, named.c.id == CLAIM.c.id)
    columns = [*_claim_columns(brief), list(named.c)[1]]
    if brief:
        return select(*columns).select_from(joined).where(*where(CLAIM))
    source, conditions = scoped(EVENT, EVENT.c.claim_id)
    latest = (
        select(EVENT.c.claim_id.label("id"), func.max(EVENT.c.at_published).label("at"))
        .select_from(source)
        .where(*conditions)
        .group_by(EVENT.c.claim_id)
        .subquery()
    )
    joined = joined.outerjoin(latest, latest.c.id == CLAIM.c.id)
    columns.append(_plain_time(latest.c.at))
    for kind, claim_kind in ((LinkKind.answers, Kind.question), (LinkKind.triggers, Kind.watch)):
        if claim_kind.value not in kinds:
            columns.append(null())
            continue
        source, conditions = scoped(
            LINK, LINK.c.dst_id, LINK.c.kind == kind.value, LINK.c.status.in_(_ACTIVE)
        )
        links = (
            select(LINK.c.dst_id.label("id"), _pair_list(LINK.c.id, LINK.c.src_id).label("pairs"))
            .select_from(source)
            .where(*conditions)
            .group_by(LINK.c.dst_id)
            .subquery()
        )
        joined = joined.outerjoin(links, links.c.id == CLAIM.c.id)
        columns.append(links.c.pairs)
    return select(*columns).select_from(joined).where(*where(CLAIM))


_ACTIVE = sorted(str(x) for x in ACTIVE_LINK)


def _brief_rows(rows: Sequence[Any]) -> list[WatchRow]:
    return [WatchRow(r[0], "", r[2], r[3], 0.0, r[5], None, _ids(r[7]), (), (), None) for r in rows]


def _watch_rows(s: Session, rows: Sequence[Any]) -> list[WatchRow]:
    """The claims of `rows` (of a watch select, at most CHUNK of them), with the texts of the claims
    answering a question (by claim id) and the stories whose facts touched a triggered watch item (in
    the order they did, each story once)."""
    answering: dict[int, list[int]] = {}
    touching: dict[int, list[int]] = {}
    for r in rows:
        if r[9] and r[2] == Kind.question.value:
            answering[r[0]] = sorted(src for _, src in _pairs_of(r[9]))
        if r[10] and r[2] == Kind.watch.value and r[3] == State.triggered.value:
            touching[r[0]] = [src for _, src in sorted(_pairs_of(r[10]))]
    texts = _claim_texts(s, {src for srcs in answering.values() for src in srcs})
    stories = _claim_stories(s, {src for srcs in touching.values() for src in srcs})
    answers = {cid: tuple(texts.get(src, "") for src in srcs) for cid, srcs in answering.items()}
    touched = {cid: _story_lines(stories, srcs) for cid, srcs in touching.items()}
    return [
        WatchRow(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            _ids(r[7]),
            answers.get(r[0], ()),
            touched.get(r[0], ()),
            r[8],
        )
        for r in rows
    ]


@lru_cache(maxsize=65536)
def _ids(text: str | None) -> tuple[int, ...]:
    """The ids of a comma-separated list (the claims of a story often name the same entities)."""
    return tuple(int(x) for x in text.split(",")) if text else ()


def _pairs_of(text: str) -> Iterator[tuple[int, int]]:
    for pair in text.split(","):
        a, b = pair.split(":")
        yield int(a), int(b)


def _story_lines(
    stories: Mapping[int, tuple[str, str, datetime | None]], claim_ids: list[int]
) -> tuple[str, ...]:
    """ "title (outlet, date)" of each claim's story, each story once."""
    seen: set[tuple[str, str, datetime | None]] = set()
    lines = []
    for cid in claim_ids:
        story = stories.get(cid)
        if story is not None and story not in seen:
            seen.add(story)
            title, publisher, published = story
            lines.append(f"{title} ({publisher}, {published.date().isoformat() if published else 'undated'})")
    return tuple(lines)


def _claim_texts(s: Session, claim_ids: Iterable[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for chunk in _chunks(sorted(claim_ids)):
        out.update(_pairs(s.execute(select(CLAIM.c.id, CLAIM.c.text).where(CLAIM.c.id.in_(chunk)))))
    return out


def _claim_stories(s: Session, claim_ids: Iterable[int]) -> dict[int, tuple[str, str, datetime | None]]:
    """Each claim's story: (title, outlet, publication date)."""
    out: dict[int, tuple[str, str, datetime | None]] = {}
    for chunk in _chunks(sorted(claim_ids)):
        for cid, title, publisher, published in s.execute(
            select(CLAIM.c.id, STORY.c.title, SOURCE.c.name, STORY.c.published)
            .join(STORY, STORY.c.id == CLAIM.c.story_id)
            .join(SOURCE, SOURCE.c.id == STORY.c.source_id)
            .where(CLAIM.c.id.in_(chunk))
        ):
            out[cid] = (title, publisher, published)
    return out


def _id_pieces(text: str | None) -> Iterator[set[int]]:
    """The distinct ids of a comma-separated list, read about PIECE characters at a time."""
    text = text or ""
    start, end = 0, len(text)
    while start < end:
        stop = text.find(",", start + PIECE) if end - start > PIECE else -1
        stop = end if stop < 0 else stop
        yield {int(x) for x in set(text[start:stop].split(","))}
        start = stop + 1


def _pairs(rows: Iterable[Any]) -> dict:
    return {r[0]: r[1] for r in rows}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _round(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None
