"""The graph and entity curation: neighbours, paths, exports, aliases, merges."""

from enum import StrEnum
from typing import Annotated

import typer

from kb.cli.common import (
    Fmt,
    FormatOpt,
    _emit,
    _entity_id,
    _out,
    _store,
    app,
)
from kb.errors import NotFound

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
