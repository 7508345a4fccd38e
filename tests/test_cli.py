"""The `kb` command line as a user meets it: exit codes, stdout/stderr, JSON shapes and safe rendering.

Most tests start from a copy of one SQLite database that holds the demo corpus (ingested once per session
through the command line), so each test can change its copy freely and the suite stays fast.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from helpers import CLAIM_FIELDS, ROOT, SOURCE_FIELDS, brief
from typer.testing import CliRunner, Result

from kb.cli import app

CORPUS = ROOT / "data" / "corpus"
ANSWER = CORPUS / "2026-06-25-answer.txt"

HOSTILE = "[red]x[/red]\x1b[2J \u202eexe.txt"


def kb(url: str, *args: str, input: str | bytes | None = None) -> Result:
    env = {"KB_DATABASE_URL": url, "NO_COLOR": "1", "COLUMNS": "200", "KB_ANALYST": "tester"}
    return CliRunner().invoke(app, list(args), env=env, input=input)


def kb_json(url: str, *args: str) -> Any:
    result = kb(url, *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="session")
def corpus_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A SQLite file holding the demo corpus, and the JSON summary of ingesting it."""
    path = tmp_path_factory.mktemp("corpus") / "kb.db"
    result = kb(f"sqlite:///{path}", "ingest", str(CORPUS), "--format", "json")
    assert result.exit_code == 0, result.stderr
    return path, json.loads(result.stdout)


@pytest.fixture
def corpus_url(sqlite_url: str, corpus_template: tuple[Path, dict]) -> str:
    """A private copy of the corpus database (the backup API reads through SQLite's write-ahead log)."""
    src = sqlite3.connect(corpus_template[0])
    dst = sqlite3.connect(sqlite_path(sqlite_url))
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return sqlite_url


@pytest.fixture
def corpus_summary(corpus_template: tuple[Path, dict]) -> dict:
    return corpus_template[1]


def claims_of(url: str, *filters: str) -> list[dict]:
    return kb_json(url, "claims", *filters)


def claim_with(url: str, words: str) -> dict:
    matches = [c for c in claims_of(url) if words in c["text"]]
    assert len(matches) == 1, f"expected one claim containing {words!r}, got {len(matches)}"
    return matches[0]


def first(url: str, kind: str, state: str) -> dict:
    rows = claims_of(url, "--kind", kind, "--state", state)
    assert rows, f"no {kind} in state {state}"
    return rows[0]


# ------------------------------------------------------------------------------------------ ingest


def test_ingesting_the_corpus_exits_0_and_prints_an_ingest_summary(sqlite_url):
    result = kb(sqlite_url, "ingest", str(CORPUS))
    assert result.exit_code == 0, result.stderr
    assert "ingest summary" in result.stdout
    assert "what changed" in result.stdout


def test_the_json_ingest_summary_has_every_documented_count(corpus_summary):
    keys = {
        "files",
        "stories",
        "duplicates",
        "failures",
        "new_claims",
        "promoted",
        "corroborated",
        "disputed",
        "suggested",
        "changes",
    }
    assert isinstance(corpus_summary, dict)
    assert keys <= set(corpus_summary)
    assert isinstance(corpus_summary["changes"], list)


def test_the_json_ingest_summary_counts_five_new_stories_and_no_failures(corpus_summary):
    assert corpus_summary["files"] == 5
    assert corpus_summary["stories"] == 5
    assert corpus_summary["duplicates"] == 0
    assert corpus_summary["failures"] == 0
    assert corpus_summary["new_claims"] > 0


def test_ingesting_the_corpus_again_reports_five_duplicates_and_no_new_claims(corpus_url):
    result = kb(corpus_url, "ingest", str(CORPUS), "--format", "json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["duplicates"] == 5
    assert summary["stories"] == 0
    assert summary["new_claims"] == 0


@pytest.fixture
def mixed_folder(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "inbox"
    folder.mkdir()
    paths = {"good": folder / "good.txt", "empty": folder / "empty.txt", "binary": folder / "binary.txt"}
    paths["good"].write_text(ANSWER.read_text(encoding="utf-8"), encoding="utf-8")
    paths["empty"].write_bytes(b"")
    paths["binary"].write_bytes(b"Published 2026-06-01\x00\x01\x02 binary payload\n")
    return paths


def test_ingesting_a_folder_with_bad_files_exits_1(sqlite_url, mixed_folder):
    result = kb(sqlite_url, "ingest", str(mixed_folder["good"].parent))
    assert result.exit_code == 1


def test_ingesting_a_folder_with_bad_files_prints_one_error_line_per_bad_file(sqlite_url, mixed_folder):
    result = kb(sqlite_url, "ingest", str(mixed_folder["good"].parent))
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert all(line.startswith("error: ") for line in lines)
    for name in ("empty", "binary"):
        assert sum(line.startswith(f"error: {mixed_folder[name]}: ") for line in lines) == 1, name
    assert str(mixed_folder["good"]) not in result.stderr


def test_ingesting_a_folder_with_bad_files_shows_no_traceback(sqlite_url, mixed_folder):
    result = kb(sqlite_url, "ingest", str(mixed_folder["good"].parent))
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_ingesting_a_folder_with_bad_files_still_stores_the_good_brief(sqlite_url, mixed_folder):
    kb(sqlite_url, "ingest", str(mixed_folder["good"].parent))
    assert kb_json(sqlite_url, "stats")["stories"] == 1


def test_ingesting_a_missing_path_exits_1_naming_it(sqlite_url, tmp_path):
    missing = tmp_path / "no-such-brief.txt"
    result = kb(sqlite_url, "ingest", str(missing))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {missing}")
    assert "Traceback" not in result.stderr


def test_ingest_dash_reads_a_brief_from_standard_input(sqlite_url):
    result = kb(sqlite_url, "ingest", "-", "--format", "json", input=ANSWER.read_bytes())
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["stories"] == 1
    assert any("600 million" in c["text"] for c in claims_of(sqlite_url))


def test_ingest_source_credits_the_named_outlet(sqlite_url):
    result = kb(sqlite_url, "ingest", str(ANSWER), "--source", "Wire Desk", "--reliability", "B")
    assert result.exit_code == 0, result.stderr
    publishers = {s["publisher"] for c in claims_of(sqlite_url, "--kind", "fact") for s in c["sources"]}
    assert publishers == {"Wire Desk"}


def test_ingest_reliability_b_gives_a_single_source_fact_the_grade_b_confidence(sqlite_url):
    kb(sqlite_url, "ingest", str(ANSWER), "--source", "Wire Desk", "--reliability", "B")
    facts = claims_of(sqlite_url, "--kind", "fact")
    assert facts
    # An ungraded outlet (F) would give 0.6; grade B is 0.8 and one source stays "reported".
    assert {(c["state"], c["confidence"]) for c in facts} == {("reported", 0.8)}


def test_ingest_reliability_a_confirms_the_story_facts(sqlite_url):
    kb(sqlite_url, "ingest", str(ANSWER), "--source", "Official Register", "--reliability", "A")
    assert {c["state"] for c in claims_of(sqlite_url, "--kind", "fact")} == {"confirmed"}


def test_ingest_rejects_an_unknown_reliability_grade_as_a_usage_error(sqlite_url):
    result = kb(sqlite_url, "ingest", str(ANSWER), "--reliability", "Z")
    assert result.exit_code == 2
    assert kb_json(sqlite_url, "stats")["stories"] == 0


# ------------------------------------------------------------------------------------------ entities


def test_entity_json_is_a_profile_object(corpus_url):
    profile = kb_json(corpus_url, "entity", "Microsoft")
    keys = {
        "id",
        "name",
        "kind",
        "aliases",
        "claims",
        "known",
        "open_questions",
        "watch",
        "related",
        "sources",
    }
    assert isinstance(profile, dict)
    assert keys <= set(profile)
    assert profile["name"] == "Microsoft"
    assert profile["claims"] > 0 and profile["known"] and profile["sources"]


def test_entity_lookup_tolerates_a_typo(corpus_url):
    assert kb_json(corpus_url, "entity", "Microsfot")["name"] == "Microsoft"


def test_entity_lookup_finds_an_entity_by_alias(corpus_url):
    assert kb_json(corpus_url, "entity", "VNET Group")["name"] == "21Vianet"


def test_an_unknown_entity_exits_1_with_one_error_line(corpus_url):
    result = kb(corpus_url, "entity", "Nonexistent")
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error:")
    assert "Traceback" not in result.stdout + result.stderr


def test_entities_json_lists_id_name_kind_aliases_and_claim_count(corpus_url):
    rows = kb_json(corpus_url, "entities")
    assert isinstance(rows, list) and rows
    for row in rows:
        assert {"id", "name", "kind", "aliases", "claims"} <= set(row)
        assert isinstance(row["aliases"], list)
        assert isinstance(row["claims"], int) and row["claims"] > 0
    assert "Microsoft" in {r["name"] for r in rows}


def test_entities_md_prints_a_markdown_table(corpus_url):
    result = kb(corpus_url, "entities", "--format", "md")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "| id | name | kind | claims | aliases |"
    assert lines[1] == "|---|---|---|---|---|"
    assert any("| Microsoft |" in line for line in lines[2:])
    assert all(line.startswith("| ") and line.endswith(" |") for line in lines[2:])


# ------------------------------------------------------------------------------------------ claims


def test_claims_json_items_have_the_documented_claim_fields(corpus_url):
    rows = claims_of(corpus_url)
    assert isinstance(rows, list) and rows
    for row in rows:
        assert set(row) >= CLAIM_FIELDS
        assert isinstance(row["entities"], list) and isinstance(row["answered_by"], list)
        assert row["sources"]
        for src in row["sources"]:
            assert set(src) >= SOURCE_FIELDS


def test_claims_filters_by_kind_and_state(corpus_url):
    rows = claims_of(corpus_url, "--kind", "question", "--state", "unclear")
    assert rows
    assert {(r["kind"], r["state"]) for r in rows} == {("question", "unclear")}
    assert len(rows) < len(claims_of(corpus_url))


def test_claims_filters_by_entity(corpus_url):
    rows = claims_of(corpus_url, "--entity", "21Vianet")
    assert rows
    assert all("21Vianet" in r["entities"] for r in rows)
    assert len(rows) < len(claims_of(corpus_url))


def test_claims_with_an_unknown_state_is_a_usage_error(corpus_url):
    result = kb(corpus_url, "claims", "--state", "bogus")
    assert result.exit_code == 2
    assert "Traceback" not in result.stdout + result.stderr


def test_claim_table_shows_the_evidence_and_the_history(corpus_url):
    question = claim_with(corpus_url, "size of Microsoft’s China AI model business")
    result = kb(corpus_url, "claim", str(question["id"]))
    assert result.exit_code == 0, result.stderr
    for words in ("evidence", "history", "Harbor Lane Dispatch", "created", "promoted"):
        assert words in result.stdout


def test_claim_json_has_a_history_of_state_moves_with_causes(corpus_url):
    question = claim_with(corpus_url, "size of Microsoft’s China AI model business")
    detail = kb_json(corpus_url, "claim", str(question["id"]))
    assert detail["id"] == question["id"]
    moves = [(h["from_state"], h["to_state"]) for h in detail["history"]]
    assert moves == [(None, "unclear"), ("unclear", "reported")]
    assert all(h["cause"].get("story_id") for h in detail["history"])


def test_an_unknown_claim_id_exits_1(corpus_url):
    result = kb(corpus_url, "claim", "99999")
    assert result.exit_code == 1
    assert result.stderr.startswith("error:")


def test_search_finds_claims_by_words_in_any_case(corpus_url):
    rows = kb_json(corpus_url, "search", "gpt-4")
    assert len(rows) == 2
    assert all("GPT-4" in r["text"] for r in rows)


def test_search_table_shows_the_matching_claim(corpus_url):
    result = kb(corpus_url, "search", "Sweden")
    assert result.exit_code == 0, result.stderr
    assert "$3.2 billion" in result.stdout
    assert "GPT-4" not in result.stdout


# ------------------------------------------------------------------------------ what the corpus does


def test_the_answer_brief_promotes_an_open_question_with_its_answer(corpus_url):
    question = claim_with(corpus_url, "size of Microsoft’s China AI model business")
    answer = claim_with(corpus_url, "$600 million")
    assert question["kind"] == "question"
    assert question["state"] == "reported"
    assert question["answered_by"] == [answer["id"]]


def test_the_corroborating_brief_corroborates_a_known_fact(corpus_url):
    fact = claim_with(corpus_url, "Through its Azure cloud service")
    assert (fact["kind"], fact["state"]) == ("fact", "corroborated")


def test_the_contradicting_brief_disputes_the_gpt4_preference(corpus_url):
    fact = claim_with(corpus_url, "Chinese companies favour OpenAI’s GPT-4")
    assert (fact["kind"], fact["state"]) == ("fact", "disputed")


def test_the_unrelated_brief_changes_no_earlier_claim(corpus_summary):
    causes = [c["cause"] for c in corpus_summary["changes"]]
    assert causes
    assert not [c for c in causes if c.startswith("Microsoft Plans New Azure Region in Sweden")]


def test_the_corpus_summary_counts_promotions_corroborations_and_disputes(corpus_summary):
    assert corpus_summary["promoted"] >= 1
    assert corpus_summary["corroborated"] >= 1
    assert corpus_summary["disputed"] >= 1


# ------------------------------------------------------------------------------------------ review


def suggestions(url: str) -> list[dict]:
    return kb_json(url, "review")


def test_review_json_lists_suggestions_with_the_documented_fields(corpus_url):
    rows = suggestions(corpus_url)
    assert isinstance(rows, list) and rows
    for row in rows:
        assert {"id", "kind", "claim_id", "other_claim_id", "score", "reason"} <= set(row)
        assert 0 <= row["score"] <= 1


def test_review_accept_exits_0_and_removes_the_suggestion(corpus_url):
    link = suggestions(corpus_url)[0]["id"]
    result = kb(corpus_url, "review", "accept", str(link), "--because", "same partner")
    assert result.exit_code == 0, result.stderr
    assert link not in {r["id"] for r in suggestions(corpus_url)}


def test_review_reject_exits_0_and_removes_the_suggestion(corpus_url):
    link = suggestions(corpus_url)[0]["id"]
    result = kb(corpus_url, "review", "reject", str(link))
    assert result.exit_code == 0, result.stderr
    assert link not in {r["id"] for r in suggestions(corpus_url)}


def test_review_reject_twice_exits_1(corpus_url):
    link = suggestions(corpus_url)[0]["id"]
    assert kb(corpus_url, "review", "reject", str(link)).exit_code == 0
    again = kb(corpus_url, "review", "reject", str(link))
    assert again.exit_code == 1
    assert again.stderr.startswith("error:")


def test_review_accept_of_a_same_as_suggestion_corroborates_both_claims(corpus_url):
    row = suggestions(corpus_url)[0]
    assert row["kind"] == "same_as"
    kb(corpus_url, "review", "accept", str(row["id"]))
    states = {c["id"]: c["state"] for c in claims_of(corpus_url)}
    assert states[row["claim_id"]] == states[row["other_claim_id"]] == "corroborated"


# ------------------------------------------------------------------------------ analyst decisions


@pytest.mark.parametrize(
    ("action", "kind", "state", "expected"),
    [
        ("promote", "question", "unclear", "reported"),
        ("confirm", "fact", "reported", "confirmed"),
        ("dispute", "fact", "reported", "disputed"),
        ("refute", "fact", "reported", "refuted"),
    ],
)
def test_an_analyst_decision_changes_the_state_and_records_the_reason(
    corpus_url, action, kind, state, expected
):
    target = first(corpus_url, kind, state)
    result = kb(corpus_url, action, str(target["id"]), "--because", f"{action} per desk call")
    assert result.exit_code == 0, result.stderr
    detail = kb_json(corpus_url, "claim", str(target["id"]))
    assert detail["state"] == expected
    last = detail["history"][-1]
    assert (last["from_state"], last["to_state"]) == (state, expected)
    assert last["cause"]["analyst"] == "tester"
    assert f"{action} per desk call" in last["cause"]["reason"]


def test_reopen_returns_a_claim_to_its_evidence_state_with_the_reason_in_history(corpus_url):
    target = first(corpus_url, "fact", "reported")
    kb(corpus_url, "confirm", str(target["id"]), "--because", "filing seen")
    result = kb(corpus_url, "reopen", str(target["id"]), "--because", "filing withdrawn")
    assert result.exit_code == 0, result.stderr
    detail = kb_json(corpus_url, "claim", str(target["id"]))
    assert detail["state"] == "reported"
    last = detail["history"][-1]
    assert (last["from_state"], last["to_state"]) == ("confirmed", "reported")
    assert "filing withdrawn" in last["cause"]["reason"]


@pytest.mark.parametrize("action", ["promote", "confirm", "dispute", "refute", "reopen"])
def test_a_decision_without_because_is_a_usage_error(corpus_url, action):
    target = first(corpus_url, "question", "unclear")
    result = kb(corpus_url, action, str(target["id"]))
    assert result.exit_code == 2
    assert kb_json(corpus_url, "claim", str(target["id"]))["state"] == "unclear"


def test_promoting_a_watch_item_exits_1_with_one_error_line(corpus_url):
    watch = first(corpus_url, "watch", "watching")
    result = kb(corpus_url, "promote", str(watch["id"]), "--because", "it happened")
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error:")
    assert kb_json(corpus_url, "claim", str(watch["id"]))["state"] == "watching"


def test_a_decision_on_an_unknown_claim_exits_1(corpus_url):
    result = kb(corpus_url, "confirm", "99999", "--because", "no such claim")
    assert result.exit_code == 1
    assert result.stderr.startswith("error:")


# ------------------------------------------------------------------------------------------ stats


def test_stats_json_counts_the_corpus(corpus_url):
    stats = kb_json(corpus_url, "stats")
    assert stats["stories"] == 5
    assert stats["sources"] == 5
    assert stats["claims"] == len(claims_of(corpus_url))
    by_kind = stats["claims_by_kind"]
    assert sum(n for states in by_kind.values() for n in states.values()) == stats["claims"]
    assert stats["entities"] >= len(kb_json(corpus_url, "entities"))


def test_stats_of_an_empty_database_are_zero(sqlite_url):
    stats = kb_json(sqlite_url, "stats")
    assert (stats["stories"], stats["claims"], stats["entities"]) == (0, 0, 0)


# ------------------------------------------------------------------------------------------ help


def _command_paths(group: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if hasattr(command, "commands"):
            yield from _command_paths(command, (*prefix, name))


COMMANDS = list(_command_paths(typer.main.get_command(app)))


def test_the_app_registers_the_documented_commands():
    names = {" ".join(path) for path, _ in COMMANDS}
    expected = {"ingest", "entity", "entities", "claims", "claim", "search", "stats", "review"}
    expected |= {"review accept", "review reject", "promote", "confirm", "dispute", "refute", "reopen"}
    assert expected <= names


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_has_help_with_a_description(sqlite_url, path, command):
    result = kb(sqlite_url, *path, "--help")
    assert result.exit_code == 0, result.stderr
    assert command.help and command.help.strip()
    summary = " ".join(command.help.split("\n\n")[0].split())
    assert summary in " ".join(result.stdout.split())


def test_the_root_help_lists_every_command(sqlite_url):
    result = kb(sqlite_url, "--help")
    assert result.exit_code == 0
    assert "claim-tracking knowledge base" in result.stdout
    for path, _ in COMMANDS:
        if len(path) == 1:
            assert f"  {path[0]} " in result.stdout


# ------------------------------------------------------------------------------------------ hostile text


@pytest.fixture
def hostile_url(sqlite_url: str, tmp_path: Path) -> str:
    text = brief(
        f"Acme title {HOSTILE}",
        "Hostile Times",
        "2026-07-01",
        known=[f"Acme Corp said {HOSTILE} profits rose.", "Acme Corp split revenue a | b between units."],
        unclear=["Whether Acme Corp will expand is not confirmed."],
    )
    path = tmp_path / "hostile.txt"
    path.write_text(text, encoding="utf-8")
    result = kb(sqlite_url, "ingest", str(path))
    assert result.exit_code == 0, result.stderr
    return sqlite_url


def test_claims_table_shows_rich_markup_literally(hostile_url):
    assert "[red]x[/red]" in kb(hostile_url, "claims").stdout


def test_claims_table_never_emits_terminal_escapes_or_bidi_overrides(hostile_url):
    out = kb(hostile_url, "claims").stdout
    assert "\x1b" not in out
    assert "\u202e" not in out


def test_claims_table_shows_control_characters_as_visible_escapes(hostile_url):
    out = kb(hostile_url, "claims").stdout
    assert "\\x1b[2J" in out
    assert "\\u202e" in out


def test_claim_table_escapes_a_hostile_story_title(hostile_url):
    claim_id = next(c["id"] for c in claims_of(hostile_url) if "profits rose" in c["text"])
    out = kb(hostile_url, "claim", str(claim_id)).stdout
    assert "Acme title [red]x[/red]\\x1b[2J" in out
    assert "\x1b" not in out and "\u202e" not in out


def test_claims_md_escapes_the_pipe_in_a_cell(hostile_url):
    out = kb(hostile_url, "claims", "--format", "md").stdout
    row = next(line for line in out.splitlines() if "split revenue" in line)
    assert "a \\| b" in row
    assert len(re.split(r"(?<!\\)\|", row)) == 8  # six cells between unescaped pipes


def test_claims_json_keeps_the_original_text(hostile_url):
    texts = [c["text"] for c in claims_of(hostile_url)]
    assert f"Acme Corp said {HOSTILE} profits rose." in texts


# ------------------------------------------------------------------------------------------ PostgreSQL


@pytest.mark.postgres
def test_postgresql_holds_the_same_corpus_counts_as_sqlite(pg_url, corpus_url):
    result = kb(pg_url, "ingest", str(CORPUS))
    assert result.exit_code == 0, result.stderr
    assert kb_json(pg_url, "stats") == kb_json(corpus_url, "stats")
