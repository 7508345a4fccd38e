"""Diff reports and time travel, read from the event log on both clocks."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from helpers import brief
from test_matching import ANTHROPIC_Q, BASE, FACT, REVENUE_Q, follow_up
from typer.testing import CliRunner

from kb import pipeline
from kb.cli import app
from kb.diff import diff, now, parse_when, set_mark
from kb.vocab import Moment

ANSWER = "Microsoft will offer Anthropic models in China from next year."
NOW = datetime(2026, 11, 25, 12, 30)


def claim(store, text):  # type: ignore[no-untyped-def]
    return next(c for c in store.claim_rows() if c["text"] == text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-06-18", datetime(2026, 6, 18)),
        ("2026-06-18T09:30", datetime(2026, 6, 18, 9, 30)),
        ("2026-06-18T09:30:00+02:00", datetime(2026, 6, 18, 7, 30)),
        ("7d", NOW - timedelta(days=7)),
        ("12h", NOW - timedelta(hours=12)),
        ("2w", NOW - timedelta(weeks=2)),
        ("yesterday", datetime(2026, 11, 24)),
        ("today", datetime(2026, 11, 25)),
        ("last", datetime(2026, 11, 1)),
    ],
)
def test_times_are_read_in_the_forms_users_type(text, expected):
    assert parse_when(text, NOW, datetime(2026, 11, 1)) == expected


def test_last_without_a_mark_and_nonsense_are_clear_errors():
    with pytest.raises(ValueError, match="kb diff --mark"):
        parse_when("last", NOW, None)
    with pytest.raises(ValueError, match="cannot read"):
        parse_when("next blue moon", NOW, None)


def test_the_diff_since_the_mark_lists_exactly_the_state_changes_with_their_causes(store, ingest):
    ingest(BASE)
    before = {c["id"]: c["state"] for c in store.claim_rows()}
    mark = now()
    ingest(
        follow_up("Ledger Two", ANSWER, "Microsoft sells OpenAI models through Azure to Chinese customers.")
    )
    report = diff(store, mark, now())
    after = {c["id"]: c["state"] for c in store.claim_rows()}
    changed = {cid for cid in after if before.get(cid) != after[cid]}
    assert {c["claim_id"] for c in report["changes"]} == changed
    for c in report["changes"]:
        assert c["to_state"] == after[c["claim_id"]]
        assert c["cause"]["title"] == "Follow-up from Ledger Two"
    assert {c["action"] for c in report["changes"]} >= {"promoted", "corroborated", "created"}


def test_an_empty_range_has_no_changes(store, ingest):
    ingest(BASE)
    later = now() + timedelta(days=1)
    report = diff(store, later, later + timedelta(days=1))
    assert report["changes"] == [] and report["new_entities"] == []


def test_as_of_a_moment_before_the_follow_ups_reproduces_the_earlier_states(store, ingest):
    ingest(BASE)
    moment = now()
    ingest(follow_up("Ledger Two", ANSWER))
    assert claim(store, ANTHROPIC_Q)["state"] == "reported"
    earlier = {c["text"]: c["state"] for c in store.claim_rows(as_of=Moment(moment, "ingested"))}
    assert earlier[ANTHROPIC_Q] == "unclear"
    assert ANSWER not in earlier
    detail = store.claim_detail(claim(store, ANTHROPIC_Q)["id"], as_of=Moment(moment, "ingested"))
    assert detail["state"] == "unclear" and [h["action"] for h in detail["history"]] == ["created"]


def test_an_older_story_ingested_later_sits_at_its_publication_date_on_the_published_clock(store, ingest):
    ingest(BASE)
    ingest(follow_up("Ledger Two", ANSWER, day="2026-06-10"))
    june_10 = diff(store, datetime(2026, 6, 9), datetime(2026, 6, 11), by="published")
    assert {c["text"] for c in june_10["changes"]} >= {ANSWER}
    assert all(c["at"].startswith("2026-06-10") for c in june_10["changes"])
    as_of = {
        c["text"]: c["state"] for c in store.claim_rows(as_of=Moment(datetime(2026, 6, 12), "published"))
    }
    assert ANSWER in as_of and FACT not in as_of


def test_a_range_with_an_analyst_reversal_shows_both_decisions(store, ingest):
    ingest(BASE)
    mark = now()
    fact = claim(store, FACT)["id"]
    pipeline.decide(store, fact, "confirm", "filing", analyst="ana")
    pipeline.decide(store, fact, "reopen", "filing withdrawn", analyst="ana")
    report = diff(store, mark, now())
    assert [(c["action"], c["to_state"]) for c in report["changes"]] == [
        ("confirmed", "confirmed"),
        ("reported", "reported"),
    ]
    assert report["changes"][0]["cause"] == {"analyst": "ana", "reason": "confirm: filing; analyst decision"}


def test_the_entity_and_kind_filters_narrow_the_diff(store, ingest):
    ingest(BASE)
    mark = now()
    ingest(
        brief(
            "Harbour works",
            "Port Weekly",
            "2026-06-20",
            known=["Maersk Line opened a new quay in Rotterdam."],
        )
    )
    ingest(follow_up("Ledger Two", ANSWER))
    report = diff(store, mark, now(), kind="question")
    assert {c["text"] for c in report["changes"]} == {ANTHROPIC_Q}
    assert REVENUE_Q not in {c["text"] for c in report["changes"]}


def test_the_cli_diff_marks_and_reads_from_the_mark(sqlite_url, tmp_path):
    env = {"KB_DATABASE_URL": sqlite_url, "NO_COLOR": "1", "COLUMNS": "200"}
    runner = CliRunner()
    (tmp_path / "base.txt").write_text(BASE, encoding="utf-8")
    (tmp_path / "next.txt").write_text(follow_up("Ledger Two", ANSWER), encoding="utf-8")
    assert runner.invoke(app, ["ingest", str(tmp_path / "base.txt")], env=env).exit_code == 0
    assert runner.invoke(app, ["diff", "--mark"], env=env).exit_code == 0
    assert runner.invoke(app, ["ingest", str(tmp_path / "next.txt")], env=env).exit_code == 0
    result = runner.invoke(app, ["diff", "--since", "last", "--format", "json"], env=env)
    report = json.loads(result.stdout)
    assert set(report) >= {"since", "until", "by", "changes", "new_entities"}
    assert "promoted" in {c["action"] for c in report["changes"]}
    for change in report["changes"]:
        assert set(change) >= {
            "claim_id",
            "text",
            "kind",
            "from_state",
            "to_state",
            "from_confidence",
            "to_confidence",
            "at",
            "cause",
        }
    md = runner.invoke(app, ["diff", "--since", "last", "--format", "md"], env=env).stdout
    assert md.startswith("# What changed") and "## Promoted" in md and "Follow-up from Ledger Two" in md
    by_entity = runner.invoke(
        app, ["diff", "--since", "last", "--format", "md", "--group", "entity"], env=env
    )
    assert "## Microsoft" in by_entity.stdout


def test_the_event_stream_is_json_lines(sqlite_url, tmp_path):
    env = {"KB_DATABASE_URL": sqlite_url}
    (tmp_path / "base.txt").write_text(BASE, encoding="utf-8")
    CliRunner().invoke(app, ["ingest", str(tmp_path / "base.txt")], env=env)
    result = CliRunner().invoke(app, ["events", "--since", "2000-01-01"], env=env)
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(events) == 5 and all(e["action"] == "created" for e in events)


def test_a_bad_time_is_a_usage_error(sqlite_url):
    result = CliRunner().invoke(app, ["diff", "--since", "someday soon"], env={"KB_DATABASE_URL": sqlite_url})
    assert result.exit_code == 2 and "cannot read" in result.stderr


def test_set_mark_is_per_clock(store):
    set_mark(store, datetime(2026, 1, 1), "published")
    from kb.diff import mark_of

    assert mark_of(store, "published") == datetime(2026, 1, 1)
    assert mark_of(store, "ingested") is None
