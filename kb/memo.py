"""What ingest and analyst decisions know of the stored KB, kept in memory.

An ingest decides each story against the KB as it stands and then changes it; reading the KB again for
every story would cost far more than deciding. So it keeps what it has read, and keeps it true with what
it writes itself:

- `Newest`: the newest claims per term (the blocking postings) and per entity;
- `Counters`: the term, entity and claim counters behind the matching weights;
- `ClaimView`: claims' states, links and backing, over which `ClaimView.recompute` derives states.

Reads go to the database only for what is not known yet, and always see the KB as it stood before the
current batch of stories (a batch's rows are written once it is decided); what a batch adds to keys not
read yet waits beside them until they are read, or the batch is stored.

No I/O of its own: the store is passed in for the reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlmodel import Session

from kb import lifecycle
from kb.lifecycle import Backing, Change, Inputs
from kb.store import LinkRow, Store
from kb.vocab import ACTIVE_LINK, KNOWN, Kind, LinkKind, Stance, State

K = TypeVar("K", str, int)

SUPPORT = frozenset({Stance.asserts, Stance.supports, Stance.questions, Stance.watches})


class Newest(Generic[K]):
    """The newest `limit` claim ids under each key (a term, an entity), newest first."""

    def __init__(self, limit: int, read: Callable[[Session, list[K], int], list[tuple[K, int]]]) -> None:
        self.limit = limit
        self._read: Callable[[Session, list[K], int], list[tuple[K, int]]] = read
        self.lists: dict[K, list[int]] = {}
        self._pending: dict[K, list[int]] = {}  # claims of this batch under keys not read yet, oldest first

    def __len__(self) -> int:
        return len(self.lists)

    def ensure(self, s: Session, keys: Iterable[K]) -> None:
        missing = sorted({k for k in keys if k not in self.lists})
        if not missing:
            return
        found: dict[K, list[int]] = {k: [] for k in missing}
        for key, cid in self._read(s, missing, self.limit):
            found[key].append(cid)
        for key, ids in found.items():
            ids.sort(reverse=True)
            newer = self._pending.pop(key, [])
            self.lists[key] = (newer[::-1] + ids)[: self.limit]

    def get(self, key: K) -> list[int]:
        return self.lists.get(key, [])

    def add(self, key: K, claim_id: int) -> None:
        """A claim just created (newer than any other) under the key."""
        ids = self.lists.get(key)
        if ids is None:
            self._pending.setdefault(key, []).append(claim_id)
        else:
            ids.insert(0, claim_id)
            del ids[self.limit :]

    def stored(self) -> None:
        """The batch is in the database: what waited beside unread keys will be read with them."""
        self._pending.clear()

    def clear(self) -> None:
        self.lists.clear()
        self._pending.clear()


class Counters:
    """term_stat counters (claims using a term, claims about an entity, all claims) as last read, plus
    what this process added since."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}
        self._pending: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.values)

    def ensure(self, store: Store, s: Session, keys: Iterable[str]) -> None:
        missing = {k for k in keys if k not in self.values}
        if missing:
            found = store.counts(s, missing)
            for k in missing:
                self.values[k] = found.get(k, 0) + self._pending.pop(k, 0)

    def add(self, deltas: Mapping[str, int]) -> None:
        for key, n in deltas.items():
            if key in self.values:
                self.values[key] += n
            else:
                self._pending[key] = self._pending.get(key, 0) + n

    def stored(self) -> None:
        self._pending.clear()

    def clear(self) -> None:
        self.values.clear()
        self._pending.clear()


class ClaimView:
    """Claims as lifecycle sees them, and enough of their neighbourhood to derive their states:

    - `info`: kind, state, confidence, the analyst's decision and text;
    - `support` and `doubts`: the claim's own backing, as the best story weight each source gives it (in
      the order sources first backed it), which is all lifecycle uses of it: a claim repeated by ten
      thousand stories from forty outlets costs forty entries;
    - `links`: the active links touching a claim (all of them for the claims in `complete`).

    Its backing is kept on the claim row too (`backing_text`), read with its state in place of its
    evidence; `take_backing` gives what changed of it since the caller last stored it.

    A claim is derived again only when something it depends on changed since it last was (`dirty`): its
    backing, its links, its neighbours' backing or states, a source's grade. Deriving it with unchanged
    inputs would give what it gave before, which moved nothing then and would move nothing now."""

    def __init__(self) -> None:
        self.info: dict[int, list[Any]] = {}  # claim -> [kind, state, confidence, analyst_state, text]
        self.support: dict[int, dict[int, float]] = {}  # claim -> source -> best story weight
        self.doubts: dict[int, dict[int, float]] = {}
        self.links: dict[int, list[int]] = {}  # claim -> ids of the active links touching it, in id order
        self.complete: set[int] = set()  # claims whose every active link is in `links`
        self.link_rows: dict[int, LinkRow] = {}  # active links
        self.grades: dict[int, str] = {}  # source id -> Admiralty grade
        self.dirty: set[int] = set()
        self._backing: dict[int, list[Backing]] = {}  # support as lifecycle takes it, made when needed
        self._changed_backing: set[int] = set()  # claims whose backing changed since `take_backing`
        self._unknown_backing: set[int] = set()  # claims given evidence while not in the view

    def __len__(self) -> int:
        return len(self.info)

    def clear(self) -> None:
        for part in (
            self.info,
            self.support,
            self.doubts,
            self.links,
            self.link_rows,
            self.grades,
            self._backing,
        ):
            part.clear()
        self.complete.clear()
        self.dirty.clear()
        self._changed_backing.clear()
        self._unknown_backing.clear()

    # ------------------------------------------------------------------------------ reading

    def load(
        self,
        store: Store,
        s: Session,
        claim_ids: set[int],
        extra: Mapping[int, set[int]] | None = None,
        new_from: int | None = None,
    ) -> None:
        """Read what recomputing these claims needs and is not known yet: their links, the links of the
        claims those tie them to, and the state and backing of those and of their neighbours. `extra`
        gives links about to be added (claim -> the claims they tie it to); claims numbered from `new_from`
        on are not in the database yet and are added with `add_claim`."""
        extra = extra or {}

        def stored(ids: Iterable[int]) -> set[int]:
            return {c for c in ids if new_from is None or c < new_from}

        def neighbours(ids: set[int]) -> set[int]:
            out = set(ids)
            for c in ids:
                for lid in self.links.get(c, ()):
                    ln = self.link_rows[lid]
                    out.add(ln.src_id)
                    out.add(ln.dst_id)
                out |= extra.get(c, set())
            return out

        if not self.grades:
            self.grades.update(store.source_grades(s))
        self._read_links(store, s, stored(claim_ids))
        first = neighbours(claim_ids)
        self._read_links(store, s, stored(first))
        self._read_claims(store, s, stored(neighbours(first)))
        # A question's answers conflict when two of them contradict each other: their links count too.
        answers = {
            ln.src_id
            for c in first
            for lid in self.links.get(c, ())
            if (ln := self.link_rows[lid]).kind == LinkKind.answers and ln.dst_id == c
        }
        self._read_links(store, s, stored(answers))

    def _read_links(self, store: Store, s: Session, ids: set[int]) -> None:
        need = sorted(c for c in ids if c not in self.complete)
        if not need:
            return
        for ln in store.active_links(s, need):
            if ln.id not in self.link_rows:
                self._index_link(ln)
        self.complete.update(need)

    def _index_link(self, ln: LinkRow) -> None:
        self.link_rows[ln.id] = ln
        for end in {ln.src_id, ln.dst_id}:
            ids = self.links.setdefault(end, [])
            if ids and ids[-1] > ln.id:
                ids.append(ln.id)
                ids.sort()
            else:
                ids.append(ln.id)

    def _read_claims(self, store: Store, s: Session, ids: set[int]) -> None:
        need = sorted(c for c in ids if c not in self.info)
        if not need:
            return
        unkept = []
        for cid, kind, state, confidence, analyst, text, kept in store.claim_states(s, need):
            self.info[cid] = [kind, state, confidence, analyst, text]
            if kept is None:
                self.support[cid], self.doubts[cid] = {}, {}
                unkept.append(cid)
            else:
                self.support[cid], self.doubts[cid] = parse_backing(kept)
            self.dirty.add(cid)  # its stored state may predate what it depends on now
        for claim_id, source_id, stance, weight in store.backing(s, unkept):
            self._back(claim_id, source_id, weight, stance)

    # ------------------------------------------------------------------------------ changes

    def add_claim(self, claim_id: int, kind: str, state: str, text: str) -> None:
        self.info[claim_id] = [kind, state, 0.0, None, text]
        self.support[claim_id] = {}
        self.doubts[claim_id] = {}
        self.complete.add(claim_id)
        self.dirty.add(claim_id)

    def add_evidence(self, claim_id: int, source_id: int, weight: float, stance: str) -> None:
        if claim_id not in self.info:
            self._unknown_backing.add(claim_id)  # (its kept backing no longer holds: read it again)
        elif self._back(claim_id, source_id, weight, stance):
            self._changed_backing.add(claim_id)
            self._touch(claim_id)

    def take_backing(self) -> list[tuple[int, str | None]]:
        """(claim id, backing_text) of each claim whose backing changed since the last call, by id; None
        for a claim whose backing changed out of view (to be read from its evidence again)."""
        out: dict[int, str | None] = dict.fromkeys(self._unknown_backing)
        for cid in self._changed_backing - self._unknown_backing:
            out[cid] = backing_text(self.support[cid], self.doubts[cid])
        self._changed_backing.clear()
        self._unknown_backing.clear()
        return sorted(out.items())

    def _back(self, claim_id: int, source_id: int, weight: float, stance: str) -> bool:
        """Count one story's backing of a claim; whether that changed what the claim's backing is."""
        supports = stance in SUPPORT
        if supports:
            best = self.support[claim_id]
        elif stance == Stance.doubts:
            best = self.doubts[claim_id]
        else:
            return False
        if weight <= best.get(source_id, -1.0):
            return False
        made = self._backing.get(claim_id) if supports else None
        if made is not None:
            if source_id in best:
                del self._backing[claim_id]  # (made again when next needed)
            else:  # a new source comes last, as it does in `support`
                made.append(Backing(source_id, self.grades.get(source_id, "F"), weight))
        best[source_id] = weight
        return True

    def add_link(self, link: LinkRow) -> None:
        """A link just made (only active ones count)."""
        if link.status not in ACTIVE_LINK:
            return
        self._index_link(link)
        self.dirty.update((link.src_id, link.dst_id))
        if link.kind == LinkKind.contradicts:  # two answers of one question may now conflict
            self._touch(link.src_id)
            self._touch(link.dst_id)

    def set_grade(self, source_id: int, grade: str) -> None:
        before = self.grades.get(source_id)
        self.grades[source_id] = grade
        if before is not None and before != grade:  # (rare: only a grade given on the command line)
            self._backing.clear()
            self.dirty.update(self.info)

    def set_analyst_state(self, claim_id: int, state: str | None) -> None:
        self.info[claim_id][3] = state
        self.dirty.add(claim_id)

    def _touch(self, claim_id: int) -> None:
        """The claim's backing or state changed: so may what it and its neighbours derive."""
        self.dirty.add(claim_id)
        rows = self.link_rows
        for lid in self.links.get(claim_id, ()):
            ln = rows[lid]
            self.dirty.add(ln.dst_id if ln.src_id == claim_id else ln.src_id)

    # ------------------------------------------------------------------------------ deriving

    def _touching(self, claim_ids: Iterable[int]) -> list[LinkRow]:
        ids = sorted({lid for c in claim_ids for lid in self.links.get(c, ())})
        return [self.link_rows[i] for i in ids]

    def _own(self, claim_id: int) -> list[Backing]:
        found = self._backing.get(claim_id)
        if found is None:
            grades = self.grades
            found = self._backing[claim_id] = [
                Backing(src, grades.get(src, "F"), w) for src, w in self.support[claim_id].items()
            ]
        return found

    def _inputs(self, cid: int) -> Inputs:
        """What lifecycle needs for a claim: its backing, its linked claims' backing, decisions."""
        kind, _, _, analyst, _ = self.info[cid]
        grades = self.grades
        inp = Inputs(
            kind=kind,
            support=list(self._own(cid)),
            doubts=[Backing(src, grades.get(src, "F"), w) for src, w in self.doubts[cid].items()],
            analyst_state=analyst,
        )
        answers: list[int] = []
        rows = self.link_rows
        for lid in self.links.get(cid, ()):
            ln = rows[lid]
            other = ln.dst_id if ln.src_id == cid else ln.src_id
            if ln.kind == LinkKind.same_as:
                inp.support += self._own(other)
            elif ln.kind == LinkKind.contradicts:
                inp.opposition += self._own(other)
            elif ln.kind == LinkKind.answers and ln.dst_id == cid:
                answers.append(ln.src_id)
            elif ln.kind == LinkKind.triggers and ln.dst_id == cid:
                inp.triggered = True
        for a in answers:
            inp.answers += self._own(a)
            inp.answered_confirmed |= self.info[a][1] == State.confirmed
        if len(answers) > 1:  # answers conflict when two of them contradict each other
            them = set(answers)
            inp.answers_conflict = any(
                (ln := rows[lid]).kind == LinkKind.contradicts and ln.src_id in them and ln.dst_id in them
                for a in answers
                for lid in self.links.get(a, ())
            )
        return inp

    def recompute(
        self,
        claim_ids: set[int],
        reasons: Mapping[int, str],
        new_ids: set[int],
        at_published: datetime,
        at_ingested: datetime,
        story_id: int | None = None,
        analyst: str | None = None,
        force_event: set[int] | None = None,
    ) -> tuple[list[Change], list[tuple[int, str | None, str, float]], list[dict]]:
        """Derive the state of each claim (and of the claims its change moves: the questions it answers,
        the claims it contradicts or repeats); returns the changes, the claims that moved as (id, state
        before or None for a new claim, state, confidence), and their events. The view takes the new
        states."""
        links = self._touching(claim_ids)
        # A changed fact changes the questions it answers and the claims it contradicts or repeats.
        ids = claim_ids | {ln.dst_id for ln in links if ln.src_id in claim_ids}
        ids |= {ln.src_id for ln in links if ln.dst_id in ids and ln.kind != LinkKind.answers}
        forced = force_event or set()
        derived = [
            (cid, lifecycle.derive(self._inputs(cid)))
            for cid in sorted(ids)
            if cid in self.dirty or cid in new_ids or cid in forced
        ]
        changes: list[Change] = []
        updates: list[tuple[int, str | None, str, float]] = []
        events: list[dict] = []
        for cid, (state, conf, rule) in derived:
            self.dirty.discard(cid)
            kind, old_state, old_conf, _, text = self.info[cid]
            conf = round(conf, 4)
            is_new = cid in new_ids
            if not (is_new or state != old_state or abs(conf - old_conf) >= 0.005 or cid in forced):
                continue
            updates.append((cid, None if is_new else old_state, state, conf))
            action = _action(None if is_new else old_state, state, kind)
            if cid in forced and action == "confidence" and state == old_state:
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
            changes.append(Change(cid, text, action, None if is_new else old_state, state, reason))
        for cid, _, state, conf in updates:
            info = self.info[cid]
            if info[1] != state:
                self._touch(cid)  # a question's answer being confirmed, say, counts for the question
                self.dirty.discard(cid)
            info[1], info[2] = state, conf
        return changes, updates, events


def backing_text(support: Mapping[int, float], doubts: Mapping[int, float]) -> str:
    """A claim's backing as kept on its row: "source weight" pairs in the order the sources first gave
    it, those supporting it, then "|" and those doubting it ("12 1.0 40 0.85|7 1.0")."""
    return "|".join(" ".join(f"{src} {w!r}" for src, w in part.items()) for part in (support, doubts))


def parse_backing(text: str) -> tuple[dict[int, float], dict[int, float]]:
    """`backing_text` read back: (support, doubts), each source -> its best story weight."""
    support, _, doubts = text.partition("|")
    return _pairs(support), _pairs(doubts)


def _pairs(text: str) -> dict[int, float]:
    words = iter(text.split())
    return {int(src): float(w) for src, w in zip(words, words, strict=True)}


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
