"""Queries: entities, claims, one claim, search and counts."""

from typing import Annotated

import typer

from kb.cli.common import (
    AsOfOpt,
    ByOpt,
    Fmt,
    FormatOpt,
    _clock,
    _emit,
    _entity_id,
    _moment,
    _reader,
    _store,
    app,
)
from kb.errors import NotFound

# ------------------------------------------------------------------------------------ queries


@app.command()
def entity(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Entity name or alias (typos tolerated).")],
    fmt: FormatOpt = Fmt.table,
    limit: Annotated[
        int,
        typer.Option(
            "--limit",
            min=0,
            metavar="N",
            help="Show the newest N claims of each section (known, answered, open, watch); each section "
            "says how many it holds in all. Related entities and the newest N sources are read from the "
            "entity's newest 2,000 claims. 0 shows everything, read from every claim (slow for an entity "
            "named in a large share of the KB).",
        ),
    ] = 10,
    as_of: AsOfOpt = None,
    by: ByOpt = "ingested",
) -> None:
    """Profile of an entity: aliases, what is known, open questions, watch items, related entities."""
    from kb import render

    # Read through the reader, which loads neither the ORM nor SQLModel; only --as-of opens the store
    # (for `kb diff --mark`'s mark).
    reader = _reader(ctx)
    entity_id = _entity_id(reader, name)
    moment = _moment(_store(ctx), as_of, by) if as_of is not None else None
    if as_of is None:
        _clock(by)
    profile = reader.entity_profile(entity_id, as_of=moment, limit=limit)
    _emit(fmt, profile, render.entity_profile, render.entity_profile_md)


@app.command()
def entities(
    ctx: typer.Context,
    fmt: FormatOpt = Fmt.table,
    all_: Annotated[bool, typer.Option("--all", help="Include entities no claim names.")] = False,
) -> None:
    """List entities with their kinds, aliases and claim counts."""
    from kb import render

    _emit(fmt, _store(ctx).entity_rows(include_unused=all_), render.entities_table, render.entities_md)


@app.command()
def claims(
    ctx: typer.Context,
    entity_name: Annotated[
        str | None, typer.Option("--entity", help="Only claims naming this entity.")
    ] = None,
    state: Annotated[str | None, typer.Option(help="Only this state (reported, unclear, ...).")] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind: fact, question or watch.")] = None,
    fmt: FormatOpt = Fmt.table,
    as_of: AsOfOpt = None,
    by: ByOpt = "ingested",
) -> None:
    """List claims with their state and confidence (as they stood at --as-of)."""
    from kb import render
    from kb.vocab import Kind, State

    if state and state not in State.__members__:
        raise typer.BadParameter(f"choose one of {', '.join(State.__members__)}", param_hint="--state")
    if kind and kind not in Kind.__members__:
        raise typer.BadParameter(f"choose one of {', '.join(Kind.__members__)}", param_hint="--kind")
    store = _store(ctx)
    eid = _entity_id(store, entity_name) if entity_name else None
    rows = store.claim_rows(entity_id=eid, state=state, kind=kind, as_of=_moment(store, as_of, by))
    _emit(fmt, rows, render.claims_table, render.claims_md)


@app.command()
def claim(
    ctx: typer.Context,
    claim_id: Annotated[int, typer.Argument(metavar="ID", help="Claim id.")],
    fmt: FormatOpt = Fmt.table,
    as_of: AsOfOpt = None,
    by: ByOpt = "ingested",
) -> None:
    """One claim: its evidence trail (quotes, outlets, dates, stances), links and history."""
    from kb import render

    store = _store(ctx)
    moment = _moment(store, as_of, by)
    detail = store.claim_detail(claim_id, as_of=moment)
    if detail is None:
        when = f" at {as_of}" if as_of else ""
        raise NotFound(f"no claim #{claim_id}{when}", hint="list claims with: kb claims")
    _emit(fmt, detail, render.claim_detail, render.claim_detail_md)


@app.command()
def search(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="Words to find in claim text.")],
    fmt: FormatOpt = Fmt.table,
) -> None:
    """Claims whose text contains TEXT (case-insensitive)."""
    from kb import render

    _emit(fmt, _store(ctx).claim_rows(text=text), render.claims_table, render.claims_md)


@app.command()
def stats(ctx: typer.Context, fmt: FormatOpt = Fmt.table) -> None:
    """Counts of stories, sources, entities, aliases, claims by kind and state, evidence and events."""
    from kb import render

    _emit(
        fmt,
        _store(ctx).stats(),
        render.stats_table,
        lambda d: render.md_table(("", "count"), [(k, v) for k, v in d.items()]),
    )
