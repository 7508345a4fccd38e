"""Time: diffs between two points and the event stream."""

import sys
from typing import Annotated

import typer

from kb.cli.common import (
    ByOpt,
    Fmt,
    FormatOpt,
    _emit,
    _entity_id,
    _moment,
    _store,
    app,
)

# ---------------------------------------------------------------------------------- time


@app.command()
def diff(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option(
            help="Start (exclusive): 2026-06-18, 2026-06-18T09:00, 7d, yesterday, last. "
            "Default: the last mark, else the beginning."
        ),
    ] = None,
    until: Annotated[str | None, typer.Option(help="End (inclusive). Default: now.")] = None,
    by: ByOpt = "ingested",
    entity_name: Annotated[
        str | None, typer.Option("--entity", help="Only claims naming this entity.")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind: fact, question or watch.")] = None,
    group: Annotated[str, typer.Option(help="Markdown grouping: change or entity.")] = "change",
    mark: Annotated[
        bool, typer.Option(help="Afterwards, remember --until as the point `last` refers to.")
    ] = False,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """What changed between two points: new claims, promotions, corroborations, disputes, refutations,
    analyst decisions, confidence moves and new entities, each with its cause."""
    from kb import render
    from kb.diff import diff as build
    from kb.diff import grouped, mark_of, set_mark

    if group not in ("change", "entity"):
        raise typer.BadParameter("choose change or entity", param_hint="--group")
    if kind and kind not in ("fact", "question", "watch"):
        raise typer.BadParameter("choose fact, question or watch", param_hint="--kind")
    store = _store(ctx)
    end = _moment(store, until or "now", by, "--until")
    start = _moment(store, since, by, "--since")
    assert end is not None
    if start is None:
        from kb.diff import EPOCH

        start_at = mark_of(store, by) or EPOCH
    else:
        start_at = start.at
    eid = _entity_id(store, entity_name) if entity_name else None
    report = build(store, start_at, end.at, by=by, entity_id=eid, kind=kind)
    _emit(fmt, report, render.diff_table, lambda r: render.diff_md(r, grouped(r, group), group == "entity"))
    if mark:
        set_mark(store, end.at, by)


@app.command()
def events(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help="Start (exclusive); default: the beginning.")] = None,
    until: Annotated[str | None, typer.Option(help="End (inclusive); default: now.")] = None,
    by: ByOpt = "ingested",
) -> None:
    """The event stream as JSON Lines, one event a line, for other tools."""
    import json

    from kb.diff import EPOCH

    store = _store(ctx)
    start = _moment(store, since, by, "--since")
    end = _moment(store, until or "now", by, "--until")
    assert end is not None
    from kb.vocab import Moment

    for event in store.history(start or Moment(EPOCH, by), end):
        sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
