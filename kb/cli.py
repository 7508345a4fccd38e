"""The `kb` command line: parse arguments, call the library, render. Heavy modules load per command."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from kb.errors import KbError, NotFound

if TYPE_CHECKING:
    from kb.models import Moment
    from kb.store import Store


class Fmt(StrEnum):
    table = "table"
    json = "json"
    md = "md"


class Grade(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    F = "F"


class _Group(TyperGroup):
    """Shows the library's errors as one line on stderr with exit code 1, never a traceback."""

    def invoke(self, ctx: Any) -> Any:
        from sqlalchemy.exc import SQLAlchemyError

        from kb.render import error_line, write_err

        try:
            return super().invoke(ctx)
        except KbError as exc:
            write_err(error_line(str(exc), exc.hint))
        except SQLAlchemyError as exc:
            write_err(error_line(f"database error: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}"))
        raise typer.Exit(1)


app = typer.Typer(
    cls=_Group,
    name="kb",
    help="A claim-tracking knowledge base for developing news stories.\n\n"
    "Ingest briefs, then ask about entities, claims and what changed. The database is kb.db in the "
    "current directory unless --db or KB_DATABASE_URL says otherwise.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
review_app = typer.Typer(help="List suggested links, or accept or reject one.", rich_markup_mode=None)
app.add_typer(review_app, name="review")

FormatOpt = Annotated[Fmt, typer.Option("--format", "-f", help="Output format.")]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="Show the KB as it stood then: 2026-06-18, 2026-06-18T09:00, 7d, yesterday, last."
    ),
]
ByOpt = Annotated[str, typer.Option("--by", help="Clock: ingested (when kb learnt it) or published.")]


class Context:
    def __init__(self, db: str | None) -> None:
        self.db = db
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            from kb.settings import database_url
            from kb.store import Store

            self._store = Store(database_url(self.db))
        return self._store


@app.callback()
def _root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="SQLite file to use (default kb.db; KB_DATABASE_URL selects any SQLAlchemy URL).",
        ),
    ] = None,
) -> None:
    ctx.obj = Context(db)


def _moment(store: Store, when: str | None, by: str, option: str = "--as-of") -> Moment | None:
    """A user's time option as a moment on a clock (None when not given)."""
    from kb.diff import CLOCKS, mark_of, now, parse_when
    from kb.models import Moment

    if by not in CLOCKS:
        raise typer.BadParameter(f"choose one of {', '.join(CLOCKS)}", param_hint="--by")
    if when is None:
        return None
    try:
        return Moment(parse_when(when, now(), mark_of(store, by)), by)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from exc


def _store(ctx: typer.Context) -> Store:
    return ctx.ensure_object(Context).store if isinstance(ctx.obj, Context) else Context(None).store


def _out(renderable: Any) -> None:
    from kb import render

    if isinstance(renderable, str):
        sys.stdout.write(renderable + "\n")
    else:
        render.console().print(renderable)


def _emit(fmt: Fmt, data: Any, table: Any, md: Any) -> None:
    """Print `data` as JSON, or the table / Markdown renderer applied to it."""
    from kb import render

    if fmt == Fmt.json:
        _out(render.to_json(data))
    elif fmt == Fmt.md:
        _out(md(data))
    else:
        _out(table(data))


# ------------------------------------------------------------------------------------ ingest


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[str], typer.Argument(help="Files, folders (read recursively) or - for stdin.")],
    source: Annotated[
        str | None,
        typer.Option(help="Outlet to credit (default: the publisher the story names)."),
    ] = None,
    reliability: Annotated[
        Grade | None,
        typer.Option(help="Admiralty grade A-F for that outlet (default F, cannot be judged)."),
    ] = None,
    input_format: Annotated[
        str, typer.Option("--input-format", help="Reader: auto, brief, md, prose, json, feed or html.")
    ] = "auto",
    strict: Annotated[bool, typer.Option(help="Stop at the first input that fails.")] = False,
    fmt: Annotated[Fmt, typer.Option("--format", "-f", help="Summary format (table or json).")] = Fmt.table,
) -> None:
    """Parse, resolve, match and store stories; print what changed. Exit 1 if any input failed."""
    from kb import render
    from kb.parse.reader import FORMATS, documents, parse_stories
    from kb.pipeline import Ingestor, summarise

    if input_format not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--input-format")
    store = _store(ctx)
    ingestor = Ingestor(store, source=source, reliability=reliability.value if reliability else None)
    stdin = sys.stdin.buffer.read() if "-" in paths else None
    docs = list(documents(paths, stdin))
    results, failures = [], 0
    with render.progress(len(docs), enabled=len(docs) > 5 and sys.stderr.isatty()) as bar:
        task = bar.add_task("ingest", total=len(docs))
        for doc in docs:
            bar.advance(task)
            try:
                if doc.error:
                    raise KbError(doc.error)
                stories = parse_stories(doc, input_format)
                for n, story in enumerate(stories, 1):
                    where = doc.path if len(stories) == 1 else f"{doc.path}#{n}"
                    results.append(ingestor.ingest(story, where))
            except KbError as exc:
                failures += 1
                render.write_err(render.error_line(str(exc)))
                if strict:
                    break
    summary = summarise(results, failures)
    _emit(fmt, summary, render.ingest_summary, render.to_json)
    if failures:
        raise typer.Exit(1)


# ------------------------------------------------------------------------------------ queries


def _entity_id(store: Store, name: str) -> int:
    from kb.resolve import lookup

    names = {e["id"]: e["name"] for e in store.entity_rows(include_unused=True)}
    found = lookup(name, store.entity_names(), names)
    if found.entity_id is None:
        hint = (
            f"did you mean: {', '.join(found.suggestions)}"
            if found.suggestions
            else "list entities with: kb entities"
        )
        raise NotFound(f"no entity named {name!r}", hint=hint)
    return found.entity_id


@app.command()
def entity(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Entity name or alias (typos tolerated).")],
    fmt: FormatOpt = Fmt.table,
    as_of: AsOfOpt = None,
    by: ByOpt = "ingested",
) -> None:
    """Profile of an entity: aliases, what is known, open questions, watch items, related entities."""
    from kb import render

    store = _store(ctx)
    profile = store.entity_profile(_entity_id(store, name), as_of=_moment(store, as_of, by))
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
    from kb.models import Kind, State

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
    from kb.models import Moment

    for event in store.history(start or Moment(EPOCH, by), end):
        sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")


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
    fmt: Annotated[WatchFmt, typer.Option("--format", "-f", help="Output format.")] = WatchFmt.table,
    out: Annotated[str | None, typer.Option("-o", "--output", help="Write to FILE (- for stdout).")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite FILE if it exists.")] = False,
) -> None:
    """What to monitor next: open questions (and the evidence that would settle them), watch items,
    monitored entities with their aliases, and stale claims from one source, by priority."""
    from kb import render
    from kb.diff import now
    from kb.export import output
    from kb.watch import COLUMNS, STATUSES
    from kb.watch import watchlist as build

    if status not in STATUSES:
        raise typer.BadParameter(f"choose one of {', '.join(STATUSES)}", param_hint="--status")
    store = _store(ctx)
    eid = _entity_id(store, entity_name) if entity_name else None
    items = build(store, now(), entity_id=eid, status=status, stale_days=stale_days)
    with output(out, force) as stream:
        if fmt == WatchFmt.csv:
            from kb.export.csv import write_csv

            write_csv(stream, COLUMNS, items)
        elif fmt == WatchFmt.json:
            stream.write(render.to_json(items) + "\n")
        elif fmt == WatchFmt.md:
            stream.write(render.watchlist_md(items) + "\n")
        elif out in (None, "-"):
            _out(render.watchlist_table(items))
        else:
            render.console_to(stream).print(render.watchlist_table(items))


@watch_app.command("close")
def watch_close(
    ctx: typer.Context,
    claim_id: Annotated[int, typer.Argument(metavar="ID", help="Watch item (claim) id.")],
    because: Annotated[str, typer.Option(help="The reason, kept in its history.")],
) -> None:
    """Close a watch item by hand; it leaves the open list (kb reopen ID undoes it)."""
    from kb.pipeline import decide

    _decided(decide(_store(ctx), claim_id, "close", because))


# ------------------------------------------------------------------------------ graph and curation

graph_app = typer.Typer(help="Walk the knowledge graph and export it for graph tools.", rich_markup_mode=None)
app.add_typer(graph_app, name="graph")
alias_app = typer.Typer(help="Entity aliases.", rich_markup_mode=None)
app.add_typer(alias_app, name="alias")


class GraphFmt(StrEnum):
    graphml = "graphml"
    gexf = "gexf"
    json = "json"
    dot = "dot"


@graph_app.command("neighbors")
def graph_neighbors(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Entity name or alias.")],
    depth: Annotated[int, typer.Option(min=1, max=4, help="Hops through shared claims.")] = 1,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """Entities that share claims with NAME, nearest and most connected first."""
    from kb import graph, render

    store = _store(ctx)
    rows = graph.neighbours(store, _entity_id(store, name), depth)
    _emit(
        fmt,
        rows,
        render.rows_table(("name", "kind", "distance", "shared_claims")),
        render.rows_md(("name", "kind", "distance", "shared_claims")),
    )


@graph_app.command("path")
def graph_path(
    ctx: typer.Context,
    a: Annotated[str, typer.Argument(help="First entity.")],
    b: Annotated[str, typer.Argument(help="Second entity.")],
    fmt: FormatOpt = Fmt.table,
) -> None:
    """The claims that connect two entities: those naming both, and the shortest chain between them."""
    from kb import graph, render

    store = _store(ctx)
    ea, eb = _entity_id(store, a), _entity_id(store, b)
    report = {
        "path": graph.path(store, ea, eb),
        "claims": store.claim_rows(ids=graph.linking_claims(store, ea, eb)),
    }
    if not report["path"]:
        raise NotFound(f"nothing connects {a} and {b}")
    _emit(fmt, report, render.path_view, render.path_md)


@graph_app.command("central")
def graph_central(
    ctx: typer.Context,
    top: Annotated[int, typer.Option(min=1, help="How many entities.")] = 20,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """Entities ranked by eigenvector centrality on the graph of shared claims."""
    from kb import graph, render

    columns = ("name", "kind", "score", "neighbours")
    _emit(fmt, graph.central(_store(ctx), top), render.rows_table(columns), render.rows_md(columns))


@graph_app.command("export")
def graph_export(
    ctx: typer.Context,
    fmt: Annotated[GraphFmt, typer.Option("--format", "-f", help="graphml, gexf, json (D3) or dot.")],
    out: Annotated[str | None, typer.Option("-o", "--output", help="Write to FILE (- for stdout).")] = None,
    entity_name: Annotated[
        str | None, typer.Option("--entity", help="Only this entity's neighbourhood.")
    ] = None,
    depth: Annotated[int, typer.Option(min=1, max=4, help="Hops around --entity.")] = 1,
    force: Annotated[bool, typer.Option(help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Export entities, claims and stories with typed edges for Gephi, Cytoscape, D3 or Graphviz."""
    from kb import graph
    from kb.export import output
    from kb.export.graph import write

    store = _store(ctx)
    eid = _entity_id(store, entity_name) if entity_name else None
    g = graph.build(store, eid, depth)
    with output(out, force) as stream:
        write(g, fmt.value, stream)


@alias_app.command("add")
def alias_add(
    ctx: typer.Context,
    entity_name: Annotated[str, typer.Argument(metavar="ENTITY", help="Entity name or alias.")],
    alias: Annotated[str, typer.Argument(help="The new name.")],
) -> None:
    """Add a name by which ENTITY is known; later stories using it resolve to ENTITY."""
    from kb.curate import add_alias

    store = _store(ctx)
    add_alias(store, _entity_id(store, entity_name), alias)
    _out(f"{alias} now names {entity_name}")


@app.command()
def merge(
    ctx: typer.Context,
    keep: Annotated[str, typer.Argument(metavar="A", help="The entity to keep.")],
    other: Annotated[str, typer.Argument(metavar="B", help="The entity to fold into A.")],
    because: Annotated[str, typer.Option(help="The reason, kept as a judgement.")] = "same entity",
) -> None:
    """Merge B into A: B's aliases and claims move to A (kb unmerge B restores them exactly)."""
    from kb.curate import merge as do_merge

    store = _store(ctx)
    do_merge(store, _entity_id(store, keep), _entity_id(store, other), because)
    _out(f"merged {other} into {keep}")


@app.command()
def unmerge(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="B", help="The entity that was merged into another.")],
    because: Annotated[
        str, typer.Option(help="The reason, kept with the judgement.")
    ] = "not the same entity",
) -> None:
    """Undo the merge of B: its aliases and claims return to it exactly."""
    from kb.curate import unmerge as do_unmerge
    from kb.resolve import alias_key

    store = _store(ctx)
    merged = [eid for eid, n in store.merged_entities().items() if alias_key(n) == alias_key(name)]
    if not merged:
        raise NotFound(f"no merged entity named {name!r}", hint="name the entity as it was before the merge")
    kept = do_unmerge(store, merged[0], because)
    _out(f"unmerged {name} from {kept}")


@app.command("not-same")
def not_same(
    ctx: typer.Context,
    a: Annotated[str, typer.Argument(help="First entity.")],
    b: Annotated[str, typer.Argument(help="Second entity.")],
    because: Annotated[str, typer.Option(help="The reason, kept as a judgement.")] = "different entities",
) -> None:
    """Record that A and B are different: they are never merged, by hand or by fuzzy matching."""
    from kb.curate import not_same as do_not_same

    store = _store(ctx)
    do_not_same(store, _entity_id(store, a), _entity_id(store, b), because)
    _out(f"{a} and {b} are kept apart")


@app.command("entity-kind")
def entity_kind(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Entity name or alias.")],
    kind: Annotated[
        str, typer.Argument(help="organisation, product, model, person, place, regulation or unknown.")
    ],
) -> None:
    """Set an entity's kind."""
    from kb.curate import set_kind

    store = _store(ctx)
    set_kind(store, _entity_id(store, name), kind)
    _out(f"{name} is now a {kind}")


# ---------------------------------------------------------------------------------- backup


@app.command()
def dump(
    ctx: typer.Context,
    out: Annotated[
        str | None, typer.Option("-o", "--output", help="Write to FILE (default: stdout).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Write the whole KB as JSON Lines: a lossless backup that `kb load` restores."""
    import json

    from kb.db import schema_version
    from kb.export import output

    store = _store(ctx)
    with output(out, force) as stream:
        stream.write(json.dumps({"kb_dump": 1, "schema_version": schema_version()}) + "\n")
        for table, row in store.dump_rows():
            stream.write(json.dumps({"table": table, "row": row}, ensure_ascii=False, sort_keys=True) + "\n")


@app.command()
def load(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(metavar="FILE", help="A file written by kb dump (- for stdin).")],
) -> None:
    """Restore a `kb dump` into an empty database, all or nothing."""
    from kb.backup import read_dump

    store = _store(ctx)
    if not store.is_empty():
        raise KbError("the database is not empty", hint="load into a new database (--db new.db)")
    count = store.load_rows(read_dump(path))
    _out(f"loaded {count} rows from {path}")


# ------------------------------------------------------------------------------ analyst decisions


@review_app.callback(invoke_without_command=True)
def review_list(ctx: typer.Context, fmt: FormatOpt = Fmt.table) -> None:
    """List suggestions waiting for a decision (kb review accept|reject ID)."""
    if ctx.invoked_subcommand is not None:
        return
    from kb import render

    _emit(fmt, _store(ctx).suggestion_rows(), render.suggestions_table, render.suggestions_md)


def _decided(changes: list, fmt: Fmt = Fmt.table) -> None:
    from kb import render

    rows = [
        {
            "claim_id": c.claim_id,
            "text": c.text,
            "action": c.action,
            "from_state": c.from_state,
            "to_state": c.to_state,
            "reason": c.reason,
        }
        for c in changes
    ]
    _emit(fmt, rows, lambda r: render.changes_table(r, "decision recorded"), lambda r: render.to_json(r))


@review_app.command("accept")
def review_accept(
    ctx: typer.Context,
    link_id: Annotated[int, typer.Argument(metavar="ID")],
    because: Annotated[str, typer.Option(help="Why (kept in the history).")] = "",
) -> None:
    """Accept a suggestion: the link acts as if it had scored above the automatic threshold."""
    from kb.pipeline import review

    _decided(review(_store(ctx), link_id, accept=True, because=because))


@review_app.command("reject")
def review_reject(
    ctx: typer.Context,
    link_id: Annotated[int, typer.Argument(metavar="ID")],
    because: Annotated[str, typer.Option(help="Why (kept in the history).")] = "",
) -> None:
    """Reject a suggestion (or an automatic link): it stops acting and is never suggested again."""
    from kb.pipeline import review

    _decided(review(_store(ctx), link_id, accept=False, because=because))


def _decision(action: str, doc: str) -> None:
    def command(
        ctx: typer.Context,
        claim_id: Annotated[int, typer.Argument(metavar="ID", help="Claim id.")],
        because: Annotated[str, typer.Option(help="The reason, kept in the claim's history.")],
    ) -> None:
        from kb.pipeline import decide

        _decided(decide(_store(ctx), claim_id, action, because))

    command.__doc__ = doc
    app.command(action)(command)


_decision("promote", "Mark an open question as answered (known), on the analyst's word.")
_decision("confirm", "Mark a claim confirmed (primary or official source, or analyst).")
_decision("dispute", "Mark a claim disputed.")
_decision("refute", "Mark a claim refuted (retracted or shown false).")
_decision("reopen", "Withdraw the analyst's decision on a claim; its state follows the evidence again.")


def main() -> None:
    """Entry point of the `kb` console script."""
    app()
