"""Watch-lists: what to keep looking for, with keywords for alerting tools and a priority with a reason.

A large KB holds hundreds of thousands of open questions and watch items, so a watch-list is never held
whole. The aggregates a priority needs are read once, in a compact form: how many claims name each
entity, and the distinct times at which stories named each entity (a bit set over the KB's story times,
or a short sorted array for an entity few stories name). The store reads claims in chunks, each with only
what its item shows. With a limit, every claim is first ranked from the few columns that rank it, and only
the items listed are read whole; without one, each claim is read whole once and its item goes into a
sorted run of at most RUN, spilled to a temporary file once full, and the runs are merged as the list is
read. Memory stays flat however long the list."""

from __future__ import annotations

import heapq
import marshal
import math
import re
import tempfile
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import islice
from operator import itemgetter
from pathlib import Path

from sqlmodel import Session

from kb.settings import WATCH_STALE_LIMIT
from kb.store import Store, WatchRow, WatchScope
from kb.text import STOP, fold, strip_hedges, wanted_answers
from kb.vocab import KNOWN, Kind, State

STATUSES = ("open", "triggered", "all")
TYPES = ("entity", "question", "stale", "watch")
WANTS = {
    "money": "a figure (an amount)",
    "percent": "a figure (a share)",
    "count": "a number",
    "name": "a name",
    "time": "a date or deadline",
    "regulation": "a ruling, licence or rule",
    "response": "a reaction",
    "yesno": "a yes or no",
    "statement": "a statement",
}
COLUMNS = (
    "id",
    "type",
    "status",
    "priority",
    "priority_reason",
    "text",
    "entities",
    "keywords",
    "wants",
    "opened",
    "last_activity",
    "answer",
)
# An item's fields, in the order a JSON item lists them.
FIELDS = (
    "id",
    "type",
    "claim_id",
    "text",
    "entities",
    "keywords",
    "status",
    "priority",
    "priority_reason",
    "opened",
    "last_activity",
    "wants",
    "answer",
    "state",
    "confidence",
)
RUN = 50_000  # items of one type sorted in memory before they go to a temporary file
# An entity's story times are kept as a sorted array rather than a bit set when it has fewer than 1 in
# SPARSE of the KB's distinct times (an array takes 32 bits a time, a bit set 1 bit a time of them all).
SPARSE = 32
_PRIORITY_BASE = 10**8  # sort keys start with this minus the priority, in nine digits


def watchlist(
    store: Store,
    now: datetime,
    entity_id: int | None = None,
    status: str = "open",
    stale_days: int = 30,
    limit: int = 0,
    stale_limit: int = WATCH_STALE_LIMIT,
) -> list[dict]:
    """The watch-list of `open_watchlist` as a list (for a small KB, or with a `limit`)."""
    with open_watchlist(store, now, entity_id, status, stale_days, limit, stale_limit) as items:
        return list(items)


@contextmanager
def open_watchlist(
    store: Store,
    now: datetime,
    entity_id: int | None = None,
    status: str = "open",
    stale_days: int = 30,
    limit: int = 0,
    stale_limit: int = WATCH_STALE_LIMIT,
) -> Iterator[WatchList]:
    """Open questions, watch items, monitored entities and stale claims, highest priority first (then by
    type and id). `status` "open" keeps what still needs watching (open and triggered), "triggered" only
    what a later story touched, "all" also what is resolved or closed. With `entity_id`, only items about
    that entity. `limit` keeps the `limit` items of highest priority (0: all); `stale_limit` keeps, of the
    stale claims, the `stale_limit` last seen most recently (0: all).

    The KB is read, in one snapshot, before this yields; the list then lives in temporary files, removed
    when the block ends. Without a limit every item is shaped as its claim is read; with one, the claims
    are first ranked from the little that ranks them, and only the first `limit` are read whole."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}: choose one of {', '.join(STATUSES)}")
    with tempfile.TemporaryDirectory(prefix="kb-watch-") as folder:
        ranked = {kind: _Ranked(Path(folder) / kind) for kind in TYPES}
        with store.snapshot() as s:
            reading = _Reading(s, _Activity(s, entity_id), now, entity_id, status, stale_days, stale_limit)
            if limit:
                total, items = reading.top(limit)
            else:
                total, items = None, reading.items()
            for item in items:
                ranked[item["type"]].add(item)
        yield WatchList(ranked, total, reading.stale_cut)


class WatchList:
    """A watch-list read from its sorted runs. `total` items matched, of which `shown` are listed:
    iterating gives them, highest priority first, each as a dict; `of_type` gives those of one type, in
    the same order. `stale_cut`: more stale claims were found than the stale limit keeps."""

    def __init__(self, ranked: dict[str, _Ranked], total: int | None, stale_cut: bool) -> None:
        self._ranked = ranked
        self.shown = sum(r.total for r in ranked.values())
        self.total = self.shown if total is None else total
        self.stale_cut = stale_cut

    def __iter__(self) -> Iterator[dict]:
        for _, values in heapq.merge(*self._ranked.values()):
            yield _unpack(values)

    def of_type(self, kind: str) -> Iterator[dict]:
        """The items of one type ("question", "watch", "stale" or "entity")."""
        for _, values in self._ranked[kind]:
            yield _unpack(values)


# ------------------------------------------------------------------------------------- the items


class _Reading:
    """Which claims a watch-list reads, and the items it makes of them."""

    def __init__(
        self,
        s: Session,
        act: _Activity,
        now: datetime,
        entity_id: int | None,
        status: str,
        stale_days: int,
        stale_limit: int,
    ) -> None:
        self.s, self.act, self.now, self.entity_id = s, act, now, entity_id
        self.status, self.stale_limit = status, stale_limit
        self.keep = {"open": {"open", "triggered"}, "triggered": {"triggered"}, "all": None}[status]
        self.before = _stale_before(now, stale_days) if status != "triggered" else None
        self.stale_cut = False
        known = frozenset(str(k) for k in KNOWN)
        # Open questions are those not yet known (a disputed one among them); "all" adds the resolved.
        questions = {
            "open": WatchScope(Kind.question.value, known, exclude=True),
            "all": WatchScope(Kind.question.value),
        }
        watching = {
            "open": WatchScope(Kind.watch.value, frozenset({State.closed.value}), exclude=True),
            "triggered": WatchScope(Kind.watch.value, frozenset({State.triggered.value})),
            "all": WatchScope(Kind.watch.value),
        }
        self.scopes = [x for x in (questions.get(status), watching[status]) if x is not None]
        self._stale_ids: list[int] | None = None
        self.ranked = 0

    def items(self) -> Iterator[dict]:
        """Every item the status keeps, in no particular order, each claim read once, whole."""
        for chunk in Store.watch_claims(self.s, self.scopes, self.entity_id):
            yield from self._kept(self._claim_item(r) for r in chunk)
        for chunk in self._stale_rows(brief=False):
            yield from self._kept(self._stale_item(r) for r in chunk)
        yield from self._kept(self._entity_items())

    def top(self, limit: int) -> tuple[int, Iterator[dict]]:
        """How many items the status keeps, and the `limit` of highest priority: ranked from brief rows
        first, then read whole."""
        first = heapq.nsmallest(limit, self._ranks())
        return self.ranked, self._read(first)

    def _ranks(self) -> Iterator[str]:
        """The sort key of every item the status keeps, from brief rows, counted in `ranked`."""
        for chunk in Store.watch_claims(self.s, self.scopes, self.entity_id, brief=True):
            for r in chunk:
                kind = r.kind
                if self.keep is None or _claim_status(kind, r.state) in self.keep:
                    self.ranked += 1
                    yield _sort_key(self._priority(r), f"{kind}:{r.id}")
        for chunk in self._stale_rows(brief=True):
            for r in chunk:
                self.ranked += 1
                yield _sort_key(self._priority(r), f"stale:{r.id}")
        for item in self._kept(self._entity_items()):
            self.ranked += 1
            yield _sort_key(item["priority"], item["id"])

    def _read(self, keys: list[str]) -> Iterator[dict]:
        """The items of these sort keys, their claims read whole."""
        ids = {_item_id(key) for key in keys}
        claims = [int(i.split(":")[1]) for i in ids if not i.startswith("entity:")]
        for chunk in Store.watch_rows(self.s, claims):
            for r in chunk:
                if f"stale:{r.id}" in ids:
                    yield self._stale_item(r)
                else:
                    yield self._claim_item(r)
        yield from (item for item in self._entity_items() if item["id"] in ids)

    def _kept(self, items: Iterable[dict]) -> Iterator[dict]:
        return (i for i in items if self.keep is None or i["status"] in self.keep)

    def _claim_item(self, r: WatchRow) -> dict:
        names = self.act.names(r.entity_ids)
        item = _question(r, names) if r.kind == Kind.question.value else _watch(r, names)
        return self._prioritised(item, r)

    def _stale_item(self, r: WatchRow) -> dict:
        item = _item(r, self.act.names(r.entity_ids), "stale", "open", "another independent source")
        return self._prioritised(item, r)

    def _entity_items(self) -> Iterator[dict]:
        if self.status == "triggered":
            return
        for e in self.act.entities:
            if self.entity_id is None or e["id"] == self.entity_id:
                item = _entity(e)
                yield _score_item(item, self.act.about(item["entities"]), None, None, self.act, self.now)

    def _stale_rows(self, brief: bool) -> Iterator[list[WatchRow]]:
        """The stale claims: those last seen most recently, with a stale limit."""
        if self.before is None:
            return
        if not self.stale_limit:
            yield from Store.stale_claims(self.s, self.before, self.entity_id, brief)
            return
        if self._stale_ids is None:
            ids = Store.newest_stale(self.s, self.before, self.stale_limit + 1, self.entity_id)
            self.stale_cut = len(ids) > self.stale_limit
            self._stale_ids = ids[: self.stale_limit]
        yield from Store.watch_rows(self.s, self._stale_ids, brief)

    def _priority(self, r: WatchRow) -> int:
        return _priority(self.act.about_claim(r.entity_ids), r.first_seen, self.act, self.now)[0]

    def _prioritised(self, item: dict, r: WatchRow) -> dict:
        _score_item(item, self.act.about_claim(r.entity_ids), r.first_seen, r.last_event, self.act, self.now)
        return item


def _claim_status(kind: str, state: str) -> str:
    """The status of a question's or watch item's item."""
    if kind == Kind.question.value:
        return "resolved" if state in KNOWN else "open"
    return {"triggered": "triggered", "closed": "closed"}.get(state, "open")


def _sort_key(priority: int, item_id: str) -> str:
    """Sorts as (-priority, type, id): the id starts with the type."""
    return f"{_PRIORITY_BASE - priority:09d}{item_id}"


def _item_id(key: str) -> str:
    return key[9:]


def _item(r: WatchRow, names: list[str], kind: str, status: str, wants: str = "", answer: str = "") -> dict:
    return {
        "id": f"{kind}:{r.id}",
        "type": kind,
        "claim_id": r.id,
        "text": r.text,
        "entities": names,
        "keywords": [],
        "status": status,
        "priority": 0,
        "priority_reason": "",
        "opened": _iso(r.first_seen),
        "last_activity": _iso(r.last_seen),
        "wants": wants,
        "answer": answer,
        "state": r.state,
        "confidence": round(r.confidence, 3),
    }


def _question(r: WatchRow, names: list[str]) -> dict:
    wants, words = _question_terms(r.text)
    item = _item(r, names, "question", _claim_status(r.kind, r.state), wants, " | ".join(r.answers))
    item["keywords"] = _keywords(words, names)
    return item


def _watch(r: WatchRow, names: list[str]) -> dict:
    status = _claim_status(r.kind, r.state)
    item = _item(r, names, "watch", status, "a story on it")
    item["keywords"] = _keywords(_words(r.text), names)
    if status == "triggered":
        item["answer"] = " | ".join(r.triggered_by)
    return item


def _entity(e: dict) -> dict:
    return {
        "id": f"entity:{e['id']}",
        "type": "entity",
        "claim_id": None,
        "text": e["name"],
        "entities": [e["name"]],
        "keywords": [e["name"], *e["aliases"]],
        "status": "open",
        "priority": 0,
        "priority_reason": "",
        "opened": None,
        "last_activity": None,
        "wants": "any story naming it",
        "answer": "",
        "state": None,
        "confidence": None,
    }


def _stale_before(now: datetime, days: int) -> datetime | None:
    """Claims last seen before this are stale (more than `days` ago); None: nothing can be that old."""
    try:
        return now - timedelta(days=days)
    except OverflowError:
        return None if days > 0 else datetime.max


@lru_cache(maxsize=65536)
def _question_terms(text: str) -> tuple[str, tuple[str, ...]]:
    """What would settle a question, in words, and the candidate keywords of what it asks."""
    wants = ", ".join(WANTS[w] for w in sorted(wanted_answers(text)))
    return wants, _words(strip_hedges(text))


@lru_cache(maxsize=65536)
def _words(text: str) -> tuple[str, ...]:
    """A text's distinctive words, each once, in order: what keywords are picked from."""
    words: list[str] = []
    for w in re.findall(r"[\w][\w'\-]+", fold(text)):
        w = w.removesuffix("'s")
        if w not in STOP and len(w) > 3 and not w.isdigit() and w not in words:
            words.append(w)
    return tuple(words)


_folded = lru_cache(maxsize=65536)(fold)


def _keywords(words: Iterable[str], entity_names: list[str]) -> list[str]:
    """Words to monitor: the entities' names, then up to eight of the text's words that are no name."""
    names = {_folded(n) for n in entity_names}
    return [*entity_names, *islice((w for w in words if w not in names), 8)]


def _iso(value: datetime | None) -> str | None:
    return _iso_text(value) if value is not None else None


@lru_cache(maxsize=65536)
def _iso_text(value: datetime) -> str:
    """A time as ISO text (the claims of a story share their times)."""
    return value.isoformat()


# ---------------------------------------------------------------------------------- the priority


class _Activity:
    """What priorities are computed from, read once: how many claims name each entity, and the distinct
    times (a story's publication date, else when it was ingested) at which stories named each entity,
    as positions in `times`. Keyed by entity name, as items name their entities."""

    def __init__(self, s: Session, entity_id: int | None) -> None:
        rows = Store.watch_entities(s)
        self._name = {e["id"]: e["name"] for e in rows}
        self._rank = {e["id"]: i for i, e in enumerate(rows)}  # the database's order of names
        self.entities = [e for e in rows if not e["merged"]]
        self.claims = {e["name"]: e["claims"] for e in self.entities}
        self.biggest = max(self.claims.values(), default=1) or 1
        self.times: list[datetime] = []
        position: dict[int, int] = {}
        at = -1
        for sid, when in Store.story_times(s):
            if not self.times or when != self.times[-1]:
                self.times.append(when)
                at = len(self.times) - 1
            position[sid] = at
        names = self._name
        wanted = None if entity_id is None else Store.entities_named_with(s, entity_id)
        self.touched: dict[str, int | array[int]] = {}
        current, found = None, set[int]()
        for eid, stories in Store.entity_stories(s, wanted):
            if eid != current:
                self._keep(names.get(current), found)
                current, found = eid, set()
            found.update(map(position.__getitem__, stories))
        self._keep(names.get(current), found)
        self._after: dict[datetime, int] = {}
        self._names: dict[tuple[int, ...], list[str]] = {}
        self._about: dict[tuple[int, ...], _About] = {}

    def _keep(self, name: str | None, found: set[int]) -> None:
        """Store an entity's times: a bit set, or a sorted array when that is smaller."""
        if name is None or not found:
            return
        if name in self.touched:  # two entities of one name: one set of times, as items name them
            found |= set(self._positions(self.touched[name]))
        if len(found) * SPARSE < len(self.times):
            self.touched[name] = array("l", sorted(found))
            return
        bits = bytearray(len(self.times) // 8 + 1)
        for i in found:
            bits[i >> 3] |= 1 << (i & 7)
        self.touched[name] = int.from_bytes(bits, "little")

    def names(self, entity_ids: tuple[int, ...]) -> list[str]:
        """The names of these entities, in the order the database sorts names (a list shared by the
        items of those entities: items are copied when they are ranked)."""
        found = self._names.get(entity_ids)
        if found is None:
            if len(self._names) > _CACHED:
                self._names.clear()
            found = self._names[entity_ids] = [
                self._name[e] for e in sorted(entity_ids, key=self._rank.__getitem__)
            ]
        return found

    @staticmethod
    def _positions(times: int | array[int]) -> Iterable[int]:
        if isinstance(times, int):
            return (i for i in range(times.bit_length()) if times >> i & 1)
        return times

    def about_claim(self, entity_ids: tuple[int, ...]) -> _About:
        """`about` the entities of a claim (the claims of a story often name the same ones)."""
        found = self._about.get(entity_ids)
        if found is None:
            if len(self._about) > _CACHED:
                self._about.clear()
            found = self._about[entity_ids] = self.about(self.names(entity_ids))
        return found

    def about(self, names: list[str]) -> _About:
        """What an item's priority takes from its entities: the most central one, and when stories
        named any of them."""
        central = max(names, key=lambda n: self.claims.get(n, 0), default=None)
        dense, sparse, latest = 0, set[int](), -1
        for name in names:
            times = self.touched.get(name)
            if times is None:
                continue
            if isinstance(times, int):
                dense |= times
            else:
                sparse.update(times)
        latest = max(dense.bit_length() - 1, max(sparse, default=-1))
        if sparse:  # those not in the bit set too, tested in its bytes
            bits = dense.to_bytes(len(self.times) // 8 + 1, "little")
            sparse = {i for i in sparse if not bits[i >> 3] >> (i & 7) & 1}
        return _About(
            central,
            self.claims.get(central, 0) if central else 0,
            dense,
            array("l", sorted(sparse)),
            self.times[latest] if latest >= 0 else None,
        )

    def stories_after(self, about: _About, opened: datetime | None) -> int:
        """At how many distinct times stories named the entities after `opened` (all with None)."""
        first = 0 if opened is None else self._first_after(opened)
        return (
            (about.times >> first).bit_count() + len(about.more_times) - bisect_left(about.more_times, first)
        )

    def _first_after(self, opened: datetime) -> int:
        """The position of the first time later than `opened`."""
        found = self._after.get(opened)
        if found is None:
            if len(self._after) > _CACHED:
                self._after.clear()
            found = self._after[opened] = bisect_right(self.times, opened)
        return found


@dataclass(frozen=True, slots=True)
class _About:
    """What an item's priority takes from its entities."""

    central: str | None  # the one most claims name
    count: int  # how many claims name it
    times: int  # the positions in _Activity.times at which stories named any of them, as bits
    more_times: array[int]  # more positions, sorted: those of entities few stories name
    latest: datetime | None  # the latest of those times


def _priority(about: _About, opened: datetime | None, act: _Activity, now: datetime) -> tuple[int, int, int]:
    """Priority 0-100 from how central its entities are (40%), how many stories touched them since it
    was opened (35%) and how long it has been open (25%); and those stories and days."""
    stories = act.stories_after(about, opened)
    days = (now - opened).days if opened else 0
    score = (
        0.40 * math.log1p(about.count) / math.log1p(act.biggest)
        + 0.35 * min(1.0, stories / 5)
        + 0.25 * min(1.0, days / 90)
    )
    return round(100 * score), stories, days


def _score_item(
    item: dict,
    about: _About,
    opened: datetime | None,
    last_event: datetime | None,
    act: _Activity,
    now: datetime,
) -> dict:
    """Set the item's priority, its reason in words, and its last activity: its latest event or the
    latest story naming one of its entities."""
    item["priority"], stories, days = _priority(about, opened, act, now)
    parts = [f"{about.central} in {about.count} claims" if about.central else "no entity"]
    parts.append(f"{stories} stories since opened" if opened else f"{stories} stories")
    if opened:
        parts.append(f"open {days} days")
    item["priority_reason"] = "; ".join(parts)
    found = [t for t in (last_event, about.latest) if t]
    if found:
        item["last_activity"] = _iso_text(max(found))
    return item


# ------------------------------------------------------------------------------------ the order


class _Ranked:
    """The items of one type as (sort key, marshalled values) records, in sorted runs of at most RUN:
    the full runs in files beside `path` (in blocks of BLOCK records), the last in memory; iterating
    merges them. (Values are kept as bytes, which the garbage collector need not walk.)"""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.buffer: list[tuple[str, bytes]] = []
        self.runs: list[Path] = []
        self.total = 0

    def add(self, item: dict) -> None:
        self.total += 1
        self.buffer.append((_sort_key(item["priority"], item["id"]), marshal.dumps(_values(item))))
        if len(self.buffer) >= RUN:
            self._spill()

    def _spill(self) -> None:
        self.buffer.sort(key=_first)
        run = self.path.with_name(f"{self.path.name}-{len(self.runs)}")
        with run.open("wb") as out:
            for i in range(0, len(self.buffer), BLOCK):
                marshal.dump(self.buffer[i : i + BLOCK], out)
        self.runs.append(run)
        self.buffer = []

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        self.buffer.sort(key=_first)
        return heapq.merge(*(_read_run(run) for run in self.runs), iter(self.buffer), key=_first)


BLOCK = 1000  # records of a run read or written at a time
_CACHED = 100_000  # entries a cache of names or scores holds before it starts again
_values = itemgetter(*FIELDS)
_first = itemgetter(0)


def _read_run(run: Path) -> Iterator[tuple[str, bytes]]:
    with run.open("rb") as f:
        while True:
            try:
                block = marshal.load(f)
            except EOFError:
                return
            yield from block


def _unpack(values: bytes) -> dict:
    return dict(zip(FIELDS, marshal.loads(values), strict=True))
