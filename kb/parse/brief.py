"""Reader for sectioned briefs: plain text with "What We Know" style headings, or the same as Markdown."""

from __future__ import annotations

import re
from datetime import datetime

from dateutil import parser as dateparser

from kb.errors import InputError
from kb.parse import ParsedClaim, ParsedStory
from kb.text import clean_document, fold, is_hedged, sentences, tidy

# Heading text (folded, without '#', '*' or a trailing colon) -> section name.
HEADINGS: dict[str, str] = {
    "what we know": "known",
    "what we know so far": "known",
    "what is known": "known",
    "known facts": "known",
    "key facts": "known",
    "the facts": "known",
    "facts": "known",
    "what's still unclear": "unclear",
    "what is still unclear": "unclear",
    "still unclear": "unclear",
    "what's unclear": "unclear",
    "what is unclear": "unclear",
    "what remains unclear": "unclear",
    "open questions": "unclear",
    "unanswered questions": "unclear",
    "unknowns": "unclear",
    "what we don't know": "unclear",
    "what we do not know": "unclear",
    "what to watch next": "watch",
    "what to watch": "watch",
    "what's next": "watch",
    "what to watch for": "watch",
    "watch next": "watch",
    "things to watch": "watch",
    "context": "context",
    "background": "context",
    "why it matters": "why",
    "faq": "faq",
    "faqs": "faq",
    "frequently asked questions": "faq",
    "source transparency": "transparency",
    "transparency": "transparency",
    "methodology": "transparency",
    "sources": "sources",
    "related coverage": "related",
    "related": "related",
    "read more": "related",
    "leave a reply": "end",
    "comments": "end",
    "share this": "end",
    "like this": "end",
    "summary": "summary",
}
CLAIM_SECTIONS = {"known": "fact", "unclear": "question", "watch": "watch"}
TEXT_SECTIONS = {"context", "why", "summary"}

_ISO_DAY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+•·◦‣▪▫●○■□►▸▶–—✓✔→]|\d{1,3}[.)])\s+")
_PUBLISHED = re.compile(r"^(?:published|date|posted|updated)\s*:?\s+(.+)$", re.IGNORECASE)
_TITLE_PHOTO = re.compile(r"^illustrative (?:photo|image) for:\s*(.+)$", re.IGNORECASE)
_SUMMARY = re.compile(r"^\**summary\**\s*:\**\s*(.*)$", re.IGNORECASE)
_ORIGINAL = re.compile(r"^\**original brief\**\s*:\**\s*(.*)$", re.IGNORECASE)
_PUBLISHER = re.compile(r"^discover more from\s+(.+?)\s*$", re.IGNORECASE)
_BYLINE = re.compile(r"^(?:publisher|outlet|source)\s*:\s*(.+)$", re.IGNORECASE)
_FURNITURE = re.compile(
    r"^(?:subscribe now|continue reading|leave a reply|share this|like this|"
    r"loading\.\.\.|type your email|sign up|advertisement)",
    re.IGNORECASE,
)
_QA = re.compile(r"^\**\s*([QA])\s*[:.)]\s*\**\s*(.*)$")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\((?:[^)\s]+)\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")


def heading_of(line: str) -> str | None:
    """The section a line opens, if it is a heading."""
    text = fold.__wrapped__(line).lstrip("#").strip().strip("*_").strip().rstrip(":").strip()
    return HEADINGS.get(text)


def parse_date(text: str) -> datetime | None:
    """A publication date from free text ("2026-06-18", "June 18, 2026", ISO timestamps)."""
    try:
        if _ISO_DAY.match(text):
            value = datetime.fromisoformat(text.strip())  # (the usual form, read as dateutil reads it)
        else:
            value = dateparser.parse(text.strip(), fuzzy=True, default=datetime(2000, 1, 1))
    except (ValueError, OverflowError):
        return None
    if value is None or value.year < 1900:
        return None
    return value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone().replace(tzinfo=None)


def _front_matter(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    if not lines or lines[0].strip() != "---":
        return {}, lines
    for end in range(1, min(len(lines), 60)):
        if lines[end].strip() in ("---", "..."):
            meta = {}
            for line in lines[1:end]:
                key, sep, value = line.partition(":")
                if sep:
                    meta[key.strip().casefold()] = value.strip().strip("'\"")
            return meta, lines[end + 1 :]
    return {}, lines


def _inline(text: str) -> str:
    if "[" not in text and "**" not in text and "__" not in text:
        return tidy(text)  # (no link or emphasis to undo)
    return tidy(_MD_EMPHASIS.sub(r"\2", _MD_LINK.sub(r"\1", text)))


class _Builder:
    """Collects a brief's parts while its lines are read in order."""

    def __init__(self) -> None:
        self.title = ""
        self.published: datetime | None = None
        self.publisher: str | None = None
        self.url: str | None = None
        self.summary: list[str] = []
        self.body: list[str] = []
        self.caveats: list[str] = []
        self.items: dict[str, list[str]] = {"known": [], "unclear": [], "watch": [], "transparency": []}
        self.faq: list[list[str]] = []  # [question, answer]
        self.headings = 0

    def add_item(self, section: str, line: str, bulleted: bool) -> None:
        items = self.items[section]
        if items and not bulleted and line[:1].islower():
            items[-1] = f"{items[-1]} {line}"  # a wrapped bullet
        else:
            items.append(line)

    def add_faq(self, line: str) -> None:
        qa = _QA.match(line)
        if qa and qa.group(1) == "Q":
            self.faq.append([qa.group(2).strip("* "), ""])
        elif qa and self.faq:
            self.faq[-1][1] = tidy(f"{self.faq[-1][1]} {qa.group(2).strip('* ')}")
        elif self.faq:
            part = 1 if self.faq[-1][1] else 0
            self.faq[-1][part] = tidy(f"{self.faq[-1][part]} {line}")
        elif line.rstrip().endswith("?"):
            self.faq.append([line, ""])


def _claims(b: _Builder) -> list[ParsedClaim]:
    claims = [ParsedClaim(text, CLAIM_SECTIONS[sec], sec) for sec in CLAIM_SECTIONS for text in b.items[sec]]
    for question, answer in b.faq:
        if not answer:
            continue
        quote = f"Q: {question} A: {answer}"
        if is_hedged(answer) and question:
            claims.append(ParsedClaim(question, "question", "faq", quote))
        else:
            claims.append(ParsedClaim(answer, "fact", "faq", quote))
    if not b.items["known"]:
        # Without a "What We Know" section the summary is the story's statement of fact.
        for sentence in sentences(" ".join(b.summary)):
            claims.append(ParsedClaim(sentence, "question" if is_hedged(sentence) else "fact", "summary"))
    return claims


def read_brief(text: str, fmt: str = "brief") -> ParsedStory:
    """Parse a sectioned brief (plain text or Markdown headings) into a ParsedStory."""
    raw = text
    meta, lines = _front_matter(clean_document(text).split("\n"))
    b = _Builder()
    section = "preamble"
    for raw_line in lines:
        line = _inline(raw_line)
        if not line or set(line) <= set("-=*_#"):
            continue
        heading = heading_of(raw_line)
        if heading:
            section = heading
            b.headings += 1
            continue
        if m := _PUBLISHER.match(line):
            b.publisher = m.group(1).rstrip(".")
            continue
        if section == "end" or _FURNITURE.match(_BULLET.sub("", line)):
            continue
        if m := _TITLE_PHOTO.match(line):
            b.title = b.title or m.group(1)
            continue
        if raw_line.lstrip().startswith("# ") and not b.title:
            b.title = line.lstrip("# ")
            continue
        if section in ("preamble", "summary") and (m := _PUBLISHED.match(line)) and b.published is None:
            b.published = parse_date(m.group(1))
            if b.published is not None:
                continue
        if m := _SUMMARY.match(line):
            b.summary.append(m.group(1))
            section = "summary" if not m.group(1) else section
            continue
        if m := _ORIGINAL.match(line):
            b.body.append(m.group(1))
            continue
        if section in ("preamble", "other") and (m := _BYLINE.match(line)):
            b.publisher = b.publisher or m.group(1)
            continue
        bulleted = bool(_BULLET.match(line))
        item = _BULLET.sub("", line).strip()
        if section in b.items:
            if item:
                b.add_item(section, item, bulleted)
        elif section == "faq":
            b.add_faq(item)
        elif section in TEXT_SECTIONS:
            (b.summary if section == "summary" else b.body).append(item)
        elif section == "preamble" and not b.title:
            b.title = item.lstrip("# ")
        elif section == "preamble":
            b.body.append(item)
        elif section == "sources" and item.startswith(("http://", "https://")):
            b.url = b.url or item
    published = b.published
    if meta.get("date") or meta.get("published"):
        published = parse_date(meta.get("published") or meta.get("date", "")) or published
    if not b.headings and not meta:
        raise InputError("no brief sections found")
    b.caveats = list(b.items["transparency"])
    return ParsedStory(
        title=meta.get("title") or b.title or "(untitled)",
        claims=_dedupe(_claims(b)),
        published=published,
        publisher=meta.get("outlet") or meta.get("publisher") or meta.get("source") or b.publisher,
        url=meta.get("url") or b.url,
        summary=" ".join(b.summary),
        body="\n\n".join(b.body),
        caveats=b.caveats,
        fmt=fmt,
        raw=raw,
    )


def _dedupe(claims: list[ParsedClaim]) -> list[ParsedClaim]:
    seen: set[tuple[str, str]] = set()
    out = []
    for claim in claims:
        key = (claim.kind, fold(claim.text))
        if claim.text and key not in seen:
            seen.add(key)
            out.append(claim)
    return out
