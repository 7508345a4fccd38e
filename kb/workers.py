"""Reading, parsing and preparing documents, in worker processes when there are many.

Reading a story and working out what its text says (kb.prepare) is most of an ingest's work and needs no
database, so it runs in other processes while the ingest process resolves, matches and stores. Documents
come back in the order they were given, whatever order the workers finish them in.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from kb.errors import KbError
from kb.parse import ParsedStory
from kb.parse.reader import Document, parse_stories, read_document
from kb.prepare import Guess, PreparedStory, prepare
from kb.settings import BATCH

CHUNK = 8  # documents per task: fewer round trips, still an even spread


@dataclass
class Read:
    """One document's stories (parsed, or prepared by a worker), or why it could not be read."""

    path: str
    stories: list[ParsedStory] | list[PreparedStory]
    error: str | None = None


Source = str | Document  # a file to read, or a document already read (standard input)


def _load(source: Source) -> Document:
    return source if isinstance(source, Document) else read_document(Path(source))


def _parse(source: Source, fmt: str) -> Read:
    doc = _load(source)
    try:
        if doc.error:
            raise KbError(doc.error)
        return Read(doc.path, parse_stories(doc, fmt))
    except KbError as exc:
        return Read(doc.path, [], str(exc))


_guess: Guess | None = None


def _start(keys: frozenset[str], parent: int) -> None:
    global _guess
    _guess = Guess(keys)

    def watch() -> None:  # a worker outlives no ingest, however that ingest ended (kill -9 included)
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="kb-worker-watch").start()


def _prepare(sources: list[Source], fmt: str) -> list[Read]:
    """A worker's task: read, parse and prepare documents; the names each one brings are learnt for
    the next (the ingest will have made them entities by then)."""
    assert _guess is not None
    out = []
    for source in sources:
        read = _parse(source, fmt)
        stories = [
            prepare(story, _guess, _guess.learn) for story in read.stories if isinstance(story, ParsedStory)
        ]
        out.append(Read(read.path, stories, read.error))
    return out


def read_all(
    sources: list[Source],
    fmt: str,
    workers: int,
    known_keys: Callable[[], set[str]],
    ahead: int = 2 * BATCH,
) -> Iterator[Read]:
    """Every document's stories, in order. With `workers` > 0 they are read and prepared by that many
    processes, which start guessing names from `known_keys()`, up to `ahead` documents ahead of the
    consumer (at least a batch, so that workers prepare the next batch while the ingest stores one);
    otherwise they are parsed here and the ingest prepares them."""
    if workers <= 0:
        for source in sources:
            yield _parse(source, fmt)
        return
    chunks = [sources[i : i + CHUNK] for i in range(0, len(sources), CHUNK)]
    keys = frozenset(known_keys())
    # Spawned, not forked: the ingest process holds database connections a child must not share.
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=get_context("spawn"), initializer=_start, initargs=(keys, os.getpid())
    )
    pending: deque[Future[list[Read]]] = deque()
    try:
        todo = iter(chunks)
        for chunk in todo:
            pending.append(pool.submit(_prepare, chunk, fmt))
            if len(pending) * CHUNK >= max(ahead, workers * CHUNK):
                break
        while pending:
            done = pending.popleft().result()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append(pool.submit(_prepare, nxt, fmt))
            yield from done
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def default_workers(documents: int) -> int:
    """How many worker processes an ingest of this many documents uses (see kb.settings)."""
    from kb.settings import PARALLEL_FROM, WORKERS

    if documents < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        return 0
    return max(0, WORKERS)
