"""A cold `kb` loads only what its command needs: help never opens the database layer, JSON output of a
query loads neither rich nor the ingest, fuzzy-matching, date-parsing or graph libraries, and `kb entity`
reads through SQLAlchemy Core alone, without the ORM, SQLModel or kb's table classes. A reader process
(kb.workers) starts without any database library."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from helpers import ROOT
from typer.testing import CliRunner

from kb.cli import app

# Runs `kb ARGS...` in a fresh interpreter, then reports on stderr which of the named modules it loaded.
PROBE = """
import atexit, sys
watched = sys.argv[1].split(",")
atexit.register(lambda: print("loaded:", *[m for m in watched if m in sys.modules], file=sys.stderr))
sys.argv = ["kb", *sys.argv[2:]]
from kb.cli import main
main()
"""
QUERY_EXTRAS = ["rich", "networkx", "rapidfuzz", "dateutil", "kb.pipeline", "kb.match", "feedparser", "lxml"]
DATABASE = ["sqlalchemy", "sqlmodel", "kb.store", "kb.render", "rich"]
# What `kb entity` does without: it reads through kb.profile on an engine from kb.db.
ORM = ["sqlalchemy.orm", "sqlmodel", "kb.models", "kb.store", "kb.lifecycle", "kb.diff"]


def loaded(watched: list[str], *args: str) -> list[str]:
    """The modules of `watched` that a cold `kb ARGS...` loaded (it must succeed)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(watched), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr.splitlines()[-1].split()[1:]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("startup") / "kb.db"
    brief = ROOT / "data" / "corpus" / "2026-06-18-seed-recap.txt"
    result = CliRunner().invoke(app, ["--db", str(path), "ingest", str(brief), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    return path


def test_help_loads_no_database_layer_and_no_rich():
    assert loaded(DATABASE, "--help") == []


def test_a_command_s_help_loads_no_database_layer_and_no_rich():
    assert loaded(DATABASE, "entity", "--help") == []


def test_a_json_query_loads_no_renderer_and_no_ingest_graph_or_fuzzy_libraries(demo_db: Path):
    assert loaded(QUERY_EXTRAS, "--db", str(demo_db), "entity", "Microsoft", "--format", "json") == []


def test_an_entity_profile_loads_neither_the_orm_nor_sqlmodel_nor_the_table_classes(demo_db: Path):
    assert loaded(ORM, "--db", str(demo_db), "entity", "Microsoft", "--format", "json") == []


def test_nor_does_a_lookup_of_a_misspelt_name(demo_db: Path):
    assert loaded([*ORM, "rapidfuzz"], "--db", str(demo_db), "entity", "Microsfot", "--format", "json") == [
        "rapidfuzz"
    ]


def test_an_entity_as_it_stood_then_opens_the_store(demo_db: Path):
    args = ("--db", str(demo_db), "entity", "Microsoft", "--format", "json", "--as-of", "2030-01-01")
    assert loaded(["kb.store"], *args) == ["kb.store"]


def test_a_new_database_opened_for_a_profile_gets_the_whole_schema(tmp_path: Path):
    from sqlalchemy import create_engine, inspect

    path = tmp_path / "new.db"
    done = subprocess.run(
        [sys.executable, "-m", "kb", "--db", str(path), "entity", "Microsoft", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 1 and "no entity named 'Microsoft'" in done.stderr
    engine = create_engine(f"sqlite:///{path}")
    from kb import db

    assert set(inspect(engine).get_table_names()) == set(db.metadata().tables)
    engine.dispose()


def test_the_command_line_s_own_names_of_clocks_agree_with_the_library():
    from kb import diff
    from kb.cli import common

    assert common.CLOCKS == diff.CLOCKS


def test_a_reader_process_loads_no_database_library():
    # What a spawned reader imports: kb.workers (its target), and the unpickling of its results' classes.
    watched = ["sqlalchemy", "sqlmodel", "psycopg", "kb.models", "kb.store", "kb.db"]
    probe = f"import sys, kb.workers; print(*[m for m in {watched!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []


def test_a_table_still_loads_rich(demo_db: Path):
    assert loaded(["rich"], "--db", str(demo_db), "entity", "Microsoft") == ["rich"]


def _callbacks(group: typer.Typer):  # type: ignore[no-untyped-def]
    for info in group.registered_commands:
        yield info.callback
    if group.registered_callback is not None:
        yield group.registered_callback.callback
    for sub in group.registered_groups:
        yield from _callbacks(sub.typer_instance)


def test_no_command_has_string_annotations_which_typer_would_evaluate_at_every_start():
    stringly = [
        f"{f.__module__}.{f.__name__}"
        for f in _callbacks(app)
        if any(isinstance(a, str) for a in inspect.get_annotations(f).values())
    ]
    assert not stringly
