"""The `kb` command line: parse arguments, call the library, render. Heavy modules load per command;
each group of commands lives in its own module and registers itself on the one typer app, in the order
`kb --help` lists them.

The command modules do not use `from __future__ import annotations`: typer reads the signature of every
command each time `kb` starts, and would compile and evaluate string annotations anew on every run (a
fifth of `kb --help`). Names imported only for type checking are quoted instead."""

# isort: off
from kb.cli.common import app
from kb.cli import ingest, queries, decisions, timeline, watch, graph, backup  # noqa: F401  (registers commands)
# isort: on

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the `kb` console script."""
    app()
