"""Choosing a reader for a document, and reading files, folders and standard input safely."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kb.errors import InputError
from kb.parse import ParsedStory
from kb.parse.brief import read_brief
from kb.parse.prose import read_prose
from kb.settings import MAX_INPUT_BYTES

SUFFIXES = {".txt", ".text", ".md", ".markdown", ".brief", ""}
FORMATS = ("auto", "brief", "md", "prose")


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


def documents(paths: list[str], stdin: bytes | None = None) -> Iterator[Document]:
    """Every document named by the paths: files, folders (recursively, hidden files skipped) and "-"."""
    for raw in paths:
        if raw == "-":
            try:
                yield Document("<stdin>", decode(stdin or b"", "<stdin>"))
            except InputError as exc:
                yield Document("<stdin>", error=str(exc))
            continue
        path = Path(raw)
        if path.is_dir():
            files = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and p.suffix.lower() in SUFFIXES
                and p.name.casefold() != "readme.md"
            )
            for f in files:
                yield _read(f)
        else:
            yield _read(path)


def _read(path: Path) -> Document:
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


def parse_document(doc: Document, fmt: str = "auto") -> ParsedStory:
    """Parse a document with the reader its format (or its extension and content) calls for."""
    assert doc.text is not None
    suffix = Path(doc.path).suffix.lower()
    try:
        if fmt == "prose":
            return read_prose(doc.text)
        if fmt in ("brief", "md"):
            return read_brief(doc.text, fmt="md" if fmt == "md" else "brief")
        try:
            return read_brief(doc.text, fmt="md" if suffix in (".md", ".markdown") else "brief")
        except InputError:
            return read_prose(doc.text)
    except InputError as exc:
        raise InputError(f"{doc.path}: {exc}") from exc
