"""Helpers shared by the test suite: paths and a builder of briefs in the seed's layout."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEED = SHARED / "seeds" / "000_ee0bf775084476f8.txt"
needs_seed = pytest.mark.skipif(not SEED.exists(), reason="../shared is not beside the project")

# The JSON contract of a claim and of one of its sources (DESIGN.md; fields may be added, never removed).
CLAIM_FIELDS = frozenset(
    {
        "id",
        "text",
        "kind",
        "state",
        "confidence",
        "entities",
        "first_seen",
        "last_seen",
        "sources",
        "answered_by",
    }
)
SOURCE_FIELDS = frozenset({"story_id", "title", "publisher", "published", "stance"})


def brief(
    title: str,
    publisher: str,
    published: str,
    known: list[str] = (),
    unclear: list[str] = (),  # type: ignore[assignment]
    watch: list[str] = (),
    caveats: list[str] = (),
) -> str:  # type: ignore[assignment]
    """A sectioned brief in the seed's layout."""

    def bullets(items: list[str]) -> str:
        return "\n".join(f"  • {i}" for i in items)

    parts = [
        f"Illustrative photo for: {title}",
        "",
        f"Published {published}",
        "",
        f"Summary: {known[0] if known else title}",
        "",
    ]
    for heading, items in (
        ("What We Know", known),
        ("What’s Still Unclear", unclear),
        ("What to Watch Next", watch),
        ("Source Transparency", caveats),
    ):
        if items:
            parts += [heading, "", bullets(list(items)), ""]
    parts += [
        "Sources",
        "",
        "Leave a Reply",
        "",
        f"Discover more from {publisher}",
        "",
        "Subscribe now to keep reading and get access to the full archive.",
        "",
        "Continue reading",
    ]
    return dedent("\n".join(parts)) + "\n"
