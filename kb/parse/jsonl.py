"""Reader for JSON and JSON Lines records: one object, a list of objects, or one object per line.

Each record is a story. Its lists of claims follow the brief reader's rules, section for section:

    {"title": ..., "published" | "date": ..., "source" | "publisher" | "outlet": ..., "url": ...,
     "known": [...], "unclear": [...], "watch": [...], "faq": [{"q": ..., "a": ...}],
     "summary": ..., "caveats": [...], "text": ...}

A record without any of the sections is read from its "text" (as a brief if the text has brief headings,
else as prose). Records are data: anything that is not an object, or a field of the wrong type, is an
InputError naming the record.
"""

from __future__ import annotations

import json
from typing import Any

from kb.errors import InputError
from kb.parse import ParsedStory
from kb.parse.brief import _Builder, _claims, _dedupe, parse_date
from kb.parse.html import read_body
from kb.text import tidy

SECTIONS = ("known", "unclear", "watch")
_TYPE_NAMES = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _decode_error(exc: json.JSONDecodeError, line_offset: int = 0) -> InputError:
    return InputError(f"malformed JSON at line {exc.lineno + line_offset}, column {exc.colno}: {exc.msg}")


def _loads(text: str, line_offset: int = 0) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _decode_error(exc, line_offset) from exc
    except RecursionError as exc:
        raise InputError(f"JSON nested too deeply (line {line_offset + 1})") from exc


def json_records(text: str, lines: bool = False) -> list[tuple[str, Any]]:
    """(label, value) for every record in a JSON document, a JSON list or JSON Lines.

    `lines` reads one record per non-blank line; otherwise the text is one JSON value, and a text with
    "extra data" after its first value is read as JSON Lines."""
    if not lines:
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            if not exc.msg.startswith("Extra data"):
                raise _decode_error(exc) from exc
            lines = True
        except RecursionError as exc:
            raise InputError("JSON nested too deeply") from exc
        else:
            if isinstance(value, list):
                if not value:
                    raise InputError("the JSON list holds no records")
                return [(f"record {n}", item) for n, item in enumerate(value, 1)]
            return [("record 1", value)]
    records: list[tuple[str, Any]] = []
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            value = _loads(line, number - 1)
            records.append((f"record {len(records) + 1} (line {number})", value))
    if not records:
        raise InputError("no JSON records")
    return records


def _string(record: dict[str, Any], label: str, *keys: str) -> str | None:
    for key in keys:
        value = record.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InputError(f"{label}: {key!r} must be a string, not {_type_name(value)}")
        text = tidy(str(value))
        if text:
            return text
    return None


def _strings(record: dict[str, Any], label: str, key: str) -> list[str]:
    value = record.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise InputError(f"{label}: {key!r} must be a list of strings, not {_type_name(value)}")
    out = []
    for n, item in enumerate(value, 1):
        if not isinstance(item, str):
            raise InputError(f"{label}: {key!r} item {n} must be a string, not {_type_name(item)}")
        if tidy(item):
            out.append(tidy(item))
    return out


def _faq(record: dict[str, Any], label: str) -> list[list[str]]:
    value = record.get("faq")
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f'{label}: \'faq\' must be a list of {{"q", "a"}} objects, not {_type_name(value)}')
    pairs = []
    for n, item in enumerate(value, 1):
        if not isinstance(item, dict):
            raise InputError(f"{label}: 'faq' item {n} must be an object, not {_type_name(item)}")
        where = f"{label}, faq item {n}"
        question = _string(item, where, "q", "question") or ""
        answer = _string(item, where, "a", "answer") or ""
        pairs.append([question, answer])
    return pairs


def story_from_record(record: Any, label: str = "record 1") -> ParsedStory:
    """One record as a story; the raw text is the record's canonical JSON, so that the same record in
    any file (or any key order) is the same story."""
    if not isinstance(record, dict):
        raise InputError(f"{label} is {_type_name(record)}, not an object")
    raw = json.dumps(record, sort_keys=True, ensure_ascii=False)
    title = _string(record, label, "title", "headline")
    date = _string(record, label, "published", "date")
    publisher = _string(record, label, "source", "publisher", "outlet")
    url = _string(record, label, "url", "link")
    summary = _string(record, label, "summary")
    text = record.get("text")
    if text is not None and not isinstance(text, str):
        raise InputError(f"{label}: 'text' must be a string, not {_type_name(text)}")
    b = _Builder()
    for section in SECTIONS:
        b.items[section] = _strings(record, label, section)
    b.faq = _faq(record, label)
    b.summary = [summary] if summary else []
    caveats = _strings(record, label, "caveats")
    has_sections = any(b.items[s] for s in SECTIONS) or any(a for _, a in b.faq)
    if not has_sections and text and text.strip():
        try:
            story = read_body(text)
        except InputError as exc:
            raise InputError(f"{label}: {exc}") from exc
        story.title = title or story.title
        story.summary = summary or story.summary
    else:
        claims = _dedupe(_claims(b))
        if not claims and not title:
            raise InputError(f"{label}: no title, claims or text")
        story = ParsedStory(title=title or "(untitled)", claims=claims, summary=summary or "")
        story.body = tidy(text or "")
    story.published = (parse_date(date) if date else None) or story.published
    story.publisher = publisher or story.publisher
    story.url = url or story.url
    story.caveats = caveats or story.caveats
    story.fmt = "json"
    story.raw = raw
    return story


def read_json(text: str, lines: bool = False) -> list[ParsedStory]:
    """Every story in a JSON or JSON Lines document, in order."""
    return [story_from_record(value, label) for label, value in json_records(text, lines)]
