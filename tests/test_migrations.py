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


def _story_indexes(store: Store) -> set[str]:
    from sqlalchemy import inspect

    return {i["name"] for i in inspect(store.engine).get_indexes("story")}


def test_an_older_sqlite_database_gets_the_story_backing_index_on_open(sqlite_url):
    store = Store(sqlite_url)
    assert "ix_story_backing" in _story_indexes(store)  # a new database has it
    with store.engine.begin() as conn:  # the schema as it was before
        conn.execute(text("DROP INDEX ix_story_backing"))
        version = [name for name, _ in db.MIGRATIONS].index("story backing index") + 1
        conn.execute(text("UPDATE meta SET value = :v WHERE key = 'schema_version'"), {"v": str(version)})
    store.engine.dispose()
    upgraded = Store(sqlite_url)
    assert "ix_story_backing" in _story_indexes(upgraded)
    with upgraded.reading() as s:  # what reads claims' backing names it (and would fail without it)
        assert upgraded.backing(s, [1]) == []
    upgraded.engine.dispose()


def test_postgresql_does_without_the_story_backing_index(pg_url):
    store = Store(pg_url)
    assert "ix_story_backing" not in _story_indexes(store)
    store.engine.dispose()
