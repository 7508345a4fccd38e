"""Backup: dump and load."""

from typing import Annotated

import typer

from kb.cli.common import (
    _out,
    _store,
    app,
)
from kb.errors import KbError

# ---------------------------------------------------------------------------------- backup


@app.command()
def dump(
    ctx: typer.Context,
    out: Annotated[
        str | None, typer.Option("-o", "--output", help="Write to FILE (default: stdout).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Write the whole KB as JSON Lines: a lossless backup that `kb load` restores."""
    import json

    from kb.db import schema_version
    from kb.export import output

    store = _store(ctx)
    with output(out, force) as stream:
        stream.write(json.dumps({"kb_dump": 1, "schema_version": schema_version()}) + "\n")
        for table, row in store.dump_rows():
            stream.write(json.dumps({"table": table, "row": row}, ensure_ascii=False, sort_keys=True) + "\n")


@app.command()
def load(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(metavar="FILE", help="A file written by kb dump (- for stdin).")],
) -> None:
    """Restore a `kb dump` into an empty database, all or nothing."""
    from kb.backup import read_dump

    store = _store(ctx)
    if not store.is_empty():
        raise KbError("the database is not empty", hint="load into a new database (--db new.db)")
    count = store.load_rows(read_dump(path))
    _out(f"loaded {count} rows from {path}")
