"""Where an ingest's time goes on a large SQLite KB: its reads of the stored KB, and the pages it writes.

    python bench/growth.py KB.db FOLDER            # e.g. a KB kept by `run.py --keep`, the next stories
    python bench/growth.py KB.db FOLDER --plain    # only the ingest's time, as `kb ingest` runs it

The KB is copied to a temporary folder (the original is not touched) and FOLDER's brief files are ingested
into the copy in this process, as `kb ingest FOLDER` does (`kb.workers.read_all` feeding
`Ingestor.ingest_many`). It prints:

- stories/s, and the ingest process's CPU time;
- for each of the store's reads and writes that ingest makes: calls, rows (read; written) and CPU time
  (a `Store` whose methods are timed; what is left is deciding, deriving and committing);
- how much matching there was: incoming claims, their candidates, the candidates given an upper bound of
  a repeat's score (`kb.match.repeat_bound`) and those scored in full (`kb.match.best_match`);
- the database pages the ingest wrote, by table or index. A read transaction held open on the copy from
  before the ingest keeps SQLite from checkpointing, so every page written stays in the write-ahead log,
  and the log's page numbers are mapped to tables and indexes with SQLite's `dbstat` (a page numbered past
  the KB's old end is counted as new). What a batch's commit and its checkpoint write grows with the
  number of distinct pages: each row inserted at a random place in an index (a repeat's evidence, a new
  claim's text hash) dirties a page of its own.

With `--plain` only the first line is printed, of an ingest timed as `kb ingest` runs it: no store call
timed, no matching counted, no read transaction held (SQLite checkpoints as usual). For comparing two
versions of kb on one KB, alternating runs (`PYTHONPATH=OTHER_CHECKOUT python bench/growth.py ...`).

SQLite only (PostgreSQL has no such log to read in process); the figures of one run vary with the
machine like any other here, by about ±10%.
"""

from __future__ import annotations

import argparse
import inspect
import os
import shutil
import sqlite3
import struct
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from run import folder_stories  # noqa: E402  (bench/run.py: how `kb ingest FOLDER` reads a folder)

READS = (
    "stories_by_hash",
    "claims_by_hash",
    "counts",
    "postings",
    "entity_claims",
    "candidate_rows",
    "active_links",
    "claim_states",
    "backing",
    "source_grades",
)
WRITES = ("insert_rows", "set_backing", "set_states", "widen_seen", "add_counts", "tally")


def timed_store(calls: Counter, rows: Counter, cpu: defaultdict) -> type:
    """A Store whose reads and writes count their calls, rows returned and CPU time."""
    from kb.store import Store

    def wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.process_time()
            out = fn(*args, **kwargs)
            cpu[name] += time.process_time() - t
            calls[name] += 1
            counted = out if name in READS else args[-1]  # (rows read; rows or claims written)
            if isinstance(counted, list | dict):
                rows[name] += len(counted)
            return out

        return timed

    methods: dict[str, Any] = {}
    for name in READS + WRITES:
        fn = getattr(Store, name)
        timed = wrap(name, fn)
        static = isinstance(inspect.getattr_static(Store, name), staticmethod)
        methods[name] = staticmethod(timed) if static else timed
    return type("TimedStore", (Store,), methods)


@contextmanager
def counted_matching(counts: Counter) -> Iterator[None]:
    """While it lasts, count in this process the claims matched, their candidates, and the bounds and
    full scores matching them took (kb.pipeline calls these through `kb.match`)."""
    from kb import match
    from kb.pipeline import Ingestor

    def counting(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return fn(*args, **kwargs)

        return counted

    bound, score, claim = match.repeat_bound, match.best_match, Ingestor._claim

    def matched(self: Any, *args: Any) -> Any:
        counts["claims"] += 1
        counts["candidates"] += len(args[5])  # (batch, story, claim, features, mentions, candidates, ...)
        return claim(self, *args)

    match.repeat_bound = counting("bounds", bound)
    match.best_match = counting("scored", score)
    Ingestor._claim = matched  # type: ignore[assignment,method-assign]
    try:
        yield
    finally:
        match.repeat_bound, match.best_match, Ingestor._claim = bound, score, claim  # type: ignore[method-assign]


def wal_pages(path: Path) -> Counter:
    """Page number -> frames of it in the database's write-ahead log."""
    wal = Path(f"{path}-wal")
    out: Counter = Counter()
    if not wal.exists():
        return out
    data = wal.read_bytes()
    if len(data) < 32:
        return out
    size = struct.unpack(">I", data[8:12])[0]
    for offset in range(32, len(data) - 24 - size + 1, 24 + size):
        out[struct.unpack(">I", data[offset : offset + 4])[0]] += 1
    return out


def ingest(url: str, folder: str, workers: int, store_cls: type) -> tuple[int, float, float]:
    """Ingest the folder; (stories, seconds, CPU seconds of this process)."""
    from kb.pipeline import Ingestor

    store = store_cls(url)
    ingestor = Ingestor(store)
    t0, c0 = time.perf_counter(), time.process_time()
    n = sum(1 for _ in ingestor.ingest_many(folder_stories(ingestor, folder, workers)))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    store.engine.dispose()
    return n, seconds, cpu


def rate_line(stories: int, seconds: float, cpu: float) -> str:
    return f"{stories} stories in {seconds:.2f} s: {stories / seconds:.1f} stories/s; ingest CPU {cpu:.2f} s"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Where an ingest's time goes on a large SQLite KB.")
    ap.add_argument("kb", type=Path, help="the SQLite KB file (copied; the original is not touched)")
    ap.add_argument("folder", help="brief files to ingest into the copy")
    ap.add_argument("--workers", type=int, default=None, help="reader processes (default: kb's)")
    ap.add_argument("--plain", action="store_true", help="only time the ingest, as `kb ingest` runs it")
    args = ap.parse_args(argv)
    if not args.kb.is_file():
        print(f"error: {args.kb}: no such SQLite file", file=sys.stderr)
        return 1
    if args.workers is None:
        from kb.settings import WORKERS

        args.workers = WORKERS if (os.cpu_count() or 1) > 1 else 0

    tmp = Path(tempfile.mkdtemp(prefix="kb-growth-"))
    try:
        copy = tmp / "kb.db"
        with closing(sqlite3.connect(args.kb)) as src, closing(sqlite3.connect(copy)) as dst:
            src.backup(dst)  # (a consistent copy, whatever its write-ahead log holds)
        if args.plain:
            from kb.store import Store

            n, seconds, ingest_cpu = ingest(f"sqlite:///{copy}", args.folder, args.workers, Store)
            print(rate_line(n, seconds, ingest_cpu))
            return 0
        holder = sqlite3.connect(copy, isolation_level=None)
        holder.execute("PRAGMA journal_mode=WAL")
        old_pages = holder.execute("PRAGMA page_count").fetchone()[0]
        size = holder.execute("PRAGMA page_size").fetchone()[0]
        try:
            owner = dict(holder.execute("SELECT pageno, name FROM dbstat"))
        except sqlite3.OperationalError:
            owner = {}  # (an SQLite built without dbstat: pages are counted, not named)
        holder.execute("BEGIN")
        holder.execute("SELECT count(*) FROM story").fetchone()  # the snapshot that holds off checkpoints

        calls: Counter = Counter()
        rows: Counter = Counter()
        cpu: defaultdict = defaultdict(float)
        store_cls = timed_store(calls, rows, cpu)
        matching: Counter = Counter()
        with counted_matching(matching):
            n, seconds, ingest_cpu = ingest(f"sqlite:///{copy}", args.folder, args.workers, store_cls)
        frames = wal_pages(copy)
        holder.execute("COMMIT")
        holder.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(rate_line(n, seconds, ingest_cpu))
    print()
    print(f"{'store call':<18}{'calls':>8}{'rows':>10}{'CPU s':>9}")
    for name in READS + WRITES:
        if calls[name]:
            print(f"{name:<18}{calls[name]:>8}{rows[name]:>10}{cpu[name]:>9.3f}")
    reads = sum(cpu[name] for name in READS)
    print(f"{'(all reads)':<18}{'':>8}{'':>10}{reads:>9.3f}")
    print()
    claims = matching["claims"] or 1
    print(
        f"matching: {matching['claims']} incoming claims; per claim {matching['candidates'] / claims:.1f}"
        f" candidates, {matching['bounds'] / claims:.1f} bounded, {matching['scored'] / claims:.1f} scored"
        f" in full ({matching['bounds']} bounds, {matching['scored']} full scores)"
    )
    print()
    by_name: Counter = Counter()
    by_frames: Counter = Counter()
    for page, count in frames.items():
        name = owner.get(page) or ("(new pages)" if page > old_pages else "(other)")
        by_name[name] += 1
        by_frames[name] += count
    total = sum(frames.values())
    print(f"pages written: {len(frames)} distinct, {total} in all ({total * size / 1e6:.0f} MB of log)")
    print(f"{'table or index':<34}{'pages':>8}{'written':>9}")
    for name, count in by_name.most_common():
        print(f"{name:<34}{count:>8}{by_frames[name]:>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
