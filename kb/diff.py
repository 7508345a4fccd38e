"""What changed between two points in time, read from the event log, on either clock."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

from kb.store import Store
from kb.vocab import Moment

MARK_KEY = "diff_mark"
EPOCH = datetime(1970, 1, 1)
CLOCKS = ("ingested", "published")
_RELATIVE = re.compile(r"^(\d+)\s*(m|min|mins|minutes?|h|hours?|d|days?|w|weeks?)(?:\s+ago)?$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

# Actions in the order a report lists them.
ORDER = [
    "promoted",
    "corroborated",
    "disputed",
    "refuted",
    "confirmed",
    "reported",
    "reopened",
    "triggered",
    "closed",
    "created",
    "decision",
    "merged",
    "unmerged",
    "not_same",
    "alias",
    "kind",
    "confidence",
]


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def parse_when(text: str, current: datetime, mark: datetime | None) -> datetime:
    """A moment from what a user typed: an ISO date or time, "7d", "12h", "2w", "today", "yesterday",
    "now", or "last" (where the previous `kb diff --mark` left off). Times are UTC.
    Raises ValueError with a message saying what is accepted."""
    word = text.strip().casefold()
    if word == "last":
        if mark is None:
            raise ValueError("no mark yet: run `kb diff --mark` once to set one")
        return mark
    if word == "now":
        return current
    midnight = current.replace(hour=0, minute=0, second=0)
    if word == "today":
        return midnight
    if word == "yesterday":
        return midnight - timedelta(days=1)
    if m := _RELATIVE.match(word):
        return current - timedelta(**{_UNITS[m.group(2)[0]]: int(m.group(1))})
    from dateutil import parser as dateparser  # only for dates typed in full

    try:
        value = dateparser.isoparse(text.strip())
    except ValueError:
        try:
            value = dateparser.parse(text.strip())
        except (ValueError, OverflowError) as exc:
            raise ValueError(
                f"cannot read {text!r} as a time: use 2026-06-18, 2026-06-18T09:00, 7d, 12h, 2w, "
                "yesterday or last"
            ) from exc
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def mark_of(store: Store, clock: str = "ingested") -> datetime | None:
    """Where the previous `kb diff --mark` on this clock left off."""
    raw = store.meta(f"{MARK_KEY}:{clock}")
    return datetime.fromisoformat(raw) if raw else None


def set_mark(store: Store, at: datetime, clock: str = "ingested") -> None:
    store.set_meta(f"{MARK_KEY}:{clock}", at.isoformat())


def diff(
    store: Store,
    since: datetime,
    until: datetime,
    by: str = "ingested",
    entity_id: int | None = None,
    kind: str | None = None,
    min_move: float = 0.05,
) -> dict:
    """Changes to claims between `since` (exclusive) and `until` (inclusive) on the `by` clock, each with
    its cause, plus the entities first met in that span. Confidence moves smaller than `min_move` that
    change no state are left out."""
    if by not in CLOCKS:
        raise ValueError(f"--by must be one of {', '.join(CLOCKS)}")
    start, end = Moment(since, by), Moment(until, by)
    scope = store.claim_ids(entity_id=entity_id, kind=kind) if entity_id is not None or kind else None
    events = store.history(start, end, claim_ids=scope)
    changes = [_change(e, by) for e in events if _notable(e, min_move)]
    names = _entity_names(store, {c["claim_id"] for c in changes if c["claim_id"] is not None})
    for c in changes:
        c["entities"] = names.get(c["claim_id"], [])
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "by": by,
        "changes": changes,
        "new_entities": store.new_entities(start, end) if entity_id is None else [],
        "counts": dict(Counter(c["action"] for c in changes)),
    }


def _notable(event: dict, min_move: float) -> bool:
    if event["action"] != "confidence":
        return True
    old, new = event["from_confidence"] or 0.0, event["to_confidence"] or 0.0
    return abs(new - old) >= min_move


def _change(e: dict, by: str) -> dict:
    return {
        "claim_id": e["claim_id"],
        "entity_id": e["entity_id"],
        "text": e["text"] or e["reason"],
        "kind": e["kind"] or "entity",
        "action": e["action"],
        "from_state": e["from_state"],
        "to_state": e["to_state"],
        "from_confidence": e["from_confidence"],
        "to_confidence": e["to_confidence"],
        "at": e["at_published"] if by == "published" else e["at_ingested"],
        "at_published": e["at_published"],
        "at_ingested": e["at_ingested"],
        "cause": e["cause"],
        "reason": e["reason"],
    }


def _entity_names(store: Store, claim_ids: set[int]) -> dict[int, list[str]]:
    if not claim_ids:
        return {}
    return {c["id"]: c["entities"] for c in store.claim_rows(ids=sorted(claim_ids))}


def grouped(report: dict, by: str = "change") -> list[tuple[str, list[dict]]]:
    """The report's changes grouped for reading: by kind of change (in ORDER) or by entity."""
    groups: dict[str, list[dict]] = {}
    for c in report["changes"]:
        keys = (c["entities"] or ["(no entity)"]) if by == "entity" else [c["action"]]
        for key in keys:
            groups.setdefault(key, []).append(c)
    if by == "entity":
        return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0].casefold()))
    return sorted(groups.items(), key=lambda kv: ORDER.index(kv[0]) if kv[0] in ORDER else len(ORDER))
