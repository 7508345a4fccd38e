"""Reader for RSS 2.0 and Atom feeds through feedparser: every entry is a story.

The entry's content (or description) is converted from HTML to text and read as a brief when it has
brief sections, else as prose. The title, link and date come from the entry; the publisher from the
entry's <source> element, else the feed's title. Nothing is fetched: feedparser gets a byte stream.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from kb.errors import InputError
from kb.parse import ParsedStory
from kb.parse.brief import parse_date
from kb.parse.html import html_to_text, read_body, read_extracted
from kb.text import tidy

_HEADERS = {"content-type": "application/xml; charset=utf-8"}


def _parse(text: str) -> Any:
    import feedparser

    # A stream, never a string: feedparser would fetch a string that looks like a URL or open a file path.
    try:
        return feedparser.parse(io.BytesIO(text.encode("utf-8")), response_headers=_HEADERS)
    except Exception as exc:  # feedparser catches parser errors itself; this is for anything it does not
        raise InputError(f"not a valid RSS/Atom feed: {exc}") from exc


def _content(entry: Any) -> tuple[str, str]:
    """The entry's fullest text and its MIME type: Atom <content> or content:encoded, else the summary."""
    for item in entry.get("content") or []:
        if (item.get("value") or "").strip():
            return item["value"], item.get("type", "text/html")
    detail = entry.get("summary_detail") or {}
    return entry.get("summary") or "", detail.get("type", "text/html")


def _date(entry: Any) -> datetime | None:
    for key in ("published", "updated", "created"):
        if entry.get(key) and (date := parse_date(entry[key])):
            return date
    for key in ("published_parsed", "updated_parsed"):
        if parsed := entry.get(key):
            y, mo, d, h, mi, sec = parsed[:6]
            return datetime(y, mo, d, h, mi, sec, tzinfo=UTC).astimezone().replace(tzinfo=None)
    return None


def _entry_story(entry: Any, feed_title: str | None, number: int) -> ParsedStory:
    title = tidy(entry.get("title") or "")
    link = (entry.get("link") or "").strip()
    date_text = entry.get("published") or entry.get("updated") or ""
    content, mime = _content(entry)
    html = "html" in mime
    text = html_to_text(content) if html else content
    source = entry.get("source") or {}
    publisher = tidy(source.get("title") or "") or feed_title
    if text.strip():
        try:
            story = read_extracted(text) if html else read_body(text)
        except InputError as exc:
            if not title:
                raise InputError(f"entry {number}: {exc}") from exc
            story = ParsedStory(title=title, claims=[])
    elif title:
        story = ParsedStory(title=title, claims=[])
    else:
        raise InputError(f"entry {number}: no title and no content")
    story.title = title or story.title
    story.url = link or story.url
    story.published = _date(entry) or story.published
    story.publisher = publisher or story.publisher
    story.fmt = "feed"
    story.raw = "\n".join((title, link, date_text, content))
    return story


def _reason(exc: Any) -> str:
    """The XML parser's complaint without its "<unknown>:" prefix: "line 5, column 10: not well-formed"."""
    if hasattr(exc, "getLineNumber") and hasattr(exc, "getMessage"):
        return f"line {exc.getLineNumber()}, column {exc.getColumnNumber()}: {exc.getMessage()}"
    return tidy(str(exc)) or "unreadable"


def read_feed(text: str) -> list[ParsedStory]:
    """Every entry of an RSS or Atom feed as a story, in feed order."""
    parsed = _parse(text)
    entries = parsed.get("entries") or []
    if not entries:
        if parsed.get("bozo"):
            raise InputError(f"not a valid RSS/Atom feed: {_reason(parsed.get('bozo_exception'))}")
        if not parsed.get("version"):
            raise InputError("not an RSS/Atom feed (no <rss>, <feed> or <rdf:RDF> element)")
        raise InputError("the feed has no entries")
    feed_title = tidy((parsed.get("feed") or {}).get("title") or "") or None
    return [_entry_story(entry, feed_title, n) for n, entry in enumerate(entries, 1)]
