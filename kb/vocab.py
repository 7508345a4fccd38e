"""What claims, links and evidence can be: the knowledge graph's vocabulary, without the tables (kb.models),
so that what reads and prepares stories needs no database library."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Kind(StrEnum):
    fact = "fact"
    question = "question"
    watch = "watch"


class State(StrEnum):
    reported = "reported"
    corroborated = "corroborated"
    confirmed = "confirmed"
    disputed = "disputed"
    refuted = "refuted"
    unclear = "unclear"
    watching = "watching"
    triggered = "triggered"
    closed = "closed"


KNOWN = frozenset({State.reported, State.corroborated, State.confirmed})


class Stance(StrEnum):
    asserts = "asserts"  # the story states the claim
    questions = "questions"  # the story lists it as unclear
    watches = "watches"  # the story lists it to watch
    supports = "supports"  # another story repeats it (corroboration)
    doubts = "doubts"  # a later story lists the known claim as unclear


class LinkKind(StrEnum):
    same_as = "same_as"
    answers = "answers"
    contradicts = "contradicts"
    triggers = "triggers"  # a later fact touches a watch item


class LinkStatus(StrEnum):
    auto = "auto"
    suggested = "suggested"
    accepted = "accepted"
    rejected = "rejected"


ACTIVE_LINK = frozenset({LinkStatus.auto, LinkStatus.accepted})


@dataclass(frozen=True)
class Moment:
    """A point in time on one of the two clocks: when things happened in the world ("published") or
    when the KB learnt them ("ingested")."""

    at: datetime
    clock: str = "ingested"
