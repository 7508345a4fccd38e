"""Watch-lists: what to keep looking for, with keywords for alerting tools and a priority with a reason."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

from kb.models import KNOWN
from kb.store import Store
from kb.text import STOP, fold, strip_hedges, wanted_answers

STATUSES = ("open", "triggered", "all")
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


def watchlist(
    store: Store, now: datetime, entity_id: int | None = None, status: str = "open", stale_days: int = 30
) -> list[dict]:
    """Open questions, watch items, monitored entities and stale claims, highest priority first.
    `status` "open" keeps what still needs watching (open and triggered), "triggered" only what a later
    story touched, "all" also what is resolved or closed."""
    claims = store.claim_rows(entity_id=entity_id)
    by_id = {c["id"]: c for c in claims}
    entities = {e["name"]: e for e in store.entity_rows()}
    touches = store.entity_story_times()
    last_event = store.last_event_times()
    biggest = max((e["claims"] for e in entities.values()), default=1) or 1
    items = []
    for c in claims:
        if c["kind"] == "question":
            items.append(_question(c, store, by_id))
        elif c["kind"] == "watch":
            items.append(_watch(c, store))
        elif c["state"] == "reported" and _stale(c, now, stale_days):
            items.append(_item(c, "stale", "open", wants="another independent source"))
    if entity_id is None:
        items += [_entity(e) for e in entities.values()]
    else:
        items += [_entity(e) for e in entities.values() if e["id"] == entity_id]
    for item in items:
        _prioritise(item, entities, touches, last_event, biggest, now)
    keep = {"open": {"open", "triggered"}, "triggered": {"triggered"}, "all": None}[status]
    items = [i for i in items if keep is None or i["status"] in keep]
    return sorted(items, key=lambda i: (-i["priority"], i["type"], i["id"]))


def _item(c: dict, kind: str, status: str, wants: str = "", answer: str = "") -> dict:
    return {
        "id": f"{kind}:{c['id']}",
        "type": kind,
        "claim_id": c["id"],
        "text": c["text"],
        "entities": c["entities"],
        "keywords": [],
        "status": status,
        "priority": 0,
        "priority_reason": "",
        "opened": c["first_seen"],
        "last_activity": c["last_seen"],
        "wants": wants,
        "answer": answer,
        "state": c["state"],
        "confidence": c["confidence"],
    }


def _question(c: dict, store: Store, by_id: dict[int, dict]) -> dict:
    wants = ", ".join(WANTS[w] for w in sorted(wanted_answers(c["text"])))
    resolved = c["state"] in KNOWN
    answers = [by_id[a]["text"] if a in by_id else _text(store, a) for a in c["answered_by"]]
    item = _item(c, "question", "resolved" if resolved else "open", wants, " | ".join(answers))
    item["keywords"] = _keywords(strip_hedges(c["text"]), c["entities"])
    return item


def _watch(c: dict, store: Store) -> dict:
    status = {"triggered": "triggered", "closed": "closed"}.get(c["state"], "open")
    item = _item(c, "watch", status, "a story on it")
    item["keywords"] = _keywords(c["text"], c["entities"])
    if status == "triggered":
        item["answer"] = " | ".join(store.triggering_stories(c["id"]))
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


def _text(store: Store, claim_id: int) -> str:
    rows = store.claim_rows(ids=[claim_id])
    return rows[0]["text"] if rows else ""


def _stale(c: dict, now: datetime, days: int) -> bool:
    publishers = {s["publisher"] for s in c["sources"] if s["stance"] in ("asserts", "supports")}
    seen = _time(c["last_seen"])
    return len(publishers) == 1 and seen is not None and now - seen > timedelta(days=days)


def _keywords(text: str, entity_names: list[str]) -> list[str]:
    """Words to monitor: the entities' names, then the text's distinctive words."""
    names = {fold(n) for n in entity_names}
    words = []
    for w in re.findall(r"[\w][\w'\-]+", fold(text)):
        w = w.removesuffix("'s")
        if w not in STOP and len(w) > 3 and w not in names and not w.isdigit() and w not in words:
            words.append(w)
    return [*entity_names, *words[:8]]


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _prioritise(
    item: dict,
    entities: dict[str, dict],
    touches: dict[str, list[datetime]],
    last_event: dict[int, datetime],
    biggest: int,
    now: datetime,
) -> None:
    """Priority 0-100 from how central its entities are (40%), how many stories touched them since it
    was opened (35%) and how long it has been open (25%), with the reason in words."""
    opened = _time(item["opened"])
    central = max(item["entities"], key=lambda n: entities.get(n, {}).get("claims", 0), default=None)
    count = entities.get(central, {}).get("claims", 0) if central else 0
    times = sorted({t for n in item["entities"] for t in touches.get(n, [])})
    since = [t for t in times if opened is None or t > opened]
    days = (now - opened).days if opened else 0
    score = (
        0.40 * math.log1p(count) / math.log1p(biggest)
        + 0.35 * min(1.0, len(since) / 5)
        + 0.25 * min(1.0, days / 90)
    )
    item["priority"] = round(100 * score)
    parts = [f"{central} in {count} claims" if central else "no entity"]
    parts.append(f"{len(since)} stories since opened" if opened else f"{len(times)} stories")
    if opened:
        parts.append(f"open {days} days")
    item["priority_reason"] = "; ".join(parts)
    latest = [t for t in (last_event.get(item["claim_id"]) if item["claim_id"] else None, *times[-1:]) if t]
    if latest:
        item["last_activity"] = max(latest).isoformat()
