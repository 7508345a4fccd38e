"""Helpers shared by the test suite: paths and a builder of briefs in the seed's layout."""

from __future__ import annotations

import importlib.util
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from textwrap import dedent
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEED = SHARED / "seeds" / "000_ee0bf775084476f8.txt"
needs_seed = pytest.mark.skipif(not SEED.exists(), reason="../shared is not beside the project")

# The JSON contract of a claim and of one of its sources (DESIGN.md; fields may be added, never removed).
CLAIM_FIELDS = frozenset(
    {
        "id",
        "text",
        "kind",
        "state",
        "confidence",
        "entities",
        "first_seen",
        "last_seen",
        "sources",
        "answered_by",
    }
)
SOURCE_FIELDS = frozenset({"story_id", "title", "publisher", "published", "stance"})


def bench_module(name: str) -> ModuleType:
    """bench/NAME.py, loaded once (bench/ is scripts, not a package)."""
    key = f"bench_{name}"
    module = sys.modules.get(key)
    if module is None:
        spec = importlib.util.spec_from_file_location(key, ROOT / "bench" / f"{name}.py")
        assert spec and spec.loader
        module = sys.modules[key] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


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


PG_ADMIN = os.environ.get("KB_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_admin():  # type: ignore[no-untyped-def]
    import psycopg

    try:
        return psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("KB_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {str(exc).splitlines()[0]}")


@contextmanager
def pg_database() -> Iterator[str]:
    """The URL of a fresh PostgreSQL database with a random name, dropped afterwards (the test skips, or
    fails under KB_REQUIRE_POSTGRES, when the server is unreachable)."""
    from sqlalchemy.engine import make_url

    name = f"kb_test_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
