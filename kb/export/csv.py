"""CSV export that a spreadsheet cannot turn into a formula."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
_FORMULA_STARTS = frozenset(FORMULA_PREFIXES)  # each prefix is one character
_QUOTED = re.compile(r'[",\r\n]').search  # what the csv module's excel dialect puts between quotes


def safe_cell(value: Any) -> str:
    """The value as text, with a leading apostrophe when a spreadsheet would run it as a formula."""
    if value.__class__ is not str:
        if value is None:
            return ""
        if isinstance(value, list | tuple):
            value = "; ".join(str(v) for v in value)
        value = str(value)
    return f"'{value}" if value[:1] in _FORMULA_STARTS else value


def write_csv(out: TextIO, columns: Sequence[str], rows: Iterable[dict]) -> None:
    """A header of `columns`, then a line per row with its safe cells: the text `csv.writer` writes in
    its default (excel) dialect, a line at a time. (Written here rather than by the csv module, which
    took most of the time of a long export.)"""
    alone = len(columns) == 1  # the csv module quotes the empty cell of a one-column line
    out.write(_line(columns, alone))
    starts = _FORMULA_STARTS
    for row in rows:
        values = [row.get(c) for c in columns]
        # Most cells are text that starts like no formula: those are kept without a call.
        cells = [v if v.__class__ is str and v[:1] not in starts else safe_cell(v) for v in values]
        out.write(_line(cells, alone))


def _line(cells: Sequence[str], alone: bool) -> str:
    if alone and cells[0] == "":
        return '""\r\n'
    return ",".join(['"' + c.replace('"', '""') + '"' if _QUOTED(c) else c for c in cells]) + "\r\n"
