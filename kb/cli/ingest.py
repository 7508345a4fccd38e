"""`kb ingest`: read, match and store stories, then summarise what changed."""

import sys
from typing import Annotated

import typer

from kb.cli.common import (
    Fmt,
    Grade,
    _emit,
    _store,
    app,
)
from kb.errors import KbError

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
    """Parse, resolve, match and store stories; print what changed. Exit 1 if any input failed."""
    from kb import render
    from kb.parse.reader import FORMATS, documents, parse_stories
    from kb.pipeline import Ingestor, summarise

    if input_format not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--input-format")
    store = _store(ctx)
    ingestor = Ingestor(store, source=source, reliability=reliability.value if reliability else None)
    stdin = sys.stdin.buffer.read() if "-" in paths else None
    docs = list(documents(paths, stdin))
    results, failures = [], 0
    with render.progress(len(docs), enabled=len(docs) > 5 and sys.stderr.isatty()) as bar:
        task = bar.add_task("ingest", total=len(docs))
        for doc in docs:
            bar.advance(task)
            try:
                if doc.error:
                    raise KbError(doc.error)
                stories = parse_stories(doc, input_format)
                for n, story in enumerate(stories, 1):
                    where = doc.path if len(stories) == 1 else f"{doc.path}#{n}"
                    results.append(ingestor.ingest(story, where))
            except KbError as exc:
                failures += 1
                render.write_err(render.error_line(str(exc)))
                if strict:
                    break
    summary = summarise(results, failures)
    _emit(fmt, summary, render.ingest_summary, render.to_json)
    if failures:
        raise typer.Exit(1)
