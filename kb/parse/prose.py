"""Reader for plain prose without sections: sentences become claims, hedged ones questions."""

from __future__ import annotations

import re

from kb.errors import InputError
from kb.parse import ParsedClaim, ParsedStory
from kb.parse.brief import _BYLINE, _PUBLISHED, _PUBLISHER, parse_date
from kb.text import clean_document, is_hedged, sentences, tidy

# A dateline: "Brussels Brief, 2025-04-19" or "Harbor Desk — June 18, 2026".
_DATELINE = re.compile(r"^(?P<who>[^,;:.]{2,60}?)\s*(?:,|—|–|-|\|)\s*(?P<when>(?=[^,]*\d)[^,]{6,40})$")


def read_prose(text: str) -> ParsedStory:
    """The first short line is the title; "Published ..." and "Discover more from X" lines are kept as
    metadata; every other sentence is a claim."""
    lines = [tidy(line) for line in clean_document(text).split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        raise InputError("no text")
    title, published, publisher, body = "", None, None, []
    for line in lines:
        if (m := _PUBLISHED.match(line)) and published is None and (date := parse_date(m.group(1))):
            published = date
        elif m := (_PUBLISHER.match(line) or _BYLINE.match(line)):
            publisher = m.group(1)
        elif (m := _DATELINE.match(line)) and published is None and (date := parse_date(m.group("when"))):
            publisher, published = publisher or m.group("who").strip(), date
        elif not title and len(line) <= 160 and not line.endswith("."):
            title = line
        else:
            body.append(line)
    claims = []
    for sentence in sentences(" ".join(body)):
        if len(sentence.split()) < 4:
            continue
        kind = "question" if is_hedged(sentence) else "fact"
        claims.append(ParsedClaim(sentence, kind, "prose"))
    if not claims and not title:
        raise InputError("no sentences found")
    return ParsedStory(
        title=title or (claims[0].text[:80] if claims else "(untitled)"),
        claims=claims,
        published=published,
        publisher=publisher,
        fmt="prose",
        raw=text,
    )
