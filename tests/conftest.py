"""Isolated databases for every test: a SQLite file in a temporary folder, or a PostgreSQL database with a
random name created on the local server and dropped afterwards. Set KB_TEST_POSTGRES to another admin URL,
or KB_REQUIRE_POSTGRES=1 to fail (not skip) when the server is down."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from textwrap import dedent

import pytest

PG_ADMIN = os.environ.get("KB_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEED = SHARED / "seeds" / "000_ee0bf775084476f8.txt"
needs_seed = pytest.mark.skipif(not SEED.exists(), reason="../shared is not beside the project")


def _pg_admin():  # type: ignore[no-untyped-def]
    import psycopg

    try:
        return psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("KB_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {str(exc).splitlines()[0]}")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped after the test."""
    from sqlalchemy.engine import make_url

    name = f"kb_test_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


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


def brief(
    title: str,
    publisher: str,
    published: str,
    known: list[str] = (),
    unclear: list[str] = (),  # type: ignore[assignment]
    watch: list[str] = (),
    caveats: list[str] = (),
) -> str:  # type: ignore[assignment]
    """A sectioned brief in the seed's layout."""

    def bullets(items: list[str]) -> str:
        return "\n".join(f"  • {i}" for i in items)

    parts = [
        f"Illustrative photo for: {title}",
        "",
        f"Published {published}",
        "",
        f"Summary: {known[0] if known else title}",
        "",
    ]
    for heading, items in (
        ("What We Know", known),
        ("What’s Still Unclear", unclear),
        ("What to Watch Next", watch),
        ("Source Transparency", caveats),
    ):
        if items:
            parts += [heading, "", bullets(list(items)), ""]
    parts += [
        "Sources",
        "",
        "Leave a Reply",
        "",
        f"Discover more from {publisher}",
        "",
        "Subscribe now to keep reading and get access to the full archive.",
        "",
        "Continue reading",
    ]
    return dedent("\n".join(parts)) + "\n"


@pytest.fixture
def ingest(store):  # type: ignore[no-untyped-def]
    """ingest(text, path="x.txt", **ingestor options) -> IngestResult, through the real pipeline."""
    from kb.parse.reader import Document, parse_document
    from kb.pipeline import Ingestor

    def run(text: str, path: str = "story.txt", **options):  # type: ignore[no-untyped-def]
        ingestor = Ingestor(store, **options)
        return ingestor.ingest(parse_document(Document(path, text)), path)

    return run
