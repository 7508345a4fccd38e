"""The ingest pipeline and analyst decisions: parse -> extract -> resolve -> match -> lifecycle -> store.

This module orchestrates; each step's logic lives in its own module.

Stories are ingested in batches. A batch is decided in memory story by story, in order, exactly as if
each story were ingested alone: the order stories arrive in decides the outcome, never how they were
batched. It is then stored in one transaction of a few bulk statements, whole or not at all, so no story
is ever half-stored; a batch that fails is tried again story by story, so one bad story fails alone.
What an ingest has read of the KB is kept between batches (kb.memo) while nobody else changes the KB.

A batch goes through three passes, because each needs what the one before found for the whole batch:
1. entities: the story row, its claims' names resolved (new entities and aliases made);
2. matching: each claim is a repeat, or a new claim with its links (this reads no claim states);
3. lifecycle: the states of the claims each story touched, derived again, with their events.
"""

from __future__ import annotations

import gc
import getpass
import json
import os
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from kb import extract, lifecycle, match
from kb.db import CLAIM_COUNT, DECISIONS, ENTITY_COUNT
from kb.errors import DecisionError, NotFound
from kb.extract import Run
from kb.lifecycle import Change
from kb.memo import ClaimView, Counters, Newest
from kb.parse import ParsedClaim, ParsedStory
from kb.prepare import PreparedClaim, PreparedStory, prepare
from kb.resolve import Resolver, alias_key, load_gazetteer
from kb.settings import (
    BATCH,
    BATCH_SECONDS,
    MAX_CANDIDATES,
    PER_ENTITY,
    PER_TERM,
    Thresholds,
    gazetteer_paths,
)
from kb.store import LinkRow, Store, utcnow
from kb.text import content_hash
from kb.vocab import ACTIVE_LINK, Kind, LinkKind, LinkStatus, Stance, State

__all__ = ["Change", "IngestResult", "Ingestor", "Summary", "decide", "review", "summarise"]

Item = tuple[ParsedStory | PreparedStory, str]  # a story to store, and the path it was read from
RETRIES = 5  # attempts at one batch when another writer got there first
MAX_LINKS_PER_KIND = 3  # links of one kind an incoming claim may make
# What an ingest keeps in memory between batches, at most (beyond, that part is read again).
MAX_FEATURES = 30_000  # claims with their matching features (about 2 kB each)
MAX_COUNTS = 300_000  # counters
MAX_KEYS = 100_000  # terms or entities with their newest claims
MAX_VIEW = 25_000  # claims with their states, links and backing
MAX_HASHES = 50_000  # claim texts known to be stored, or not
EASED_THRESHOLDS = (100_000, 50, 1000)  # the collector's, during an ingest (Python's: 700, 10, 10)
FULL_COLLECTION_EVERY = 25  # batches
# An ingest's first batch: small, so that storing starts as soon as the first stories are read (the
# readers go on meanwhile) rather than once a whole batch is; each batch after it is twice the one before.
FIRST_BATCH = 25
FAQ_REPEAT = 0.45  # similarity from which an FAQ question is taken as its brief's own unclear question
INITIAL = {Kind.fact: State.reported, Kind.question: State.unclear, Kind.watch: State.watching}
OWN_STANCE = {Kind.fact: Stance.asserts, Kind.question: Stance.questions, Kind.watch: Stance.watches}
REPEAT_STANCE = {Kind.fact: Stance.supports, Kind.question: Stance.questions, Kind.watch: Stance.watches}
# The kinds of stored claims an incoming claim of each kind can repeat, answer or touch (kb.match).
RELATED: dict[str, frozenset[str]] = {
    Kind.fact: frozenset({Kind.fact, Kind.question, Kind.watch}),
    Kind.question: frozenset({Kind.question, Kind.fact}),
    Kind.watch: frozenset({Kind.watch}),
}
# Tables in the order a batch inserts into them (each row's references first).
TABLES = (
    "source",
    "story",
    "entity",
    "alias",
    "judgement",
    "claim",
    "posting",
    "evidence",
    "mention",
    "claim_link",
    "event",
)


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


def _utc(value: datetime | None) -> datetime | None:
    """Times as the store keeps them: naive UTC."""
    if value is not None and value.utcoffset() is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


class _IdfWeights(match.Weights):
    """Matching weights as the counters stand before a story, its own terms included: worked out for
    the keys a story's matching asks for, once each."""

    def __init__(self, counts: Mapping[str, int], own: Mapping[str, int], total: int) -> None:
        super().__init__()
        self.counts, self.own, self.claims = counts, own, total
        self._by_count: dict[int, float] = {}

    def __missing__(self, key: str) -> float:
        n = self.counts.get(key, 0) + self.own.get(key, 0)
        value = 1.0
        if n > 0:
            value = self._by_count.get(n) or self._by_count.setdefault(n, match.idf(n, self.claims))
        self[key] = value
        return value


class _Batch:
    """One batch's rows, numbered as the database will number them, in insert order, and what it
    changes of stored rows."""

    def __init__(self, last_ids: Mapping[str, int]) -> None:
        self.last = dict(last_ids)
        self.first_claim = self.last["claim"] + 1  # claims from here on are this batch's
        self.rows: dict[str, list[dict]] = {t: [] for t in TABLES}
        self.claims: dict[int, dict] = {}  # this batch's claims by id (their rows, kept up to date)
        self.grades: dict[int, str] = {}  # stored sources' new grades
        self.states: dict[int, tuple[str, float]] = {}  # stored claims' new state and confidence
        self.seen: dict[int, list[datetime]] = {}  # stored claims seen again: [earliest, latest]
        self.moves: dict[int, list] = {}  # claim -> [kind, state before the batch (None: new), state now]
        self.counts: Counter[str] = Counter()

    def next(self, table: str) -> int:
        self.last[table] += 1
        return self.last[table]

    def add(self, table: str, row: dict) -> None:
        self.rows[table].append(row)


@dataclass
class _Story:
    """One story's part of a batch, from the first pass to the last."""

    prepared: PreparedStory
    path: str
    result: IngestResult
    story_id: int
    source_id: int
    weight: float
    published: datetime | None
    now: datetime
    grade: str | None  # a grade this story gives its source
    mentioned: list[Mentioned] = field(default_factory=list)
    context: frozenset[int] = frozenset()
    new_ids: list[int] = field(default_factory=list)
    evidence: list[tuple[int, int, str]] = field(default_factory=list)  # (claim, evidence id, stance)
    links: list[LinkRow] = field(default_factory=list)
    touched: set[int] = field(default_factory=set)  # earlier claims this story repeats
    affected: dict[int, str] = field(default_factory=dict)  # claim -> why its state may move
    by_hash: dict[tuple[str, str], int] = field(default_factory=dict)
    questions: list[tuple[int, match.Features]] = field(default_factory=list)
    indexed: list[tuple[int, list[str], list[int]]] = field(default_factory=list)  # (claim, terms, entities)
    stances: set[tuple[int, str]] = field(default_factory=set)

    @property
    def seen(self) -> datetime:
        return self.published or self.now


def _give_back() -> None:
    """Hand the memory of a dropped cache back to the system: the C allocator would keep the freed pages
    for reuse (a few tens of MB by the middle of a long ingest; Python's own small-object arenas that
    still hold a live object stay whatever is done)."""
    if sys.platform.startswith("linux"):
        import ctypes

        with suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)  # (glibc; not on musl)


class _Easing:
    """How many ingests are running in this process, and the collector's thresholds before the first."""

    lock = threading.Lock()
    running = 0
    before: tuple[int, ...] = ()


@contextmanager
def _collector_eased() -> Iterator[None]:
    """Cyclic garbage collection seldom, for the time of an ingest. An ingest's caches hold hundreds of
    thousands of objects, which each full collection walks: at Python's default thresholds, several
    times a batch and a fifth of the ingest's time. An ingest makes almost no cyclic garbage (its objects
    are freed when the last reference goes); a full collection every FULL_COLLECTION_EVERY batches frees
    what there is. The thresholds are given back when the last running ingest ends, in whatever order
    several end."""
    with _Easing.lock:
        if _Easing.running == 0:
            _Easing.before = gc.get_threshold()
            gc.set_threshold(*EASED_THRESHOLDS)
        _Easing.running += 1
    try:
        yield
    finally:
        with _Easing.lock:
            _Easing.running -= 1
            if _Easing.running == 0:
                gc.set_threshold(*_Easing.before)


class Ingestor:
    """Stores stories, resolving entities and matching claims against the KB, in batches."""

    def __init__(
        self,
        store: Store,
        source: str | None = None,
        reliability: str | None = None,
        thresholds: Thresholds | None = None,
        batch: int | None = None,
    ) -> None:
        self.store = store
        self.source = source
        self.reliability = reliability
        self.thresholds = thresholds or Thresholds()
        self.batch = batch or BATCH
        self.gazetteer = load_gazetteer(gazetteer_paths())
        # What this ingest knows of the KB (see kb.memo), and the marks it was true for.
        self._marks: tuple[int, int, int] | None = None
        self._resolver: Resolver | None = None
        self._entity_keys: dict[str, int] = {}
        self._kinds: dict[int, str] = {}
        self._pairs: set[frozenset[int]] = set()
        self._sources: dict[str, list] | None = None
        self._features: dict[int, match.Features] = {}
        self._hashes: dict[tuple[str, str], int] = {}
        self._hashes_read: set[str] = set()
        self.counters = Counters()
        self._counted: set[int] = set()  # claims whose terms and entities the counters hold
        self.postings: Newest[str] = Newest(PER_TERM, store.postings)
        self.entity_claims: Newest[int] = Newest(PER_ENTITY, store.entity_claims)
        self.view = ClaimView()
        self._batches = 0

    # ------------------------------------------------------------------------------ entry points

    def known_keys(self) -> set[str]:
        """Every alias key the KB and the gazetteer know: what workers preparing stories guess with."""
        with self.store.reading() as s:
            return set(self.store.alias_index(s)) | set(self.gazetteer)

    def ingest(self, story: ParsedStory | PreparedStory, path: str) -> IngestResult:
        """Store one story; identical content is skipped."""
        return next(self.ingest_many([(story, path)]))

    def ingest_many(self, items: Iterable[Item]) -> Iterator[IngestResult]:
        """Store stories in order, a batch per transaction; yields each story's result once its batch
        is stored. Another process writing at the same moment makes a batch wait or retry, not fail.
        If `items` raises, the stories it gave before are stored first. While it runs, the process's
        cyclic garbage collector runs seldom (see `_collector_eased`)."""
        with _collector_eased():
            yield from self._ingest_many(items)

    def _ingest_many(self, items: Iterable[Item]) -> Iterator[IngestResult]:
        batch: list[Item] = []
        started = 0.0
        todo = iter(items)
        size = min(self.batch, FIRST_BATCH)  # then twice as many each batch, up to self.batch
        while True:
            try:
                item = next(todo)
            except StopIteration:
                break
            except Exception:
                if batch:  # what was read before the reading failed is stored
                    yield from self._batch(batch)
                raise
            if not batch:
                started = time.monotonic()
            batch.append(item)
            if len(batch) >= size or time.monotonic() - started >= BATCH_SECONDS:
                yield from self._batch(batch)
                batch, size = [], min(self.batch, 2 * size)
        if batch:
            yield from self._batch(batch)

    def _batch(self, items: list[Item]) -> Iterator[IngestResult]:
        """Store the batch, or, if one of its stories cannot be stored, each story alone: the stories
        before the bad one are stored (and their results given) before its error is raised."""
        for attempt in range(RETRIES):
            try:
                results = self._store_batch(items)
            except (IntegrityError, OperationalError):
                self._forget()  # what was learnt in the rolled-back transaction is gone
                if attempt == RETRIES - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
                continue
            except Exception:
                self._forget()
                if len(items) == 1:
                    raise
                for item in items:
                    yield from self._batch([item])
                return
            self._batches += 1
            if self._batches % FULL_COLLECTION_EVERY == 0:
                gc.collect()  # (the little cyclic garbage that outlived the eased collector's young passes)
            yield from results
            return

    # ------------------------------------------------------------------------------ what is kept

    def _forget(self, keep_features: bool = False) -> None:
        self._resolver, self._sources = None, None
        self._entity_keys, self._kinds, self._pairs = {}, {}, set()
        self._hashes, self._hashes_read = {}, set()
        self.counters.clear()
        self._counted.clear()
        self.postings.clear()
        self.entity_claims.clear()
        self.view.clear()
        if not keep_features:
            self._features = {}

    def _sync(self, s: Session) -> tuple[int, int, int]:
        """Drop what another writer may have changed since this ingest's last batch, and what has grown
        past its bound."""
        marks = self.store.marks(s)
        if self._marks is None or marks[1] != self._marks[1]:
            self._forget()  # an analyst curated entities: names, kinds and mentions may have moved
        elif marks[0] != self._marks[0]:
            self._forget(keep_features=True)  # another process stored stories (claims never change)
        elif marks[2] != self._marks[2]:
            self.view.clear()  # an analyst decided on claims or links
        dropped = False
        if len(self._features) > MAX_FEATURES:  # the older half goes: newer claims are likelier candidates
            kept = list(self._features.items())[len(self._features) // 2 :]
            self._features, dropped = dict(kept), True
        if len(self.counters) > MAX_COUNTS:
            self.counters.clear()
            self._counted.clear()
            dropped = True
        if len(self._counted) > MAX_FEATURES:
            self._counted.clear()  # (only a shortcut: their counters are read again, or found there)
        for index in (self.postings, self.entity_claims):
            if len(index) > MAX_KEYS:
                index.clear()
                dropped = True
        if len(self.view) > MAX_VIEW:
            self.view.clear()
            dropped = True
        if len(self._hashes_read) > MAX_HASHES:
            self._hashes, self._hashes_read, dropped = {}, set(), True
        if dropped:
            _give_back()
        return marks

    def _resolver_for(self, s: Session) -> Resolver:
        if self._resolver is None:
            self._resolver = Resolver(
                self.store.alias_index(s),
                self.gazetteer,
                self.thresholds.entity_edits,
                self.store.not_same_pairs(s),
            )
            self._entity_keys = self.store.entity_keys(s)
            self._kinds = self.store.entity_kinds(s)
            self._pairs = self.store.entity_pairs(s)
        return self._resolver

    def _sources_for(self, s: Session) -> dict[str, list]:
        if self._sources is None:
            self._sources = {k: [i, g] for k, (i, g) in self.store.sources(s).items()}
        return self._sources

    # ------------------------------------------------------------------------------ one batch

    def _store_batch(self, items: list[Item]) -> list[IngestResult]:
        results: list[IngestResult] = []
        stories: list[_Story] = []
        with self.store.transaction(bulk=True) as s:
            marks = self._sync(s)
            batch = _Batch(self.store.last_ids(s))
            digests = [
                item.digest if isinstance(item, PreparedStory) else content_hash(item.raw)
                for item, _ in items
            ]
            stored = self.store.stories_by_hash(s, digests)
            for (item, path), digest in zip(items, digests, strict=True):
                story = item.story if isinstance(item, PreparedStory) else item
                result = IngestResult(path=path, title=story.title)
                results.append(result)
                existing = stored.get(digest)
                if existing is not None:
                    result.story_id, result.duplicate = existing, True
                    continue
                st = self._begin(s, batch, item, path, digest, result)
                stored[digest] = st.story_id
                stories.append(st)
            if stories:
                self._prefetch(s, stories)
                for st in stories:
                    self._match(s, batch, st)
                self._load_view(s, batch, stories)
                for st in stories:
                    self._settle(batch, st)
                self._write(s, batch)
        for index in (self.counters, self.postings, self.entity_claims):
            index.stored()
        self._marks = (batch.last["story"], marks[1], marks[2])
        return results

    # ------------------------------------------------------------------------------ pass 1: entities

    def _begin(
        self,
        s: Session,
        batch: _Batch,
        item: ParsedStory | PreparedStory,
        path: str,
        digest: str,
        result: IngestResult,
    ) -> _Story:
        """The story's row, and its claims' and its own entities."""
        resolver = self._resolver_for(s)
        p = item if isinstance(item, PreparedStory) else prepare(item, resolver.is_alias_key, _ignore)
        story = p.story
        now = utcnow()
        source_id, grade = self._source(s, batch, self.source or story.publisher or "unknown", now)
        story_id = batch.next("story")
        weight = lifecycle.PRELIMINARY_WEIGHT if story.preliminary else 1.0
        published = _utc(story.published)
        batch.add(
            "story",
            {
                "id": story_id,
                "content_hash": digest,
                "source_id": source_id,
                "title": story.title,
                "published": published,
                "url": story.url,
                "fmt": story.fmt,
                "path": path,
                "summary": story.summary,
                "body": story.body,
                "caveats": json.dumps(story.caveats, ensure_ascii=False),
                "weight": weight,
                "raw_text": story.raw,
                "ingested_at": now,
            },
        )
        result.story_id = story_id
        st = _Story(p, path, result, story_id, source_id, weight, published, now, grade)
        st.mentioned = [self._mentions(s, batch, st, c) for c in p.claims]
        st.context = self._context(s, batch, st)
        return st

    def _source(self, s: Session, batch: _Batch, name: str, now: datetime) -> tuple[int, str | None]:
        """The source's id, created on first use, and the grade the story gives it if that is new (a
        given grade replaces the stored one)."""
        sources = self._sources_for(s)
        key = " ".join(name.casefold().split())
        found = sources.get(key)
        if found is None:
            sid, grade = batch.next("source"), self.reliability or "F"
            batch.add(
                "source", {"id": sid, "name": name, "key": key, "reliability": grade, "created_at": now}
            )
            sources[key] = [sid, grade]
            return sid, grade
        if self.reliability and self.reliability != found[1]:
            found[1] = batch.grades[found[0]] = self.reliability
            return found[0], self.reliability
        return found[0], None

    def _mentions(self, s: Session, batch: _Batch, st: _Story, claim: PreparedClaim) -> Mentioned:
        """Entities a claim is about and those it is attributed to, and its content terms."""
        subject, names = self._entities(s, batch, st, claim.said)
        source, source_names = (
            self._entities(s, batch, st, claim.attribution) if claim.attribution else (set(), [])
        )
        aside: set[int] = set()
        if claim.parsed.kind == Kind.question:
            for clause in claim.asides:
                aside |= self._entities(s, batch, st, clause)[0]
        terms = claim.terms_for(names + source_names)
        return Mentioned(subject - aside, source - subject, terms, aside)

    def _entities(
        self, s: Session, batch: _Batch, st: _Story, runs: tuple[Run, ...], title_case: bool = False
    ) -> tuple[set[int], list[str]]:
        resolver = self._resolver_for(s)
        ids: set[int] = set()
        names = extract.names_in(runs, resolver.is_alias_key, title_case)
        for name in names:
            eid = self._resolve(batch, st, resolver, name)
            if eid is not None:
                ids.add(eid)
        return ids, names

    def _resolve(self, batch: _Batch, st: _Story, resolver: Resolver, name: str) -> int | None:
        found = resolver.resolve(name)
        if found is None:
            return None
        if found.entity_id is not None:
            key = alias_key(name)
            if found.fuzzy_score is not None and key not in resolver.aliases:
                batch.add(
                    "alias",
                    {
                        "id": batch.next("alias"),
                        "entity_id": found.entity_id,
                        "name": name,
                        "key": key,
                        "origin": "fuzzy",
                    },
                )
                resolver.learn(key, found.entity_id)
            return found.entity_id
        assert found.new_name is not None
        key = alias_key(found.new_name)
        origin = "gazetteer" if key in self.gazetteer else "extracted"
        aliases = [(a, alias_key(a), origin) for a in found.aliases if alias_key(a)]
        if alias_key(name) not in {a[1] for a in aliases}:
            aliases.append((name, alias_key(name), "extracted"))
        eid = self._entity_keys.get(key)
        if eid is None:  # (a stored entity with this key keeps it; its aliases are added)
            eid = self._entity_keys[key] = batch.next("entity")
            batch.add(
                "entity",
                {
                    "id": eid,
                    "name": found.new_name,
                    "key": key,
                    "kind": found.kind,
                    "created_at": st.now,
                    "created_by_story_id": st.story_id,
                    "merged_into": None,
                },
            )
            self._kinds[eid] = found.kind
        first: dict[str, tuple[str, str, str]] = {}
        for alias in aliases:
            first.setdefault(alias[1], alias)  # "VNET Group" before "VNET Group Inc." for the key "vnet"
        for n, k, o in first.values():
            if k not in resolver.aliases:  # a key another entity holds is skipped
                batch.add(
                    "alias", {"id": batch.next("alias"), "entity_id": eid, "name": n, "key": k, "origin": o}
                )
        if found.looks_like is not None and found.looks_like != eid:
            self._suggest_same(batch, found.looks_like, eid, f"{name!r} is spelled like a known name", st.now)
        for _, k, _ in aliases:
            resolver.learn(k, eid)
        st.result.new_entities.append(found.new_name)
        return eid

    def _suggest_same(self, batch: _Batch, entity_id: int, other_id: int, reason: str, now: datetime) -> None:
        """Ask an analyst whether a new entity is an existing one, unless they were asked before."""
        pair = frozenset((entity_id, other_id))
        if pair in self._pairs:
            return
        self._pairs.add(pair)
        batch.add(
            "judgement",
            {
                "id": batch.next("judgement"),
                "kind": "suggested",
                "entity_id": entity_id,
                "other_id": other_id,
                "analyst": "",
                "reason": reason,
                "moved": "{}",
                "created_at": now,
                "undone_at": None,
            },
        )

    def _context(self, s: Session, batch: _Batch, st: _Story) -> frozenset[int]:
        """The story's main entities: named in its title or summary, or in many of its claims."""
        ids = self._entities(s, batch, st, st.prepared.title, title_case=True)[0]
        if st.prepared.story.summary:
            ids |= self._entities(s, batch, st, st.prepared.summary)[0]
        counts = Counter(e for m in st.mentioned for e in m.subject)
        ids |= {e for e, n in counts.most_common(3) if n >= 2}
        return frozenset(ids)

    # ------------------------------------------------------------------------------ pass 2: matching

    def _prefetch(self, s: Session, stories: list[_Story]) -> None:
        """Read in one go what matching the batch's stories will ask for first."""
        terms = {t for st in stories for m in st.mentioned for t in m.terms}
        subjects = {e for st in stories for m in st.mentioned for e in m.subject}
        entities = subjects | {e for st in stories for m in st.mentioned for e in m.source}
        entities |= {e for st in stories for e in st.context}
        self.counters.ensure(self.store, s, terms | {f"{ENTITY_COUNT}{e}" for e in subjects} | {CLAIM_COUNT})
        self.postings.ensure(s, terms)
        self.entity_claims.ensure(s, entities)
        self._ensure_hashes(s, {c.digest for st in stories for c in st.prepared.claims})

    def _ensure_hashes(self, s: Session, digests: set[str]) -> None:
        missing = digests - self._hashes_read
        if missing:
            for key, cid in self.store.claims_by_hash(s, missing).items():
                self._hashes.setdefault(key, cid)
            self._hashes_read |= missing

    def _ensure_features(self, s: Session, ids: Iterable[int]) -> None:
        """The matching features of stored claims not known yet, from their rows."""
        features = self._features
        missing = [i for i in ids if i not in features]
        if missing:
            intern = sys.intern  # a term is one string however many claims use it
            for c in self.store.candidate_rows(s, missing):
                terms = frozenset(map(intern, c.terms.split()))
                features[c.id] = match.features(
                    c.id, c.kind, c.text, terms, c.subject, c.context, c.source_id, c.aside, c.traits
                )

    def _match(self, s: Session, batch: _Batch, st: _Story) -> None:
        """Decide each claim of the story: a repeat of a known claim, or a new claim with its links."""
        mentioned = st.mentioned
        term_counts = Counter(t for m in mentioned for t in m.terms)
        subjects = set().union(*[m.subject for m in mentioned])
        self.counters.ensure(
            self.store, s, {*term_counts, *(f"{ENTITY_COUNT}{e}" for e in subjects), CLAIM_COUNT}
        )
        # Counters as they stand before this story, its own terms included (a term it brings is not rare).
        weights = _IdfWeights(self.counters.values, term_counts, self.counters.values[CLAIM_COUNT])
        shortlists = self._shortlists(s, st, weights)
        wanted = set().union(*shortlists)
        self._ensure_features(s, wanted)
        known = self._features  # (with every wanted claim that is stored)
        # Counters for what the candidates' terms and entities weigh (read once per candidate).
        fresh = [i for i in wanted if i not in self._counted and i in known]
        if fresh:
            keys = {k for i in fresh for f in (known[i],) for k in (*f.terms, *f.ekeys)}
            self.counters.ensure(self.store, s, keys)
            self._counted.update(fresh)
        kinds = self._kinds
        self._ensure_hashes(s, {c.digest for c in st.prepared.claims})
        for claim, m, ids in zip(st.prepared.claims, mentioned, shortlists, strict=True):
            p = claim.parsed
            new = match.incoming(
                p.kind,
                p.text,
                m.terms,
                frozenset(m.subject),
                st.context,
                st.source_id,
                frozenset(m.aside),
                claim.figures,
                claim.negated,
                claim.wants,
                claim.excluded,
            )
            shortlist = list(map(known.__getitem__, sorted(known.keys() & ids, reverse=True)))  # newest first
            self._claim(batch, st, claim, new, m, shortlist, kinds, weights)
        # The story's claims join the indexes and counters, for the stories after it.
        for cid, terms, entities in st.indexed:
            for term in terms:
                self.postings.add(term, cid)
            for eid in entities:
                self.entity_claims.add(eid, cid)
            row = batch.claims[cid]
            self._hashes.setdefault((row["norm_hash"], row["kind"]), cid)
        counts = Counter(term_counts)
        counts.update(f"{ENTITY_COUNT}{e}" for cid in st.new_ids for e in self._features[cid].entities)
        counts[CLAIM_COUNT] = len(st.new_ids)
        self.counters.add(counts)
        batch.counts.update(counts)

    def _shortlists(self, s: Session, st: _Story, weights: match.Weights) -> list[set[int]]:
        """For each incoming claim, the existing claims it is scored against (blocking): those sharing the
        most of its terms, rare ones weighing more, and the newest naming its entities. Each is a few
        index ranges, whatever the size of the KB or of an entity."""
        mentioned, context = st.mentioned, st.context
        terms = {t for m in mentioned for t in m.terms}
        self.postings.ensure(s, terms)
        by_term = {t: self.postings.get(t) for t in terms}
        entities = set(context).union(*[m.subject | m.source for m in mentioned])
        self.entity_claims.ensure(s, entities)
        out = []
        for m in mentioned:
            ids = set(match.shortlist(m.terms, by_term, weights, MAX_CANDIDATES))
            for e in m.subject | m.source | context:
                ids.update(self.entity_claims.get(e))
            out.append(ids)
        return out

    def _claim(
        self,
        batch: _Batch,
        st: _Story,
        claim: PreparedClaim,
        new: match.Features,
        m: Mentioned,
        candidates: list[match.Features],
        kinds: dict[int, str],
        weights: match.Weights,
    ) -> None:
        """Decide what an incoming claim is (a repeat, or a new claim with its links)."""
        parsed = claim.parsed
        kind = Kind(parsed.kind)
        key = (claim.digest, kind)
        repeat = self._hashes.get(key) or st.by_hash.get(key)
        repeat = repeat or self._faq_repeat(st, parsed, new)
        found = [] if repeat is not None else self._matches(new, candidates, kinds, weights)
        # A repeat that says nothing more becomes evidence on the existing claim; one that adds something
        # becomes a claim of its own, linked same_as (both then share their sources).
        same = [x for x in found if x.kind == LinkKind.same_as and x.duplicate and x.can_act]
        same = [x for x in same if self.thresholds.acts(x.kind, x.score)]
        target = repeat if repeat is not None else (max(same, key=lambda x: x.score).dst if same else None)
        if target is not None:
            if self._evidence(batch, st, target, REPEAT_STANCE[kind], parsed):
                st.touched.add(target)
                st.affected.setdefault(target, f"repeated by story #{st.story_id}")
                st.result.repeated_claims += 1
            return
        cid = self._add_claim(batch, st, claim, new, m, kind)
        st.by_hash.setdefault(key, cid)
        self._evidence(batch, st, cid, OWN_STANCE[kind], parsed)
        if kind == Kind.question:
            st.questions.append((cid, new))
        for x in found:
            self._link(batch, st, x, cid, parsed)
            if kind == Kind.question and x.kind == LinkKind.answers and self.thresholds.acts(x.kind, x.score):
                self._doubt(batch, st, new, x.src, parsed, weights)

    def _add_claim(
        self, batch: _Batch, st: _Story, claim: PreparedClaim, new: match.Features, m: Mentioned, kind: Kind
    ) -> int:
        parsed = claim.parsed
        cid = batch.next("claim")
        terms = " ".join(sorted(new.terms))
        roles: dict[int, str] = {}
        for role, ids in (("context", new.context), ("source", m.source), ("aside", m.aside)):
            roles.update(dict.fromkeys(ids, role))
        roles.update(dict.fromkeys(m.subject, "subject"))
        mentions = sorted(roles.items())
        row = {
            "id": cid,
            "text": parsed.text,
            "norm_hash": claim.digest,
            "terms": terms,
            "kind": kind,
            "state": INITIAL[kind],
            "confidence": 0.0,
            "analyst_state": None,
            "story_id": st.story_id,
            "section": parsed.section,
            "created_at": utcnow(),
            "first_seen": st.seen,
            "last_seen": st.seen,
            "traits": match.traits_of(new),
            "backing": None,  # (kept once the batch is settled: see _write)
            "roles": " ".join(f"{r} {e}" for e, r in mentions) or None,  # (a copy of its mention rows)
        }
        batch.add("claim", row)
        batch.claims[cid] = row
        batch.rows["posting"] += [{"term": t, "claim_id": cid} for t in terms.split()]
        batch.rows["mention"] += [{"claim_id": cid, "entity_id": e, "role": r} for e, r in mentions]
        context = frozenset(e for e, r in roles.items() if r == "context") or match.EMPTY
        aside = frozenset(e for e, r in roles.items() if r == "aside") or match.EMPTY
        self._features[cid] = new.stored_as(cid, context, aside)
        st.new_ids.append(cid)
        st.indexed.append((cid, terms.split(), sorted(roles)))
        return cid

    def _evidence(self, batch: _Batch, st: _Story, claim_id: int, stance: str, parsed: ParsedClaim) -> bool:
        """Record the story as evidence for a claim once per stance; false if it already is."""
        if (claim_id, stance) in st.stances:
            return False
        st.stances.add((claim_id, stance))
        eid = batch.next("evidence")
        batch.add(
            "evidence",
            {
                "id": eid,
                "claim_id": claim_id,
                "story_id": st.story_id,
                "stance": stance,
                "section": parsed.section,
                "quote": parsed.quote,
                "source_id": st.source_id,
                "weight": st.weight,
            },
        )
        st.evidence.append((claim_id, eid, stance))
        return True

    def _doubt(
        self,
        batch: _Batch,
        st: _Story,
        question: match.Features,
        fact_id: int,
        parsed: ParsedClaim,
        weights: match.Weights,
    ) -> None:
        """A brief that lists an already known fact as unclear casts doubt on it."""
        fact = self._features[fact_id]
        if match.similarity(question, fact, weights) >= self.thresholds.auto and self._evidence(
            batch, st, fact_id, Stance.doubts, parsed
        ):
            st.affected.setdefault(fact_id, f"listed as unclear by story #{st.story_id}")

    def _matches(
        self,
        new: match.Features,
        candidates: list[match.Features],
        kinds: dict[int, str],
        weights: match.Weights,
    ) -> list[match.Match]:
        """The strongest few matches of each kind between an incoming claim and its candidates: a claim
        answers or repeats a handful of others, and keeping the rest would make a dense topic quadratic in
        links. Candidates that can only repeat it are scored best bound first, and no longer once their
        bound cannot reach the suggestion threshold or beat the few repeats already found: those would be
        dropped anyway."""
        kind, entities, about = new.kind, new.entities, new.about
        near = entities | new.context
        fact = kind == Kind.fact
        suggest = self.thresholds.suggest
        related = RELATED[kind]
        best = match.best_match
        found: list[tuple[int, match.Match]] = []
        repeats: list[tuple[float, int, match.Features]] = []
        for i, c in enumerate(candidates):
            if c.kind not in related or near.isdisjoint(c.around):
                continue
            if c.kind == kind:
                shared = new.heads & c.heads
                if len(shared) < 2:
                    continue  # neither a repeat nor a contradiction (see match.best_match)
                if not match.may_contradict(new, c):
                    repeats.append((match.repeat_bound(new, c, shared, weights), i, c))
                    continue
            elif fact:
                if entities.isdisjoint(c.about):
                    continue  # not about the question or watch item: neither answers nor touches it
            elif about.isdisjoint(c.entities):
                continue  # a fact not about the question does not answer it (see match.answer_score)
            m = best(new, c, kinds, weights)
            if m is not None and m.score >= suggest:
                found.append((i, m))
        if repeats:
            top = sorted((m.score for _, m in found if m.kind == LinkKind.same_as), reverse=True)
            repeats.sort(key=lambda r: (-r[0], r[1]))
            for bound, i, c in repeats:
                most = round(bound, 3)  # (a score is rounded to 3 places, so it is at most this)
                if most < suggest or (len(top) >= MAX_LINKS_PER_KIND and most < top[MAX_LINKS_PER_KIND - 1]):
                    break  # (the bounds that follow are no higher)
                m = best(new, c, kinds, weights)
                if m is not None and m.score >= suggest:
                    found.append((i, m))
                    if m.kind == LinkKind.same_as:
                        top.append(m.score)
                        top.sort(reverse=True)
        found.sort(key=lambda x: (-x[1].score, x[0]))  # (by score; equal scores in candidate order)
        kept: dict[str, int] = {}
        strongest = []
        for _, m in found:
            kept[m.kind] = kept.get(m.kind, 0) + 1
            if kept[m.kind] <= MAX_LINKS_PER_KIND:
                strongest.append(m)
        return strongest

    def _faq_repeat(self, st: _Story, parsed: ParsedClaim, new: match.Features) -> int | None:
        """An FAQ question that asks what the same brief already lists as unclear is that question."""
        if parsed.kind != Kind.question or parsed.section != "faq":
            return None
        close = [(match.similarity(new, q), cid) for cid, q in st.questions]
        best = max(close, default=(0.0, None))
        return best[1] if best[0] >= FAQ_REPEAT else None

    def _link(
        self,
        batch: _Batch,
        st: _Story,
        m: match.Match,
        cid: int,
        parsed: ParsedClaim,
    ) -> None:
        src, dst = (cid, m.dst) if m.src == 0 else (m.src, cid)
        acts = m.can_act and self.thresholds.acts(m.kind, m.score)
        if m.kind == LinkKind.triggers and not acts:
            return  # a faint touch is not worth an analyst's time
        status = LinkStatus.auto if acts else LinkStatus.suggested
        link_id = batch.next("claim_link")
        batch.add(
            "claim_link",
            {
                "id": link_id,
                "kind": m.kind,
                "src_id": src,
                "dst_id": dst,
                "score": m.score,
                "status": status,
                "reason": m.reason,
                "story_id": st.story_id,
                "created_at": st.now,
                "decided_at": None,
            },
        )
        st.links.append(LinkRow(link_id, m.kind, src, dst, m.score, status, m.reason))
        if status == LinkStatus.suggested:
            text = parsed.text if dst == cid else self._features[dst].text
            st.result.changes.append(
                Change(
                    dst,
                    text,
                    "suggested",
                    None,
                    None,
                    f"{m.kind} suggestion #{link_id} ({m.score:.2f}): {m.reason}",
                    src,
                )
            )
            return
        verb = {"answers": "answered by", "contradicts": "contradicted by", "triggers": "touched by"}.get(
            m.kind, "repeated by"
        )
        st.affected[dst] = f"{verb} claim #{src} ({m.score:.2f}: {m.reason})"
        st.affected[src] = st.affected.get(src) or f"{m.kind} claim #{dst} ({m.score:.2f})"

    # ------------------------------------------------------------------------------ pass 3: lifecycle

    def _load_view(self, s: Session, batch: _Batch, stories: list[_Story]) -> None:
        """Read the states, links and backing that settling the batch's stories will need."""
        touched: set[int] = set()
        extra: dict[int, set[int]] = defaultdict(set)
        for st in stories:
            touched |= set(st.affected) | set(st.new_ids)
            for ln in st.links:
                if ln.status in ACTIVE_LINK:
                    extra[ln.src_id].add(ln.dst_id)
                    extra[ln.dst_id].add(ln.src_id)
        self.view.load(self.store, s, touched, extra, new_from=batch.first_claim)

    def _settle(self, batch: _Batch, st: _Story) -> None:
        """The story's claims, evidence and links join the view; the states they move are derived."""
        view = self.view
        if st.grade is not None:
            view.set_grade(st.source_id, st.grade)
        for cid in st.new_ids:
            new = batch.claims[cid]
            view.add_claim(cid, new["kind"], new["state"], new["text"])
        for claim_id, _, stance in st.evidence:
            view.add_evidence(claim_id, st.source_id, st.weight, stance)
        for ln in st.links:
            view.add_link(ln)
        for target in st.touched - set(st.new_ids):
            mine = batch.claims.get(target)
            if mine is not None:
                mine["first_seen"] = min(mine["first_seen"], st.seen)
                mine["last_seen"] = max(mine["last_seen"], st.seen)
            else:
                seen = batch.seen.setdefault(target, [st.seen, st.seen])
                seen[0], seen[1] = min(seen[0], st.seen), max(seen[1], st.seen)
        new_ids = set(st.new_ids)
        changes, moved, events = view.recompute(
            set(st.affected) | new_ids,
            st.affected,
            new_ids,
            at_published=st.seen,
            at_ingested=st.now,
            story_id=st.story_id,
        )
        st.result.new_claims = len(st.new_ids)
        st.result.changes.extend(c for c in changes if c.action != "created")
        for event in events:
            batch.add("event", {"id": batch.next("event"), **event})
        for cid, old, state, conf in moved:
            mine = batch.claims.get(cid)
            if mine is not None:
                mine["state"], mine["confidence"] = state, conf
            else:
                batch.states[cid] = (state, conf)
            move = batch.moves.setdefault(cid, [view.info[cid][0], old, state])
            move[2] = state

    def _write(self, s: Session, batch: _Batch) -> None:
        """Store the batch: a statement or two per table."""
        older = []  # the backing that changed of claims stored before this batch
        for cid, kept in self.view.take_backing():
            row = batch.claims.get(cid)
            if row is None:
                older.append((cid, kept))
            else:
                row["backing"] = kept
        for table in TABLES:
            self.store.insert_rows(s, table, batch.rows[table])
        self.store.set_backing(s, older)
        self.store.set_grades(s, batch.grades)
        self.store.set_states(s, [(cid, st, conf) for cid, (st, conf) in sorted(batch.states.items())])
        self.store.widen_seen(s, [(cid, lo, hi) for cid, (lo, hi) in sorted(batch.seen.items())])
        self.store.add_counts(s, batch.counts)
        self.store.tally(s, {cid: (kind, old, new) for cid, (kind, old, new) in batch.moves.items()})
        self.store.follow_ids(s, batch.last)


def _ignore(names: list[str]) -> None:
    return None


# ------------------------------------------------------------------------------ analyst decisions


def _decided(
    store: Store,
    s: Session,
    view: ClaimView,
    claim_ids: set[int],
    reasons: dict[int, str],
    analyst: str,
    force_event: set[int],
) -> list[Change]:
    """Derive the states an analyst's decision moves and store them with their events."""
    now = utcnow()
    changes, moved, events = view.recompute(
        claim_ids, reasons, set(), now, now, analyst=analyst, force_event=force_event
    )
    store.set_states(s, [(cid, state, conf) for cid, _, state, conf in moved])
    store.tally(s, {cid: (view.info[cid][0], old, state) for cid, old, state, _ in moved})
    store.add_events(s, events)
    store.add_counts(s, {DECISIONS: 1})  # tells running ingests that what they kept of states moved
    return changes


def decide(
    store: Store, claim_id: int, action: str, because: str, analyst: str | None = None
) -> list[Change]:
    """Apply an analyst decision (promote, confirm, dispute, refute, close, trigger, reopen) as an event."""
    analyst = analyst or analyst_name()
    with store.transaction() as s:
        view = ClaimView()
        view.load(store, s, {claim_id})
        if claim_id not in view.info:
            raise NotFound(f"no claim #{claim_id}", hint="list claims with: kb claims")
        new = None if action == "reopen" else lifecycle.check_decision(action, view.info[claim_id][0])
        store.set_analyst_state(s, claim_id, new)
        view.set_analyst_state(claim_id, new)
        return _decided(store, s, view, {claim_id}, {claim_id: f"{action}: {because}"}, analyst, {claim_id})


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
        view = ClaimView()
        view.load(store, s, {link.src_id, link.dst_id})
        verb = "accepted" if accept else "rejected"
        reason = f"{verb} {link.kind} link #{link_id}" + (f": {because}" if because else "")
        return _decided(
            store,
            s,
            view,
            {link.src_id, link.dst_id},
            {link.src_id: reason, link.dst_id: reason},
            analyst,
            {link.dst_id},
        )


NOTABLE = 1000  # changes and new entity names an ingest summary lists (it counts them all)


class Summary:
    """Counts and notable changes over one `kb ingest` run, added up as stories are stored: the counts
    whole, the changes and new entity names up to `limit` each (a run of a hundred thousand stories makes
    millions of changes; `kb diff` lists them all)."""

    COUNTS = ("promoted", "corroborated", "disputed", "suggested")

    def __init__(self, limit: int = NOTABLE) -> None:
        self.limit = limit
        self.counts: Counter[str] = Counter()
        self.changes: list[dict] = []
        self.names: list[str] = []
        self.omitted = Counter[str]()

    def add(self, r: IngestResult) -> None:
        c = self.counts
        c["duplicates" if r.duplicate else "stories"] += 1
        c["new_claims"] += r.new_claims
        c["repeated_claims"] += r.repeated_claims
        c["new_entities"] += len(r.new_entities)
        keep = self.limit - len(self.names)
        self.names += r.new_entities[: max(0, keep)]
        self.omitted["entity_names"] += max(0, len(r.new_entities) - max(0, keep))
        for change in r.changes:
            if change.action in self.COUNTS:
                c[change.action] += 1
            if change.action == "confidence":
                continue
            if len(self.changes) >= self.limit:
                self.omitted["changes"] += 1
                continue
            self.changes.append(
                {
                    "claim_id": change.claim_id,
                    "text": change.text,
                    "action": change.action,
                    "from_state": change.from_state,
                    "to_state": change.to_state,
                    "cause": f"{r.title}: {change.reason}",
                    "story_id": r.story_id,
                }
            )

    def failed(self) -> None:
        self.counts["failures"] += 1

    def as_dict(self) -> dict:
        c = self.counts
        return {
            "files": c["stories"] + c["duplicates"] + c["failures"],
            "stories": c["stories"],
            "duplicates": c["duplicates"],
            "failures": c["failures"],
            "new_claims": c["new_claims"],
            "repeated_claims": c["repeated_claims"],
            "new_entities": c["new_entities"],
            "entity_names": self.names,
            **{k: c[k] for k in self.COUNTS},
            "changes": self.changes,
            "changes_omitted": self.omitted["changes"],
            "entity_names_omitted": self.omitted["entity_names"],
        }


def summarise(results: Iterable[IngestResult], failures: int, limit: int = NOTABLE) -> dict:
    """Counts and notable changes over one `kb ingest` run (see Summary)."""
    summary = Summary(limit)
    for r in results:
        summary.add(r)
    for _ in range(failures):
        summary.failed()
    return summary.as_dict()
