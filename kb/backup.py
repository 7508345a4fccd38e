"""Reading `kb dump` files: JSON Lines with a header line, checked as they are read."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from kb.db import schema_version
from kb.errors import InputError


def read_dump(path: str) -> Iterator[tuple[str, dict]]:
    """(table, row) pairs from a dump file; InputError names the file and line of anything malformed."""
    stream = sys.stdin if path == "-" else _open(path)
    try:
        header = _line(path, 1, stream.readline())
        if header.get("kb_dump") != 1:
            raise InputError(f"{path}: not a kb dump (no header line)")
        if int(header.get("schema_version", 0)) > schema_version():
            raise InputError(
                f"{path}: written by a newer kb (schema {header['schema_version']})",
                hint="upgrade kb before loading it",
            )
        for number, raw in enumerate(stream, start=2):
            if raw.strip():
                record = _line(path, number, raw)
                if not isinstance(record.get("table"), str) or not isinstance(record.get("row"), dict):
                    raise InputError(f'{path}:{number}: expected {{"table", "row"}}')
                yield record["table"], record["row"]
    finally:
        if stream is not sys.stdin:
            stream.close()


def _open(path: str) -> TextIO:
    try:
        return Path(path).open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def _line(path: str, number: int, raw: str) -> dict:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{number}: not JSON ({exc.msg})") from exc
    if not isinstance(value, dict):
        raise InputError(f"{path}:{number}: expected an object")
    return value
