"""Readers: one module per input format, each turning text into the same plain dataclasses.

No reader touches the database; `reader.parse_stories` picks the reader by extension and content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class ParsedClaim:
    """One claim as a story states it."""

    text: str
    kind: str  # fact, question, watch
    section: str  # known, unclear, watch, faq, summary, prose
    quote: str = ""  # the words as they stand in the story (an FAQ pair keeps both Q and A)

    def __post_init__(self) -> None:
        if not self.quote:
            self.quote = self.text


@dataclass
class ParsedStory:
    """A story as read from one document, before any entity or claim is resolved."""

    title: str
    claims: list[ParsedClaim]
    published: datetime | None = None
    publisher: str | None = None
    url: str | None = None
    summary: str = ""
    body: str = ""
    caveats: list[str] = field(default_factory=list)
    fmt: str = "brief"
    raw: str = ""

    @property
    def preliminary(self) -> bool:
        """Whether the story says of itself that it is preliminary or partial."""
        words = ("preliminary", "short brief", "may not reflect", "unverified", "not independently")
        return any(w in c.casefold() for c in self.caveats for w in words)
