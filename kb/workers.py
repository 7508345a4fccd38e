"""Reading, parsing and preparing documents, in worker processes when there are many.

Reading a story and working out what its text says (kb.prepare) is most of an ingest's work and needs no
database, so it runs in other processes while the ingest process resolves, matches and stores. Documents
come back in the order they were given, whatever order the workers finish them in.
"""

from __future__ import annotations

import os
import pickle
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
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


def _watch(parent: int) -> None:
    """A worker outlives no ingest, however that ingest ended (kill -9 included)."""

    def watch() -> None:
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


def _serve(tasks: Connection, results: Connection, keys: frozenset[str], parent: int, fmt: str) -> None:
    """A worker process: prepare each list of files it is sent, and send back the reads, in order. A
    thread of its own sends them, so the worker goes on preparing while the ingest is busy storing (the
    pipe holds less than one chunk's reads)."""
    global _guess
    _watch(parent)
    _guess = Guess(keys)
    outbox: queue.Queue[bytes | None] = queue.Queue()

    def send() -> None:
        while (data := outbox.get()) is not None:
            try:
                results.send_bytes(data)
            except OSError:  # the ingest stopped reading (it ended early): nothing more to send
                return

    sender = threading.Thread(target=send, daemon=True, name="kb-worker-send")
    sender.start()
    while True:
        try:
            chunk = tasks.recv()
        except EOFError:
            break
        outbox.put(pickle.dumps(_prepare(chunk, fmt), protocol=pickle.HIGHEST_PROTOCOL))
    outbox.put(None)
    sender.join()


def read_all(
    sources: Iterable[Source],
    fmt: str,
    workers: int,
    known_keys: Callable[[], set[str]],
    ahead: int = 2 * BATCH,
) -> Iterator[Read]:
    """Every document's stories, in order. With `workers` > 0, files are read and prepared by that many
    processes, which start guessing names from `known_keys()`, up to `ahead` documents ahead of the
    consumer (at least a batch, so that workers prepare the next batch while the ingest stores one);
    otherwise (and for a document already read, such as standard input) they are parsed here and the
    ingest prepares them.

    The results are received by the consuming thread itself, as bytes it unpickles when it needs them:
    a helper thread receiving them would compete with the ingest for the interpreter."""
    if workers <= 0:
        for source in sources:
            yield _parse(source, fmt)
        return
    ctx = get_context("spawn")  # not forked: the ingest holds database connections a child must not share
    keys = frozenset(known_keys())
    pool = []
    for _ in range(workers):
        task_out, task_in = ctx.Pipe(duplex=False)
        result_out, result_in = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_serve, args=(task_out, result_in, keys, os.getpid(), fmt), daemon=True)
        proc.start()
        task_out.close()
        result_in.close()
        pool.append((proc, task_in, result_out))
    queued: deque[int | Read] = deque()  # in order: the worker preparing each chunk, or a read done here
    todo = iter(sources)
    turn = 0

    def submit() -> bool:
        nonlocal turn
        chunk: list[Source] = []
        for source in todo:
            if isinstance(source, Document):  # (already in memory: not worth sending)
                queued.append(_parse(source, fmt))
                continue
            chunk.append(source)
            if len(chunk) == CHUNK:
                break
        if not chunk:
            return False
        proc, task_in, _ = pool[turn]
        try:
            task_in.send(chunk)
        except OSError:  # (its end of the pipe is closed)
            raise _stopped(proc) from None
        queued.append(turn)
        turn = (turn + 1) % len(pool)
        return True

    try:
        while sum(isinstance(q, int) for q in queued) * CHUNK < max(ahead, workers * CHUNK) and submit():
            pass
        while queued:
            head = queued.popleft()
            if not isinstance(head, int):
                yield head
                continue
            proc, _, results = pool[head]
            try:
                done: list[Read] = pickle.loads(results.recv_bytes())
            except EOFError:
                raise _stopped(proc) from None
            submit()
            yield from done
    finally:
        for _, task_in, result_out in pool:
            task_in.close()  # (the worker's end of input: it exits)
            result_out.close()
        for proc, _, _ in pool:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()


def _stopped(proc: BaseProcess) -> KbError:
    proc.join(timeout=5)
    return KbError(
        f"a reader process stopped (exit code {proc.exitcode}); the stories read before it are stored",
        hint="run the ingest again to read the rest (KB_WORKERS=0 reads in this process)",
    )


def default_workers(documents: int) -> int:
    """How many worker processes an ingest of this many documents uses (see kb.settings)."""
    from kb.settings import PARALLEL_FROM, WORKERS

    if documents < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        return 0
    return max(0, WORKERS)
