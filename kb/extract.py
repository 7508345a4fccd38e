"""Entity mention spans from claim sentences: capitalised runs, product tokens ("GPT-4", "21Vianet") and
acronyms, split wherever a known alias stands inside a longer run."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from kb.resolve import alias_key
from kb.text import fold

# Capitalised words that start sentences or name no one.
STOPWORDS = frozenset(
    """
a an the this that these those its it their there here his her our your my we they he she i you and or but
nor so yet for of in on at by to from with as into onto over under about after before what which who whom
whose when where why how whether if while although though because since is are was were be been being has
have had do does did will would can could should may might must new more most many much some any all each
every both few other another such no not only also according reportedly meanwhile however moreover still
further furthermore additionally separately q a faq note update updates details detail names name coverage
reporting reports report sources source monday tuesday wednesday thursday friday saturday sunday january
february march april may june july august september october november december ai ceo cfo cto gdp ipo it ok
pm am tv llm llms api apis faq usd eur rmb yuan euros dollars
""".split()
)

_TOKEN = re.compile(r"[A-Za-z0-9\u00c0-\u024f][\w\u00c0-\u024f&'’.\-]*")
_ACRONYM = re.compile(r"^(?:[A-Z]\.){2,}$|^[A-Z][A-Z0-9&]{1,7}$")
_PRODUCTISH = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9][\w\-.]*$")
_CONTROL = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07]*\x07?|.)|[\x00-\x1f\x7f-\x9f]")
_JOINERS = frozenset({"of", "de", "du", "von", "van", "&"})
_DERIVED = re.compile(r"^([\w.]+?)-[a-z]+$")
_TWO_NAMES = re.compile(r"[a-z.]-[A-Z][a-z]")
_NAME_DASH = re.compile(r"-(?=[A-Z][a-z])")
_CLAUSE_OPENERS = frozenset(':"“(;')


@dataclass(frozen=True)
class Span:
    text: str
    start: int  # token index in the sentence
    sentence_initial: bool


# A run of name-like tokens, with the alias key of every sub-span worked out in advance:
# (words, token index of each in the sentence, whether each begins a sentence or clause, keys), where
# keys[i][n] is the key of the n + 1 tokens from token i, or None where that span can never be a known name
# (a joiner at either end, a short word not written as an acronym). Looking names up is then only set
# membership, which is what the ingest process does; the keys are text work done wherever the story is
# read. A plain tuple, because prepared stories travel between processes by the thousand.
Run = tuple[tuple[str, ...], tuple[int, ...], tuple[bool, ...], tuple[tuple[str | None, ...], ...]]


def runs_of(sentence: str) -> tuple[Run, ...]:
    """The candidate runs of a sentence with their sub-span keys (see `Run`)."""
    out = []
    for spans in _runs(_CONTROL.sub(" ", sentence)):  # "\x1b[2J" in a story names nobody
        words = tuple(w for w, _, _ in spans)
        folded = [w.casefold() for w in words]
        keys = []
        for i in range(len(words)):
            row: list[str | None] = []
            text = ""
            for j in range(i, len(words)):
                text = f"{text} {words[j]}" if j > i else words[i]
                eligible = folded[i] not in _JOINERS and folded[j] not in _JOINERS and _long_enough(text)
                row.append(alias_key(text) if eligible else None)
            keys.append(tuple(row))
        out.append((words, tuple(i for _, i, _ in spans), tuple(x for _, _, x in spans), tuple(keys)))
    return tuple(out)


def _runs(sentence: str) -> Iterator[list[tuple[str, int, bool]]]:
    """Runs of adjacent name-like tokens (capitalised, or product-like such as "GPT-4"), joiners such as
    "of" allowed inside but not at the end: (word, token index, whether it begins a sentence or clause).
    A possessive is dropped; "OpenAI-derived" is read as OpenAI and "U.S.-China" as two tokens."""
    run: list[tuple[str, int, bool]] = []
    index = 0
    initial = True
    for m in _TOKEN.finditer(sentence):
        raw = m.group(0)
        word = raw if "A" <= raw[0] <= "Z" and _ACRONYM.match(raw) else raw.rstrip(".'’-")
        if word.endswith(("'s", "’s")):
            word = word[:-2]
        parts = [word]
        if "-" in word:
            if word[:1].isupper() and (m2 := _DERIVED.match(word)):
                word = m2.group(1)
            parts = _NAME_DASH.split(word) if _TWO_NAMES.search(word) else [word]
        j = m.start() - 1
        while j >= 0 and sentence[j].isspace():
            j -= 1
        clause_start = initial or (j >= 0 and sentence[j] in _CLAUSE_OPENERS)
        initial = False
        for n, part in enumerate(parts):
            if not part:
                continue
            if (
                part[:1].isupper()
                or (not part.isalpha() and _PRODUCTISH.match(part))
                or (run and part in _JOINERS)
            ):
                run.append((part, index, clause_start and n == 0))
            else:
                while run and run[-1][0].casefold() in _JOINERS:
                    run.pop()
                if run:
                    yield run
                run = []
            index += 1
    while run and run[-1][0].casefold() in _JOINERS:
        run.pop()
    if run:
        yield run


def _long_enough(text: str) -> bool:
    """Short aliases must be written as acronyms ("Us", "It" name nobody)."""
    return len(text) > 3 or text.isupper() or bool(_ACRONYM.match(text) or _PRODUCTISH.match(text))


def names_in(runs: tuple[Run, ...], known: Callable[[str], bool], title_case: bool = False) -> list[str]:
    """Entity names in a sentence's runs: known aliases first (longest wins), then new names that look like
    names. `known` says whether an alias key names an entity. With `title_case` (a headline), only known
    aliases count."""
    found: list[str] = []
    for run in runs:
        words, starts, initial, run_keys = run
        n = len(words)

        def ok(i: int, j: int, keys: tuple[tuple[str | None, ...], ...] = run_keys) -> bool:
            key = keys[i][j - i - 1]
            return bool(key) and known(key)  # type: ignore[arg-type]

        i = 0
        while i < n:
            for j in range(n, i, -1):
                if ok(i, j):
                    found.append(" ".join(words[i:j]))
                    i = j
                    break
            else:
                j = i
                while j < n and not any(ok(j, k) for k in range(j + 1, n + 1)):
                    j += 1
                end = j if j > i else i + 1
                if not title_case:
                    found.extend(_new_names([Span(words[x], starts[x], initial[x]) for x in range(i, end)]))
                i = max(j, i + 1)
    seen: set[str] = set()
    return [f for f in found if not (fold(f) in seen or seen.add(fold(f)))]  # type: ignore[func-returns-value]


def mentions(sentence: str, known: Callable[[str], bool], title_case: bool = False) -> list[str]:
    """Entity names in a sentence (see `names_in`)."""
    return names_in(runs_of(sentence), known, title_case)


def _new_names(spans: list[Span]) -> list[str]:
    """A leftover run becomes a new name unless it is a lone sentence-initial or common word."""
    words = [s for s in spans if s.text.casefold() not in STOPWORDS or (s.text.isupper() and len(s.text) > 2)]
    while words and words[0].text.casefold() in _JOINERS:
        words = words[1:]
    if not words:
        return []
    if len(words) == 1:
        word = words[0]
        if word.sentence_initial and not (_PRODUCTISH.match(word.text) or _ACRONYM.match(word.text)):
            return []
        if len(word.text) < 2:
            return []
    # A run broken by stopwords (e.g. "Reported Business") is not one name.
    if any(b.start != a.start + 1 for a, b in itertools.pairwise(words)):
        return [w.text for w in words if not w.sentence_initial and len(w.text) > 1]
    return [" ".join(w.text for w in words)]
