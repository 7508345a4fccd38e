"""The graph: neighbours, paths, centrality, exports that load back, and undoable entity curation."""

from __future__ import annotations

import io
import json

import networkx as nx
import pytest
from helpers import ROOT, brief
from typer.testing import CliRunner

from kb import curate, graph
from kb.cli import app
from kb.errors import DecisionError
from kb.export.graph import write

CORPUS = sorted((ROOT / "data" / "corpus").glob("*.txt"))


def entity_id(store, name):  # type: ignore[no-untyped-def]
    return next(e["id"] for e in store.entity_rows(include_unused=True) if e["name"] == name)


@pytest.fixture
def demo(store, ingest):  # type: ignore[no-untyped-def]
    for path in CORPUS:
        ingest(path.read_text(encoding="utf-8"), str(path))
    return store


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_xml_exports_load_back_with_the_same_node_and_edge_counts(demo, fmt):
    g = graph.build(demo)
    buffer = io.StringIO()
    write(g, fmt, buffer)
    data = io.BytesIO(buffer.getvalue().encode("utf-8"))
    back = nx.read_graphml(data) if fmt == "graphml" else nx.read_gexf(data)
    assert (back.number_of_nodes(), back.number_of_edges()) == (g.number_of_nodes(), g.number_of_edges())


def test_json_export_is_node_link_data_for_d3(demo):
    buffer = io.StringIO()
    write(graph.build(demo), "json", buffer)
    data = json.loads(buffer.getvalue())
    assert {"nodes", "links"} <= set(data)
    assert {n["type"] for n in data["nodes"]} == {"entity", "claim", "story"}


def test_control_characters_and_emoji_in_names_still_export_valid_xml(store, ingest):
    ingest(
        brief(
            "Odd names",
            "Wire \x07 Desk",
            "2026-06-20",
            known=['Zeta\x1b[2J Labs and Őrség 🚀 Corp signed a deal with Microsoft in "Shanghai" <today>.'],
        )
    )
    g = graph.build(store)
    for fmt in ("graphml", "gexf"):
        buffer = io.StringIO()
        write(g, fmt, buffer)
        data = io.BytesIO(buffer.getvalue().encode("utf-8"))
        back = nx.read_graphml(data) if fmt == "graphml" else nx.read_gexf(data)
        assert back.number_of_nodes() == g.number_of_nodes()
    dot = io.StringIO()
    write(g, "dot", dot)
    assert dot.getvalue().startswith("digraph kb {") and '\\"Shanghai\\"' in dot.getvalue()


def test_the_path_between_microsoft_and_21vianet_names_the_claims_that_link_them(demo):
    a, b = entity_id(demo, "Microsoft"), entity_id(demo, "21Vianet")
    steps = graph.path(demo, a, b)
    assert [s["type"] for s in steps] == ["entity", "claim", "entity"]
    linking = graph.linking_claims(demo, a, b)
    texts = [c["text"] for c in demo.claim_rows(ids=linking)]
    assert any("21Vianet" in t and "Microsoft" in t for t in texts)


def test_neighbours_come_nearest_and_most_connected_first(demo):
    rows = graph.neighbours(demo, entity_id(demo, "21Vianet"), depth=1)
    assert rows[0]["name"] == "Microsoft"
    assert all(r["distance"] == 1 for r in rows)
    assert len(graph.neighbours(demo, entity_id(demo, "21Vianet"), depth=2)) >= len(rows)


def test_the_most_central_entities_are_the_story_s_subjects(demo):
    top = [r["name"] for r in graph.central(demo, 3)]
    assert "Microsoft" in top and "China" in top


def test_merging_moves_claims_and_unmerging_restores_them_exactly(demo):
    ms, azure = entity_id(demo, "Microsoft"), entity_id(demo, "Azure")
    before = {e["name"]: (e["claims"], sorted(e["aliases"])) for e in demo.entity_rows()}
    claims_before = {c["id"]: c["entities"] for c in demo.claim_rows()}
    curate.merge(demo, ms, azure, "same company", analyst="ana")
    after = {e["name"]: e for e in demo.entity_rows()}
    assert "Azure" not in after and "Azure" in after["Microsoft"]["aliases"]
    curate.unmerge(demo, azure, "a product, not the company", analyst="ana")
    assert {e["name"]: (e["claims"], sorted(e["aliases"])) for e in demo.entity_rows()} == before
    assert {c["id"]: c["entities"] for c in demo.claim_rows()} == claims_before


def test_a_not_same_pair_cannot_be_merged(demo):
    ms, azure = entity_id(demo, "Microsoft"), entity_id(demo, "Azure")
    curate.not_same(demo, ms, azure, "a product, not the company", analyst="ana")
    with pytest.raises(DecisionError):
        curate.merge(demo, ms, azure, "oops", analyst="ana")


def test_a_not_same_pair_is_never_joined_by_a_later_ingest(store, ingest):
    ingest(brief("Two firms", "Wire", "2026-06-20", known=["Investors backed Zorvex and Zarvix in Oslo."]))
    names = {e["name"]: e["id"] for e in store.entity_rows()}
    curate.not_same(store, names["Zorvex"], names["Zarvix"], "two firms", analyst="ana")
    ingest(
        brief(
            "Later",
            "Other Wire",
            "2026-06-21",
            known=["Recruiters say Zorvexx and Zarvixx hired staff in Oslo."],
        )
    )
    after = {e["name"]: e for e in store.entity_rows()}
    assert after["Zorvex"]["id"] != after["Zarvix"]["id"]
    assert after["Zorvex"]["claims"] == after["Zarvix"]["claims"] == 2
    assert not store.merged_entities()


def test_a_typo_of_one_known_entity_is_filed_under_it(store, ingest):
    ingest(brief("A lab", "Wire", "2026-06-20", known=["Orbitalis Labs opened an office in Oslo."]))
    ingest(brief("Later", "Other Wire", "2026-06-21", known=["Orbitaliss Labs hired staff in Oslo."]))
    assert "Orbitaliss Labs" not in {e["name"] for e in store.entity_rows()}


def test_merges_and_unmerges_show_in_the_diff(demo):
    from kb.diff import EPOCH, diff, now

    azure = entity_id(demo, "Azure")
    curate.merge(demo, entity_id(demo, "Microsoft"), azure, "same", analyst="ana")
    curate.unmerge(demo, azure, "not same", analyst="ana")
    actions = [c["action"] for c in diff(demo, EPOCH, now())["changes"]]
    assert actions[-2:] == ["merged", "unmerged"]


def test_alias_and_kind_curation(demo):
    ms = entity_id(demo, "Microsoft")
    curate.add_alias(demo, ms, "Redmond giant", analyst="ana")
    assert "Redmond giant" in next(e for e in demo.entity_rows() if e["id"] == ms)["aliases"]
    with pytest.raises(DecisionError):
        curate.add_alias(demo, ms, "Azure", analyst="ana")
    curate.set_kind(demo, ms, "organisation", analyst="ana")
    with pytest.raises(DecisionError):
        curate.set_kind(demo, ms, "planet", analyst="ana")


def test_graph_commands_from_the_command_line(sqlite_url, tmp_path):
    env = {"KB_DATABASE_URL": sqlite_url, "NO_COLOR": "1", "COLUMNS": "200"}
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(ROOT / "data" / "corpus")], env=env).exit_code == 0
    path = runner.invoke(app, ["graph", "path", "Microsoft", "21Vianet", "--format", "json"], env=env)
    assert path.exit_code == 0 and json.loads(path.stdout)["claims"]
    out = tmp_path / "kb.graphml"
    assert (
        runner.invoke(app, ["graph", "export", "--format", "graphml", "-o", str(out)], env=env).exit_code == 0
    )
    assert nx.read_graphml(out).number_of_nodes() > 0
    assert (
        runner.invoke(app, ["graph", "export", "--format", "graphml", "-o", str(out)], env=env).exit_code == 1
    )
    assert runner.invoke(app, ["merge", "Microsoft", "Azure"], env=env).exit_code == 0
    assert runner.invoke(app, ["unmerge", "Azure"], env=env).exit_code == 0
    assert runner.invoke(app, ["unmerge", "Azure"], env=env).exit_code == 1
    assert runner.invoke(app, ["not-same", "Microsoft", "Azure"], env=env).exit_code == 0
    assert runner.invoke(app, ["entity-kind", "Azure", "product"], env=env).exit_code == 0
    assert runner.invoke(app, ["alias", "add", "Azure", "Microsoft cloud platform"], env=env).exit_code == 0
    central = json.loads(runner.invoke(app, ["graph", "central", "--format", "json"], env=env).stdout)
    assert central[0]["name"] in ("Microsoft", "China")


def test_a_name_two_letters_off_a_known_one_becomes_an_entity_suggestion(store, ingest):
    ingest(brief("A firm", "Wire", "2026-06-20", known=["Investors backed Zorvexon in Oslo."]))
    ingest(brief("Later", "Other Wire", "2026-06-21", known=["Recruiters say Zarvexan hired staff in Oslo."]))
    names = {e["name"]: e["id"] for e in store.entity_rows()}
    assert {"Zorvexon", "Zarvexan"} <= set(names)
    suggestion = next(s for s in store.suggestion_rows() if s["kind"] == "same_entity")
    assert {suggestion["entity_id"], suggestion["other_entity_id"]} == {names["Zorvexon"], names["Zarvexan"]}
    assert (
        curate.decide_suggestion(store, int(suggestion["id"][1:]), accept=True, because="same firm")
        == "merged"
    )
    assert "Zarvexan" not in {e["name"] for e in store.entity_rows()}
    assert not [s for s in store.suggestion_rows() if s["kind"] == "same_entity"]


def test_rejecting_an_entity_suggestion_keeps_the_two_apart(sqlite_url, tmp_path):
    env = {"KB_DATABASE_URL": sqlite_url, "NO_COLOR": "1", "COLUMNS": "200"}
    runner = CliRunner()
    for i, text in enumerate(
        ["Investors backed Zorvexon in Oslo.", "Recruiters say Zarvexan hired staff in Oslo."]
    ):
        path = tmp_path / f"{i}.txt"
        path.write_text(brief(f"Story {i}", f"Wire {i}", "2026-06-20", known=[text]), encoding="utf-8")
        assert runner.invoke(app, ["ingest", str(path)], env=env).exit_code == 0
    rows = json.loads(runner.invoke(app, ["review", "--format", "json"], env=env).stdout)
    ident = next(r["id"] for r in rows if r["kind"] == "same_entity")
    assert runner.invoke(app, ["review", "reject", ident], env=env).exit_code == 0
    assert runner.invoke(app, ["merge", "Zorvexon", "Zarvexan"], env=env).exit_code == 1
    assert runner.invoke(app, ["review", "accept", "x9"], env=env).exit_code == 2
