"""The store on SQLite and PostgreSQL: what a brief leaves in the KB, duplicates, transactions."""

from __future__ import annotations

import pytest
from helpers import CLAIM_FIELDS, ROOT, SEED, SOURCE_FIELDS, needs_seed
from sqlalchemy import text

from kb.store import Store

DEMO_RECAP = ROOT / "data" / "corpus" / "2026-06-18-seed-recap.txt"


def _claims(store, kind=None, state=None):  # type: ignore[no-untyped-def]
    return store.claim_rows(kind=kind, state=state)


@needs_seed
def test_the_seed_brief_gives_five_facts_four_questions_and_four_watch_items(store, ingest):
    ingest(SEED.read_text(encoding="utf-8"), str(SEED))
    by_section = [(c["section"], c["kind"], c["state"]) for c in _claims(store)]
    assert by_section.count(("known", "fact", "reported")) == 5
    assert by_section.count(("unclear", "question", "unclear")) == 4
    assert by_section.count(("watch", "watch", "watching")) == 4
    assert {s for s, _, _ in by_section} == {"known", "unclear", "watch", "faq"}


@needs_seed
def test_the_seed_brief_names_each_main_entity_once_and_no_sentence_initial_words(store, ingest):
    ingest(SEED.read_text(encoding="utf-8"), str(SEED))
    names = [e["name"] for e in store.entity_rows(include_unused=True)]
    for expected in ("Microsoft", "21Vianet", "Azure", "OpenAI", "Anthropic", "GPT-4", "China"):
        assert names.count(expected) == 1, expected
    junk = {"Names", "Coverage", "Details", "Further", "Regulatory", "Reported", "Industry", "Updates", "The"}
    assert not junk & set(names)


def test_the_demo_recap_parses_like_the_seed(store, ingest):
    ingest(DEMO_RECAP.read_text(encoding="utf-8"), str(DEMO_RECAP))
    stats = store.stats()["claims_by_kind"]
    assert stats["question"]["unclear"] >= 4
    assert stats["watch"] == {"watching": 4}
    assert len([c for c in _claims(store, kind="fact") if c["section"] == "known"]) == 5


def test_ingesting_identical_content_again_changes_nothing(store, ingest):
    body = DEMO_RECAP.read_text(encoding="utf-8")
    first = ingest(body)
    before = store.stats()
    again = ingest(body.replace("\n", "\r\n"), "copy.txt")
    assert not first.duplicate and again.duplicate
    assert store.stats() == before


def test_a_story_that_fails_midway_leaves_nothing_behind(store, ingest, monkeypatch):
    ingest(DEMO_RECAP.read_text(encoding="utf-8"))
    before = store.stats()

    real = Store.insert_rows

    def broken(s, table, rows):  # type: ignore[no-untyped-def]
        if table == "mention":  # after the story, its claims and their evidence were written
            raise RuntimeError("disk on fire")
        real(s, table, rows)

    monkeypatch.setattr(Store, "insert_rows", staticmethod(broken))
    with pytest.raises(RuntimeError):
        ingest((ROOT / "data" / "corpus" / "2026-06-25-answer.txt").read_text(encoding="utf-8"))
    assert store.stats() == before


def test_both_backends_hold_the_same_counts_for_the_demo_corpus(store, ingest):
    for path in sorted((ROOT / "data" / "corpus").glob("*.txt")):
        ingest(path.read_text(encoding="utf-8"), str(path))
    stats = store.stats()
    assert (stats["stories"], stats["sources"]) == (5, 5)
    assert stats["claims_by_kind"]["fact"].get("disputed") == 2
    assert stats["claims_by_kind"]["question"].get("reported") == 2
    assert stats["links"].get("answers:auto") == 2


def test_claims_carry_the_documented_json_fields(store, ingest):
    ingest(DEMO_RECAP.read_text(encoding="utf-8"))
    claim = _claims(store)[0]
    assert set(claim) >= CLAIM_FIELDS
    assert set(claim["sources"][0]) >= SOURCE_FIELDS


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_url):
    from kb.store import Store

    store = Store(sqlite_url)
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
    store.engine.dispose()


def test_an_unreachable_database_is_a_clear_error(tmp_path):
    from kb.errors import StoreError
    from kb.store import Store

    with pytest.raises(StoreError, match="cannot open database"):
        Store(f"sqlite:///{tmp_path}/missing/dir/kb.db")


def test_bulk_rows_are_stored_as_given_whatever_their_text(store):
    # (on PostgreSQL they go through COPY, whose text format escapes tabs, newlines and backslashes)
    from datetime import datetime

    odd = ["tab\there", "line\nbreak\r\n", "back\\slash \\N", "", "naïve 中文 \u200b", "'quoted' \"too\""]
    rows = [
        {
            "id": 900 + i,
            "name": name,
            "key": f"k{i}",
            "reliability": "C" if i % 2 else "B",
            "created_at": datetime(2026, 6, 1, 12, i),
        }
        for i, name in enumerate(odd)
    ]
    with store.transaction(bulk=True) as s:
        Store.insert_rows(s, "source", rows)
    with store.reading() as s:
        got = s.execute(text("SELECT id, name, key, reliability FROM source WHERE id >= 900 ORDER BY id"))
        assert [tuple(r) for r in got] == [(r["id"], r["name"], r["key"], r["reliability"]) for r in rows]


def test_a_stored_claim_keeps_what_matching_reads_from_its_text(store, ingest):
    from helpers import brief

    from kb import match

    ingest(
        brief(
            "Orbitalis Labs fined",
            "Wire One",
            "2026-06-20",
            known=[
                "Orbitalis Labs was fined $4.5 billion for a 12% overcharge.",
                "Orbitalis Labs did not appeal the ruling.",
            ],
            unclear=[
                "The size of the fine beyond the Oslo penalty is not disclosed.",
                "Whether Orbitalis Labs will appeal or settle remains unclear.",
            ],
        )
    )
    with store.reading() as s:
        ids = [c["id"] for c in _claims(store)]
        rows = store.candidate_rows(s, ids)
    read = [
        match.features(c.id, c.kind, c.text, frozenset(c.terms.split()), c.subject, c.context, traits=t)
        for c in rows
        for t in (c.traits, None)  # as stored, then worked out from the text
    ]
    traits = ("figures", "negated", "wants", "excluded", "alternatives")
    stored, worked_out = read[::2], read[1::2]
    assert all(c.traits is not None for c in rows)
    assert sum('"a":' in (c.traits or "") for c in rows) == 1  # the yes/no question's alternatives
    assert [[getattr(f, n) for n in traits] for f in stored] == [
        [getattr(f, n) for n in traits] for f in worked_out
    ]
    assert {n for f in stored for n in traits if getattr(f, n)} == set(traits)  # each one is exercised


def _demo_corpus(store, ingest):  # type: ignore[no-untyped-def]
    for path in sorted((ROOT / "data" / "corpus").glob("*.txt")):
        ingest(path.read_text(encoding="utf-8"), str(path))


def test_the_active_links_read_by_status_are_the_active_ones_of_all_links(store, ingest):
    from kb.vocab import ACTIVE_LINK

    _demo_corpus(store, ingest)
    with store.reading() as s:
        ids = [c["id"] for c in _claims(store)]
        every = store.links(s, ids)
        active = store.active_links(s, ids)
    assert {ln.status for ln in every} - ACTIVE_LINK  # suggestions too, which the active read leaves out
    assert active == [ln for ln in every if ln.status in ACTIVE_LINK] != []


def test_a_dump_from_before_evidence_carried_its_backing_loads_with_it(store, ingest, tmp_path):
    _demo_corpus(store, ingest)
    rows = list(store.dump_rows())
    older = [
        (t, {k: v for k, v in r.items() if t != "evidence" or k not in ("source_id", "weight")})
        for t, r in rows
    ]
    other = Store(f"sqlite:///{tmp_path / 'copy.db'}")
    other.load_rows(older)
    with store.reading() as s, other.reading() as o:
        ids = [c["id"] for c in _claims(store)]
        assert other.backing(o, ids) == store.backing(s, ids) != []
    other.engine.dispose()


def test_postgresql_sessions_run_without_jit_and_keep_the_options_a_url_gives(pg_url):
    from urllib.parse import quote

    plain = Store(pg_url)
    with plain.engine.connect() as conn:
        assert conn.execute(text("SHOW jit")).scalar() == "off"  # kb's short look-ups never pay for it
    plain.engine.dispose()
    given = Store(f"{pg_url}?options={quote('-c statement_timeout=4321')}")
    with given.engine.connect() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "4321ms"
        assert conn.execute(text("SHOW jit")).scalar() == "off"
    given.engine.dispose()
