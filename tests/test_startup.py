"""A cold `kb` loads only what its command needs: help never opens the database layer, and JSON output of a
query loads neither rich nor the ingest, fuzzy-matching, date-parsing or graph libraries."""

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
