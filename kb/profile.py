"""Entity lookups and profiles (`kb entity`), and claims as the JSON contract shapes them, read with plain
SQL through SQLAlchemy Core.

A cold `kb entity` spends most of its time loading libraries, so this module loads neither SQLAlchemy's
ORM nor SQLModel nor kb's table classes: the command opens the database with `kb.db.make_engine` and reads
through a `Reader`, never through `kb.store`. `Store` offers the same reads by delegating here, and shapes
the claims of its other listings with `shape_claims`.

The SQL text is fixed: conditions are picked from constants here, never built from input, and every value
is bound."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import BindParameter, TextClause

from kb.db import tally_key
from kb.vocab import ACTIVE_LINK, Kind, Moment, State

CHUNK = 5000  # ids per IN list (PostgreSQL takes at most 65,535 parameters in one statement)
PROFILE_WINDOW = 2000  # the newest claims a profile reads related entities, sources and timeline from
PROFILE_EVENTS = 200  # events in a profile's timeline: the newest ones
RELATED = 15  # related entities in a profile

KINDS = tuple(Kind)
STATES = tuple(State)

# A profile's sections: each one's SQL condition on a claim `c`, and `_section` for the same test in Python.
SECTION_WHERE = {
    "known": "c.kind = 'fact'",
    "open_questions": "c.kind = 'question' AND c.state = 'unclear'",
    "answered_questions": "c.kind = 'question' AND c.state != 'unclear'",
    "watch": "c.kind = 'watch'",
}
SECTIONS = tuple(SECTION_WHERE)
# The columns a shaped claim is made of.
CLAIM_COLUMNS = "c.id, c.text, c.kind, c.state, c.confidence, c.section, c.first_seen, c.last_seen"
SHAPED_TIMES = ("first_seen", "last_seen")
EVENT_TIME = {"ingested": "at_ingested", "published": "at_published"}  # a clock's column of `event`
NAMED = "role != 'context'"  # a mention that names its entity (context mentions do not)


def _sql(sql: str, *lists: str, times: Sequence[str] = ()) -> TextClause:
    """A statement of fixed text. `lists` names its parameters that take a list of values, `times` its
    result columns that are times; a parameter `:at` is a time."""
    stmt = text(sql)
    binds: list[BindParameter[Any]] = [bindparam(name, expanding=True) for name in lists]
    if _AT.search(sql):
        binds.append(bindparam("at", type_=DateTime()))
    if binds:
        stmt = stmt.bindparams(*binds)
    return stmt.columns(**{name: DateTime() for name in times}) if times else stmt  # type: ignore[return-value]


_AT = re.compile(r":at\b")


def _utc(at: datetime) -> datetime:
    """Times are stored as naive UTC."""
    return at.astimezone(UTC).replace(tzinfo=None) if at.utcoffset() is not None else at


@dataclass(frozen=True)
class _Claims:
    """A set of claims as SQL: a condition that a column (`{}` in `test`) holds one of their ids, with its
    bound values; `lists` names those that are lists of values."""

    test: str
    params: Mapping[str, Any]
    lists: tuple[str, ...] = ()

    def holds(self, column: str) -> str:
        return self.test.format(column)


def _one_of(c: Connection, name: str) -> tuple[str, tuple[str, ...]]:
    """A condition that a column (`{}`) holds one of the ids in parameter `name` (bound with `_ids`), and
    the names of the parameters to expand into one value each."""
    if c.dialect.name == "postgresql":
        return f"{{}} = ANY(CAST(:{name} AS integer[]))", ()
    return f"{{}} IN :{name}", (name,)


def _ids(c: Connection, ids: Sequence[int]) -> Any:
    """Ids as `_one_of` binds them. PostgreSQL takes one array, in text form: a statement planned alike
    whatever the number of ids, and thousands of ids cost Python little to send."""
    if c.dialect.name == "postgresql":
        return "{" + ",".join(str(int(i)) for i in ids) + "}"
    return list(ids)


def _listed(c: Connection, ids: list[int]) -> _Claims:
    """Claims given by id."""
    test, lists = _one_of(c, "recent")
    return _Claims(test, {"recent": _ids(c, ids)}, lists)


class Reader:
    """Entity lookups and profiles on one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def entity_by_alias(self, key: str) -> int | None:
        """The entity an exact alias key names (the fast path of a lookup)."""
        with self.engine.connect() as c:
            return c.execute(_sql('SELECT entity_id FROM alias WHERE "key" = :k'), {"k": key}).scalar()

    def entity_display_names(self) -> dict[int, str]:
        with self.engine.connect() as c:
            rows = c.execute(_sql("SELECT id, name FROM entity WHERE merged_into IS NULL"))
            return {r[0]: r[1] for r in rows}

    def entity_names(self) -> list[tuple[int, str, str]]:
        """(entity id, alias key, alias name) for every alias, for lookups by name."""
        with self.engine.connect() as c:
            return [(r[0], r[1], r[2]) for r in c.execute(_sql('SELECT entity_id, "key", name FROM alias'))]

    def entity_profile(
        self,
        entity_id: int,
        as_of: Moment | None = None,
        limit: int = 10,
        window: int | None = None,
        events: int = PROFILE_EVENTS,
    ) -> dict:
        """An entity's aliases, claims by kind and state, related entities, sources and timeline (as they
        stood at the moment, with `as_of`).

        It reads only what it shows: each section holds its newest `limit` claims (0: all) beside
        `totals`, its size. Related entities, the newest `limit` sources and the newest `events` events are
        read from the entity's newest `window` claims (default PROFILE_WINDOW; all of them when `limit` is
        0). The counts are exact: tallies of the entity's claims by kind and state that ingest, decisions
        and merges keep up to date (with `as_of`, counted from the claims as they stood)."""
        window = (window or PROFILE_WINDOW) if limit else None
        with self.engine.connect() as c:
            if c.dialect.name == "postgresql":
                # Each statement planned for this entity: after a few runs in one session, a plan made
                # for any entity would sort all of a big entity's claims to find its newest ones.
                c.execute(_sql("SET LOCAL plan_cache_mode = force_custom_plan"))
            e = c.execute(_sql("SELECT id, name, kind FROM entity WHERE id = :e"), {"e": entity_id}).first()
            if e is None:
                return {}
            aliases = [
                a
                for (a,) in c.execute(
                    _sql("SELECT name FROM alias WHERE entity_id = :e ORDER BY id"), {"e": entity_id}
                )
                if a != e.name
            ]
            if as_of is None:
                tally = _claim_tally(c, entity_id)
                shown = _newest_claims(c, entity_id, _section_totals(tally), limit)
                recent = _recent_claims(c, entity_id, window)
            else:
                tally, shown, recent = _profile_as_of(c, entity_id, as_of, limit, window)
            everything = sorted((x for claims in shown.values() for x in claims), key=lambda x: x.id)
            shaped = {x["id"]: x for x in shape_claims(c, everything, as_of)}
            by_state: dict[str, int] = defaultdict(int)
            for (_kind, state), n in tally.items():
                by_state[state] += n
            return {
                "id": e.id,
                "name": e.name,
                "kind": e.kind,
                "aliases": aliases,
                "claims": sum(tally.values()),
                **{key: [shaped[x.id] for x in claims if x.id in shaped] for key, claims in shown.items()},
                "totals": _section_totals(tally),
                "limit": limit,
                "by_state": dict(sorted(by_state.items())),
                "related": _related(c, entity_id, recent),
                "related_window": window,
                "sources": _profile_sources(c, recent, as_of, limit),
                "timeline": _profile_timeline(c, recent, as_of, events),
            }


def _claim_tally(c: Connection, entity_id: int) -> dict[tuple[str, str], int]:
    """(kind, state) -> how many claims naming the entity have them: counters ingest keeps, so a profile
    does not count an entity's claims."""
    keys = [tally_key(entity_id, kind, state) for kind in KINDS for state in STATES]
    out = {}
    rows = c.execute(_sql("SELECT term, df FROM term_stat WHERE term IN :keys", "keys"), {"keys": keys})
    for key, n in rows:
        if n:
            _, kind, state = key.split("/")
            out[(kind, state)] = n
    return out


def _newest_claims(c: Connection, entity_id: int, totals: dict[str, int], limit: int) -> dict[str, list[Any]]:
    """Each section's newest `limit` claims (0: all), by id, in one statement. Walking the entity's mentions
    from the newest stops after `limit` hits, so a big section costs about `limit` rows."""
    # An empty section is not queried: the walk would read every mention to find nothing.
    keys = [key for key in SECTIONS if totals[key]]
    newest = " ORDER BY m.claim_id DESC" + (" LIMIT :n" if limit else "")
    parts = [
        f"SELECT * FROM (SELECT {i} AS part, {CLAIM_COLUMNS} FROM claim c JOIN mention m "
        f"ON m.claim_id = c.id WHERE m.entity_id = :e AND m.{NAMED} AND {SECTION_WHERE[key]}{newest}) p{i}"
        for i, key in enumerate(keys)
    ]
    out: dict[str, list[Any]] = {key: [] for key in SECTIONS}
    if parts:
        params = {"e": entity_id, **({"n": limit} if limit else {})}
        for row in c.execute(_sql(" UNION ALL ".join(parts), times=SHAPED_TIMES), params):
            out[keys[row.part]].append(row)
    return {key: sorted(rows, key=lambda row: row.id) for key, rows in out.items()}


def _recent_claims(c: Connection, entity_id: int, window: int | None) -> _Claims:
    """The entity's newest `window` claims (all of them with None). On SQLite, a range of the (entity,
    claim) index from the window's oldest claim on; on PostgreSQL, their ids."""
    named = f"SELECT rm.claim_id FROM mention rm WHERE rm.entity_id = :e AND rm.{NAMED}"
    params = {"e": entity_id}
    if window is None:
        return _Claims(f"{{}} IN ({named})", params)
    if c.dialect.name == "postgresql":
        # Their ids, as one array in text form: in the statements below a list of ids is planned well (a
        # subquery, whose size PostgreSQL can only guess, is not), and the window is walked once.
        stmt = _sql(f"SELECT CAST(ARRAY({named} ORDER BY rm.claim_id DESC LIMIT :window) AS text)")
        test, lists = _one_of(c, "recent")
        return _Claims(test, {"recent": c.execute(stmt, {**params, "window": window}).scalar()}, lists)
    stmt = _sql(f"{named} ORDER BY rm.claim_id DESC LIMIT 1 OFFSET :skip")
    oldest = c.execute(stmt, {**params, "skip": window - 1}).scalar()
    if oldest is None:
        return _Claims(f"{{}} IN ({named})", params)
    return _Claims(f"{{}} IN ({named} AND rm.claim_id >= :oldest)", {**params, "oldest": oldest})


def _profile_as_of(
    c: Connection, entity_id: int, as_of: Moment, limit: int, window: int | None
) -> tuple[dict[tuple[str, str], int], dict[str, list[Any]], _Claims]:
    """The tally, the shown claims and the recent claims as they stood at the moment. States then come
    from the event log, so every claim naming the entity is read (one row each)."""
    col = EVENT_TIME[as_of.clock]
    # The entity's claims with a state at the moment, as events `ev` (one or more per claim).
    known = (
        f"FROM event ev JOIN mention m ON m.claim_id = ev.claim_id WHERE m.entity_id = :e AND m.{NAMED} "
        f"AND ev.{col} <= :at AND ev.new_state IS NOT NULL"
    )
    params = {"e": entity_id, "at": _utc(as_of.at)}
    states = _sql(
        "SELECT ev.claim_id, c.kind, ev.new_state FROM event ev JOIN mention m ON m.claim_id = ev.claim_id "
        f"JOIN claim c ON c.id = ev.claim_id WHERE m.entity_id = :e AND m.{NAMED} AND ev.{col} <= :at "
        f"AND ev.new_state IS NOT NULL ORDER BY ev.claim_id, ev.{col}, ev.id"
    )
    then: dict[int, tuple[str, str]] = {}
    for cid, kind, state in c.execute(states, params):
        then[cid] = (kind, state)  # the last event at or before the moment wins
    ids = sorted(then)
    tally: dict[tuple[str, str], int] = defaultdict(int)
    picked: dict[str, list[int]] = {key: [] for key in SECTIONS}
    for cid in ids:
        tally[then[cid]] += 1
        section = _section(*then[cid])
        if section:
            picked[section].append(cid)
    shown = {key: group[-limit:] if limit else group for key, group in picked.items()}
    wanted = sorted(cid for group in shown.values() for cid in group)
    claims: dict[int, Any] = {}
    one, lists = _one_of(c, "ids")
    stmt = _sql(f"SELECT {CLAIM_COLUMNS} FROM claim c WHERE {one.format('c.id')}", *lists, times=SHAPED_TIMES)
    for chunk in _chunks(wanted):
        for row in c.execute(stmt, {"ids": _ids(c, chunk)}):
            claims[row.id] = row
    if window is not None and c.dialect.name == "postgresql":
        recent = _listed(c, ids[-window:])
    elif window is not None and len(ids) > window:
        recent = _Claims(
            f"{{}} IN (SELECT ev.claim_id {known} AND m.claim_id >= :oldest)",
            {**params, "oldest": ids[-window]},
        )
    else:
        recent = _Claims(f"{{}} IN (SELECT ev.claim_id {known})", params)
    return dict(tally), {key: [claims[cid] for cid in group] for key, group in shown.items()}, recent


def _related(c: Connection, entity_id: int, recent: _Claims) -> list[dict]:
    """The RELATED entities sharing the most of the recent claims, most shared first."""
    rows = c.execute(
        _sql(
            "SELECT e.id, e.name, e.kind, r.n FROM (SELECT entity_id, count(*) AS n FROM mention "
            f"WHERE {recent.holds('claim_id')} AND {NAMED} AND entity_id != :e GROUP BY entity_id) r "
            "JOIN entity e ON e.id = r.entity_id ORDER BY r.n DESC, e.name LIMIT :related",
            *recent.lists,
        ),
        {**recent.params, "e": entity_id, "related": RELATED},
    )
    return [{"id": r[0], "name": r[1], "kind": r[2], "shared_claims": r[3]} for r in rows]


def _story_before(as_of: Moment | None) -> str:
    """A condition keeping only stories `s` known (or published) by the moment."""
    if as_of is None:
        return ""
    if as_of.clock == "published":
        return " AND coalesce(s.published, s.ingested_at) <= :at"
    return " AND s.ingested_at <= :at"


def _profile_sources(c: Connection, recent: _Claims, as_of: Moment | None, limit: int) -> list[dict]:
    """The newest `limit` stories (0: all) behind the recent claims, in chronological order, each with how
    many of those claims it gives evidence for."""
    # Counted first, then the newest of those stories read by id: joined in one statement, PostgreSQL
    # guesses far more stories than there are and reads the whole story table.
    counted = c.execute(
        _sql(
            "SELECT story_id, count(DISTINCT claim_id) FROM evidence "
            f"WHERE {recent.holds('claim_id')} GROUP BY story_id",
            *recent.lists,
        ),
        recent.params,
    )
    claims = {r[0]: r[1] for r in counted.all()}
    story, lists = _one_of(c, "ids")
    sql = (
        "SELECT s.id, s.title, src.name, s.published, s.ingested_at FROM story s "
        f"JOIN source src ON src.id = s.source_id WHERE {story.format('s.id')}{_story_before(as_of)} "
        "ORDER BY coalesce(s.published, s.ingested_at) DESC, s.id DESC"
    ) + (" LIMIT :n" if limit else "")
    stmt = _sql(sql, *lists, times=("published", "ingested_at"))
    params: dict[str, Any] = {"n": limit} if limit else {}
    if as_of is not None:
        params["at"] = _utc(as_of.at)
    rows = [
        r for chunk in _chunks(sorted(claims)) for r in c.execute(stmt, {**params, "ids": _ids(c, chunk)})
    ]
    rows.sort(key=lambda r: (r.published or r.ingested_at, r.id), reverse=True)  # as each chunk was
    return [
        {"story_id": r[0], "title": r[1], "publisher": r[2], "published": _iso(r[3]), "claims": claims[r[0]]}
        for r in reversed(rows[:limit] if limit else rows)
    ]


def _profile_timeline(c: Connection, recent: _Claims, as_of: Moment | None, events: int) -> list[dict]:
    """The newest `events` events of the recent claims, in chronological order."""
    # Sorted on an expression no index provides (at_published is never null), so that no planner walks
    # every event backwards in time hoping to meet the recent claims' ones soon: it reads those claims'
    # events and sorts them. (PostgreSQL took 3.6 s on a 1M-claim KB otherwise.)
    before = f" AND {EVENT_TIME[as_of.clock]} <= :at" if as_of is not None else ""
    params: dict[str, Any] = {**recent.params, "events": events}
    if as_of is not None:
        params["at"] = _utc(as_of.at)
    sql = (
        "SELECT ev.at_published, ev.action, ev.claim_id, c.text, ev.new_state FROM "
        "(SELECT id, claim_id, action, new_state, at_published, at_ingested FROM event "
        f"WHERE {recent.holds('claim_id')}{before} "
        "ORDER BY coalesce(at_published, at_ingested) DESC, id DESC LIMIT :events) ev "
        "JOIN claim c ON c.id = ev.claim_id ORDER BY coalesce(ev.at_published, ev.at_ingested), ev.id"
    )
    rows = c.execute(_sql(sql, *recent.lists, times=("at_published",)), params)
    return [{"at": _iso(r[0]), "action": r[1], "claim_id": r[2], "text": r[3], "state": r[4]} for r in rows]


# -------------------------------------------------------------------------------------------- claims


def shape_claims(c: Connection, claims: Sequence[Any], as_of: Moment | None = None) -> list[dict]:
    """Claims (rows or objects with a claim's columns) as dicts: entities, sources and answers added, and
    with `as_of` as they stood at the moment; in chunks, so no statement carries more ids than a database
    accepts."""
    out: list[dict] = []
    for i in range(0, len(claims), CHUNK):
        out += _shape_chunk(c, claims[i : i + CHUNK], as_of)
    return out


def _shape_chunk(c: Connection, claims: Sequence[Any], as_of: Moment | None) -> list[dict]:
    ids = [x.id for x in claims]
    if not ids:
        return []
    past = _states_as_of(c, ids, as_of) if as_of is not None else {}
    one, lists = _one_of(c, "ids")
    names: dict[int, list[str]] = defaultdict(list)
    for cid, name in c.execute(
        _sql(
            "SELECT m.claim_id, e.name FROM mention m JOIN entity e ON e.id = m.entity_id "
            f"WHERE {one.format('m.claim_id')} AND m.{NAMED} ORDER BY m.claim_id, e.name",
            *lists,
        ),
        {"ids": _ids(c, ids)},
    ):
        names[cid].append(name)
    sources: dict[int, list[dict]] = defaultdict(list)
    params: dict[str, Any] = {"ids": _ids(c, ids)}
    if as_of is not None:
        params["at"] = _utc(as_of.at)
    for r in c.execute(
        _sql(
            "SELECT ev.claim_id, s.id, s.title, src.name, s.published, ev.stance, ev.quote, ev.section "
            "FROM evidence ev JOIN story s ON s.id = ev.story_id JOIN source src ON src.id = s.source_id "
            f"WHERE {one.format('ev.claim_id')}{_story_before(as_of)} ORDER BY ev.id",
            *lists,
            times=("published",),
        ),
        params,
    ):
        sources[r[0]].append(
            {
                "story_id": r[1],
                "title": r[2],
                "publisher": r[3],
                "published": _iso(r[4]),
                "stance": r[5],
                "quote": r[6],
                "section": r[7],
            }
        )
    answered: dict[int, list[int]] = defaultdict(list)
    # Kind and status are tested here, not in SQL: given them, SQLite (a kb.db is never ANALYZEd) walks
    # every "answers" link or every active one instead of these claims' few links.
    links = _sql(
        f"SELECT src_id, dst_id, kind, status FROM claim_link WHERE {one.format('dst_id')}"
        + (" AND created_at <= :at" if as_of is not None else ""),
        *lists,
    )
    for src, dst, kind, status in sorted(c.execute(links, params).all()):
        if kind == "answers" and status in ACTIVE_LINK:
            answered[dst].append(src)
    out = []
    for x in claims:
        cid = x.id
        if as_of is not None and cid not in past:
            continue  # not known yet at that moment
        state, confidence = past.get(cid, (x.state, x.confidence))
        seen = [s["published"] for s in sources[cid] if s["published"]]
        out.append(
            {
                "id": x.id,
                "text": x.text,
                "kind": x.kind,
                "state": state,
                "confidence": round(confidence, 3),
                "entities": names[cid],
                "first_seen": min(seen) if as_of is not None and seen else _iso(x.first_seen),
                "last_seen": max(seen) if as_of is not None and seen else _iso(x.last_seen),
                "sources": sources[cid],
                "answered_by": answered[cid],
                "section": x.section,
            }
        )
    return out


def _states_as_of(c: Connection, ids: list[int], as_of: Moment) -> dict[int, tuple[str, float]]:
    """Each claim's state and confidence after the last event at or before the moment."""
    col = EVENT_TIME[as_of.clock]
    one, lists = _one_of(c, "ids")
    out: dict[int, tuple[str, float]] = {}
    for cid, state, confidence in c.execute(
        _sql(
            f"SELECT claim_id, new_state, new_confidence FROM event WHERE {one.format('claim_id')} "
            f"AND {col} <= :at AND new_state IS NOT NULL ORDER BY claim_id, {col}, id",
            *lists,
        ),
        {"ids": _ids(c, ids), "at": _utc(as_of.at)},
    ):
        out[cid] = (state, confidence or 0.0)
    return out


# ------------------------------------------------------------------------------------------- helpers


def _section(kind: str, state: str) -> str | None:
    """The profile section a claim of this kind and state is listed in."""
    if kind == "question":
        return "open_questions" if state == "unclear" else "answered_questions"
    return {"fact": "known", "watch": "watch"}.get(kind)


def _section_totals(tally: Mapping[tuple[str, str], int]) -> dict[str, int]:
    totals = dict.fromkeys(SECTIONS, 0)
    for (kind, state), n in tally.items():
        section = _section(kind, state)
        if section:
            totals[section] += n
    return totals


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
