"""Claim states, the transitions analysts may make, and confidence derived from evidence.

A claim's state is a function of its evidence, its active links and the analyst's last decision; this
module computes it and never reads or writes storage.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from kb.errors import DecisionError
from kb.vocab import Kind, State

# Admiralty source grades -> chance that a single report from such a source is right. F ("reliability
# cannot be judged") sits between "fairly" and "not usually" reliable.
RELIABILITY = {"A": 0.9, "B": 0.8, "C": 0.7, "D": 0.5, "E": 0.35, "F": 0.6}
PRELIMINARY_WEIGHT = 0.85  # a story that calls itself preliminary counts for less
DOUBT_WEIGHT = 0.25  # a later "still unclear" takes off up to a quarter of the confidence

# ICD 203 estimative language, upper bounds.
ESTIMATIVE = [
    (0.05, "almost no chance"),
    (0.20, "very unlikely"),
    (0.45, "unlikely"),
    (0.55, "roughly even chance"),
    (0.80, "likely"),
    (0.95, "very likely"),
    (1.01, "almost certain"),
]

# Analyst decisions: command -> the state it sets, and the kinds it applies to.
DECISIONS: dict[str, tuple[State, frozenset[Kind]]] = {
    "promote": (State.reported, frozenset({Kind.question, Kind.fact})),
    "confirm": (State.confirmed, frozenset({Kind.question, Kind.fact})),
    "dispute": (State.disputed, frozenset({Kind.question, Kind.fact})),
    "refute": (State.refuted, frozenset({Kind.question, Kind.fact})),
    "close": (State.closed, frozenset({Kind.watch})),
    "trigger": (State.triggered, frozenset({Kind.watch})),
}


def words_for(confidence: float) -> str:
    """The ICD 203 words for a probability."""
    for bound, words in ESTIMATIVE:
        if confidence < bound:
            return words
    return ESTIMATIVE[-1][1]


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


class Backing(NamedTuple):
    """One story's backing of a claim: who said it and how much that counts."""

    source_id: int
    reliability: str = "F"
    story_weight: float = 1.0  # below 1 for a story that calls itself preliminary

    @property
    def weight(self) -> float:
        return RELIABILITY.get(self.reliability, RELIABILITY["F"]) * self.story_weight


@dataclass
class Inputs:
    """Everything a claim's state depends on, gathered by the caller from the store."""

    kind: str
    support: list[Backing] = field(default_factory=list)  # the claim's own and same_as claims' backing
    opposition: list[Backing] = field(default_factory=list)  # backing of claims that contradict it
    doubts: list[Backing] = field(default_factory=list)  # later briefs listing it as unclear
    answers: list[Backing] = field(default_factory=list)  # for questions: backing of the answering claims
    answers_conflict: bool = False
    answered_confirmed: bool = False
    triggered: bool = False  # for watch items: a later story touched it
    analyst_state: str | None = None


def combined(backings: Iterable[Backing]) -> float:
    """Chance that at least one independent source is right; stories from one outlet count once."""
    best: dict[int, float] = {}
    reliability, unjudged = RELIABILITY.get, RELIABILITY["F"]
    for source_id, grade, story_weight in backings:  # (Backing.weight, inlined: claims have hundreds)
        w = reliability(grade, unjudged) * story_weight
        if w > best.get(source_id, 0.0):
            best[source_id] = w
    miss = 1.0
    for w in best.values():
        miss *= 1.0 - w
    return 1.0 - miss


def independent(backings: Iterable[Backing]) -> int:
    return len({b.source_id for b in backings})


def _against(p_for: float, p_against: float) -> float:
    """Odds combination of support and opposition (equal weights give an even chance); opposition never
    raises confidence, however unreliable its source."""
    if p_against <= 0:
        return p_for
    yes = p_for * (1 - p_against)
    no = p_against * (1 - p_for)
    return min(p_for, yes / (yes + no)) if yes + no else 0.5


def derive(inp: Inputs) -> tuple[str, float, str]:
    """(state, confidence, rule) for a claim."""
    state: str
    if inp.kind == Kind.watch:
        state = State.triggered if inp.triggered else State.watching
        conf, rule = combined(inp.support), "touched by a later story" if inp.triggered else "listed to watch"
    elif inp.kind == Kind.question:
        state, conf, rule = _question(inp)
    else:
        state, conf, rule = _fact(inp)
    return _analyst(inp, state, conf, rule)


def _known(backings: list[Backing], confirmed: bool = False) -> tuple[State, str]:
    if confirmed or any(b.reliability == "A" for b in backings):
        return State.confirmed, "backed by a primary or official source"
    sources = independent(backings)
    if sources >= 2:
        return State.corroborated, f"{sources} independent sources"
    return State.reported, "one source"


def _fact(inp: Inputs) -> tuple[str, float, str]:
    p = combined(inp.support)
    doubt = 1 - DOUBT_WEIGHT * combined(inp.doubts)
    if inp.opposition:
        return State.disputed, _against(p, combined(inp.opposition)) * doubt, "contradicted by another source"
    state, rule = _known(inp.support)
    conf = p * doubt
    if inp.doubts:
        rule += "; listed as unclear by a later brief"
    if state == State.confirmed:
        conf = max(conf, 0.95)
    return state, conf, rule


def _question(inp: Inputs) -> tuple[str, float, str]:
    if not inp.answers:
        return State.unclear, 0.0, "open question"
    p = combined(inp.answers)
    if inp.answers_conflict:
        return State.disputed, _against(p, p), "answers conflict"
    state, rule = _known(inp.answers, inp.answered_confirmed)
    if state == State.confirmed:
        p = max(p, 0.95)
    return state, p, f"answered; {rule}"


def _analyst(inp: Inputs, state: str, conf: float, rule: str) -> tuple[str, float, str]:
    if not inp.analyst_state or inp.analyst_state == state:
        return state, conf, rule
    decided = State(inp.analyst_state)
    if decided == State.reported and state in (State.corroborated, State.confirmed):
        return state, conf, rule  # a promotion is a floor, not a ceiling
    conf = {
        State.confirmed: max(conf, 0.95),
        State.refuted: min(conf, 0.02),
        State.disputed: min(conf, 0.5),
        State.reported: max(conf, RELIABILITY["F"]),
    }.get(decided, conf)
    return decided, conf, "analyst decision"


def check_decision(action: str, kind: str) -> State:
    """The state an analyst decision sets, or DecisionError if it does not apply to this kind."""
    if action not in DECISIONS:
        raise DecisionError(f"unknown decision {action!r}")
    state, kinds = DECISIONS[action]
    if Kind(kind) not in kinds:
        allowed = ", ".join(sorted(a for a, (_, k) in DECISIONS.items() if Kind(kind) in k))
        raise DecisionError(f"cannot {action} a {kind}", hint=f"for a {kind} use: {allowed}")
    return state
