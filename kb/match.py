"""Claim matching: does an incoming claim repeat, answer or contradict an existing one?

Claims are compared as features: content terms (hedges, attributions and entity names removed, light
stemming, a small lexicon of news synonyms), the entities they name, the figures they carry and their
polarity. A question additionally says what kind of answer it wants (a figure, a name, a date, a ruling,
a reaction, a yes/no); a fact answers it only when it supplies that kind of evidence about the same
subject. Scores are in [0, 1]; the caller compares them with the thresholds in settings.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any, NamedTuple

from rapidfuzz import fuzz

from kb.text import SENTENCES, STOP, fold, split_attribution, strip_hedges, wanted_answers

# Words that carry a question's wanted answer type rather than its topic; they count half in coverage.
CUE_WORDS = frozenset(
    """
scale size amount revenue revenues figure figures number share market percentage proportion value valuation
cost price deadline timeline timing date respond response react reaction regulatory regulation status names
identity identities whether
""".split()
)

# A small lexicon of news synonyms: each word maps to its family's first word.
_FAMILIES = [
    "breach break broke broken violate violated violation violations infringe infringed infringement "
    "contravene",
    "find found conclude concluded conclusion determine determined rule ruled",
    "fine fined fines penalty penalties penalise penalize penalised penalized levy",
    "sell sells sold sale sales offer offers offered provide provides provided supply supplies buy buys "
    "bought purchase purchases",
    "use uses used using rely relies relied depend depends depended employ employs leverage leverages "
    "utilise utilize",
    "partner partners partnership partnerships ally alliance",
    "customer customers client clients buyer buyers",
    "prefer prefers preferred preference favour favor favours favors favoured favored choose chooses chose "
    "chosen opt opts opted pick picks picked",
    "concern concerns concerned worry worries worried alarm alarms fear fears warn warned warning warnings",
    "premium high-end top-end upmarket",
    "grow grows growing grew growth expand expands expanding expansion increase increases rise rising",
    "comply complies compliance complying adhere conform",
    "appeal appeals appealed challenge contest",
    "respond responds responded response react reacts reacted reaction reply replied retaliate",
    "law laws rule rules regulation regulations legislation requirement requirements",
    "exclusive exclusively only solely sole",
    "combination alongside addition besides together",
    "large big substantial significant sizeable sizable major",
    "announce announced announces unveil unveiled launch launched launches release released releases",
    "deal agreement contract",
    "ban banned bans prohibit prohibited block blocked",
    "approve approved approval license licence licensed licences licenses permit permitted",
    "chip chips semiconductor semiconductors",
    "cloud clouds",
    "model models",
    "plan plans planned planning intend intends",
    "domestic homegrown home-grown indigenous local",
]
SYNONYM = {w: f.split()[0] for f in _FAMILIES for w in f.split()}

NEGATION = re.compile(
    r"\b(?:not|no|never|none|neither|nor|without|n't|cannot|den(?:y|ies|ied)|false|"
    r"untrue|refute[sd]?|retract(?:s|ed)?|rul(?:e|es|ed) out)\b|n't\b"
)
_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*")

_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_SCALE = r"(?:\s*(?:thousand|million|billion|trillion|bn|mn|m|b|k)\b)?"
_MONEY = re.compile(
    rf"(?:(?:us\$|\$|€|£|¥|usd|eur|rmb|cny|gbp)\s?{_NUM}{_SCALE})|"
    rf"(?:{_NUM}{_SCALE}\s*(?:dollars|euros|euro|pounds|yuan|renminbi|yen|usd|eur|rmb|cny|gbp))"
)
_PERCENT = re.compile(rf"{_NUM}\s*(?:%|percent|per cent|percentage points?)")
_WORDNUM = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|sixty|"
    r"ninety|a few|several)"
)
_DURATION = re.compile(
    rf"(?:{_NUM}|{_WORDNUM})[\s-]+(?:business\s+)?(?:days?|weeks?|months?|years?|hours?|quarters?)\b"
)
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DATE = re.compile(
    rf"\b(?:(?:by|until|before|from|on|starting|deadline of)\s+(?:\d{{1,2}}\s+)?(?:{_MONTHS})\b|"
    rf"(?:{_MONTHS})\s+\d{{1,2}}\b|\d{{4}}-\d{{2}}-\d{{2}}|\bby\s+(?:the\s+end\s+of\s+)?\d{{4}}\b)"
)
_COUNT = re.compile(rf"(?<![\w$€£¥.,\-]){_NUM}(?!\s*(?:%|percent|per cent))(?![\d.,]|[^\W\d_])")
_YEAR = re.compile(r"^(?:19|20)\d\d$")

SPEECH = frozenset(
    """
said says say called calls criticised criticized criticise criticize condemned condemns warned warns
threatened threatens vowed vows welcomed welcomes responded responds reacted reacts retaliated announced
denounced praised urged pledged rejected dismissed accused described labelled labeled slammed
""".split()
)
_SPEECH = re.compile(r"\b(?:" + "|".join(sorted(SPEECH)) + r")\b")
RULE_WORDS = frozenset(
    """
licence license licensed licences licenses approval approve approved permit permitted ban banned restrict
restricted restriction restrictions rule rules ruling regulation regulations regulator regulators regulatory
law laws legal requirement requirements require required certify certified certification register registered
registration filing filed sanction sanctions compliant clearance cleared authorised authorized authorisation
authorization
""".split()
)


EMPTY: frozenset = frozenset()


@dataclass(frozen=True)
class Figure:
    kind: str  # money, percent, duration, date, count
    text: str
    value: float | None = None


_LAZY = frozenset(
    {"figures", "negated", "wants", "excluded", "figure_kinds", "counts", "figure_key", "topic", "cues"}
)
_LAZY |= {"speech", "alternatives", "around", "about"}


class _Keys(dict[Any, str]):
    """Strings made once for each key and shared by every claim (hashed once, not once per claim): the
    first four letters of a term, an entity's weight key ("@id")."""

    def __init__(self, make: Callable[[Any], str]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: Any) -> str:
        if len(self) >= 1_000_000:  # (a bound for a long-lived process; they are only a shortcut)
            self.clear()
        value = self[key] = self.make(key)
        return value


_HEADS = _Keys(lambda term: term[:4])
_EKEYS = _Keys(lambda entity: f"@{entity}")


class Features:
    """What matching needs to know about one claim. What is read from its text (figures, polarity, the
    answers a question wants, its "beyond X" terms) is given when the claim was prepared, or worked out
    when first needed: most candidates a claim meets are dismissed before that."""

    __slots__ = (
        "about",
        "alternatives",
        "around",
        "aside",
        "claim_id",
        "context",
        "counts",
        "cues",
        "ekeys",
        "entities",
        "excluded",
        "figure_key",
        "figure_kinds",
        "figures",
        "heads",
        "heads_for",
        "heads_weight",
        "kind",
        "negated",
        "source_id",
        "speech",
        "terms",
        "text",
        "topic",
        "total_for",
        "total_value",
        "wants",
    )

    claim_id: int
    kind: str  # fact, question, watch
    text: str
    terms: frozenset[str]
    entities: frozenset[int]
    context: frozenset[int]  # the story's main entities
    aside: frozenset[int]  # entities of a question's "beyond X" clauses
    source_id: int | None
    heads: frozenset[str]  # first four letters of each term: a cheap test for shared terms
    ekeys: tuple[str, ...]  # its entities as weight keys ("@id")
    heads_for: int  # the weights (`Weights.stamp`) `heads_weight` is for
    heads_weight: dict[str, float]
    total_for: int  # the weights (`Weights.stamp`) that `total_value`, its items' summed weight, is for
    total_value: float
    # Read from the text when first asked for:
    figures: tuple[Figure, ...]
    negated: bool
    wants: frozenset[str]  # answer types a question wants
    excluded: frozenset[str]  # a question's "beyond X" terms: known already, not asked
    figure_kinds: frozenset[str]
    counts: frozenset[float | None]  # the values of its counts ("contract 71")
    figure_key: list[tuple[str, float | None]]  # its figures, sorted, for telling if two claims' agree
    topic: list[str]  # a question's terms that are its topic, not the kind of answer it wants
    cues: list[str]  # ... and those naming the kind of answer
    speech: bool  # a fact reporting what someone said or did in response
    alternatives: tuple[frozenset[str], ...]  # the terms of each alternative of a yes/no question
    around: frozenset[int]  # its entities and its story's main entities
    about: frozenset[int]  # its entities, or its story's main entities if it names none

    def __init__(
        self,
        claim_id: int,
        kind: str,
        text: str,
        terms: frozenset[str],
        entities: frozenset[int],
        context: frozenset[int],
        aside: frozenset[int] = frozenset(),
        source_id: int | None = None,
        figures: tuple[Figure, ...] | None = None,
        negated: bool | None = None,
        wants: frozenset[str] | None = None,
        excluded: frozenset[str] | None = None,
    ) -> None:
        self.claim_id, self.kind, self.text, self.terms = claim_id, kind, text, terms
        self.entities, self.context, self.aside, self.source_id = entities, context, aside, source_id
        self.heads = frozenset(map(_HEADS.__getitem__, terms)) or EMPTY
        self.ekeys = tuple(map(_EKEYS.__getitem__, entities))
        self.heads_for = self.total_for = 0
        if figures is not None:
            self.figures = figures
        if negated is not None:
            self.negated = negated
        if wants is not None:
            self.wants = wants
        if excluded is not None:
            self.excluded = excluded

    def __getattr__(self, name: str) -> Any:
        if name not in _LAZY:
            raise AttributeError(name)
        question = self.kind == "question"
        value: Any
        if name == "figures":
            value = figures_of(self.text)
        elif name == "negated":
            value = is_negated(self.text) if self.kind == "fact" else False
        elif name == "wants":
            value = wanted_answers(self.text) if question else frozenset()
        elif name == "excluded":
            value = excluded_terms(self.text) if question else frozenset()
        elif name == "figure_kinds":
            value = frozenset(g.kind for g in self.figures) or EMPTY
        elif name == "counts":
            value = frozenset(g.value for g in self.figures if g.kind == "count") or EMPTY
        elif name == "figure_key":
            value = sorted((g.kind, g.value) for g in self.figures)
        elif name == "topic":
            value = [t for t in self.terms if t not in CUE_STEMS and t not in self.excluded]
        elif name == "cues":
            value = [t for t in self.terms if t in CUE_STEMS and t not in self.excluded]
        elif name == "speech":
            value = _speaks(self.text)
        elif name == "alternatives":
            value = _alternatives(self.text)
        elif name == "around":
            value = self.entities | self.context
        elif name == "about":
            value = self.entities or self.context
        else:
            raise AttributeError(name)
        setattr(self, name, value)
        return value

    def head_weights(self, weights: Weights) -> dict[str, float]:
        """Summed weights of its terms under each first four letters (kept while these are the weights)."""
        if self.heads_for != weights.stamp:
            out: dict[str, float] = {}
            for t in self.terms:
                out[t[:4]] = out.get(t[:4], 0.0) + weights[t]
            self.heads_weight, self.heads_for = out, weights.stamp
        return self.heads_weight

    def stored_as(self, claim_id: int, context: frozenset[int], aside: frozenset[int]) -> Features:
        """The same claim once stored: with its id, and the entities its mentions keep by role."""
        out = Features.__new__(Features)
        for name in _COPIED:
            with suppress(AttributeError):  # (a part not worked out yet)
                setattr(out, name, object.__getattribute__(self, name))
        out.claim_id, out.context, out.aside = claim_id, context, aside
        out.total_for = out.heads_for = 0
        return out


# What `stored_as` keeps: all but what depends on the claim's roles or on the weights.
_UNCOPIED = (
    "claim_id",
    "context",
    "aside",
    "around",
    "about",
    "total_for",
    "total_value",
    "heads_for",
    "heads_weight",
)
_COPIED = tuple(n for n in Features.__slots__ if n not in _UNCOPIED)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    word = word.strip("'-").removesuffix("'s")
    if word in SYNONYM:
        return SYNONYM[word]
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""), ("ly", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            base = word[: -len(suffix)] + keep
            for form in (base, base + "e"):  # "requiring" -> "require"
                if form in SYNONYM:
                    return SYNONYM[form]
            return base
    return word


RULE_STEMS = frozenset(stem(w) for w in RULE_WORDS)
CUE_STEMS = frozenset(stem(w) for w in CUE_WORDS)


def terms_of(text: str, names: Iterable[str] = ()) -> frozenset[str]:
    """Content terms of a sentence, without the entity names it mentions."""
    folded = fold(split_attribution(text)[0])
    for name in sorted(names, key=len, reverse=True):
        folded = folded.replace(fold(name), " ")
    out: set[str] = set()
    for w in _WORD.findall(folded):
        if w in STOP or w.isdigit() or len(w) < 2:
            continue
        if w in SYNONYM:
            out.add(SYNONYM[w])  # a compound the lexicon knows whole ("high-end")
            continue
        out.update(stem(p) for p in w.split("-") if p and p not in STOP and not p.isdigit() and len(p) > 1)
    return frozenset(out)


def _scaled(text: str) -> float | None:
    m = re.search(_NUM, text)
    if not m:
        return None
    value = float(m.group(0).replace(",", ""))
    for word, factor in (
        ("trillion", 1e12),
        ("billion", 1e9),
        ("bn", 1e9),
        ("million", 1e6),
        ("mn", 1e6),
        ("thousand", 1e3),
    ):
        if word in text[m.end() :]:
            return value * factor
    return value


@lru_cache(maxsize=SENTENCES)
def figures_of(text: str) -> tuple[Figure, ...]:
    """Money, percentages, durations, dates and counts in a sentence."""
    t = fold(text)
    out: list[Figure] = []
    taken: list[tuple[int, int]] = []
    digits = any(c.isdigit() for c in t)
    for kind, rx in (("money", _MONEY), ("percent", _PERCENT), ("duration", _DURATION), ("date", _DATE)):
        if not digits and kind in ("money", "percent"):
            continue  # (both need a number written in digits)
        for m in rx.finditer(t):
            out.append(Figure(kind, m.group(0), _scaled(m.group(0))))
            taken.append(m.span())
    for m in _COUNT.finditer(t) if digits else ():
        if any(a <= m.start() < b for a, b in taken) or _YEAR.match(m.group(0)):
            continue
        out.append(Figure("count", m.group(0), _scaled(m.group(0))))
    return tuple(out)


@lru_cache(maxsize=SENTENCES)
def is_negated(text: str) -> bool:
    return bool(NEGATION.search(fold(split_attribution(text)[0])))


@lru_cache(maxsize=1 << 18)
def _match_term(a: str, b: str) -> bool:
    if a == b:
        return True
    n = min(len(a), len(b))
    if n < 4:
        return False
    prefix = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        prefix += 1
    return prefix >= max(4, n - 2) or (n >= 6 and fuzz.ratio(a, b) >= 88)


def _matched(terms: Iterable[str], pool: frozenset[str], heads: frozenset[str] | None = None) -> list[str]:
    """The terms that some pool term matches (equal, or a variant sharing its first four letters);
    `heads` is the pool's first four letters of each term, when known."""
    if heads is None:
        heads = frozenset(p[:4] for p in pool)
    out = []
    for t in terms:
        if t in pool or ((head := t[:4]) in heads and any(p[:4] == head and _match_term(t, p) for p in pool)):
            out.append(t)
    return out


class Weights(dict[str, float]):
    """Weights of terms and of entities ("@id"); a key without one weighs 1. A subclass may work weights
    out when first asked for (`__missing__`)."""

    _made = itertools.count(1)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.stamp = next(self._made)

    def __missing__(self, key: str) -> float:
        return 1.0

    def total(self, f: Features) -> float:
        """Summed weights of a claim's items (kept on the claim while these are the weights)."""
        if f.total_for != self.stamp:
            f.total_value = sum(map(self.__getitem__, f.terms)) + sum(map(self.__getitem__, f.ekeys))
            f.total_for = self.stamp
        return f.total_value


NO_WEIGHTS = Weights()  # every term weighs 1


def idf_weights(
    df: Mapping[str, int], total: int, entity_df: Mapping[int, int] = MappingProxyType({})
) -> Weights:
    """Inverse document frequency of terms and of entities ("@id"): one in few claims weighs up to
    several times one in many."""
    weights = Weights({t: idf(n, total) for t, n in df.items()})
    weights.update({f"@{e}": idf(n, total) for e, n in entity_df.items()})
    return weights


def idf(n: int, total: int) -> float:
    """The weight of a term (or entity) found in `n` of `total` claims."""
    # The square root keeps a rare filler word ("still", "longtime") from outweighing the shared substance.
    return math.sqrt(math.log(1 + (total + 1) / (n + 0.5)))


def _total(terms: Iterable[str], weights: Weights) -> float:
    """Summed weights of the terms (1 for a term without one)."""
    return sum(map(weights.__getitem__, terms))


def _w(term: str, weights: Weights) -> float:
    return weights[term]


class Match(NamedTuple):
    kind: str  # same_as, answers, contradicts
    src: int  # the claim that repeats, answers or contradicts
    dst: int  # the claim it acts on
    score: float
    reason: str
    can_act: bool = True  # false when only an analyst should decide, whatever the score
    duplicate: bool = False  # says the same and nothing more: a repeat, stored as evidence only


def _items(f: Features) -> frozenset[str]:
    """A claim's content terms and the entities it is about (as "@id"), the units similarity counts."""
    return f.terms.union(f.ekeys)


def _dice_and_overlap(
    a: Features, b: Features, weights: Weights, matched: list[str] | None = None
) -> tuple[float, float]:
    """Weighted Dice of two claims' items, and the weighted share of the smaller claim that the other one
    covers (a restatement often adds a clause). Terms count when a variant matches; entities only when
    the same. `matched` is `a`'s terms that `b` matches, when known."""
    if not (a.terms or a.entities) or not (b.terms or b.entities):
        return 0.0, 0.0
    if matched is None:
        matched = _matched(a.terms, b.terms, b.heads)
    common = _total(matched, weights) + _total(map(_EKEYS.__getitem__, a.entities & b.entities), weights)
    ta, tb = weights.total(a), weights.total(b)
    return min(1.0, 2 * common / (ta + tb)), min(1.0, common / min(ta, tb))


def _blend(dice: float, overlap: float) -> float:
    return round(0.4 * dice + 0.6 * overlap, 3)


def similarity(a: Features, b: Features, weights: Weights = NO_WEIGHTS) -> float:
    """How far two claims say the same thing: weighted Dice (40%) and weighted overlap (60%) over their
    terms and entities, rare ones weighing more."""
    return _blend(*_dice_and_overlap(a, b, weights))


def _conflicting_figures(a: Features, b: Features) -> Figure | None:
    for fa in a.figures:
        for fb in b.figures:
            # Counts are left out: "contract 71" and "contract 1" name things, they do not disagree.
            comparable = fa.kind == fb.kind and fa.kind in ("money", "percent")
            if (
                comparable
                and fa.value
                and fb.value
                and abs(fa.value - fb.value) / max(fa.value, fb.value) > 0.1
            ):
                return fb
    return None


def may_contradict(new: Features, old: Features) -> bool:
    """Whether two claims could be found to contradict each other (`compare_statements`): two facts of
    opposite polarity, or both giving an amount or a share."""
    if new.kind != "fact" or old.kind != "fact":
        return False
    return new.negated != old.negated or not new.figure_kinds.isdisjoint(old.figure_kinds & _CONFLICTING)


def repeat_bound(new: Features, old: Features, shared_heads: frozenset[str], weights: Weights) -> float:
    """An upper bound of the score `compare_statements` can give two claims sharing these first four
    letters of terms: as if every term of `new` under those letters matched."""
    heads = new.head_weights(weights)
    common = sum(heads[h] for h in shared_heads) + _total(
        map(_EKEYS.__getitem__, new.entities & old.entities), weights
    )
    ta, tb = weights.total(new), weights.total(old)
    if ta <= 0 or tb <= 0:
        return 1.0
    bound = 0.4 * min(1.0, 2 * common / (ta + tb)) + 0.6 * min(1.0, common / min(ta, tb))
    return bound * (1 + 1e-9)  # (never below the score, whatever the order of its sums)


_CONFLICTING = frozenset({"money", "percent"})


def compare_statements(new: Features, old: Features, weights: Weights) -> Match | None:
    """same_as or contradicts between two claims of the same kind."""
    matched = _matched(new.terms, old.terms, old.heads)
    if len(matched) < 2:
        return None
    dice, overlap = _dice_and_overlap(new, old, weights, matched)
    if dice < 0.3:
        return None  # sharing entities is not saying the same thing
    counts_a, counts_b = new.counts, old.counts
    if counts_a and counts_b and counts_a.isdisjoint(counts_b):
        return None  # "contract 71" and "contract 1": different things, not one disputed
    sim = _blend(dice, overlap)  # similarity(new, old, weights)
    if new.kind == old.kind == "fact":
        if new.negated != old.negated:
            return Match(
                "contradicts", new.claim_id, old.claim_id, sim, "same statement with opposite polarity"
            )
        fig = _conflicting_figures(new, old)
        if fig is not None:
            return Match("contradicts", new.claim_id, old.claim_id, sim, f"conflicting figure ({fig.text})")
    if new.entities - old.entities and old.entities - new.entities:
        # "staff in Singapore and Canada" against "staff in Canada and Germany": each names what the other
        # does not, so they may not be one statement; an analyst decides.
        return Match(
            "same_as", new.claim_id, old.claim_id, sim, "similar, but about different entities", can_act=False
        )
    added = _added_figures(new, old)
    if added:
        # "fined X 500 million for breaching Y" repeats "X breached Y" but says more: an analyst decides.
        return Match(
            "same_as", new.claim_id, old.claim_id, sim, f"similar, but one adds {added}", can_act=False
        )
    same_figures = new.figure_key == old.figure_key
    duplicate = same_figures and dice >= 0.85
    return Match(
        "same_as", new.claim_id, old.claim_id, sim, f"same statement ({sim:.2f})", duplicate=duplicate
    )


def _added_figures(new: Features, old: Features) -> str:
    """Figures one claim gives and the other lacks (either way round, so arrival order does not matter)."""
    added = []
    for a, b in ((new, old), (old, new)):
        kinds = {g.kind for g in b.figures}
        added += [g.text for g in a.figures if g.kind not in kinds and g.kind != "date"]
    return ", ".join(added)


def _answer_evidence(q: Features, f: Features, entity_kinds: Mapping[int, str]) -> tuple[bool, str]:
    """Whether a fact supplies the kind of evidence the question wants, and which."""
    figures = f.figure_kinds
    for want in sorted(q.wants):
        if want in ("money", "percent", "count") and want in figures:
            return True, f"gives a figure ({next(g.text for g in f.figures if g.kind == want)})"
        if want == "time" and figures & {"duration", "date"}:
            return True, f"gives a time ({next(g.text for g in f.figures if g.kind in ('duration', 'date'))})"
        if want == "name":
            new = [
                e
                for e in f.entities - q.entities - q.context - q.aside
                if entity_kinds.get(e, "unknown") in ("organisation", "person", "unknown")
            ]
            if new:
                return True, "names an organisation not in the question"
        if want == "regulation":
            rules = (f.terms & RULE_STEMS) - q.excluded
            if rules or any(entity_kinds.get(e) == "regulation" for e in f.entities - q.entities):
                return True, "states a rule, licence or restriction"
        if want == "response" and q.entities & f.entities and f.speech:
            return True, "reports the subject's reaction"
    return False, ""


def _settles(q: Features, f: Features, topic: list[str], coverage: float, weights: Weights) -> float:
    """How far a statement settles a yes/no question (1, 0.5 or 0): it must carry the most distinctive
    term of the question ("appeal", "only"), or of one of its alternatives ("whether X or Y"), not just its
    topic. Another term of one alternative of several settles it halfway (an analyst decides)."""
    wanted = frozenset(topic)
    alternatives = [alt & wanted for alt in q.alternatives]
    alternatives = [alt for alt in alternatives if alt] or [wanted]
    several = len(alternatives) > 1
    if coverage < (0.3 if several else 0.5):
        return 0.0
    partial = 0.0
    for i, alt in enumerate(alternatives):
        top = max(_w(t, weights) for t in alt)
        found = _matched(alt, f.terms, f.heads)
        if any(_w(t, weights) >= top for t in found):
            return 1.0
        others = frozenset().union(*(a for j, a in enumerate(alternatives) if j != i))
        if several and set(found) - others:
            partial = 0.5  # a term only this alternative has ("combination"), not the shared subject
    return partial


@lru_cache(maxsize=SENTENCES)
def _alternatives(question: str) -> tuple[frozenset[str], ...]:
    """The terms of each alternative of a yes/no question ("whether X or Y")."""
    return tuple(terms_of(part) for part in re.split(r"\bor\b", _whether(question)))


@lru_cache(maxsize=SENTENCES)
def _speaks(text: str) -> bool:
    return bool(_SPEECH.search(fold(text)))


def _whether(question: str) -> str:
    q = strip_hedges(question)
    return q.split("whether", 1)[1] if "whether" in q else q


YES_NO = frozenset({"yesno", "statement"})  # questions a statement settles, rather than a kind of evidence
NAMED = frozenset({"response", "name"})  # answers that need not share the question's topic terms


def answer_score(
    q: Features, f: Features, entity_kinds: Mapping[int, str], weights: Weights = NO_WEIGHTS
) -> Match | None:
    """How well fact `f` answers question `q`: the wanted kind of evidence (35%), about the question's
    topic (35%, rare terms weighing more, terms naming the wanted answer half) and subject (30%). A
    question naming no subject of its own ("Names of partners beyond X") is about its story's main
    entities; two of them in the fact are enough."""
    subject = q.about
    needed = len(subject) if q.entities else min(2, len(subject))
    shared = subject & f.entities
    if not shared:
        return None
    topic, cues = q.topic, q.cues
    matched = _matched(topic, f.terms, f.heads)
    cue_weight = _total(cues, weights)
    cue_got = _total(_matched(cues, f.terms, f.heads), weights)
    if topic:
        weight = _total(topic, weights) + 0.5 * cue_weight
        coverage = (_total(matched, weights) + 0.5 * cue_got) / weight
    else:  # the question asks only for the wanted answer ("Regulatory status beyond X")
        coverage = 0.5 + 0.5 * (cue_got / cue_weight if cue_weight else 0.0)
    yesno = q.wants <= YES_NO
    if yesno:
        settled = _settles(q, f, topic, coverage, weights) if topic else 0.0
        ok = settled == 1.0
        why = "settles the yes/no question" if q.wants == {"yesno"} else "covers what it asks"
    else:
        ok, why = _answer_evidence(q, f, entity_kinds)
    ent_cov = min(1.0, len(shared) / needed)
    evidence = 1.0 if ok else (settled if yesno else 0.0)
    score = 0.35 * evidence + 0.35 * coverage + 0.30 * ent_cov
    if topic and not matched and q.wants.isdisjoint(NAMED):
        score *= 0.5  # a figure or a date about something else
    if not ok:
        score = min(score, 0.5)
    terms = ", ".join(sorted(matched)) or "none"
    return Match(
        "answers",
        f.claim_id,
        q.claim_id,
        round(score, 3),
        f"{why if ok else 'lacks the wanted evidence'}; topic terms shared: {terms}",
    )


def best_match(
    new: Features, old: Features, entity_kinds: Mapping[int, str], weights: Weights = NO_WEIGHTS
) -> Match | None:
    """The strongest relation between an incoming claim and an existing one, if any."""
    kind, other = new.kind, old.kind
    if kind == other:
        if len(new.heads & old.heads) < 2:
            return None  # fewer than two shared terms: not a repeat
        return compare_statements(new, old, weights)
    if kind == "fact":
        if other == "question":
            return answer_score(old, new, entity_kinds, weights)
        if other == "watch" and len(new.heads & old.heads) >= 2:  # two shared terms at least to touch it
            return trigger_score(old, new, weights)
        return None
    if kind == "question" and other == "fact":
        return answer_score(new, old, entity_kinds, weights)
    return None  # a watch item only meets watch items; a question never touches one


def trigger_score(watch: Features, fact: Features, weights: Weights = NO_WEIGHTS) -> Match | None:
    """Whether a later fact touches a watch item: about its subject, sharing at least two of its terms.
    Touching is not answering; only the watch item's state moves (to `triggered`)."""
    subject = watch.about
    shared = subject & fact.entities
    matched = _matched(watch.terms, fact.terms, fact.heads)
    if not shared or len(matched) < 2:
        return None
    coverage = _total(matched, weights) / _total(watch.terms, weights)
    score = 0.35 + 0.35 * min(1.0, 2 * coverage) + 0.30 * min(1.0, len(shared) / min(2, len(subject)))
    return Match(
        "triggers",
        fact.claim_id,
        watch.claim_id,
        round(score, 3),
        f"touches it: {', '.join(sorted(matched))}",
    )


_BEYOND = re.compile(
    r"\b(?:beyond|other than|apart from|besides|except(?: for)?|in addition to|aside from)\s+"
    r"([^,;.]*?)(?=\s+(?:is|are|was|were|has|have|remains?)\b|[,;.]|$)",
    re.IGNORECASE,
)


def aside_clauses(question: str) -> list[str]:
    """What a question says is already known and not asked: "Names of partners beyond 21Vianet" ->
    ["21Vianet"]."""
    return _BEYOND.findall(question)


@lru_cache(maxsize=SENTENCES)
def excluded_terms(question: str) -> frozenset[str]:
    """Terms of the question's "beyond X" clauses."""
    found = aside_clauses(strip_hedges(question))
    return terms_of(" ".join(found)) if found else frozenset()


def traits_of(f: Features) -> str:
    """What matching reads from a claim's text besides its terms (figures, polarity, a question's wanted
    answers, "beyond X" terms and alternatives), as stored with the claim: a candidate read back then
    needs none of that text work. Empty when the text has none of them."""
    out: dict[str, Any] = {}
    if f.negated:
        out["n"] = 1
    if f.figures:
        out["f"] = [[g.kind, g.text, g.value] for g in f.figures]
    if f.wants:
        out["w"] = sorted(f.wants)
    if f.excluded:
        out["x"] = sorted(f.excluded)
    if f.kind == "question" and f.wants <= YES_NO:  # (what `_settles` reads)
        out["a"] = [sorted(a) for a in f.alternatives]
    return json.dumps(out, ensure_ascii=False, separators=(",", ":")) if out else ""


def features(
    claim_id: int,
    kind: str,
    text: str,
    terms: frozenset[str],
    entities: frozenset[int],
    context: frozenset[int],
    source_id: int | None = None,
    aside: frozenset[int] = frozenset(),
    traits: str | None = None,
) -> Features:
    """Matching features of a claim whose terms were computed when it was stored, and its `traits_of`
    when they were too (without them, they are worked out from the text when first needed)."""
    if traits is None:
        return Features(claim_id, kind, text, terms, entities, context, aside, source_id)
    t = json.loads(traits) if traits else {}
    out = Features(
        claim_id,
        kind,
        text,
        terms,
        entities,
        context,
        aside,
        source_id,
        tuple(Figure(k, x, v) for k, x, v in t["f"]) if "f" in t else (),
        bool(t.get("n")),
        frozenset(t["w"]) if "w" in t else EMPTY,
        frozenset(t["x"]) if "x" in t else EMPTY,
    )
    if "a" in t:
        out.alternatives = tuple(frozenset(a) for a in t["a"])
    return out


def incoming(
    kind: str,
    text: str,
    terms: frozenset[str],
    entities: frozenset[int],
    context: frozenset[int],
    source_id: int | None,
    aside: frozenset[int],
    figures: tuple[Figure, ...],
    negated: bool,
    wants: frozenset[str],
    excluded: frozenset[str],
) -> Features:
    """Matching features of an incoming claim (id 0) whose text work was done when it was prepared."""
    return Features(
        0, kind, text, terms, entities, context, aside, source_id, figures, negated, wants, excluded
    )


def shortlist(
    terms: Iterable[str], postings: Mapping[str, Iterable[int]], weights: Weights, limit: int
) -> list[int]:
    """The `limit` claims sharing the most weight of terms with an incoming claim, from each term's
    posting list (newest claims first); ties go to the newer claim."""
    score: dict[int, float] = {}
    get = score.get
    for term in sorted(terms):  # in a fixed order, so that equal sums are equal to the last bit
        w = weights[term]
        for cid in postings.get(term, ()):
            score[cid] = get(cid, 0.0) + w
    if len(score) <= limit:
        return list(score)
    ids = sorted(score, reverse=True)  # newest first, then (a stable sort) by score
    ids.sort(key=score.__getitem__, reverse=True)
    return ids[:limit]


def claim_terms(kind: str, text: str, names: Iterable[str]) -> frozenset[str]:
    """The terms stored with a claim: a question's without its hedge ("... is not disclosed")."""
    return terms_of(strip_hedges(text) if kind == "question" else text, names)
