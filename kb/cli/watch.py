"""Watch-lists and closing watch items."""

from enum import StrEnum
from typing import Annotated

import typer

from kb.cli.common import (
    _decided,
    _entity_id,
    _out,
    _store,
    app,
)
from kb.settings import WATCH_EXPORT_LIMIT, WATCH_STALE_LIMIT, WATCH_TABLE_LIMIT

# ---------------------------------------------------------------------------------- watch-lists

watch_app = typer.Typer(help="Watch items by hand: close one.", rich_markup_mode=None)
app.add_typer(watch_app, name="watch")


class WatchFmt(StrEnum):
    table = "table"
    json = "json"
    md = "md"
    csv = "csv"


@app.command()
def watchlist(
    ctx: typer.Context,
    entity_name: Annotated[str | None, typer.Option("--entity", help="Only items about this entity.")] = None,
    status: Annotated[
        str, typer.Option(help="open (and triggered), triggered, or all (with resolved).")
    ] = "open",
    stale_days: Annotated[int, typer.Option(help="A claim from one source older than this is stale.")] = 30,
    stale_limit: Annotated[
        int,
        typer.Option(min=0, help="List the N stale claims last seen most recently (0: all of them)."),
    ] = WATCH_STALE_LIMIT,
    limit: Annotated[
        int | None,
        typer.Option(
            min=0,
            help=f"List the N items of highest priority (0: all; default {WATCH_TABLE_LIMIT:,} in the "
            f"table, {WATCH_EXPORT_LIMIT:,} in csv, json and md).",
        ),
    ] = None,
    fmt: Annotated[WatchFmt, typer.Option("--format", "-f", help="Output format.")] = WatchFmt.table,
    out: Annotated[str | None, typer.Option("-o", "--output", help="Write to FILE (- for stdout).")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite FILE if it exists.")] = False,
) -> None:
    """What to monitor next: open questions (and the evidence that would settle them), watch items,
    monitored entities with their aliases, and stale claims from one source, by priority."""
    from kb import render
    from kb.diff import now
    from kb.export import output
    from kb.watch import COLUMNS, STATUSES, open_watchlist

    if status not in STATUSES:
        raise typer.BadParameter(f"choose one of {', '.join(STATUSES)}", param_hint="--status")
    store = _store(ctx)
    eid = _entity_id(store, entity_name) if entity_name else None
    if limit is None:
        limit = WATCH_TABLE_LIMIT if fmt == WatchFmt.table else WATCH_EXPORT_LIMIT
    with (
        output(out, force) as stream,
        open_watchlist(store, now(), eid, status, stale_days, limit, stale_limit) as items,
    ):
        if fmt == WatchFmt.csv:
            from kb.export.csv import write_csv

            write_csv(stream, COLUMNS, items)
        elif fmt == WatchFmt.json:
            render.write_json_array(stream, items)
            stream.write("\n")
        elif fmt == WatchFmt.md:
            render.write_watchlist_md(stream, items.of_type)
        elif out in (None, "-"):
            _out(render.watchlist_table(list(items), items.total))
        else:
            render.console_to(stream).print(render.watchlist_table(list(items), items.total))
    note = render.watchlist_note(
        items.shown, items.total, items.stale_cut, stale_limit, fmt == WatchFmt.table
    )
    if note:
        render.write_err(note)


@watch_app.command("close")
def watch_close(
    ctx: typer.Context,
    claim_id: Annotated[int, typer.Argument(metavar="ID", help="Watch item (claim) id.")],
    because: Annotated[str, typer.Option(help="The reason, kept in its history.")],
) -> None:
    """Close a watch item by hand; it leaves the open list (kb reopen ID undoes it)."""
    from kb.pipeline import decide

    _decided(decide(_store(ctx), claim_id, "close", because))
