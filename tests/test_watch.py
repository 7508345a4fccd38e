"""Watch-lists: item types, priorities, resolution and safe exports."""

from __future__ import annotations

import csv
import io
import json

from helpers import ROOT, brief
from hypothesis import given, settings
from hypothesis import strategies as st
from test_matching import ANTHROPIC_Q, BASE, REVENUE_Q, follow_up
from typer.testing import CliRunner

from kb import pipeline, render
from kb.cli import app
from kb.diff import now
from kb.export.csv import FORMULA_PREFIXES, safe_cell, write_csv
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


# ------------------------------------------------------------------------------- bounds and writers


def _ingested(url: str, tmp_path) -> list[dict]:  # type: ignore[no-untyped-def]
    (tmp_path / "base.txt").write_text(BASE, encoding="utf-8")
    assert _run(url, "ingest", str(tmp_path / "base.txt")).exit_code == 0
    every = _run(url, "watchlist", "-f", "json", "--limit", "0")
    assert every.exit_code == 0 and not every.stderr
    return json.loads(every.stdout)


def test_a_limit_lists_the_items_of_highest_priority_and_says_so_on_stderr(sqlite_url, tmp_path):
    every = _ingested(sqlite_url, tmp_path)
    assert len(every) > 5
    top = _run(sqlite_url, "watchlist", "-f", "json", "--limit", "3")
    assert json.loads(top.stdout) == every[:3]
    assert (
        top.stderr == f"note: listed the 3 items of highest priority of {len(every)} (--limit 0 lists all)\n"
    )
    table = _run(sqlite_url, "watchlist", "--limit", "2")
    assert f"watch-list (showing 2 of {len(every)})" in table.stdout and not table.stderr
    assert "showing" not in _run(sqlite_url, "watchlist").stdout  # a small list is shown whole


def test_exports_list_a_bounded_number_of_items_unless_told_otherwise(sqlite_url, tmp_path, monkeypatch):
    every = _ingested(sqlite_url, tmp_path)
    monkeypatch.setattr("kb.cli.watch.WATCH_EXPORT_LIMIT", 4)
    rows = list(csv.DictReader(io.StringIO(_run(sqlite_url, "watchlist", "-f", "csv").stdout)))
    assert [r["id"] for r in rows] == [i["id"] for i in every[:4]]
    md = _run(sqlite_url, "watchlist", "-f", "md")
    assert md.stdout.count("\n- **") == 4 and "--limit 0 lists all" in md.stderr
    assert len(
        list(csv.DictReader(io.StringIO(_run(sqlite_url, "watchlist", "-f", "csv", "--limit", "0").stdout)))
    ) == len(every)


def test_the_stale_limit_keeps_the_stale_claims_last_seen_most_recently(sqlite_url, tmp_path):
    every = _ingested(sqlite_url, tmp_path)
    stale = [i for i in every if i["type"] == "stale"]
    assert len(stale) > 1
    one = _run(sqlite_url, "watchlist", "-f", "json", "--limit", "0", "--stale-limit", "1")
    kept = [i for i in json.loads(one.stdout) if i["type"] == "stale"]
    assert len(kept) == 1 and kept[0] in stale
    assert "the 1 stale claims last seen most recently (--stale-limit 0 lists all)" in one.stderr
    assert _run(sqlite_url, "watchlist", "--stale-limit", "-1").exit_code == 2


def test_json_and_markdown_written_an_item_at_a_time_read_as_the_whole_list_would(sqlite_url, tmp_path):
    every = _ingested(sqlite_url, tmp_path)
    assert _run(sqlite_url, "watchlist", "-f", "json", "--limit", "0").stdout == render.to_json(every) + "\n"
    md = _run(sqlite_url, "watchlist", "-f", "md", "--limit", "0").stdout
    assert md == render.watchlist_md(every) + "\n"
    assert md.index("## Open questions") < md.index("## Watch items") < md.index("## Monitored entities")


_VALUES = st.one_of(
    st.text(),
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.lists(st.one_of(st.text(), st.integers(), st.floats())),
    st.dictionaries(st.text(), st.integers(), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.dictionaries(st.text(), _VALUES, max_size=5), _VALUES), max_size=4))
def test_a_json_array_is_written_as_to_json_writes_it(rows):
    out = io.StringIO()
    render.write_json_array(out, rows)
    assert out.getvalue() == render.to_json(rows)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["id", "text", "a,b", 'q"', ""]), min_size=1, max_size=4, unique=True),
    st.lists(st.dictionaries(st.text(), st.one_of(st.text(), st.integers(), st.none(), st.lists(st.text())))),
    st.lists(st.text(alphabet="\",\r\n =+-@\t'ab", max_size=6)),
)
def test_csv_is_written_as_the_csv_module_writes_it(columns, rows, texts):
    rows = [*rows, *({c: t for c in columns} for t in texts)]
    out = io.StringIO()
    write_csv(out, columns, rows)
    expected = io.StringIO()
    writer = csv.writer(expected)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(c)) for c in columns])
    assert out.getvalue() == expected.getvalue()


@given(st.one_of(st.text(), st.integers(), st.none(), st.lists(st.text())))
def test_a_cell_is_neutralised_exactly_when_it_starts_like_a_formula(value):
    text = "" if value is None else "; ".join(value) if isinstance(value, list) else str(value)
    assert safe_cell(value) == (f"'{text}" if text.startswith(FORMULA_PREFIXES) else text)
