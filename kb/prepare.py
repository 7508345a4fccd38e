"""Extraction, the text half: what can be known of a story from its text alone, before it meets the KB.

For each claim: who it is attributed to, its runs of name-like tokens with the alias key of every
sub-span, its text hash, figures, polarity, the answer types a question wants, and the terms it has if the
names found among the aliases known at the time are its names. This is most of an ingest's text work, and
none of it needs the database, so it can run in worker processes while the ingest process matches.

The ingest process then resolves names by set lookups against its live alias index. Where that finds
other names than the guess (an alias learnt meanwhile splits a run differently), it recomputes the terms,
so a story prepared anywhere is stored exactly as one prepared in the ingest process.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kb import match
from kb.extract import Run, names_in, runs_of
from kb.parse import ParsedClaim, ParsedStory
from kb.resolve import alias_key
from kb.text import content_hash, split_attribution, text_hash, wanted_answers
from kb.vocab import Kind


@dataclass
class PreparedClaim:
    parsed: ParsedClaim
    said: tuple[Run, ...]  # the claim without its attribution
    attribution: tuple[Run, ...]  # "according to X": who said it (empty when nobody is named)
    asides: tuple[tuple[Run, ...], ...]  # a question's "beyond X" clauses
    digest: str  # text_hash of the sentence
    figures: tuple[match.Figure, ...]
    negated: bool
    wants: frozenset[str]
    excluded: frozenset[str]
    names: tuple[str, ...]  # the names (said, then attribution) that `terms` leaves out
    terms: frozenset[str]

    def terms_for(self, names: list[str]) -> frozenset[str]:
        """The claim's terms when these are its names: the guess if it was right, else computed again."""
        if tuple(names) == self.names:
            return self.terms
        return match.claim_terms(self.parsed.kind, self.parsed.text, names)


@dataclass
class PreparedStory:
    story: ParsedStory
    digest: str  # content_hash of the raw text: the story's identity
    title: tuple[Run, ...]
    summary: tuple[Run, ...]
    claims: list[PreparedClaim]

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Pickled as plain tuples, rebuilt in one call: several times faster to read back than the
        # objects one by one, and workers send stories by the thousand.
        st = self.story
        story = (
            st.title,
            st.published,
            st.publisher,
            st.url,
            st.summary,
            st.body,
            st.caveats,
            st.fmt,
            st.raw,
        )
        claims = [
            (
                c.parsed.text,
                c.parsed.kind,
                c.parsed.section,
                c.parsed.quote,
                c.said,
                c.attribution,
                c.asides,
                c.digest,
                tuple((g.kind, g.text, g.value) for g in c.figures),
                c.negated,
                tuple(c.wants),
                tuple(c.excluded),
                c.names,
                tuple(c.terms),
            )
            for c in self.claims
        ]
        return _rebuild, (story, self.digest, self.title, self.summary, claims)


def _rebuild(
    story: tuple[Any, ...], digest: str, title: tuple[Run, ...], summary: tuple[Run, ...], claims: list[tuple]
) -> PreparedStory:
    intern = sys.intern
    prepared = []
    for (
        text,
        kind,
        section,
        quote,
        said,
        attribution,
        asides,
        hashed,
        figures,
        negated,
        wants,
        excluded,
        names,
        terms,
    ) in claims:
        prepared.append(
            PreparedClaim(
                ParsedClaim(text, kind, section, quote),
                said,
                attribution,
                asides,
                hashed,
                tuple(match.Figure(*g) for g in figures),
                negated,
                frozenset(wants),
                frozenset(excluded),
                names,
                frozenset(map(intern, terms)),
            )
        )
    title_, published, publisher, url, summary_, body, caveats, fmt, raw = story
    parsed = ParsedStory(
        title_, [c.parsed for c in prepared], published, publisher, url, summary_, body, caveats, fmt, raw
    )
    return PreparedStory(parsed, digest, title, summary, prepared)


class Guess:
    """The alias keys to guess names with away from the KB: a snapshot of the KB's aliases and the
    gazetteer's, plus the key of every name met since, which the ingest will have made an alias by then
    (a new entity, or a spelling of a known one)."""

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self.keys = set(keys)

    def __call__(self, key: str) -> bool:
        return key in self.keys

    def learn(self, names: Iterable[str]) -> None:
        for name in names:
            key = alias_key(name)
            if key:
                self.keys.add(key)


def prepare(
    story: ParsedStory, known: Callable[[str], bool], learn: Callable[[list[str]], None]
) -> PreparedStory:
    """A story's text work. `known(key)` says whether an alias key names an entity; `learn(names)` is told
    the names found in each sentence, in the order the ingest resolves them."""

    def names(runs: tuple[Run, ...], title_case: bool = False) -> list[str]:
        found = names_in(runs, known, title_case)
        if not title_case:
            learn(found)
        return found

    claims = []
    for parsed in story.claims:
        said, attribution = split_attribution(parsed.text)
        said_runs = runs_of(said)
        attribution_runs = runs_of(attribution) if attribution else ()
        question = parsed.kind == Kind.question
        asides = tuple(runs_of(clause) for clause in match.aside_clauses(said)) if question else ()
        found = names(said_runs) + (names(attribution_runs) if attribution else [])
        for clause in asides:
            names(clause)
        claims.append(
            PreparedClaim(
                parsed=parsed,
                said=said_runs,
                attribution=attribution_runs,
                asides=asides,
                digest=text_hash(parsed.text),
                figures=match.figures_of(parsed.text),
                negated=match.is_negated(parsed.text) if parsed.kind == Kind.fact else False,
                wants=wanted_answers(parsed.text) if question else frozenset(),
                excluded=match.excluded_terms(parsed.text) if question else frozenset(),
                names=tuple(found),
                terms=match.claim_terms(parsed.kind, parsed.text, found),
            )
        )
    title = runs_of(story.title)
    summary = runs_of(story.summary) if story.summary else ()
    names(summary)
    return PreparedStory(story, content_hash(story.raw), title, summary, claims)
