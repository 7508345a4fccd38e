"""Choosing a reader for a document, and reading files, folders and standard input safely."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kb.errors import InputError
from kb.parse import ParsedStory
from kb.parse.brief import read_brief
from kb.parse.feed import read_feed
from kb.parse.html import read_html
from kb.parse.jsonl import read_json
from kb.parse.prose import read_prose
from kb.settings import MAX_INPUT_BYTES

# Extension -> format; an extension not listed here (or none) leaves the choice to the content.
BY_SUFFIX = {
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
    ".xml": "feed",
    ".rss": "feed",
    ".atom": "feed",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".md": "md",
    ".markdown": "md",
    ".txt": "brief",
    ".text": "brief",
    ".brief": "brief",
}
SUFFIXES = {*BY_SUFFIX, ""}
FORMATS = ("auto", "brief", "md", "prose", "json", "feed", "html")
_JSON_LINES = {".jsonl", ".ndjson"}
_JSON_START = re.compile(r"\s*(?:\{|\[\s*[\[{\]])")
# The first element of a markup document, after any XML declaration, comments and doctype.
_FIRST_TAG = re.compile(
    r"\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*|<\?[^>]*\?>\s*)*(?:<!doctype\s+([a-z]+)[^>]*>\s*)?"
    r"(?:<!--.*?-->\s*)*<([a-z][\w:.-]*)",
    re.IGNORECASE | re.DOTALL,
)
_FEED_ROOTS = {"rss", "feed", "rdf:rdf", "rdf"}
_HTML_TAGS = {
    "html", "head", "body", "div", "p", "article", "main", "section", "header", "h1", "h2", "h3", "title",
    "meta", "span", "ul", "ol", "table", "a", "b", "strong", "em", "br", "link", "script", "style", "nav",
}  # fmt: skip


@dataclass
class Document:
    """One input: where it came from and its text (or why it could not be read)."""

    path: str
    text: str | None = None
    error: str | None = None


def decode(data: bytes, path: str) -> str:
    if not data.strip():
        raise InputError(f"{path}: empty file")
    if b"\x00" in data[:8192]:
        raise InputError(f"{path}: binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 (byte {exc.start}); convert it with iconv first") from exc


def sources(paths: list[str], stdin: bytes | None = None) -> list[str | Document]:
    """What the paths name, in order, without reading the files yet: each file (folders recursively,
    hidden files and README.md skipped) as its path, and "-" as the document read from standard input."""
    out: list[str | Document] = []
    for raw in paths:
        if raw == "-":
            try:
                out.append(Document("<stdin>", decode(stdin or b"", "<stdin>")))
            except InputError as exc:
                out.append(Document("<stdin>", error=str(exc)))
            continue
        path = Path(raw)
        if path.is_dir():
            out += [
                str(p)
                for p in sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file()
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                    and p.suffix.lower() in SUFFIXES
                    and p.name.casefold() != "readme.md"
                )
            ]
        else:
            out.append(str(path))
    return out


def documents(paths: list[str], stdin: bytes | None = None) -> Iterator[Document]:
    """Every document named by the paths: files, folders (recursively, hidden files skipped) and "-"."""
    for source in sources(paths, stdin):
        yield source if isinstance(source, Document) else read_document(Path(source))


def read_document(path: Path) -> Document:
    """One file as a document, or the reason it cannot be read."""
    try:
        if not path.exists():
            return Document(str(path), error=f"{path}: no such file")
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            return Document(
                str(path),
                error=f"{path}: {size} bytes is over the {MAX_INPUT_BYTES}-byte limit "
                "(set KB_MAX_INPUT_BYTES)",
            )
        return Document(str(path), decode(path.read_bytes(), str(path)))
    except InputError as exc:
        return Document(str(path), error=str(exc))
    except OSError as exc:
        return Document(str(path), error=f"{path}: cannot read ({exc.strerror or exc})")


def sniff(text: str, path: str = "") -> str:
    """The format of a document in auto mode: its extension if it names one, else its first characters
    ("{" or "[{" JSON, an <rss>/<feed> root a feed, an <html> root or doctype HTML, anything else a brief
    or prose)."""
    suffix = Path(path).suffix.lower() if path and path != "<stdin>" else ""
    if suffix in BY_SUFFIX:
        return BY_SUFFIX[suffix]
    head = text[:4096].lstrip("\ufeff")
    if _JSON_START.match(head):
        return "json"
    if m := _FIRST_TAG.match(head):
        doctype, root = (m.group(1) or "").lower(), m.group(2).lower()
        if root in _FEED_ROOTS:
            return "feed"
        if doctype == "html" or root in _HTML_TAGS:
            return "html"
        if head.lstrip().startswith("<?xml"):
            return "feed"
    return "brief"


def _read_as(text: str, fmt: str, suffix: str) -> list[ParsedStory]:
    if fmt == "json":
        return read_json(text, lines=suffix in _JSON_LINES)
    if fmt == "feed":
        return read_feed(text)
    if fmt == "html":
        return [read_html(text)]
    if fmt == "prose":
        return [read_prose(text)]
    if fmt == "md":
        return [read_brief(text, fmt="md")]
    if fmt == "brief":
        return [read_brief(text, fmt="brief")]
    raise InputError(f"unknown input format {fmt!r}; choose one of {', '.join(FORMATS)}")


def parse_stories(doc: Document, fmt: str = "auto") -> list[ParsedStory]:
    """Every story in a document (one for a brief, prose or an HTML page; one per record or entry for
    JSON, JSON Lines and feeds), read with the reader `fmt` names or, for "auto", the one its extension
    and content call for. A failure raises one InputError that starts with the document's path."""
    if doc.text is None:
        raise InputError(doc.error or f"{doc.path}: could not be read")
    suffix = Path(doc.path).suffix.lower()
    try:
        if fmt != "auto":
            return _read_as(doc.text, fmt, suffix)
        detected = sniff(doc.text, doc.path)
        if detected in ("brief", "md"):
            # A text without brief sections is prose.
            try:
                return _read_as(doc.text, detected, suffix)
            except InputError:
                return [read_prose(doc.text)]
        return _read_as(doc.text, detected, suffix)
    except InputError as exc:
        raise InputError(f"{doc.path}: {exc}") from exc
    except RecursionError as exc:
        raise InputError(f"{doc.path}: too deeply nested to read") from exc


def parse_document(doc: Document, fmt: str = "auto") -> ParsedStory:
    """The one story in a document; a document that holds several (a feed, a JSON list, JSON Lines) is an
    InputError here; read those with `parse_stories`."""
    stories = parse_stories(doc, fmt)
    if len(stories) != 1:
        raise InputError(f"{doc.path}: holds {len(stories)} stories, not one")
    return stories[0]
