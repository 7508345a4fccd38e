"""The ingest pipeline and analyst decisions: parse -> extract -> resolve -> match -> lifecycle -> store.

This module orchestrates; each step's logic lives in its own module. One story is one transaction.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from kb import extract, lifecycle, match
from kb.db import CLAIM_COUNT, ENTITY_COUNT
from kb.errors import DecisionError, NotFound
from kb.lifecycle import Backing, Inputs
from kb.models import ACTIVE_LINK, KNOWN, Kind, LinkKind, LinkStatus, Stance, State
from kb.parse import ParsedClaim, ParsedStory
from kb.resolve import Resolver, alias_key, load_gazetteer
from kb.settings import MAX_CANDIDATES, PER_ENTITY, PER_TERM, Thresholds, gazetteer_paths
from kb.store import CandidateRow, LinkRow, Store, utcnow
from kb.text import content_hash, split_attribution, text_hash

RETRIES = 5  # attempts at one story when another writer got there first
MAX_LINKS_PER_KIND = 3  # links of one kind an incoming claim may make
MAX_ROWS = 50_000  # existing claims an ingest keeps in memory between stories (about 1 kB each)
MAX_COUNTS = 200_000  # counters it keeps
FAQ_REPEAT = 0.45  # similarity from which an FAQ question is taken as its brief's own unclear question
INITIAL = {Kind.fact: State.reported, Kind.question: State.unclear, Kind.watch: State.watching}
OWN_STANCE = {Kind.fact: Stance.asserts, Kind.question: Stance.questions, Kind.watch: Stance.watches}
REPEAT_STANCE = {Kind.fact: Stance.supports, Kind.question: Stance.questions, Kind.watch: Stance.watches}


@dataclass
class Change:
    """One thing an ingest or decision did to a claim, for summaries."""

    claim_id: int
    text: str
    action: str  # promoted, corroborated, disputed, confirmed, refuted, reopened, suggested, ...
    from_state: str | None
    to_state: str | None
    reason: str = ""
    other_claim_id: int | None = None


@dataclass
class Mentioned:
    """A claim's entities (what it is about, whom it is attributed to) and its content terms."""

    subject: set[int]
    source: set[int]
    terms: frozenset[str]
    aside: set[int] = field(default_factory=set)  # named in a question's "beyond X" clause


@dataclass
class IngestResult:
    path: str
    title: str = ""
    story_id: int | None = None
    duplicate: bool = False
    new_claims: int = 0
    repeated_claims: int = 0
    new_entities: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    error: str | None = None


def analyst_name() -> str:
    try:
        return os.environ.get("KB_ANALYST") or getpass.getuser()
    except (KeyError, OSError):
        return "analyst"


class Ingestor:
    """Stores parsed stories, resolving entities and matching claims against the KB."""

    def __init__(
        self,
        store: Store,
        source: str | None = None,
        reliability: str | None = None,
        thresholds: Thresholds | None = None,
    ) -> None:
        self.store = store
        self.source = source
        self.reliability = reliability
        self.thresholds = thresholds or Thresholds()
        self.gazetteer = load_gazetteer(gazetteer_paths())
        self._resolver: Resolver | None = None
        # What this ingest knows of existing claims and entities, kept across stories: claims never change
        # text or terms, and only an analyst's curation (counted in CURATIONS) moves their entities.
        # Counters are kept while no other process has stored a story since this one's last.
        self._curations = -1
        self._last_story = -1
        self._rows: dict[int, CandidateRow] = {}
        self._candidate_features: dict[int, match.Features] = {}
        self._counts: dict[str, int] = {}
        self._kinds: dict[int, str] = {}
        self._story_questions: list[tuple[int, match.Features]] = []

    def resolver(self, s: Session) -> Resolver:
        if self._resolver is None:
            self._resolver = Resolver(
                self.store.alias_index(s),
                self.gazetteer,
                self.thresholds.entity_edits,
                self.store.not_same_pairs(s),
            )
        return self._resolver

    def ingest(self, story: ParsedStory, path: str) -> IngestResult:
        """Store one parsed story in one transaction; identical content is skipped. Another process
        writing the same story or entity at the same moment makes this one retry, not fail."""
        digest = content_hash(story.raw)
        for attempt in range(RETRIES):
            result = IngestResult(path=path, title=story.title)
            try:
                with self.store.transaction() as s:
                    self.store.lock_writers(s)
                    existing = self.store.story_by_hash(s, digest)
                    if existing is not None:
                        result.story_id, result.duplicate = existing, True
                        return result
                    self._store_story(s, story, path, digest, result)
                return result
            except (IntegrityError, OperationalError):
                self._forget()  # what was learnt in the rolled-back transaction is gone
                if attempt == RETRIES - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
            except Exception:
                self._forget()
                raise
        raise AssertionError("unreachable")

    def _forget(self) -> None:
        self._resolver, self._rows, self._candidate_features = None, {}, {}
        self._counts, self._kinds, self._last_story = {}, {}, -1

    def _store_story(
        self, s: Session, story: ParsedStory, path: str, digest: str, result: IngestResult
    ) -> None:
        last_story, curations = self.store.marks(s)
        if curations != self._curations:
            self._forget()
        if last_story != self._last_story or len(self._counts) > MAX_COUNTS:
            self._counts = {}  # another process stored stories since (or the memo is full)
        if len(self._rows) > MAX_ROWS:
            self._rows, self._candidate_features = {}, {}
        self._curations = curations
        source_name = self.source or story.publisher or "unknown"
        source_id, _ = self.store.source(s, source_name, self.reliability)
        now = utcnow()
        story_id = self.store.add_story(
            s,
            content_hash=digest,
            source_id=source_id,
            title=story.title,
            published=story.published,
            url=story.url,
            fmt=story.fmt,
            path=path,
            summary=story.summary,
            body=story.body,
            caveats=json.dumps(story.caveats, ensure_ascii=False),
            raw_text=story.raw,
            ingested_at=now,
            weight=lifecycle.PRELIMINARY_WEIGHT if story.preliminary else 1.0,
        )
        result.story_id = story_id
        mentioned = [self._mentions(s, c, story_id, result) for c in story.claims]
        context = self._context(s, story, mentioned, story_id, result)
        batch = _Batch(story_id, story.published or now)
        self._story_questions = []

        # Counts as they stand before this story, its own terms included (a term it brings is not rare).
        term_counts = Counter(t for m in mentioned for t in m.terms)
        subjects = set().union(*[m.subject for m in mentioned])
        counts = self._stored_counts(
            s, {*term_counts, *(f"{ENTITY_COUNT}{e}" for e in subjects), CLAIM_COUNT}
        )
        for t, n in term_counts.items():
            counts[t] = counts.get(t, 0) + n
        total = counts.get(CLAIM_COUNT, 0)
        weights = _weights(counts, total)
        shortlists = self._shortlists(s, mentioned, context, weights)
        wanted = set().union(*shortlists)
        self._rows.update((c.id, c) for c in self.store.candidate_rows(s, wanted - self._rows.keys()))
        candidates = {i: self._rows[i] for i in wanted if i in self._rows}
        more = {t for c in candidates.values() for t in c.terms.split()} - counts.keys()
        more |= {f"{ENTITY_COUNT}{e}" for c in candidates.values() for e in c.subject} - counts.keys()
        counts.update(self._stored_counts(s, more))
        weights = _weights(counts, total)
        kinds = self._entity_kinds(s, subjects.union(*[c.subject for c in candidates.values()]))

        known = self.store.claims_by_hash(s, [text_hash(c.text) for c in story.claims])
        for parsed, m, ids in zip(story.claims, mentioned, shortlists, strict=True):
            new = match.features(
                0,
                parsed.kind,
                parsed.text,
                m.terms,
                frozenset(m.subject),
                context,
                source_id,
                frozenset(m.aside),
            )
            shortlist = [candidates[i] for i in sorted(ids, reverse=True) if i in candidates]
            self._claim(batch, parsed, new, m, known, shortlist, kinds, weights, result)
        self._write(s, batch, result)
        term_counts.update(f"{ENTITY_COUNT}{e}" for c in batch.claims for e in c["subject"])
        term_counts[CLAIM_COUNT] = len(batch.claims)
        self.store.add_counts(s, term_counts)
        for key, n in term_counts.items():
            if key in self._counts:
                self._counts[key] += n
        self._last_story = story_id
        result.new_claims = len(batch.ids)
        new_ids = set(batch.ids)
        self._recompute(
            s, set(batch.affected) | new_ids, story_id, batch.affected, new_ids, result, story.published, now
        )

    def _stored_counts(self, s: Session, keys: set[str]) -> dict[str, int]:
        """Counters as stored (0 for keys never counted), read once per ingest run and then kept."""
        missing = keys - self._counts.keys()
        if missing:
            found = self.store.counts(s, missing)
            self._counts.update((k, found.get(k, 0)) for k in missing)
        return {k: self._counts[k] for k in keys}

    def _entity_kinds(self, s: Session, ids: set[int]) -> dict[int, str]:
        missing = ids - self._kinds.keys()
        if missing:
            self._kinds.update(self.store.entity_kinds(s, missing))
        return self._kinds

    def _shortlists(
        self, s: Session, mentioned: list[Mentioned], context: frozenset[int], weights: match.Weights
    ) -> list[set[int]]:
        """For each incoming claim, the existing claims it is scored against (blocking): those sharing the
        most of its terms, rare ones weighing more, and the newest naming its entities. Each is a few
        index ranges, whatever the size of the KB or of an entity."""
        by_term: dict[str, list[int]] = defaultdict(list)
        for term, cid in self.store.postings(s, {t for m in mentioned for t in m.terms}, PER_TERM):
            by_term[term].append(cid)
        entities = set(context).union(*[m.subject | m.source for m in mentioned])
        by_entity: dict[int, list[int]] = defaultdict(list)
        for eid, cid in self.store.entity_claims(s, entities, PER_ENTITY):
            by_entity[eid].append(cid)
        out = []
        for m in mentioned:
            ids = set(match.shortlist(m.terms, by_term, weights, MAX_CANDIDATES))
            for e in m.subject | m.source | context:
                ids.update(by_entity.get(e, ()))
            out.append(ids)
        return out

    def _mentions(self, s: Session, claim: ParsedClaim, story_id: int, result: IngestResult) -> Mentioned:
        """Entities a claim is about and those it is attributed to, and its content terms."""
        said, attribution = split_attribution(claim.text)
        subject, names = self._entities(s, said, story_id, result)
        source, source_names = (
            self._entities(s, attribution, story_id, result) if attribution else (set(), [])
        )
        aside: set[int] = set()
        if claim.kind == Kind.question:
            for clause in match.aside_clauses(said):
                aside |= self._entities(s, clause, story_id, result)[0]
        terms = match.claim_terms(claim.kind, claim.text, names + source_names)
        return Mentioned(subject - aside, source - subject, terms, aside)

    def _entities(
        self, s: Session, text: str, story_id: int, result: IngestResult
    ) -> tuple[set[int], list[str]]:
        resolver = self.resolver(s)
        ids: set[int] = set()
        names = extract.mentions(text, resolver.is_alias)
        for name in names:
            eid = self._resolve(s, resolver, name, story_id, result)
            if eid is not None:
                ids.add(eid)
        return ids, names

    def _resolve(
        self, s: Session, resolver: Resolver, name: str, story_id: int, result: IngestResult
    ) -> int | None:
        found = resolver.resolve(name)
        if found is None:
            return None
        if found.entity_id is not None:
            if found.fuzzy_score is not None and self.store.add_alias(
                s, found.entity_id, name, alias_key(name), "fuzzy"
            ):
                resolver.learn(alias_key(name), found.entity_id)
            return found.entity_id
        assert found.new_name is not None
        key = alias_key(found.new_name)
        origin = "gazetteer" if key in self.gazetteer else "extracted"
        aliases = [(a, alias_key(a), origin) for a in found.aliases if alias_key(a)]
        if alias_key(name) not in {a[1] for a in aliases}:
            aliases.append((name, alias_key(name), "extracted"))
        eid = self.store.add_entity(s, found.new_name, key, found.kind, aliases, story_id)
        if found.looks_like is not None and found.looks_like != eid:
            self.store.suggest_same_entity(s, found.looks_like, eid, f"{name!r} is spelled like a known name")
        for _, k, _ in aliases:
            resolver.learn(k, eid)
        result.new_entities.append(found.new_name)
        return eid

    def _context(
        self, s: Session, story: ParsedStory, mentioned: list[Mentioned], story_id: int, result: IngestResult
    ) -> frozenset[int]:
        """The story's main entities: named in its title or summary, or in many of its claims."""
        resolver = self.resolver(s)
        ids: set[int] = set()
        for name in extract.mentions(story.title, resolver.is_alias, title_case=True):
            eid = self._resolve(s, resolver, name, story_id, result)
            if eid is not None:
                ids.add(eid)
        ids |= self._entities(s, story.summary, story_id, result)[0] if story.summary else set()
        counts = Counter(e for m in mentioned for e in m.subject)
        ids |= {e for e, n in counts.most_common(3) if n >= 2}
        return frozenset(ids)

    def _claim(
        self,
        batch: _Batch,
        parsed: ParsedClaim,
        new: match.Features,
        m: Mentioned,
        known: Mapping[tuple[str, str], int],
        candidates: list[CandidateRow],
        kinds: dict[int, str],
        weights: match.Weights,
        result: IngestResult,
    ) -> None:
        """Decide what an incoming claim is (a repeat, or a new claim with its links) into the batch."""
        kind = Kind(parsed.kind)
        digest = text_hash(parsed.text)
        repeat = known.get((digest, kind)) or batch.by_hash.get((digest, kind))
        repeat = repeat or self._faq_repeat(parsed, new)
        found = [] if repeat is not None else self._matches(new, candidates, kinds, weights)
        # A repeat that says nothing more becomes evidence on the existing claim; one that adds something
        # becomes a claim of its own, linked same_as (both then share their sources).
        same = [x for x in found if x.kind == LinkKind.same_as and x.duplicate and x.can_act]
        same = [x for x in same if self.thresholds.acts(x.kind, x.score)]
        target = repeat if repeat is not None else (max(same, key=lambda x: x.score).dst if same else None)
        if target is not None:
            if batch.evidence(target, REPEAT_STANCE[kind], parsed):
                batch.touched.add(target)
                batch.affected.setdefault(target, f"repeated by story #{batch.story_id}")
                result.repeated_claims += 1
            return
        ref = batch.add_claim(parsed, new, m, kind, INITIAL[kind])
        batch.by_hash.setdefault((digest, kind), ref)
        batch.evidence(ref, OWN_STANCE[kind], parsed)
        if kind == Kind.question:
            self._story_questions.append((ref, new))
        for x in found:
            self._link(batch, x, ref, candidates, parsed)
            if kind == Kind.question and x.kind == LinkKind.answers and self.thresholds.acts(x.kind, x.score):
                self._doubt(batch, new, x.src, candidates, parsed, weights)

    def _doubt(
        self,
        batch: _Batch,
        question: match.Features,
        fact_id: int,
        candidates: list[CandidateRow],
        parsed: ParsedClaim,
        weights: match.Weights,
    ) -> None:
        """A brief that lists an already known fact as unclear casts doubt on it."""
        c = next(c for c in candidates if c.id == fact_id)
        fact = match.features(c.id, c.kind, c.text, frozenset(c.terms.split()), c.subject, c.context)
        if match.similarity(question, fact, weights) >= self.thresholds.auto and batch.evidence(
            fact_id, Stance.doubts, parsed
        ):
            batch.affected.setdefault(fact_id, f"listed as unclear by story #{batch.story_id}")

    def _matches(
        self,
        new: match.Features,
        candidates: list[CandidateRow],
        kinds: dict[int, str],
        weights: match.Weights,
    ) -> list[match.Match]:
        out = []
        for c in candidates:
            if not (new.entities | new.context) & (c.subject | c.context):
                continue
            found = match.best_match(new, self._features(c), kinds, weights)
            if found is not None and found.score >= self.thresholds.suggest:
                out.append(found)
        # The strongest few of each kind: a claim answers or repeats a handful of others, and keeping the
        # rest would make a dense topic quadratic in links.
        out.sort(key=lambda m: -m.score)
        kept: dict[str, int] = {}
        best = []
        for m in out:
            kept[m.kind] = kept.get(m.kind, 0) + 1
            if kept[m.kind] <= MAX_LINKS_PER_KIND:
                best.append(m)
        return best

    def _faq_repeat(self, parsed: ParsedClaim, new: match.Features) -> int | None:
        """An FAQ question that asks what the same brief already lists as unclear is that question."""
        if parsed.kind != Kind.question or parsed.section != "faq":
            return None
        close = [(match.similarity(new, q), cid) for cid, q in self._story_questions]
        best = max(close, default=(0.0, None))
        return best[1] if best[0] >= FAQ_REPEAT else None

    def _features(self, c: CandidateRow) -> match.Features:
        """A candidate's features, computed once per story however many incoming claims meet it."""
        cached = self._candidate_features.get(c.id)
        if cached is None:
            cached = match.features(
                c.id, c.kind, c.text, frozenset(c.terms.split()), c.subject, c.context, c.source_id, c.aside
            )
            self._candidate_features[c.id] = cached
        return cached

    def _link(
        self, batch: _Batch, m: match.Match, ref: int, candidates: list[CandidateRow], parsed: ParsedClaim
    ) -> None:
        src, dst = (ref, m.dst) if m.src == 0 else (m.src, ref)
        acts = m.can_act and self.thresholds.acts(m.kind, m.score)
        if m.kind == LinkKind.triggers and not acts:
            return  # a faint touch is not worth an analyst's time
        status = LinkStatus.auto if acts else LinkStatus.suggested
        batch.links.append((m, src, dst, status))
        if status == LinkStatus.suggested:
            text = parsed.text if dst == ref else next(c.text for c in candidates if c.id == dst)
            batch.suggested.append((len(batch.links) - 1, text))
            return
        verb = {"answers": "answered by", "contradicts": "contradicted by", "triggers": "touched by"}.get(
            m.kind, "repeated by"
        )
        batch.affected[dst] = f"{verb} claim #{{ref:{src}}} ({m.score:.2f}: {m.reason})"
        batch.affected[src] = batch.affected.get(src) or f"{m.kind} claim #{{ref:{dst}}} ({m.score:.2f})"

    def _write(self, s: Session, batch: _Batch, result: IngestResult) -> None:
        """Store what the story's claims were decided to be, a few statements for the whole story."""
        rows = [{k: v for k, v in c.items() if k != "subject"} for c in batch.claims]
        batch.ids = self.store.add_claims(s, rows)
        real = batch.real
        self.store.add_evidence(s, [{**e, "claim_id": real(e["claim_id"])} for e in batch.evidence_rows])
        self.store.add_mentions(s, [{**r, "claim_id": real(r["claim_id"])} for r in batch.mention_rows])
        self.store.touch_claims(s, {t for t in batch.touched if t > 0}, batch.seen)
        now = utcnow()
        link_ids = self.store.add_links(
            s,
            [
                {
                    "kind": m.kind,
                    "src_id": real(src),
                    "dst_id": real(dst),
                    "score": m.score,
                    "status": status,
                    "reason": m.reason,
                    "story_id": batch.story_id,
                    "created_at": now,
                }
                for m, src, dst, status in batch.links
            ],
        )
        for i, text in batch.suggested:
            m, src, dst, _ = batch.links[i]
            result.changes.append(
                Change(
                    real(dst),
                    text,
                    "suggested",
                    None,
                    None,
                    f"{m.kind} suggestion #{link_ids[i]} ({m.score:.2f}): {m.reason}",
                    real(src),
                )
            )
        # Reasons name claims by reference until their ids are known.
        batch.affected = {
            real(k): re.sub(r"\{ref:(-?\d+)\}", lambda x: str(real(int(x.group(1)))), v)
            for k, v in batch.affected.items()
        }

    def _recompute(
        self,
        s: Session,
        claim_ids: set[int],
        story_id: int,
        reasons: dict[int, str],
        new_ids: set[int],
        result: IngestResult,
        published: datetime | None,
        ingested: datetime,
    ) -> None:
        changes = recompute(
            self.store,
            s,
            claim_ids,
            reasons,
            new_ids,
            at_published=published or ingested,
            at_ingested=ingested,
            story_id=story_id,
        )
        result.changes.extend(c for c in changes if c.action != "created")


@dataclass
class _Batch:
    """One story's writes, decided claim by claim and stored together. Claims it creates are referred to
    by negative numbers (-1 for the first) until the database gives them ids."""

    story_id: int
    seen: datetime
    claims: list[dict] = field(default_factory=list)
    evidence_rows: list[dict] = field(default_factory=list)
    mention_rows: list[dict] = field(default_factory=list)
    links: list[tuple[match.Match, int, int, str]] = field(default_factory=list)
    suggested: list[tuple[int, str]] = field(default_factory=list)  # (index in links, text of the claim)
    touched: set[int] = field(default_factory=set)
    affected: dict[int, str] = field(default_factory=dict)
    by_hash: dict[tuple[str, str], int] = field(default_factory=dict)
    ids: list[int] = field(default_factory=list)
    _stances: set[tuple[int, str]] = field(default_factory=set)

    def real(self, ref: int) -> int:
        return self.ids[-ref - 1] if ref < 0 else ref

    def add_claim(
        self, parsed: ParsedClaim, new: match.Features, m: Mentioned, kind: Kind, state: State
    ) -> int:
        ref = -len(self.claims) - 1
        self.claims.append(
            {
                "text": parsed.text,
                "norm_hash": text_hash(parsed.text),
                "terms": " ".join(sorted(new.terms)),
                "kind": kind,
                "state": state,
                "confidence": 0.0,
                "story_id": self.story_id,
                "section": parsed.section,
                "created_at": utcnow(),
                "first_seen": self.seen,
                "last_seen": self.seen,
                "subject": m.subject,
            }
        )
        roles: dict[int, str] = {}
        for role, ids in (("context", new.context), ("source", m.source), ("aside", m.aside)):
            roles.update(dict.fromkeys(ids, role))
        roles.update(dict.fromkeys(m.subject, "subject"))
        self.mention_rows += [{"claim_id": ref, "entity_id": e, "role": r} for e, r in sorted(roles.items())]
        return ref

    def evidence(self, claim: int, stance: str, parsed: ParsedClaim) -> bool:
        """Record the story as evidence for a claim once per stance; false if it already is."""
        if (claim, stance) in self._stances:
            return False
        self._stances.add((claim, stance))
        self.evidence_rows.append(
            {
                "claim_id": claim,
                "story_id": self.story_id,
                "stance": stance,
                "section": parsed.section,
                "quote": parsed.quote,
            }
        )
        return True


def _weights(counts: Mapping[str, int], total: int) -> dict[str, float]:
    """Inverse-document-frequency weights of terms and entities from the stored counters."""
    entity_df = {int(k[1:]): n for k, n in counts.items() if n and k.startswith(ENTITY_COUNT)}
    df = {k: n for k, n in counts.items() if n and k[0] not in (ENTITY_COUNT, CLAIM_COUNT[0])}
    return match.idf_weights(df, total, entity_df)


# ------------------------------------------------------------------------------ lifecycle glue


def _inputs(
    store: Store, s: Session, claim_ids: set[int]
) -> tuple[dict[int, Inputs], dict[int, tuple[str, str, float, str | None]]]:
    """Gather what lifecycle needs for each claim (its backing, linked claims' backing, decisions), and
    the stored state of every claim involved."""
    links = [ln for ln in store.links(s, claim_ids) if ln.status in ACTIVE_LINK]
    related = claim_ids | {ln.src_id for ln in links} | {ln.dst_id for ln in links}
    backing: dict[int, list[Backing]] = defaultdict(list)
    doubts: dict[int, list[Backing]] = defaultdict(list)
    for b in store.backing(s, related):
        item = Backing(b.source_id, b.reliability, b.story_weight)
        if b.stance == Stance.doubts:
            doubts[b.claim_id].append(item)
        elif b.stance in (Stance.asserts, Stance.supports, Stance.questions, Stance.watches):
            backing[b.claim_id].append(item)
    states = store.claim_states(s, related)
    touching: dict[int, list[LinkRow]] = defaultdict(list)  # each claim's links, in the order read
    for ln in links:
        touching[ln.src_id].append(ln)
        if ln.dst_id != ln.src_id:
            touching[ln.dst_id].append(ln)
    contradicting = {(ln.src_id, ln.dst_id) for ln in links if ln.kind == LinkKind.contradicts}
    out: dict[int, Inputs] = {}
    for cid in claim_ids:
        kind, _, _, analyst = states[cid]
        inp = Inputs(kind=kind, support=list(backing[cid]), doubts=doubts[cid], analyst_state=analyst)
        answers: list[int] = []
        for ln in touching[cid]:
            other = ln.dst_id if ln.src_id == cid else ln.src_id
            if ln.kind == LinkKind.same_as:
                inp.support += backing[other]
            elif ln.kind == LinkKind.contradicts:
                inp.opposition += backing[other]
            elif ln.kind == LinkKind.answers and ln.dst_id == cid:
                answers.append(ln.src_id)
            elif ln.kind == LinkKind.triggers and ln.dst_id == cid:
                inp.triggered = True
        for a in answers:
            inp.answers += backing[a]
            inp.answered_confirmed |= states[a][1] == State.confirmed
        inp.answers_conflict = any((a, b) in contradicting for a in answers for b in answers)
        out[cid] = inp
    return out, states


def _action(old: str | None, new: str, kind: str) -> str:
    if old is None:
        return "created"
    if old == new:
        return "confidence"
    if kind == Kind.question and old == State.unclear and new in KNOWN:
        return "promoted"
    if new == State.unclear:
        return "reopened"
    return {
        State.corroborated: "corroborated",
        State.disputed: "disputed",
        State.confirmed: "confirmed",
        State.refuted: "refuted",
        State.reported: "reported",
        State.closed: "closed",
        State.triggered: "triggered",
        State.watching: "reopened",
    }.get(State(new), "changed")


def recompute(
    store: Store,
    s: Session,
    claim_ids: set[int],
    reasons: dict[int, str],
    new_ids: set[int],
    at_published: datetime,
    at_ingested: datetime,
    story_id: int | None = None,
    analyst: str | None = None,
    force_event: set[int] | None = None,
) -> list[Change]:
    """Derive the state of each claim (and of questions they answer) and write what changed as events."""
    links = store.links(s, claim_ids)
    # A changed fact changes the questions it answers and the claims it contradicts or repeats.
    claim_ids = claim_ids | {ln.dst_id for ln in links if ln.src_id in claim_ids and ln.status in ACTIVE_LINK}
    claim_ids |= {
        ln.src_id
        for ln in links
        if ln.dst_id in claim_ids and ln.status in ACTIVE_LINK and ln.kind != LinkKind.answers
    }
    inputs, states = _inputs(store, s, claim_ids)
    texts = store.claim_texts(s, claim_ids)
    changes: list[Change] = []
    updates: list[tuple[int, str, float]] = []
    events: list[dict] = []
    for cid in sorted(claim_ids):
        kind, old_state, old_conf, _ = states[cid]
        state, conf, rule = lifecycle.derive(inputs[cid])
        conf = round(conf, 4)
        is_new = cid in new_ids
        moved = is_new or state != old_state or abs(conf - old_conf) >= 0.005
        if not moved and not (force_event and cid in force_event):
            continue
        updates.append((cid, state, conf))
        action = _action(None if is_new else old_state, state, kind)
        if force_event and cid in force_event and action == "confidence" and state == old_state:
            action = "decision"
        reason = "; ".join(x for x in (reasons.get(cid, ""), rule) if x)
        events.append(
            {
                "claim_id": cid,
                "entity_id": None,
                "action": action,
                "old_state": None if is_new else old_state,
                "new_state": state,
                "old_confidence": None if is_new else old_conf,
                "new_confidence": conf,
                "at_published": at_published,
                "at_ingested": at_ingested,
                "story_id": story_id,
                "analyst": analyst,
                "reason": reason,
            }
        )
        changes.append(Change(cid, texts.get(cid, ""), action, None if is_new else old_state, state, reason))
    store.set_states(
        s,
        updates,
        {cid: (states[cid][0], None if cid in new_ids else states[cid][1]) for cid, _, _ in updates},
    )
    store.add_events(s, events)
    return changes


# ------------------------------------------------------------------------------ analyst decisions


def decide(
    store: Store, claim_id: int, action: str, because: str, analyst: str | None = None
) -> list[Change]:
    """Apply an analyst decision (promote, confirm, dispute, refute, close, trigger, reopen) as an event."""
    analyst = analyst or analyst_name()
    with store.transaction() as s:
        states = store.claim_states(s, {claim_id})
        if claim_id not in states:
            raise NotFound(f"no claim #{claim_id}", hint="list claims with: kb claims")
        kind = states[claim_id][0]
        new = None if action == "reopen" else lifecycle.check_decision(action, kind)
        store.set_analyst_state(s, claim_id, new)
        now = utcnow()
        return recompute(
            store,
            s,
            {claim_id},
            {claim_id: f"{action}: {because}"},
            set(),
            now,
            now,
            analyst=analyst,
            force_event={claim_id},
        )


def review(
    store: Store, link_id: int, accept: bool, because: str = "", analyst: str | None = None
) -> list[Change]:
    """Accept or reject a suggested (or automatic) link; a rejected link is never suggested again."""
    analyst = analyst or analyst_name()
    with store.transaction() as s:
        link = store.link(s, link_id)
        if link is None:
            raise NotFound(f"no suggestion #{link_id}", hint="list suggestions with: kb review")
        status = LinkStatus.accepted if accept else LinkStatus.rejected
        if link.status == status:
            raise DecisionError(f"suggestion #{link_id} is already {status.value}")
        store.set_link_status(s, link_id, status)
        now = utcnow()
        verb = "accepted" if accept else "rejected"
        reason = f"{verb} {link.kind} link #{link_id}" + (f": {because}" if because else "")
        return recompute(
            store,
            s,
            {link.src_id, link.dst_id},
            {link.src_id: reason, link.dst_id: reason},
            set(),
            now,
            now,
            analyst=analyst,
            force_event={link.dst_id},
        )


def summarise(results: list[IngestResult], failures: int) -> dict:
    """Counts and notable changes over one `kb ingest` run."""
    changes = [c for r in results for c in r.changes]
    notable = [
        {
            "claim_id": c.claim_id,
            "text": c.text,
            "action": c.action,
            "from_state": c.from_state,
            "to_state": c.to_state,
            "cause": f"{r.title}: {c.reason}",
            "story_id": r.story_id,
        }
        for r in results
        for c in r.changes
        if c.action != "confidence"
    ]
    names = [n for r in results for n in r.new_entities]
    return {
        "files": len(results) + failures,
        "stories": sum(1 for r in results if not r.duplicate),
        "duplicates": sum(1 for r in results if r.duplicate),
        "failures": failures,
        "new_claims": sum(r.new_claims for r in results),
        "repeated_claims": sum(r.repeated_claims for r in results),
        "new_entities": len(names),
        "entity_names": names,
        "promoted": sum(1 for c in changes if c.action == "promoted"),
        "corroborated": sum(1 for c in changes if c.action == "corroborated"),
        "disputed": sum(1 for c in changes if c.action == "disputed"),
        "suggested": sum(1 for c in changes if c.action == "suggested"),
        "changes": notable,
    }
