"""Entity curation as analyst judgements: aliases, merges (undoable), not-same pairs and kinds.

Judgements are rows, never rewritten: an unmerge marks the merge undone and restores exactly the alias
and mention rows it moved. Every judgement writes an event, so merges show in `kb diff`."""

from __future__ import annotations

import json

from sqlmodel import Session

from kb.db import CURATIONS
from kb.errors import DecisionError
from kb.pipeline import analyst_name
from kb.resolve import alias_key
from kb.store import Store, utcnow

KINDS = ("organisation", "product", "model", "person", "place", "regulation", "unknown")


def _event(store: Store, s: Session, entity_id: int, action: str, reason: str, analyst: str) -> None:
    store.add_counts(s, {CURATIONS: 1})  # tells running ingests that what they cached about entities moved
    now = utcnow()
    store.add_event(
        s,
        entity_id=entity_id,
        action=action,
        at_published=now,
        at_ingested=now,
        analyst=analyst,
        reason=reason,
    )


def add_alias(store: Store, entity_id: int, alias: str, analyst: str | None = None) -> None:
    """Make `alias` a name of the entity; a name another entity holds is refused."""
    key = alias_key(alias)
    if not key:
        raise DecisionError(f"{alias!r} is not a usable name")
    with store.transaction() as s:
        if not store.add_alias(s, entity_id, alias, key, "analyst"):
            raise DecisionError(f"{alias!r} already names an entity", hint="merge the two entities instead")
        _event(store, s, entity_id, "alias", f"alias {alias!r} added", analyst or analyst_name())


def merge(store: Store, keep: int, other: int, because: str, analyst: str | None = None) -> None:
    """Merge `other` into `keep`: its aliases and claims move over; `unmerge` undoes it."""
    analyst = analyst or analyst_name()
    if keep == other:
        raise DecisionError("an entity cannot be merged into itself")
    with store.transaction() as s:
        a, b = store.entity(s, keep), store.entity(s, other)
        assert a is not None and b is not None
        if a.merged_into is not None or b.merged_into is not None:
            raise DecisionError(
                f"{b.name if b.merged_into else a.name} is already merged into another entity"
            )
        if store.active_judgement(s, "not_same", keep, other):
            raise DecisionError(
                f"{a.name} and {b.name} were judged not the same",
                hint="that judgement stands; record the reason if it has changed",
            )
        moved = store.move_entity(s, keep, other)
        store.add_judgement(
            s,
            kind="merge",
            entity_id=keep,
            other_id=other,
            analyst=analyst,
            reason=because,
            moved=json.dumps(moved),
            created_at=utcnow(),
        )
        _event(store, s, other, "merged", f"{b.name} merged into {a.name}: {because}", analyst)


def unmerge(store: Store, other: int, because: str, analyst: str | None = None) -> str:
    """Undo the merge that folded `other` into another entity; returns that entity's name."""
    analyst = analyst or analyst_name()
    with store.transaction() as s:
        judgement = store.active_judgement(s, "merge", other)
        if judgement is None:
            raise DecisionError("that entity is not merged into another")
        store.restore_entity(s, judgement.entity_id, other, json.loads(judgement.moved))
        store.undo_judgement(s, judgement.id or 0)
        keep = store.entity(s, judgement.entity_id)
        name = keep.name if keep else "?"
        _event(store, s, other, "unmerged", f"unmerged from {name}: {because}", analyst)
        return name


def not_same(store: Store, a: int, b: int, because: str, analyst: str | None = None) -> None:
    """Record that two entities are different: they are never merged, by hand or by fuzzy matching."""
    analyst = analyst or analyst_name()
    if a == b:
        raise DecisionError("an entity is the same as itself")
    with store.transaction() as s:
        if store.active_judgement(s, "merge", b) or store.active_judgement(s, "merge", a):
            raise DecisionError("one of them is merged; unmerge it first")
        if store.active_judgement(s, "not_same", a, b):
            return
        store.add_judgement(
            s, kind="not_same", entity_id=a, other_id=b, analyst=analyst, reason=because, created_at=utcnow()
        )
        _event(store, s, a, "not_same", f"judged not the same as entity #{b}: {because}", analyst)


def set_kind(store: Store, entity_id: int, kind: str, analyst: str | None = None) -> None:
    if kind not in KINDS:
        raise DecisionError(f"unknown kind {kind!r}", hint=f"choose one of {', '.join(KINDS)}")
    with store.transaction() as s:
        store.set_entity_kind(s, entity_id, kind)
        _event(store, s, entity_id, "kind", f"kind set to {kind}", analyst or analyst_name())


def decide_suggestion(
    store: Store, judgement_id: int, accept: bool, because: str, analyst: str | None = None
) -> str:
    """Accept (merge the new entity into the known one) or reject (keep them apart) an entity suggestion."""
    with store.transaction() as s:
        j = store.judgement(s, judgement_id)
        if j is None or j.kind != "suggested" or j.undone_at is not None:
            raise DecisionError(
                f"no open entity suggestion e{judgement_id}", hint="list them with: kb review"
            )
        keep, other = j.entity_id, j.other_id
        store.undo_judgement(s, judgement_id)
    if accept:
        merge(store, keep, other, because or "accepted suggestion", analyst)
        return "merged"
    not_same(store, keep, other, because or "rejected suggestion", analyst)
    return "kept apart"
