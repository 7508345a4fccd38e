"""Entity mention spans from claim sentences: capitalised runs, product tokens ("GPT-4", "21Vianet") and
acronyms, split wherever a known alias stands inside a longer run."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

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


@dataclass(frozen=True)
class Span:
    text: str
    start: int  # token index in the sentence
    sentence_initial: bool


def _tokens(sentence: str) -> list[tuple[str, bool]]:
    """Tokens with a flag saying whether each begins a sentence or clause."""
    out: list[tuple[str, bool]] = []
    initial = True
    for m in _TOKEN.finditer(sentence):
        word = m.group(0).rstrip(".'’-") if not _ACRONYM.match(m.group(0)) else m.group(0)
        word = re.sub(r"['’]s$", "", word)
        if word[:1].isupper() and (m2 := re.match(r"^([\w.]+?)-[a-z]+$", word)):
            word = m2.group(1)  # "OpenAI-derived" names OpenAI
        # "U.S.-China" is two names; "GPT-4" is one.
        parts = re.split(r"-(?=[A-Z][a-z])", word) if re.search(r"[a-z.]-[A-Z][a-z]", word) else [word]
        before = sentence[: m.start()].rstrip()
        clause_start = initial or before.endswith((":", '"', "“", "(", ";"))
        for i, part in enumerate(parts):
            if part:
                out.append((part, clause_start and i == 0))
        initial = False
    return out


def _capitalised(word: str) -> bool:
    return word[:1].isupper() or bool(_PRODUCTISH.match(word))


def candidate_runs(sentence: str) -> Iterator[list[Span]]:
    """Runs of adjacent name-like tokens, joiners such as "of" allowed inside."""
    run: list[Span] = []
    for i, (word, initial) in enumerate(_tokens(sentence)):
        if _capitalised(word) or (run and word in _JOINERS):
            run.append(Span(word, i, initial))
            continue
        if run:
            yield _trim(run)
        run = []
    if run:
        yield _trim(run)


def _trim(run: list[Span]) -> list[Span]:
    while run and run[-1].text.casefold() in _JOINERS:
        run = run[:-1]
    return run


class Run(NamedTuple):
    """A run of name-like tokens, with the alias key of every sub-span worked out in advance: `keys[i][n]`
    is the key of the n + 1 tokens from token i, or None where that span can never be a known name (a
    joiner at either end, a short word not written as an acronym). Looking names up is then only set
    membership, which is what the ingest process does; the keys are text work done wherever the story is
    read."""

    words: tuple[str, ...]
    starts: tuple[int, ...]  # token index in the sentence
    initial: tuple[bool, ...]  # begins a sentence or clause
    keys: tuple[tuple[str | None, ...], ...]


def runs_of(sentence: str) -> tuple[Run, ...]:
    """The candidate runs of a sentence with their sub-span keys (see `Run`)."""
    out = []
    for spans in candidate_runs(_CONTROL.sub(" ", sentence)):  # "\x1b[2J" in a story names nobody
        if not spans:
            continue
        keys = []
        for i in range(len(spans)):
            row: list[str | None] = []
            for j in range(i + 1, len(spans) + 1):
                part = spans[i:j]
                text = " ".join(s.text for s in part)
                row.append(alias_key(text) if _eligible(text, part) else None)
            keys.append(tuple(row))
        out.append(
            Run(
                tuple(s.text for s in spans),
                tuple(s.start for s in spans),
                tuple(s.sentence_initial for s in spans),
                tuple(keys),
            )
        )
    return tuple(out)


def names_in(runs: tuple[Run, ...], known: Callable[[str], bool], title_case: bool = False) -> list[str]:
    """Entity names in a sentence's runs: known aliases first (longest wins), then new names that look like
    names. `known` says whether an alias key names an entity. With `title_case` (a headline), only known
    aliases count."""
    found: list[str] = []
    for run in runs:
        n = len(run.words)

        def ok(i: int, j: int, keys: tuple[tuple[str | None, ...], ...] = run.keys) -> bool:
            key = keys[i][j - i - 1]
            return bool(key) and known(key)  # type: ignore[arg-type]

        i = 0
        while i < n:
            for j in range(n, i, -1):
                if ok(i, j):
                    found.append(" ".join(run.words[i:j]))
                    i = j
                    break
            else:
                j = i
                while j < n and not any(ok(j, k) for k in range(j + 1, n + 1)):
                    j += 1
                end = j if j > i else i + 1
                if not title_case:
                    found.extend(
                        _new_names([Span(run.words[x], run.starts[x], run.initial[x]) for x in range(i, end)])
                    )
                i = max(j, i + 1)
    seen: set[str] = set()
    return [f for f in found if not (fold(f) in seen or seen.add(fold(f)))]  # type: ignore[func-returns-value]


def mentions(sentence: str, known: Callable[[str], bool], title_case: bool = False) -> list[str]:
    """Entity names in a sentence (see `names_in`)."""
    return names_in(runs_of(sentence), known, title_case)


def _eligible(text: str, spans: list[Span]) -> bool:
    """Whether a span could be a known name at all, whatever the aliases."""
    if spans[0].text.casefold() in _JOINERS or spans[-1].text.casefold() in _JOINERS:
        return False
    return not (len(text) <= 3 and not (text.isupper() or _ACRONYM.match(text) or _PRODUCTISH.match(text)))


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
