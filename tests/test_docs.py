"""The README documents every command and starts with the two set-up commands."""

from __future__ import annotations

import typer
from helpers import ROOT

from kb.cli import app

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group, prefix=""):  # type: ignore[no-untyped-def]
    for name, command in sorted(group.commands.items()):
        yield f"{prefix}{name}"
        if hasattr(command, "commands"):
            yield from _commands(command, f"{prefix}{name} ")


def test_every_command_is_documented_in_the_readme():
    missing = [name for name in _commands(typer.main.get_command(app)) if f"kb {name}" not in README]
    assert not missing


def test_the_readme_starts_with_the_demo_and_the_test_commands():
    head = README.splitlines()[:4]
    assert any("kb ingest data/corpus" in line and "kb entity Microsoft" in line for line in head)
    assert any("pip install -e '.[dev]'" in line and line.rstrip().endswith("pytest") for line in head)


def test_the_readme_documents_every_setting():
    from kb import settings

    source = (ROOT / "kb" / "settings.py").read_text(encoding="utf-8")
    names = {word.strip('"') for word in source.split() if word.strip('"(),').startswith("KB_")}
    names = {n.strip('"(),') for n in names}
    assert settings.DEFAULT_DB_FILE in README
    assert not [n for n in names if n not in README]
