"""Schema migrations: applied on open, in order, keeping the data."""

from __future__ import annotations

from sqlalchemy import text

from kb import db
from kb.store import Store


def test_a_new_database_gets_the_current_schema_version(db_url):
    store = Store(db_url)
    assert store.meta("schema_version") == str(db.schema_version())
    store.engine.dispose()


def test_an_older_database_is_upgraded_on_open_and_keeps_its_data(db_url, monkeypatch):
    from helpers import brief

    from kb.parse.reader import Document, parse_document
    from kb.pipeline import Ingestor

    store = Store(db_url)
    doc = Document(
        "a.txt", brief("Old", "Wire", "2026-06-20", known=["Orbitalis Labs opened an office in Oslo."])
    )
    Ingestor(store).ingest(parse_document(doc), "a.txt")
    before = store.stats()
    store.engine.dispose()

    def add_column(conn):  # type: ignore[no-untyped-def]
        conn.execute(text("ALTER TABLE story ADD COLUMN language VARCHAR DEFAULT 'en'"))

    monkeypatch.setattr(db, "MIGRATIONS", [*db.MIGRATIONS, ("story language", add_column)])
    upgraded = Store(db_url)
    assert upgraded.meta("schema_version") == str(db.schema_version())
    assert upgraded.stats() == before
    with upgraded.engine.connect() as conn:
        assert conn.execute(text("SELECT language FROM story")).scalar() == "en"
    again = db.migrate(upgraded.engine)
    assert again == []  # nothing left to apply
    upgraded.engine.dispose()


def _indexes(store: Store, table: str) -> set[str]:
    from sqlalchemy import inspect

    return {i["name"] for i in inspect(store.engine).get_indexes(table)}


def _two_sources(store: Store) -> None:
    from helpers import brief

    from kb.parse.reader import Document, parse_document
    from kb.pipeline import Ingestor

    fact = "Orbitalis Labs opened an office in Oslo."
    for path, publisher, caveats in (
        ("a.txt", "Wire One", []),
        ("b.txt", "Wire Two", ["This is a preliminary report."]),
    ):
        doc = Document(path, brief("Oslo", publisher, "2026-06-20", known=[fact], caveats=caveats))
        Ingestor(store).ingest(parse_document(doc), path)


def _back_to(store: Store, migration: str, *statements: str) -> None:
    """The schema as it was before `migration`."""
    with store.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
        version = [name for name, _ in db.MIGRATIONS].index(migration) + 1
        conn.execute(text("UPDATE meta SET value = :v WHERE key = 'schema_version'"), {"v": str(version)})
    store.engine.dispose()


def test_a_new_database_reads_evidence_and_links_from_their_indexes(db_url):
    store = Store(db_url)
    # A claim's evidence is read by the unique (claim, story, stance) index; its backing is kept on it.
    assert not {"ix_evidence_backing", "ix_evidence_claim_id"} & _indexes(store, "evidence")
    assert "ix_story_backing" not in _indexes(store, "story")
    assert {"ix_claim_link_src_status", "ix_claim_link_dst_status"} <= _indexes(store, "claim_link")
    store.engine.dispose()


def test_an_older_database_gets_its_evidence_backing_on_open(db_url):
    store = Store(db_url)
    _two_sources(store)
    with store.reading() as s:
        before = store.backing(s, [1])
    from kb.lifecycle import PRELIMINARY_WEIGHT

    assert sorted(w for _, _, _, w in before) == [PRELIMINARY_WEIGHT, 1.0]  # two sources, one preliminary
    _back_to(
        store,
        "evidence backing",
        "DROP INDEX IF EXISTS ix_evidence_backing",
        "ALTER TABLE evidence DROP COLUMN source_id",
        "ALTER TABLE evidence DROP COLUMN weight",
        "CREATE INDEX ix_evidence_claim_id ON evidence (claim_id)",
    )
    upgraded = Store(db_url)
    with upgraded.reading() as s:
        assert upgraded.backing(s, [1]) == before
        copied = s.execute(
            text(
                "SELECT count(*) FROM evidence e JOIN story s ON s.id = e.story_id "
                "WHERE e.source_id = s.source_id AND e.weight = s.weight"
            )
        ).scalar()
        assert copied == 2
    assert not {"ix_evidence_backing", "ix_evidence_claim_id"} & _indexes(upgraded, "evidence")
    upgraded.engine.dispose()


def test_a_database_with_the_evidence_backing_index_loses_it_on_open_and_reads_the_same_backing(db_url):
    store = Store(db_url)
    _two_sources(store)
    with store.reading() as s:
        before = store.backing(s, [1])
    _back_to(
        store,
        "no evidence backing index",
        "CREATE INDEX ix_evidence_backing ON evidence (claim_id, source_id, stance, weight, id)",
    )
    assert "ix_evidence_backing" in _indexes(store, "evidence")
    upgraded = Store(db_url)
    assert "ix_evidence_backing" not in _indexes(upgraded, "evidence")
    assert upgraded.meta("schema_version") == str(db.schema_version())
    with upgraded.reading() as s:
        assert upgraded.backing(s, [1]) == before
    upgraded.engine.dispose()


def test_an_older_database_gets_its_claims_entities_by_role_on_open(db_url):
    store = Store(db_url)
    _two_sources(store)
    with store.reading() as s:
        before = store.candidate_rows(s, [1])
        kept = s.execute(text("SELECT roles FROM claim WHERE id = 1")).scalar()
    assert kept and before[0].subject  # (the claim names an entity)
    _back_to(store, "claim roles", "ALTER TABLE claim DROP COLUMN roles")
    upgraded = Store(db_url)
    with upgraded.reading() as s:
        assert s.execute(text("SELECT roles FROM claim WHERE id = 1")).scalar() == kept
        assert upgraded.candidate_rows(s, [1]) == before
    upgraded.engine.dispose()


def test_an_older_database_reads_links_by_end_and_status_after_open(db_url):
    store = Store(db_url)
    _two_sources(store)
    _back_to(
        store,
        "link indexes by status",
        "DROP INDEX ix_claim_link_src_status",
        "DROP INDEX ix_claim_link_dst_status",
        "CREATE INDEX ix_claim_link_src_id ON claim_link (src_id)",
        "CREATE INDEX ix_claim_link_dst_id ON claim_link (dst_id)",
    )
    upgraded = Store(db_url)
    indexes = _indexes(upgraded, "claim_link")
    assert {"ix_claim_link_src_status", "ix_claim_link_dst_status"} <= indexes
    assert not {"ix_claim_link_src_id", "ix_claim_link_dst_id"} & indexes
    upgraded.engine.dispose()


def test_claims_stored_before_their_traits_were_kept_still_match(db_url):
    from helpers import brief

    from kb.parse.reader import Document, parse_document
    from kb.pipeline import Ingestor

    def ingest(store: Store, path: str, publisher: str, known: str):  # type: ignore[no-untyped-def]
        doc = Document(path, brief("Fine", publisher, "2026-06-20", known=[known]))
        return Ingestor(store).ingest(parse_document(doc), path)

    store = Store(db_url)
    ingest(store, "a.txt", "Wire One", "Orbitalis Labs was fined $4.5 billion by the Oslo court.")
    _back_to(store, "claim traits", "ALTER TABLE claim DROP COLUMN traits")
    upgraded = Store(db_url)
    with upgraded.engine.connect() as conn:
        assert conn.execute(text("SELECT traits FROM claim")).scalars().all() == [None]
    # The older claim's figure, worked out from its text, is what the new one conflicts with.
    result = ingest(upgraded, "b.txt", "Wire Two", "Orbitalis Labs was fined $9 billion by the Oslo court.")
    assert [(c.claim_id, c.action) for c in result.changes] == [(1, "disputed")]
    with upgraded.engine.connect() as conn:
        traits = conn.execute(text("SELECT traits FROM claim ORDER BY id")).scalars().all()
    assert traits[0] is None and '"money"' in traits[1]
    upgraded.engine.dispose()


def test_a_database_of_a_newer_schema_is_refused_with_a_clear_error(db_url):
    import pytest

    from kb.errors import StoreError

    store = Store(db_url)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE meta SET value = '99' WHERE key = 'schema_version'"))
    store.engine.dispose()
    with pytest.raises(StoreError, match=r"cannot open database .*schema \(version 99\) is newer") as info:
        Store(db_url)
    assert "upgrade kb" in info.value.hint
