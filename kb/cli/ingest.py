"""`kb ingest`: read, match and store stories, then summarise what changed."""

import sys
from collections import deque
from typing import Annotated

import typer

from kb.cli.common import (
    Fmt,
    Grade,
    _emit,
    _store,
    app,
)

# ------------------------------------------------------------------------------------ ingest


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[str], typer.Argument(help="Files, folders (read recursively) or - for stdin.")],
    source: Annotated[
        str | None,
        typer.Option(help="Outlet to credit (default: the publisher the story names)."),
    ] = None,
    reliability: Annotated[
        Grade | None,
        typer.Option(help="Admiralty grade A-F for that outlet (default F, cannot be judged)."),
    ] = None,
    input_format: Annotated[
        str, typer.Option("--input-format", help="Reader: auto, brief, md, prose, json, feed or html.")
    ] = "auto",
    strict: Annotated[bool, typer.Option(help="Stop at the first input that fails.")] = False,
    fmt: Annotated[Fmt, typer.Option("--format", "-f", help="Summary format (table or json).")] = Fmt.table,
) -> None:
    """Parse, resolve, match and store stories; print what changed. Exit 1 if any input failed.

    Stories are stored in order, in batches of one transaction each (KB_BATCH stories, default 200);
    many documents are read and prepared by worker processes beside the ingest (KB_WORKERS)."""
    from kb import render
    from kb.parse.reader import FORMATS, sources
    from kb.pipeline import Ingestor, Summary
    from kb.workers import default_workers, read_all

    if input_format not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--input-format")
    store = _store(ctx)
    ingestor = Ingestor(store, source=source, reliability=reliability.value if reliability else None)
    stdin = sys.stdin.buffer.read() if "-" in paths else None
    todo = sources(paths, stdin)
    summary = Summary()
    waiting: deque[list[int]] = deque()  # stories not stored yet of each document read, in order
    with render.progress(len(todo), enabled=len(todo) > 5 and sys.stderr.isatty()) as bar:
        task = bar.add_task("ingest", total=len(todo))

        def stories():
            for read in read_all(todo, input_format, default_workers(len(todo)), ingestor.known_keys):
                if read.error is not None:
                    summary.failed()
                    bar.advance(task)
                    render.write_err(render.error_line(read.error))
                    if strict:
                        return
                    continue
                if not read.stories:
                    bar.advance(task)
                    continue
                waiting.append([len(read.stories)])
                for n, story in enumerate(read.stories, 1):
                    yield story, read.path if len(read.stories) == 1 else f"{read.path}#{n}"

        for result in ingestor.ingest_many(stories()):
            summary.add(result)
            waiting[0][0] -= 1
            if not waiting[0][0]:
                waiting.popleft()
                bar.advance(task)
    report = summary.as_dict()
    _emit(fmt, report, render.ingest_summary, render.to_json)
    if report["failures"]:
        raise typer.Exit(1)
