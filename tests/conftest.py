"""Isolated databases for every test: a SQLite file in a temporary folder, or a PostgreSQL database with a
random name created on the local server and dropped afterwards. Set KB_TEST_POSTGRES to another admin URL,
or KB_REQUIRE_POSTGRES=1 to fail (not skip) when the server is down."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import pg_database


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped after the test."""
    with pg_database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'kb.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kb.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(db_url: str) -> Iterator:
    from kb.store import Store

    s = Store(db_url)
    yield s
    s.engine.dispose()


@pytest.fixture
def ingest(store):  # type: ignore[no-untyped-def]
    """ingest(text, path="x.txt", **ingestor options) -> IngestResult, through the real pipeline."""
    from kb.parse.reader import Document, parse_document
    from kb.pipeline import Ingestor

    def run(text: str, path: str = "story.txt", **options):  # type: ignore[no-untyped-def]
        ingestor = Ingestor(store, **options)
        return ingestor.ingest(parse_document(Document(path, text)), path)

    return run
