"""`kb entity`: a profile shows the newest claims of each section and says how many there are in all, on
both databases; related entities, sources and the timeline are read from the entity's newest claims."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from helpers import brief
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from kb import db
from kb.cli import app
from kb.store import Store
from kb.vocab import Moment

SECTIONS = ("known", "open_questions", "answered_questions", "watch")

# Three briefs on Orbitalis Labs, a few days apart, each with a partner of its own.
STORIES = [
    brief(
        "Orbitalis Labs opens in Norway",
        "Wire One",
        "2026-06-01",
        known=[
            "Orbitalis Labs opened an office in Oslo with Bergen Systems.",
            "Orbitalis Labs hired 40 engineers from Bergen Systems in May.",
            "Orbitalis Labs leases a test range near Tromsø.",
        ],
        unclear=["Whether Orbitalis Labs will build a factory in Norway is not confirmed."],
        watch=["Any permit filing by Orbitalis Labs in Tromsø."],
    ),
    brief(
        "Orbitalis Labs signs with Kestrel Motors",
        "Ledger Two",
        "2026-06-05",
        known=[
            "Orbitalis Labs signed a supply deal with Kestrel Motors.",
            "Kestrel Motors will buy satellite parts from Orbitalis Labs for five years.",
            "Orbitalis Labs moved its launch schedule to the spring.",
        ],
        unclear=["The price Kestrel Motors pays Orbitalis Labs is not disclosed."],
        watch=["Whether Kestrel Motors orders a second batch from Orbitalis Labs."],
    ),
    brief(
        "Orbitalis Labs and Nordlys Energy",
        "Harbor Three",
        "2026-06-09",
        known=[
            "Orbitalis Labs buys its power from Nordlys Energy.",
            "Nordlys Energy built a solar farm for Orbitalis Labs in Finnmark.",
            "Orbitalis Labs plans a second ground station in Svalbard.",
        ],
        unclear=["How much Orbitalis Labs spends on energy each year is not known."],
        watch=["The opening date of the Orbitalis Labs ground station in Svalbard."],
    ),
]


def kb_run(url: str, *args: str):  # type: ignore[no-untyped-def]
    env = {"KB_DATABASE_URL": url, "NO_COLOR": "1", "COLUMNS": "200"}
    return CliRunner().invoke(app, list(args), env=env)


@pytest.fixture
def orbitalis(store, ingest) -> int:  # type: ignore[no-untyped-def]
    for story in STORIES:
        ingest(story)
    return store.entity_by_alias("orbitalis labs")


def expected(store: Store, entity_id: int, as_of: Moment | None = None) -> dict[str, list[dict]]:
    """The sections as the claim listing (a separate query path) sees them, by id."""
    rows = store.claim_rows(entity_id=entity_id, as_of=as_of)
    return {
        "known": [c for c in rows if c["kind"] == "fact"],
        "open_questions": [c for c in rows if c["kind"] == "question" and c["state"] == "unclear"],
        "answered_questions": [c for c in rows if c["kind"] == "question" and c["state"] != "unclear"],
        "watch": [c for c in rows if c["kind"] == "watch"],
    }


def ids(claims: list[dict]) -> list[int]:
    return [c["id"] for c in claims]


def test_each_section_shows_its_newest_claims_and_counts_them_all(store, orbitalis):
    full = expected(store, orbitalis)
    assert len(full["known"]) > 2 and len(full["watch"]) > 2  # so that a limit of 2 elides something
    profile = store.entity_profile(orbitalis, limit=2)
    for key in SECTIONS:
        assert ids(profile[key]) == ids(full[key])[-2:]
        assert profile["totals"][key] == len(full[key])
    assert profile["limit"] == 2


def test_the_claim_count_and_states_stay_exact_whatever_the_limit(store, orbitalis):
    rows = store.claim_rows(entity_id=orbitalis)
    states: dict[str, int] = {}
    for c in rows:
        states[c["state"]] = states.get(c["state"], 0) + 1
    for limit in (1, 0):
        profile = store.entity_profile(orbitalis, limit=limit)
        assert profile["claims"] == len(rows)
        assert profile["by_state"] == states
        assert sum(profile["totals"].values()) == len(rows)


def test_limit_zero_shows_every_claim_and_reads_related_entities_from_all_of_them(store, orbitalis):
    profile = store.entity_profile(orbitalis, limit=0)
    full = expected(store, orbitalis)
    for key in SECTIONS:
        assert profile[key] == full[key]
    assert profile["related_window"] is None
    assert {"Bergen Systems", "Kestrel Motors", "Nordlys Energy"} <= {r["name"] for r in profile["related"]}


def test_related_entities_are_counted_over_the_newest_claims_only(store, orbitalis):
    rows = store.claim_rows(entity_id=orbitalis)
    shared: dict[str, int] = {}
    for c in rows[-3:]:
        for name in set(c["entities"]) - {"Orbitalis Labs"}:
            shared[name] = shared.get(name, 0) + 1
    assert {"Bergen Systems", "Kestrel Motors"}.isdisjoint(shared)  # named only in older claims
    profile = store.entity_profile(orbitalis, window=3)
    assert profile["related_window"] == 3
    assert {r["name"]: r["shared_claims"] for r in profile["related"]} == shared
    assert {e["claim_id"] for e in profile["timeline"]} <= set(ids(rows[-3:]))


def test_sources_are_the_newest_stories_in_chronological_order(store, orbitalis):
    profile = store.entity_profile(orbitalis, limit=2)
    assert [s["publisher"] for s in profile["sources"]] == ["Ledger Two", "Harbor Three"]
    assert [s["publisher"] for s in store.entity_profile(orbitalis, limit=0)["sources"]] == [
        "Wire One",
        "Ledger Two",
        "Harbor Three",
    ]


def test_the_timeline_keeps_the_newest_events_in_chronological_order(store, orbitalis, monkeypatch):
    everything = store.entity_profile(orbitalis)["timeline"]
    monkeypatch.setattr(Store, "PROFILE_EVENTS", 3)
    newest = store.entity_profile(orbitalis)["timeline"]
    assert newest == everything[-3:]
    assert [e["at"] for e in everything] == sorted(e["at"] for e in everything)
    assert newest[-1]["at"].startswith("2026-06-09")


def test_as_of_shows_the_newest_claims_that_existed_then(store, orbitalis):
    moment = Moment(datetime(2026, 6, 6), "published")  # after the second brief, before the third
    then = expected(store, orbitalis, as_of=moment)
    profile = store.entity_profile(orbitalis, as_of=moment, limit=2)
    for key in SECTIONS:
        assert profile[key] == then[key][-2:]
        assert profile["totals"][key] == len(then[key])
    assert profile["claims"] == sum(len(v) for v in then.values())
    assert "Nordlys Energy" not in {r["name"] for r in profile["related"]}
    assert [s["publisher"] for s in profile["sources"]] == ["Wire One", "Ledger Two"]
    assert all(e["at"] < "2026-06-06" for e in profile["timeline"])


def test_as_of_with_a_window_reads_related_entities_from_the_newest_claims_then(store, orbitalis):
    moment = Moment(datetime(2026, 6, 6), "published")
    related = store.entity_profile(orbitalis, as_of=moment, window=3)["related"]
    assert "Kestrel Motors" in {r["name"] for r in related}
    assert "Bergen Systems" not in {r["name"] for r in related}


# ------------------------------------------------------------------------------------ command line


def test_the_table_says_how_many_claims_each_section_elides(db_url, store, orbitalis):
    full = expected(store, orbitalis)
    result = kb_run(db_url, "entity", "Orbitalis Labs", "--limit", "2")
    assert result.exit_code == 0, result.stderr
    assert f"what is known (showing 2 of {len(full['known'])})" in result.stdout
    assert f"watch items (showing 2 of {len(full['watch'])})" in result.stdout


def test_the_table_titles_a_section_it_shows_whole_as_before(db_url, orbitalis):
    result = kb_run(db_url, "entity", "Orbitalis Labs")
    assert result.exit_code == 0, result.stderr
    assert re.search(r"^ *what is known *$", result.stdout, re.MULTILINE)
    assert "showing" not in result.stdout


def test_json_adds_totals_limit_and_window_and_keeps_every_key(db_url, store, orbitalis):
    full = expected(store, orbitalis)
    result = kb_run(db_url, "entity", "Orbitalis Labs", "--limit", "1", "--format", "json")
    assert result.exit_code == 0, result.stderr
    profile = json.loads(result.stdout)
    keys = {"id", "name", "kind", "aliases", "claims", *SECTIONS, "by_state", "related", "sources"}
    assert keys | {"timeline", "totals", "limit", "related_window"} <= set(profile)
    assert profile["totals"] == {key: len(full[key]) for key in SECTIONS}
    assert [len(profile[key]) for key in SECTIONS] == [min(1, len(full[key])) for key in SECTIONS]
    assert profile["limit"] == 1 and profile["related_window"] == Store.PROFILE_WINDOW


def test_markdown_says_how_many_claims_each_section_elides(db_url, store, orbitalis):
    full = expected(store, orbitalis)
    result = kb_run(db_url, "entity", "Orbitalis Labs", "--limit", "2", "--format", "md")
    assert result.exit_code == 0, result.stderr
    assert f"## What is known (showing 2 of {len(full['known'])})" in result.stdout
    assert f"## Watch items (showing 2 of {len(full['watch'])})" in result.stdout


def test_the_command_shows_the_profile_the_store_reads(db_url, store, orbitalis):
    result = kb_run(db_url, "entity", "orbitalis labs", "--limit", "2", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(json.dumps(store.entity_profile(orbitalis, limit=2)))


def test_the_command_shows_the_profile_as_it_stood_then(db_url, store, orbitalis):
    args = ("--as-of", "2026-06-06", "--by", "published", "--format", "json")
    result = kb_run(db_url, "entity", "Orbitalis Labs", *args)
    assert result.exit_code == 0, result.stderr
    then = store.entity_profile(orbitalis, as_of=Moment(datetime(2026, 6, 6), "published"))
    assert json.loads(result.stdout) == json.loads(json.dumps(then))
    assert "Nordlys Energy" not in {r["name"] for r in then["related"]}


def test_an_unknown_clock_is_a_usage_error_with_or_without_as_of(db_url, orbitalis):
    assert kb_run(db_url, "entity", "Orbitalis Labs", "--by", "printed").exit_code == 2
    assert kb_run(db_url, "entity", "Orbitalis Labs", "--by", "printed", "--as-of", "7d").exit_code == 2


def test_a_negative_limit_is_a_usage_error(sqlite_url):
    assert kb_run(sqlite_url, "entity", "Orbitalis Labs", "--limit", "-1").exit_code == 2


def test_the_help_explains_limit_with_the_window_the_store_uses():
    result = CliRunner().invoke(app, ["entity", "--help"], env={"COLUMNS": "200"})
    assert "--limit" in result.stdout and "0 shows everything" in result.stdout
    assert f"newest {Store.PROFILE_WINDOW:,} claims" in result.stdout


# -------------------------------------------------------------------------------------- migration


def indexes(store: Store) -> dict[str, list[str]]:
    with store.engine.connect() as conn:
        found = inspect(conn)
        return {ix["name"]: ix["column_names"] for t in ("mention", "claim") for ix in found.get_indexes(t)}


def test_a_new_database_has_the_profile_indexes(store):
    found = indexes(store)
    assert found["ix_mention_entity_claim_role"] == ["entity_id", "claim_id", "role"]
    assert "ix_mention_entity_claim" not in found
    # claim (id, kind, state) only where the planner uses it
    postgres = store.engine.dialect.name == "postgresql"
    assert (found.get("ix_claim_id_kind_state") == ["id", "kind", "state"]) == postgres


def test_an_older_database_gets_the_profile_indexes_on_open(db_url, monkeypatch):
    mine = [name for name, _ in db.MIGRATIONS].index("entity profile indexes")
    monkeypatch.setattr(db, "MIGRATIONS", db.MIGRATIONS[: mine + 1])  # later ones are not this test's
    store = Store(db_url)
    new = indexes(store)
    with store.engine.begin() as conn:  # the schema as it was before
        conn.execute(text("DROP INDEX ix_mention_entity_claim_role"))
        conn.execute(text("DROP INDEX IF EXISTS ix_claim_id_kind_state"))
        conn.execute(text("CREATE INDEX ix_mention_entity_claim ON mention (entity_id, claim_id)"))
        conn.execute(text("UPDATE meta SET value = :v WHERE key = 'schema_version'"), {"v": str(mine + 1)})
    store.engine.dispose()
    upgraded = Store(db_url)
    assert upgraded.meta("schema_version") == str(mine + 2)
    assert indexes(upgraded) == new
    upgraded.engine.dispose()
