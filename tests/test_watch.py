"""Watch-lists: item types, priorities, resolution and safe exports."""

from __future__ import annotations

import csv
import io
import json

from helpers import ROOT, brief
from test_matching import ANTHROPIC_Q, BASE, REVENUE_Q, follow_up
from typer.testing import CliRunner

from kb import pipeline
from kb.cli import app
from kb.diff import now
from kb.export.csv import safe_cell
from kb.watch import watchlist

ANSWER = "Microsoft will offer Anthropic models in China from next year."
WATCH = "Any change in Microsoft’s partnership with 21Vianet."


def by_type(items, kind):  # type: ignore[no-untyped-def]
    return [i for i in items if i["type"] == kind]


def test_the_seed_alone_gives_its_open_questions_watch_items_and_entities(store, ingest):
    ingest((ROOT / "data" / "corpus" / "2026-06-18-seed-recap.txt").read_text(encoding="utf-8"))
    items = watchlist(store, now())
    assert len(by_type(items, "question")) == 4  # the FAQ repeat of an unclear question is folded in
    assert len(by_type(items, "watch")) == 4
    assert {"Microsoft", "21Vianet", "China", "OpenAI"} <= {i["text"] for i in by_type(items, "entity")}
    for item in items:
        assert set(item) >= {
            "id",
            "type",
            "text",
            "entities",
            "keywords",
            "status",
            "priority",
            "opened",
            "last_activity",
        }


def test_open_questions_say_what_would_settle_them_and_what_to_look_for(store, ingest):
    ingest(BASE)
    question = next(i for i in watchlist(store, now()) if i["text"] == REVENUE_Q)
    assert "figure" in question["wants"]
    assert "Microsoft" in question["keywords"] and "revenue" in question["keywords"]


def test_monitored_entities_carry_all_their_aliases_as_keywords(store, ingest):
    ingest(BASE)
    vianet = next(i for i in watchlist(store, now()) if i["type"] == "entity" and i["text"] == "21Vianet")
    assert "VNET Group" in vianet["keywords"]


def test_an_answered_question_leaves_the_open_list_and_shows_as_resolved_with_its_answer(store, ingest):
    ingest(BASE)
    ingest(follow_up("Ledger Two", ANSWER))
    assert ANTHROPIC_Q not in {i["text"] for i in watchlist(store, now())}
    resolved = next(i for i in watchlist(store, now(), status="all") if i["text"] == ANTHROPIC_Q)
    assert resolved["status"] == "resolved" and resolved["answer"] == ANSWER


def test_a_later_story_touching_a_watch_item_triggers_it_and_names_the_story(store, ingest):
    ingest(BASE)
    ingest(
        follow_up("Ledger Two", "Microsoft changed its partnership with 21Vianet to cover new data centres.")
    )
    item = next(i for i in watchlist(store, now(), status="triggered") if i["text"] == WATCH)
    assert item["status"] == "triggered" and "Follow-up from Ledger Two" in item["answer"]


def test_a_watch_item_closed_by_hand_leaves_the_open_list(store, ingest):
    ingest(BASE)
    watch = next(i for i in watchlist(store, now()) if i["text"] == WATCH)
    pipeline.decide(store, watch["claim_id"], "close", "partnership ended", analyst="ana")
    assert WATCH not in {i["text"] for i in watchlist(store, now())}
    assert next(i for i in watchlist(store, now(), status="all") if i["text"] == WATCH)["status"] == "closed"


def test_a_single_source_claim_goes_stale_after_the_configured_age(store, ingest):
    ingest(BASE)
    stale = by_type(watchlist(store, now(), stale_days=30), "stale")
    assert stale and all(i["wants"] == "another independent source" for i in stale)
    assert not by_type(watchlist(store, now(), stale_days=100000), "stale")


def test_items_come_highest_priority_first_with_a_reason(store, ingest):
    ingest(BASE)
    ingest(
        brief(
            "Harbour works",
            "Port Weekly",
            "2026-06-20",
            unclear=["Whether Maersk Line will use the quay is not confirmed."],
        )
    )
    items = watchlist(store, now())
    assert [i["priority"] for i in items] == sorted((i["priority"] for i in items), reverse=True)
    assert all(i["priority_reason"] for i in items)
    maersk = next(i for i in items if "Maersk" in i["text"] and i["type"] == "question")
    microsoft = next(i for i in items if i["text"] == REVENUE_Q)
    assert microsoft["priority"] > maersk["priority"]  # Microsoft is the more central entity


def test_csv_cells_that_start_like_formulas_are_neutralised():
    assert safe_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert [safe_cell(v) for v in ("+1", "-1", "@SUM(A1)", "plain")] == ["'+1", "'-1", "'@SUM(A1)", "plain"]


def _run(url, *args, **kw):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(
        app, list(args), env={"KB_DATABASE_URL": url, "NO_COLOR": "1", "COLUMNS": "200"}, **kw
    )


def test_a_hyperlink_formula_in_a_story_exports_as_an_inert_csv_cell(sqlite_url, tmp_path):
    path = tmp_path / "evil.txt"
    path.write_text(
        brief(
            "Evil",
            "Bad Wire",
            "2026-06-20",
            unclear=['=HYPERLINK("http://evil.example","click") is not known.'],
        ),
        encoding="utf-8",
    )
    assert _run(sqlite_url, "ingest", str(path)).exit_code == 0
    out = _run(sqlite_url, "watchlist", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    texts = [r["text"] for r in rows if r["type"] == "question"]
    assert texts and all(not t.startswith(("=", "+", "-", "@")) for t in texts)
    assert any(t.startswith("'=HYPERLINK") for t in texts)


def test_every_format_parses_with_the_standard_modules(sqlite_url, tmp_path):
    (tmp_path / "base.txt").write_text(BASE, encoding="utf-8")
    _run(sqlite_url, "ingest", str(tmp_path / "base.txt"))
    items = json.loads(_run(sqlite_url, "watchlist", "--format", "json").stdout)
    rows = list(csv.DictReader(io.StringIO(_run(sqlite_url, "watchlist", "--format", "csv").stdout)))
    assert len(items) == len(rows) > 0
    assert _run(sqlite_url, "watchlist", "--format", "md").stdout.startswith("# Watch-list")


def test_output_files_are_not_overwritten_without_force(sqlite_url, tmp_path):
    (tmp_path / "base.txt").write_text(BASE, encoding="utf-8")
    _run(sqlite_url, "ingest", str(tmp_path / "base.txt"))
    target = tmp_path / "watch.csv"
    assert _run(sqlite_url, "watchlist", "-f", "csv", "-o", str(target)).exit_code == 0
    first = target.read_text(encoding="utf-8")
    refused = _run(sqlite_url, "watchlist", "-f", "csv", "-o", str(target))
    assert refused.exit_code == 1 and "--force" in refused.stderr
    assert _run(sqlite_url, "watchlist", "-f", "json", "-o", str(target), "--force").exit_code == 0
    assert target.read_text(encoding="utf-8") != first
    assert _run(sqlite_url, "watchlist", "-f", "csv", "-o", "-").stdout.startswith("id,type")


def test_watch_close_from_the_command_line(sqlite_url, tmp_path):
    (tmp_path / "base.txt").write_text(BASE, encoding="utf-8")
    _run(sqlite_url, "ingest", str(tmp_path / "base.txt"))
    items = json.loads(_run(sqlite_url, "watchlist", "-f", "json").stdout)
    watch = next(i for i in items if i["type"] == "watch")
    assert _run(sqlite_url, "watch", "close", str(watch["claim_id"]), "--because", "done").exit_code == 0
    items = json.loads(_run(sqlite_url, "watchlist", "-f", "json").stdout)
    assert watch["id"] not in {i["id"] for i in items}
