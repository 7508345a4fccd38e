"""Exports: one module per file format, each writing rows to a text stream; `output` opens where to."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from kb.errors import KbError


@contextmanager
def output(path: str | None, force: bool = False) -> Iterator[TextIO]:
    """Standard output for None or "-", else a new file; an existing file is kept unless `force`.
    The file is written whole or not at all (a temporary file renamed into place)."""
    if path in (None, "-"):
        yield sys.stdout
        return
    target = Path(path)
    if target.exists() and not force:
        raise KbError(f"{target} exists", hint="use --force to overwrite it")
    if not target.parent.exists():
        raise KbError(f"{target.parent} is not a folder")
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as out:
            yield out
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
