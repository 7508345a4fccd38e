"""The only module that imports rich: tables, Markdown and JSON for what the library returns.

Text from stories is data: every cell is plain `Text` (never parsed as markup), and control characters,
terminal escapes and bidirectional overrides are shown as visible escapes.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TextIO


class _Later:
    """Stands for a rich class until first used, then imports it and replaces itself with it here, so JSON
    and Markdown output never load rich (a tenth of what a cold `kb` query spends beyond its floor)."""

    __slots__ = ("_module", "_name")

    def __init__(self, module: str, name: str) -> None:
        self._module, self._name = module, name

    def _load(self) -> Any:
        # __import__ rather than importlib.import_module, which `python -X importtime` does not report.
        cls = getattr(__import__(self._module, fromlist=[self._name]), self._name)
        globals()[self._name] = cls
        return cls

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._load()(*args, **kwargs)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._load(), attr)

    def __instancecheck__(self, obj: Any) -> bool:
        return isinstance(obj, self._load())


if TYPE_CHECKING:
    from rich.console import Console, Group, RenderableType
    from rich.table import Table
    from rich.text import Text
else:
    Console, Group = _Later("rich.console", "Console"), _Later("rich.console", "Group")
    Table, Text = _Later("rich.table", "Table"), _Later("rich.text", "Text")

_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")

STATE_STYLE = {
    "reported": "cyan",
    "corroborated": "green",
    "confirmed": "bold green",
    "disputed": "yellow",
    "refuted": "red",
    "unclear": "magenta",
    "watching": "blue",
    "triggered": "bold blue",
    "closed": "dim",
}


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, emoji=False, markup=False, soft_wrap=False)


def console_to(stream: Any) -> Console:
    """A plain console writing to a file (no colour, a fixed width)."""
    return Console(file=stream, highlight=False, emoji=False, markup=False, no_color=True, width=160)


def safe(value: Any) -> str:
    """A value as inert display text: control and bidi characters become visible escapes."""
    text = "" if value is None else str(value)
    return _UNSAFE.sub(
        lambda m: f"\\x{ord(m.group(0)):02x}" if ord(m.group(0)) < 0x100 else f"\\u{ord(m.group(0)):04x}",
        text,
    )


def cell(value: Any, style: str = "") -> Text:
    return Text(safe(value), style=style)


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


def write_json_array(out: TextIO, rows: Iterable[Any]) -> None:
    """The text of to_json(list(rows)), written a row at a time."""
    first = True
    for row in rows:
        out.write("[\n  " if first else ",\n  ")
        out.write(_json_flat(row, "  ") or to_json(row).replace("\n", "\n  "))
        first = False
    out.write("[]" if first else "\n]")


_json_text = json.encoder.encode_basestring  # what json.dumps writes a str as, without ensure_ascii


def _json_flat(row: Any, pad: str) -> str | None:
    """What to_json writes for a dict of plain values (text, numbers, None, booleans) and lists of them,
    `pad` deep in an array; None for anything else. json.dumps writes indented JSON in Python, a few
    times slower than this for a long list of watch-list items."""
    if row.__class__ is not dict or not row:
        return None
    inner, deeper = pad + "  ", pad + "    "
    parts = []
    for key, value in row.items():
        if key.__class__ is not str:
            return None
        if value.__class__ is list:
            cells = [c for c in map(_json_plain, value) if c is not None]
            if len(cells) < len(value):
                return None
            text = f"[\n{deeper}" + f",\n{deeper}".join(cells) + f"\n{inner}]" if cells else "[]"
        else:
            found = _json_plain(value)
            if found is None:
                return None
            text = found
        parts.append(f"{inner}{_json_text(key)}: {text}")
    return "{\n" + ",\n".join(parts) + f"\n{pad}}}"


def _json_plain(value: Any) -> str | None:
    if value.__class__ is str:
        return _json_text(value)
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if value.__class__ is int:
        return int.__repr__(value)
    if value.__class__ is float and value - value == 0:  # finite: json writes NaN and infinities itself
        return float.__repr__(value)
    return None


def md_cell(value: Any) -> str:
    text = safe(value).replace("\n", " ")
    return re.sub(r"([\\|*_`\[\]<>#])", r"\\\1", text)


def md_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(md_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def conf_text(confidence: float | None) -> str:
    if confidence is None:
        return ""
    from kb.lifecycle import words_for  # here: JSON output does without it

    return f"{confidence:.2f} {words_for(confidence)}"


def _confidence_cell(c: dict) -> str:
    """An open question has no confidence to speak of yet."""
    return "" if c["state"] == "unclear" else conf_text(c["confidence"])


def _table(title: str | None, headers: Sequence[str]) -> Table:
    table = Table(title=safe(title) if title else None, show_lines=False, expand=False)
    for h in headers:
        table.add_column(h, overflow="fold")
    return table


# --------------------------------------------------------------------------------------- claims

CLAIM_HEADERS = ("id", "kind", "state", "confidence", "entities", "text")


def _claim_row(c: dict) -> list[Any]:
    return [
        c["id"],
        c["kind"],
        c["state"],
        _confidence_cell(c),
        ", ".join(c["entities"]),
        c["text"],
    ]


def claims_table(claims: list[dict], title: str | None = None) -> RenderableType:
    table = _table(title, CLAIM_HEADERS)
    for c in claims:
        row = _claim_row(c)
        table.add_row(
            *[cell(v, STATE_STYLE.get(c["state"], "") if i == 2 else "") for i, v in enumerate(row)]
        )
    return table


def claims_md(claims: list[dict], title: str | None = None) -> str:
    head = f"## {md_cell(title)}\n\n" if title else ""
    return head + md_table(CLAIM_HEADERS, [_claim_row(c) for c in claims])


def claim_detail(c: dict) -> RenderableType:
    parts: list[RenderableType] = [
        Text.assemble(
            ("claim #", "bold"),
            (str(c["id"]), "bold"),
            "  ",
            (c["kind"], ""),
            "  ",
            (c["state"], STATE_STYLE.get(c["state"], "")),
            "  ",
            _confidence_cell(c),
        ),
        Text(safe(c["text"])),
        Text(f"entities: {safe(', '.join(c['entities'])) or '-'}"),
    ]
    if c.get("answered_by"):
        parts.append(Text(f"answered by: {', '.join('#' + str(i) for i in c['answered_by'])}"))
    ev = _table("evidence", ("story", "outlet", "published", "stance", "quote"))
    for src in c["sources"]:
        ev.add_row(
            cell(f"#{src['story_id']} {src['title']}"),
            cell(src["publisher"]),
            cell(_day(src["published"])),
            cell(src["stance"]),
            cell(src.get("quote", "")),
        )
    parts.append(ev)
    if c.get("links"):
        lt = _table("links", ("id", "kind", "with", "status", "score", "reason"))
        for ln in c["links"]:
            arrow = "->" if ln["direction"] == "out" else "<-"
            lt.add_row(
                cell(ln["id"]),
                cell(f"{ln['kind']} {arrow}"),
                cell(f"#{ln['other_claim_id']} {ln['other_text']}"),
                cell(ln["status"]),
                cell(f"{ln['score']:.2f}"),
                cell(ln["reason"]),
            )
        parts.append(lt)
    parts.append(history_table(c["history"]))
    return Group(*parts)


def claim_detail_md(c: dict) -> str:
    lines = [
        f"## Claim {c['id']}: {md_cell(c['text'])}",
        "",
        f"- kind: {c['kind']}",
        f"- state: {c['state']}",
        f"- confidence: {conf_text(c['confidence'])}",
        f"- entities: {md_cell(', '.join(c['entities']))}",
        "",
        "### Evidence",
        "",
    ]
    lines.append(
        md_table(
            ("story", "outlet", "published", "stance", "quote"),
            [
                (
                    f"#{s['story_id']} {s['title']}",
                    s["publisher"],
                    _day(s["published"]),
                    s["stance"],
                    s.get("quote", ""),
                )
                for s in c["sources"]
            ],
        )
    )
    lines += [
        "",
        "### History",
        "",
        md_table(
            ("when", "action", "from", "to", "confidence", "cause"),
            [
                (
                    _day(h["at_published"]),
                    h["action"],
                    h["from_state"] or "",
                    h["to_state"] or "",
                    conf_text(h["to_confidence"]),
                    _cause(h),
                )
                for h in c["history"]
            ],
        ),
    ]
    return "\n".join(lines)


def history_table(history: list[dict]) -> Table:
    table = Table(title="history", expand=True)
    table.add_column("published", no_wrap=True)
    table.add_column("learnt", no_wrap=True)
    table.add_column("change", ratio=2, overflow="fold")
    table.add_column("cause", ratio=3, overflow="fold")
    for h in history:
        table.add_row(
            cell(_day(h["at_published"])),
            cell(_day(h["at_ingested"], True)),
            cell(_change(h), STATE_STYLE.get(h["to_state"] or "", "")),
            cell(_cause(h)),
        )
    return table


def _change(h: dict) -> str:
    states = f"{h['from_state']} -> {h['to_state']}" if h["from_state"] else str(h["to_state"])
    if h["to_state"] == "unclear":
        return f"{h['action']}: {states}"
    return f"{h['action']}: {states}, {_move(h['from_confidence'], h['to_confidence'])}"


def _move(old: float | None, new: float | None) -> str:
    return conf_text(new) if old is None else f"{old:.2f} -> {conf_text(new)}"


def _cause(h: dict) -> str:
    cause = h["cause"]
    if cause.get("story_id") is not None:
        who = f"story #{cause['story_id']} {cause.get('title') or ''} ({cause.get('publisher') or 'unknown'})"
    else:
        who = f"analyst {cause.get('analyst') or ''}"
    return f"{who}: {h['reason']}" if h.get("reason") else who


def _day(value: str | None, with_time: bool = False) -> str:
    if not value:
        return ""
    return value.replace("T", " ")[:16] if with_time else value[:10]


# ------------------------------------------------------------------------------------- entities


def entities_table(rows: list[dict]) -> Table:
    table = _table(None, ("id", "name", "kind", "claims", "aliases"))
    for e in rows:
        table.add_row(
            cell(e["id"]),
            cell(e["name"], "bold"),
            cell(e["kind"]),
            cell(e["claims"]),
            cell(", ".join(e["aliases"])),
        )
    return table


def entities_md(rows: list[dict]) -> str:
    return md_table(
        ("id", "name", "kind", "claims", "aliases"),
        [(e["id"], e["name"], e["kind"], e["claims"], ", ".join(e["aliases"])) for e in rows],
    )


PROFILE_SECTIONS = (
    ("known", "what is known"),
    ("answered_questions", "answered questions"),
    ("open_questions", "open questions"),
    ("watch", "watch items"),
)


def _section_title(p: dict, key: str, title: str) -> str:
    """A profile section's title, saying what is elided: "what is known (showing 10 of 48,211)"."""
    shown, total = len(p[key]), p.get("totals", {}).get(key, len(p[key]))
    return f"{title} (showing {shown:,} of {total:,})" if total > shown else title


def _window_note(p: dict) -> str:
    """How much of the entity related entities and sources were read from, when not all of it."""
    window = p.get("related_window")
    return f"the newest {window:,} of {p['claims']:,} claims" if window and p["claims"] > window else ""


def _related_title(p: dict, title: str) -> str:
    note = _window_note(p)
    return f"{title} (in {note})" if note else title


def _sources_title(p: dict, title: str) -> str:
    limit, note = p.get("limit"), _window_note(p)
    parts = [f"newest {len(p['sources']):,} stories"] if limit and len(p["sources"]) >= limit else []
    parts += [f"behind {note}"] if note else []
    return f"{title} ({', '.join(parts)})" if parts else title


def entity_profile(p: dict) -> RenderableType:
    by_state = ", ".join(f"{k} {v:,}" for k, v in sorted(p["by_state"].items())) or "none"
    parts: list[RenderableType] = [
        Text.assemble(
            (safe(p["name"]), "bold"), f"  ({safe(p['kind'])}, {p['claims']:,} claims: {by_state})"
        ),
        Text(f"aliases: {safe(', '.join(p['aliases'])) or '-'}"),
    ]
    for key, title in PROFILE_SECTIONS:
        if p[key]:
            parts.append(claims_table(p[key], _section_title(p, key, title)))
    if p["related"]:
        rel = _table(_related_title(p, "related entities"), ("name", "kind", "shared claims"))
        for r in p["related"]:
            rel.add_row(cell(r["name"]), cell(r["kind"]), cell(r["shared_claims"]))
        parts.append(rel)
    if p["sources"]:
        src = _table(_sources_title(p, "sources"), ("story", "outlet", "published", "claims"))
        for r in p["sources"]:
            src.add_row(
                cell(f"#{r['story_id']} {r['title']}"),
                cell(r["publisher"]),
                cell(_day(r["published"])),
                cell(r["claims"]),
            )
        parts.append(src)
    return Group(*parts)


def entity_profile_md(p: dict) -> str:
    by_state = ", ".join(f"{k} {v:,}" for k, v in sorted(p["by_state"].items())) or "none"
    lines = [
        f"# {md_cell(p['name'])}",
        "",
        f"- kind: {p['kind']}",
        f"- aliases: {md_cell(', '.join(p['aliases']))}",
        f"- claims: {p['claims']:,} ({by_state})",
        "",
    ]
    for key, title in PROFILE_SECTIONS:
        if p[key]:
            lines += [claims_md(p[key], _section_title(p, key, title.capitalize())), ""]
    if p["related"]:
        lines += [
            f"## {md_cell(_related_title(p, 'Related entities'))}",
            "",
            md_table(
                ("name", "kind", "shared claims"),
                [(r["name"], r["kind"], r["shared_claims"]) for r in p["related"]],
            ),
            "",
        ]
    if p["sources"]:
        lines += [
            f"## {md_cell(_sources_title(p, 'Sources'))}",
            "",
            md_table(
                ("story", "outlet", "published", "claims"),
                [
                    (f"#{r['story_id']} {r['title']}", r["publisher"], _day(r["published"]), r["claims"])
                    for r in p["sources"]
                ],
            ),
        ]
    return "\n".join(lines)


# ------------------------------------------------------------------------------ review, ingest, stats


def _suggested(r: dict, claim: str, entity: str, text: str) -> str:
    return f"#{r[claim]} {r[text]}" if r[claim] is not None else f"entity #{r.get(entity)} {r[text]}"


def suggestions_table(rows: list[dict]) -> Table:
    table = _table(
        "suggestions (kb review accept|reject ID)", ("id", "kind", "claim", "other claim", "score", "reason")
    )
    for r in rows:
        table.add_row(
            cell(r["id"]),
            cell(r["kind"]),
            cell(_suggested(r, "claim_id", "entity_id", "claim_text")),
            cell(_suggested(r, "other_claim_id", "other_entity_id", "other_text")),
            cell("" if r["score"] is None else f"{r['score']:.2f}"),
            cell(r["reason"]),
        )
    return table


def suggestions_md(rows: list[dict]) -> str:
    return md_table(
        ("id", "kind", "claim", "other claim", "score", "reason"),
        [
            (
                r["id"],
                r["kind"],
                _suggested(r, "claim_id", "entity_id", "claim_text"),
                _suggested(r, "other_claim_id", "other_entity_id", "other_text"),
                "" if r["score"] is None else f"{r['score']:.2f}",
                r["reason"],
            )
            for r in rows
        ],
    )


def changes_table(changes: list[dict], title: str = "changes") -> Table:
    table = _table(title, ("claim", "action", "from", "to", "text", "cause"))
    for c in changes:
        table.add_row(
            cell(f"#{c['claim_id']}"),
            cell(c["action"]),
            cell(c.get("from_state") or ""),
            cell(c.get("to_state") or "", STATE_STYLE.get(c.get("to_state") or "", "")),
            cell(c["text"]),
            cell(c.get("cause") or c.get("reason") or ""),
        )
    return table


def ingest_summary(summary: dict) -> RenderableType:
    table = _table("ingest summary", ("", "count"))
    for key in (
        "files",
        "stories",
        "duplicates",
        "failures",
        "new_claims",
        "repeated_claims",
        "new_entities",
        "promoted",
        "corroborated",
        "disputed",
        "suggested",
    ):
        table.add_row(cell(key.replace("_", " ")), cell(summary[key]))
    parts: list[RenderableType] = [table]
    if summary["changes"]:
        parts.append(changes_table(summary["changes"], "what changed"))
    if summary.get("changes_omitted"):
        parts.append(Text(f"... and {summary['changes_omitted']} more changes (kb diff lists them all)"))
    if summary["entity_names"]:
        more = summary.get("entity_names_omitted")
        tail = f" ... and {more} more" if more else ""
        parts.append(Text(f"new entities: {safe(', '.join(summary['entity_names']))}{tail}"))
    return Group(*parts)


def stats_table(stats: dict) -> Table:
    table = _table(None, ("", "count"))
    for key, value in stats.items():
        if isinstance(value, dict):
            for sub, n in value.items():
                if isinstance(n, dict):
                    for st, m in n.items():
                        table.add_row(cell(f"{key} {sub} {st}"), cell(m))
                else:
                    table.add_row(cell(f"{key} {sub}"), cell(n))
        else:
            table.add_row(cell(key), cell(value))
    return table


def progress(total: int, enabled: bool) -> Any:
    """A progress bar on stderr (a no-op context when disabled)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("ingesting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console(stderr=True),
        disable=not enabled,
        transient=True,
    )


def error_line(message: str, hint: str = "") -> str:
    line = f"error: {safe(message)}"
    return f"{line} ({safe(hint)})" if hint else line


def write_err(text: str) -> None:
    sys.stderr.write(text + "\n")


# ------------------------------------------------------------------------------------------ diff

ACTION_TITLES = {
    "promoted": "Promoted: open questions answered",
    "corroborated": "Corroborated",
    "disputed": "Disputed",
    "refuted": "Refuted",
    "confirmed": "Confirmed",
    "reported": "Now reported",
    "reopened": "Reopened",
    "created": "New claims",
    "decision": "Analyst decisions",
    "triggered": "Watch items touched",
    "closed": "Watch items closed",
    "merged": "Entities merged",
    "unmerged": "Entities unmerged",
    "not_same": "Entities kept apart",
    "alias": "Aliases added",
    "kind": "Entity kinds set",
    "confidence": "Confidence moves",
}


def _states(c: dict) -> str:
    if c["from_state"] is None:
        return str(c["to_state"])
    return f"{c['from_state']} -> {c['to_state']}"


def _subject(c: dict) -> str:
    return f"claim {c['claim_id']}" if c["claim_id"] is not None else f"entity {c.get('entity_id')}"


def _cause_short(c: dict) -> str:
    cause = c["cause"]
    if cause.get("story_id") is not None:
        return f"{cause.get('title') or ''} ({cause.get('publisher') or 'unknown'})"
    return f"analyst {cause.get('analyst') or ''}: {cause.get('reason') or ''}"


def diff_table(report: dict) -> RenderableType:
    span = f"{_day(report['since'], True)} to {_day(report['until'], True)}"
    title = f"changes from {span} (by {report['by']} time)"
    table = _table(title, ("at", "claim", "change", "confidence", "text", "cause"))
    for c in report["changes"]:
        table.add_row(
            cell(_day(c["at"], True)),
            cell(f"#{c['claim_id']}" if c["claim_id"] else f"entity #{c.get('entity_id')}"),
            cell(
                f"{c['action']}: {_states(c)}" if c["to_state"] else c["action"],
                STATE_STYLE.get(c["to_state"] or "", ""),
            ),
            cell("" if c["to_state"] == "unclear" else _move(c["from_confidence"], c["to_confidence"])),
            cell(c["text"]),
            cell(_cause_short(c)),
        )
    parts: list[RenderableType] = [table]
    if not report["changes"]:
        parts.append(Text("no changes in this range"))
    if report["new_entities"]:
        parts.append(Text(f"new entities: {safe(', '.join(report['new_entities']))}"))
    return Group(*parts)


def diff_md(report: dict, groups: list[tuple[str, list[dict]]], by_entity: bool = False) -> str:
    """A report to paste into a newsletter: grouped, each change with its source cited."""
    lines = [
        f"# What changed, {_day(report['since'], True)} to {_day(report['until'], True)}",
        "",
        f"_By {report['by']} time. {len(report['changes'])} changes._",
        "",
    ]
    if not report["changes"]:
        lines += ["No changes in this range.", ""]
    for key, changes in groups:
        heading = key if by_entity else ACTION_TITLES.get(key, key)
        lines += [f"## {md_cell(heading)}", ""]
        for c in changes:
            conf = "" if c["to_state"] == "unclear" else f", {conf_text(c['to_confidence'])}"
            who = "" if by_entity or not c["entities"] else f" [{md_cell(', '.join(c['entities']))}]"
            change = f"{c['action']}: {_states(c)}{conf}" if c["to_state"] else c["action"]
            lines.append(
                f"- {md_cell(c['text'])}{who} ({change}). "
                f"Source: {md_cell(_cause_short(c))}, {_day(c['at_published'])}. ({_subject(c)})"
            )
        lines.append("")
    if report["new_entities"]:
        lines += ["## New entities", "", ", ".join(md_cell(n) for n in report["new_entities"]), ""]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------- watch-list

WATCH_HEADERS = ("priority", "id", "status", "text", "wants", "keywords", "why")
WATCH_SECTIONS = (
    ("question", "Open questions"),
    ("watch", "Watch items"),
    ("stale", "Single-source claims"),
    ("entity", "Monitored entities"),
)


def watchlist_table(items: list[dict], total: int | None = None) -> Table:
    """The items; the title says how many more matched when `total` is more than shown."""
    shown = len(items)
    title = (
        "watch-list" if total is None or total <= shown else f"watch-list (showing {shown:,} of {total:,})"
    )
    table = _table(title, WATCH_HEADERS)
    for i in items:
        text = i["text"] + (f"\n-> {i['answer']}" if i.get("answer") else "")
        table.add_row(
            cell(i["priority"]),
            cell(i["id"]),
            cell(i["status"], "bold" if i["status"] == "triggered" else ""),
            cell(text),
            cell(i["wants"]),
            cell(", ".join(i["keywords"])),
            cell(i["priority_reason"]),
        )
    return table


def watchlist_note(shown: int, total: int, stale_cut: bool, stale_limit: int, table: bool) -> str:
    """What a watch-list left out, for stderr ("" when nothing): the table's title already says how
    many items it shows."""
    parts = []
    if shown < total and not table:
        parts.append(f"the {shown:,} items of highest priority of {total:,} (--limit 0 lists all)")
    if stale_cut:
        parts.append(f"the {stale_limit:,} stale claims last seen most recently (--stale-limit 0 lists all)")
    return f"note: listed {'; '.join(parts)}" if parts else ""


def watchlist_md(items: list[dict]) -> str:
    out = io.StringIO()
    write_watchlist_md(out, lambda kind: [i for i in items if i["type"] == kind])
    return out.getvalue().removesuffix("\n")


def write_watchlist_md(out: TextIO, of_type: Callable[[str], Iterable[dict]]) -> None:
    """The watch-list in Markdown, a section per type of item (`of_type` gives a type's items in
    order), written an item at a time; the text of watchlist_md and a line break."""
    out.write("# Watch-list\n")
    for kind, title in WATCH_SECTIONS:
        rows = iter(of_type(kind))
        first = next(rows, None)
        if first is None:
            continue
        out.write(f"\n## {title}\n\n")
        for i in itertools.chain([first], rows):
            extra = f" Answer: {md_cell(i['answer'])}." if i.get("answer") else ""
            why = f"{i['status']}, priority {i['priority']}: {md_cell(i['priority_reason'])}"
            out.write(
                f"- **{md_cell(i['text'])}** ({why})."
                f" Look for {md_cell(i['wants'])}; keywords: {md_cell(', '.join(i['keywords']))}.{extra}\n"
            )
    out.write("\n")


# ------------------------------------------------------------------------------------------ graph


def rows_table(columns: Sequence[str]) -> Any:
    """A renderer for plain rows with these columns."""

    def build(rows: list[dict]) -> Table:
        table = _table(None, columns)
        for r in rows:
            table.add_row(*[cell(r.get(c)) for c in columns])
        return table

    return build


def rows_md(columns: Sequence[str]) -> Any:
    def build(rows: list[dict]) -> str:
        return md_table(columns, [[r.get(c) for c in columns] for r in rows])

    return build


def _path_line(report: dict) -> str:
    return " -> ".join(
        f"[{step['label']}]" if step["type"] == "entity" else f"(claim {step['id']})"
        for step in report["path"]
    )


def path_view(report: dict) -> RenderableType:
    parts: list[RenderableType] = [Text(safe(_path_line(report)))]
    if report["claims"]:
        parts.append(claims_table(report["claims"], "claims naming both"))
    return Group(*parts)


def path_md(report: dict) -> str:
    lines = [md_cell(_path_line(report)), ""]
    if report["claims"]:
        lines.append(claims_md(report["claims"], "Claims naming both"))
    return "\n".join(lines)
