"""kb's performance figures, measured on generated corpora (bench/gen.py), for SQLite and PostgreSQL.

    python bench/run.py --quick                          # smoke test: tiny sizes, under a minute
    python bench/run.py --base 5000 --batch 100 --claims 200000
    python bench/run.py --backend sqlite --base 100000 --batch 500 --claims 1000000   # the target sizes

For each backend, in a fresh database (a temporary SQLite file; a PostgreSQL database with a random name,
dropped afterwards), from brief files written beforehand (not timed):

1. ingest stories 0..batch-1 into an empty KB as `kb ingest FOLDER` does (its reader processes,
   `kb.workers.read_all`, feeding `Ingestor.ingest_many`; matching on): stories/s and rows/s (rows =
   claims + evidence + mentions + events added);
2. insert the very rows that step 1 stored into another fresh database with raw bulk SQL (the driver's
   executemany on SQLite, COPY on PostgreSQL, through `Store.insert_rows`, table by table, one
   transaction): kb's rate as a fraction of that;
3. grow the KB to `--base` stories by ingesting stories batch..base-1 in one process, noting the time
   every `--every` stories (`--grow replicate` copies the first batch in SQL instead, see
   `phase_replicate`), then ingest the next `batch` stories in a fresh process, as a new `kb ingest`
   would: the cost growth is its seconds per story over step 1's;
4. if the KB holds fewer than `--claims` claims, copy it in SQL until it does; then time `kb entity` in
   process (lookup + profile, median of up to 20) for the most named entity, one of rank 30 and one from
   the tail, the same as cold commands (median of up to 5), `kb diff` over the last 30 days of
   publication dates and `kb watchlist --format csv -o FILE --force`, with its default bounds and with
   `--limit 0` (every open question and watch item).

Cold starts (`python -c "import sqlmodel"`, the floor of any command; `kb --help`) are measured once, after
kb's bytecode is written as an install would.
Every in-process phase runs in a fresh child process, so its peak RSS is its own; commands' peak RSS
comes from wait4(). Repeated measurements stop early when they exceed `--budget` seconds.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

PG_ADMIN = os.environ.get("KB_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
ROW_TABLES = ("claims", "evidence", "mentions", "events")
TARGETS = {
    "ingest_large_sps": ("≥ 500 stories/s", lambda v: v >= 500),
    "growth": ("≤ 1.3x", lambda v: v <= 1.3),
    "raw_fraction": ("≥ 25%", lambda v: v >= 0.25),
    "entity_ms": ("< 50 ms", lambda v: v < 50),
    "cold_ratio": ("≤ 1.5x floor", lambda v: v <= 1.5),
    "help_s": ("< 0.15 s", lambda v: v < 0.15),
    "ingest_rss": ("< 500 MB", lambda v: v < 500),
}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------------------------------ databases


@contextmanager
def databases(backend: str, keep: bool = False) -> Iterator[Callable[[str], str]]:
    """A factory of fresh database URLs for one backend; everything it made is removed afterwards."""
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="kb-bench-"))
        try:
            yield lambda name: f"sqlite:///{folder / name}.db"
        finally:
            if keep:
                log(f"kept {folder}")
            else:
                shutil.rmtree(folder, ignore_errors=True)
        return
    import psycopg
    from sqlalchemy.engine import make_url

    admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)
    made: list[str] = []

    def new(name: str) -> str:
        db = f"kb_bench_{name}_{uuid.uuid4().hex[:10]}"
        admin.execute(f'CREATE DATABASE "{db}"')
        made.append(db)
        return make_url(PG_ADMIN).set(database=db).render_as_string(hide_password=False)

    try:
        yield new
    finally:
        for db in made:
            if keep:
                log(f"kept database {db}")
            else:
                admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        admin.close()


def _child_main(conn: Any, fn: Callable[..., dict], args: tuple) -> None:
    try:
        conn.send(("ok", fn(*args)))
    except BaseException as exc:  # report, do not hang the parent
        import traceback

        conn.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))
    finally:
        conn.close()


def in_child(fn: Callable[..., dict], *args: Any, timeout: float | None = None, soft: bool = False) -> dict:
    """Run fn(*args) in a fresh interpreter (spawned), so timings and peak RSS are its own. Past
    `timeout` seconds the child is killed and {"error": "timeout"} returned; with `soft`, a failure is
    returned as {"error": its last line} instead of raised."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child_main, args=(child, fn, args))
    proc.start()
    child.close()
    try:
        if not parent.poll(timeout):
            proc.kill()
            return {"error": "timeout", "timeout": timeout}
        status, value = parent.recv()
    finally:
        proc.join()
        parent.close()
    if status == "error" and soft:
        return {"error": value.strip().splitlines()[-1][:200]}
    if status == "error":
        raise RuntimeError(f"{fn.__name__} failed in the child process: {value}")
    return value


def _rows(stats: dict) -> int:
    return sum(int(stats[k]) for k in ROW_TABLES)


# ------------------------------------------------------------------------- phases (child process)


def write_corpus(folder: str, seed: int, start: int, end: int, per_day: float) -> dict:
    """Stories start..end-1 of the generated corpus as brief files in `folder` (not timed)."""
    from gen import generate

    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    n = 0
    for name, text in generate(end, seed, start, per_day):
        (path / name).write_text(text, encoding="utf-8")
        n += 1
    return {"stories": n}


def folder_stories(ingestor: Any, folder: str, workers: int) -> Iterator[tuple[Any, str]]:
    """The folder's stories as `kb ingest FOLDER` reads them for `ingestor` (kb.workers, with `workers`
    reader processes), each with its file's path; a file that cannot be read stops the run."""
    from kb.parse.reader import sources
    from kb.workers import read_all

    for read in read_all(sources([folder]), "auto", workers, ingestor.known_keys):
        if read.error:
            raise RuntimeError(read.error)
        for story in read.stories:
            yield story, read.path


def phase_ingest(url: str, folder: str, workers: int, every: int = 0) -> dict:
    """`kb ingest FOLDER` in process: the command's own reading (kb.workers, with `workers` processes)
    and kb.pipeline.Ingestor, timed from the first file read to the last batch stored. With `every`,
    the time at each `every` stories too (the rate as the KB grows)."""
    from kb.pipeline import Ingestor, Summary
    from kb.store import Store

    store = Store(url)
    before = store.stats()
    ingestor = Ingestor(store)
    summary = Summary(limit=0)
    marks: list[tuple[int, float]] = []
    t0 = time.perf_counter()
    for n, result in enumerate(ingestor.ingest_many(folder_stories(ingestor, folder, workers)), 1):
        summary.add(result)
        if every and n % every == 0:
            marks.append((n, time.perf_counter() - t0))
    seconds = time.perf_counter() - t0
    after = store.stats()
    store.engine.dispose()
    import resource

    report = summary.as_dict()
    return {
        "stories": report["stories"] + report["duplicates"],
        "seconds": seconds,
        "rows": _rows(after) - _rows(before),
        "before": before,
        "after": after,
        "changes": {k: report[k] for k in ("promoted", "corroborated", "disputed", "suggested")},
        "rss_mb": rss_mb(),
        "workers_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "marks": marks,
    }


def phase_raw(src_url: str, dst_url: str) -> dict:
    """Insert every row kb stored in src into a fresh database of the same backend, table by table in
    foreign-key order, each in one bulk statement through the driver (kb.store.Store.insert_rows, the
    one kb's own batches use), in one transaction that checks no references, as kb's do."""
    from sqlalchemy import select
    from sqlmodel import SQLModel

    from kb.db import make_engine
    from kb.store import Store

    src, dst = make_engine(src_url), Store(dst_url)
    tables = SQLModel.metadata.tables
    names = [*Store.DUMP_TABLES[:-1], "posting"]  # not meta: a new database has its own
    names.remove("term_stat")
    names.append("term_stat")  # (no references; order does not matter)
    data: list[tuple[str, list[dict]]] = []
    with src.connect() as c:
        for name in names:
            data.append((name, [dict(r._mapping) for r in c.execute(select(tables[name]))]))
    total = sum(len(rows) for _, rows in data)
    counted = sum(len(rows) for name, rows in data if name in ("claim", "evidence", "mention", "event"))
    t0 = time.perf_counter()
    with dst.transaction(bulk=True) as s:
        for name, rows in data:
            Store.insert_rows(s, name, rows)
    seconds = time.perf_counter() - t0
    src.dispose()
    dst.engine.dispose()
    return {"seconds": seconds, "rows": counted, "all_rows": total, "rss_mb": rss_mb()}


def phase_replicate(url: str, copies: int, max_entities: int, head: int = 50) -> dict:
    """Grow the KB `copies`-fold in SQL (see the module docstring); returns the new stats."""
    from sqlalchemy import text
    from sqlmodel import SQLModel

    from kb.db import count_claims, make_engine
    from kb.store import Store

    engine = make_engine(url)
    pg = engine.dialect.name == "postgresql"
    tables = SQLModel.metadata.tables
    tag = uuid.uuid4().hex[:6]  # keeps story hashes unique when a KB is grown twice
    t0 = time.perf_counter()
    with engine.begin() as c:

        def one(sql: str) -> Any:
            return c.execute(text(sql)).scalar()

        mx = {
            t: int(one(f"SELECT coalesce(max(id), 0) FROM {t}"))
            for t in Store.DUMP_TABLES
            if "id" in tables[t].c
        }
        lo, hi = c.execute(text("SELECT min(published), max(published) FROM story")).one()
        if isinstance(lo, str):  # SQLite returns text for aggregates
            from datetime import datetime

            lo, hi = datetime.fromisoformat(lo), datetime.fromisoformat(hi)
        span = (hi - lo).days + 1 if lo and hi else 1
        heads = [
            r[0]
            for r in c.execute(
                text(
                    "SELECT entity_id FROM mention WHERE role != 'context' GROUP BY entity_id "
                    f"ORDER BY count(*) DESC LIMIT {head}"
                )
            )
        ]
        n_entities = mx["entity"]
        tail = max(1, n_entities - len(heads))
        sets = max(0, min(copies - 1, math.ceil((max_entities - n_entities) / tail)))
        c.execute(text("CREATE TEMP TABLE bench_copy (k INTEGER PRIMARY KEY, j INTEGER, days INTEGER)"))
        c.execute(text("CREATE TEMP TABLE bench_head (id INTEGER PRIMARY KEY)"))
        c.execute(text("CREATE TEMP TABLE bench_set (j INTEGER PRIMARY KEY)"))
        if copies > 1:
            c.execute(
                text("INSERT INTO bench_copy (k, j, days) VALUES (:k, :j, :d)"),
                [{"k": k, "j": k % (sets + 1), "d": k * span} for k in range(1, copies)],
            )
        if heads:
            c.execute(text("INSERT INTO bench_head (id) VALUES (:i)"), [{"i": i} for i in heads])
        if sets:
            c.execute(text("INSERT INTO bench_set (j) VALUES (:j)"), [{"j": j} for j in range(1, sets + 1)])

        def shift(col: str) -> str:
            if pg:
                return f"x.{col} - make_interval(days => k.days)"
            return f"datetime(x.{col}, '-' || k.days || ' days') || substr(x.{col}, 20)"

        def entity_of(col: str, j: str = "k.j") -> str:
            return (
                f"CASE WHEN x.{col} IS NULL OR {j} = 0 OR x.{col} IN (SELECT id FROM bench_head) "
                f"THEN x.{col} ELSE x.{col} + {j} * {mx['entity']} END"
            )

        def copy(table: str, where: str, over: dict[str, str], source: str = "bench_copy k") -> None:
            cols = list(tables[table].c.keys())
            exprs = [over.get(col, f"x.{col}") for col in cols]
            c.execute(
                text(
                    f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(exprs)} "
                    f"FROM {table} x, {source} WHERE {where}"
                )
            )

        label = "CAST(s.j AS TEXT)"
        not_head = "NOT IN (SELECT id FROM bench_head)"
        copy(
            "entity",
            f"x.id <= {mx['entity']} AND x.id {not_head}",
            {
                "id": f"x.id + s.j * {mx['entity']}",
                "name": f"x.name || ' ' || {label}",
                "key": f"x.key || ' ' || {label}",
            },
            "bench_set s",
        )
        copy(
            "alias",
            f"x.id <= {mx['alias']} AND x.entity_id {not_head}",
            {
                "id": f"x.id + s.j * {mx['alias']}",
                "entity_id": f"x.entity_id + s.j * {mx['entity']}",
                "name": f"x.name || ' ' || {label}",
                "key": f"x.key || ' ' || {label}",
            },
            "bench_set s",
        )
        off = {t: f"k.k * {mx[t]}" for t in mx}
        copy(
            "story",
            f"x.id <= {mx['story']}",
            {
                "id": f"x.id + {off['story']}",
                "content_hash": f"x.content_hash || '-{tag}-' || CAST(k.k AS TEXT)",
                "published": shift("published"),
            },
        )
        copy(
            "claim",
            f"x.id <= {mx['claim']}",
            {
                "id": f"x.id + {off['claim']}",
                "story_id": f"x.story_id + {off['story']}",
                "first_seen": shift("first_seen"),
                "last_seen": shift("last_seen"),
            },
        )
        copy(
            "evidence",
            f"x.id <= {mx['evidence']}",
            {
                "id": f"x.id + {off['evidence']}",
                "claim_id": f"x.claim_id + {off['claim']}",
                "story_id": f"x.story_id + {off['story']}",
            },
        )
        copy(
            "mention",
            f"x.claim_id <= {mx['claim']}",
            {"claim_id": f"x.claim_id + {off['claim']}", "entity_id": entity_of("entity_id")},
        )
        copy(
            "claim_link",
            f"x.id <= {mx['claim_link']}",
            {
                "id": f"x.id + {off['claim_link']}",
                "src_id": f"x.src_id + {off['claim']}",
                "dst_id": f"x.dst_id + {off['claim']}",
                "story_id": f"x.story_id + {off['story']}",
            },
        )
        copy(
            "event",
            f"x.id <= {mx['event']}",
            {
                "id": f"x.id + {off['event']}",
                "claim_id": f"x.claim_id + {off['claim']}",
                "entity_id": entity_of("entity_id"),
                "story_id": f"x.story_id + {off['story']}",
                "at_published": shift("at_published"),
            },
        )
        copy("posting", f"x.claim_id <= {mx['claim']}", {"claim_id": f"x.claim_id + {off['claim']}"})
        c.execute(text(f"UPDATE term_stat SET df = df * {copies} WHERE term NOT LIKE '#%'"))
        count_claims(c)  # the claim and per-entity counters, cloned entities included
        for t in ("bench_copy", "bench_head", "bench_set"):
            c.execute(text(f"DROP TABLE {t}"))
        if pg:
            for t in mx:
                c.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))")
                )
    if pg:  # autovacuum would analyse the grown tables soon; do it now so plans reflect the sizes
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("ANALYZE"))
    seconds = time.perf_counter() - t0
    engine.dispose()
    stats = Store(url).stats()
    return {"copies": copies, "clone_sets": sets, "seconds": seconds, "stats": stats, "rss_mb": rss_mb()}


def phase_pick_entities(url: str) -> dict:
    """The most named entity, the one of rank 30 and one from the tail (about 10 claims)."""
    from sqlalchemy import text

    from kb.store import Store

    store = Store(url)
    with store.engine.connect() as c:
        ranked = c.execute(
            text(
                "SELECT e.name, count(*) AS n FROM mention m JOIN entity e ON e.id = m.entity_id "
                "WHERE m.role != 'context' GROUP BY e.id, e.name ORDER BY n DESC, e.name"
            )
        ).all()
        claims = int(c.execute(text("SELECT count(*) FROM claim")).scalar_one())
    store.engine.dispose()
    tail = next((r for r in ranked if r[1] <= 10), ranked[-1])
    picks = {"head": ranked[0], "rank 30": ranked[min(29, len(ranked) - 1)], "tail": tail}
    return {
        "claims": claims,
        "entities": len(ranked),
        "head_share": ranked[0][1] / claims,
        "picks": {label: [name, n] for label, (name, n) in picks.items()},
    }


def cli_lookup() -> Callable[[Any, str], int]:
    """The function `kb entity NAME` uses to find NAME (its module has moved before)."""
    import importlib

    for module in ("kb.cli.common", "kb.cli"):
        try:
            return importlib.import_module(module)._entity_id  # type: ignore[no-any-return]
        except (ImportError, AttributeError):
            continue
    from kb.resolve import lookup as _lookup

    def lookup(store: Any, name: str) -> int:
        names = {e["id"]: e["name"] for e in store.entity_rows(include_unused=True)}
        return _lookup(name, store.entity_names(), names).entity_id  # type: ignore[return-value]

    return lookup


def phase_entity(url: str, name: str, reps: int, budget: float) -> dict:
    """`kb entity NAME` in process: the CLI's lookup, then Store.entity_profile. The first call warms
    caches and is not counted, unless it alone takes longer than the budget (then it is the figure)."""
    from kb.store import Store

    lookup = cli_lookup()
    store = Store(url)
    lookups, profiles = [], []
    started = time.perf_counter()
    for i in range(reps + 1):
        t0 = time.perf_counter()
        eid = lookup(store, name)
        t1 = time.perf_counter()
        profile = store.entity_profile(eid)
        t2 = time.perf_counter()
        lookups.append(t1 - t0)
        profiles.append(t2 - t1)
        if i == 0 and t2 - t0 > budget:
            break
        if i > 0 and time.perf_counter() - started > budget:
            break
    if len(lookups) > 1:
        lookups, profiles = lookups[1:], profiles[1:]
    totals = [a + b for a, b in zip(lookups, profiles, strict=True)]
    store.engine.dispose()
    return {
        "name": name,
        "profile_claims": profile.get("claims"),
        "runs": len(totals),
        "ms": 1000 * statistics.median(totals),
        "lookup_ms": 1000 * statistics.median(lookups),
        "profile_ms": 1000 * statistics.median(profiles),
        "rss_mb": rss_mb(),
    }


def phase_last_published(url: str) -> dict:
    from sqlalchemy import func, select

    from kb.models import Event
    from kb.store import Store

    store = Store(url)
    with store.reading() as s:
        last = s.execute(select(func.max(Event.at_published))).scalar()
    store.engine.dispose()
    return {"last": last.isoformat() if last else None}


# --------------------------------------------------------------------------------------- commands


def run_cmd(argv: list[str], env: dict[str, str] | None = None, timeout: float = 300) -> dict:
    """Wall time and peak RSS (from wait4) of one command; stdout is discarded."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, **(env or {})}
    )
    deadline = t0 + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = -9
            return {"seconds": None, "rss_mb": usage.ru_maxrss / 1024, "rc": -9, "error": "timeout"}
        time.sleep(0.002)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    out = {"seconds": seconds, "rss_mb": usage.ru_maxrss / 1024, "rc": proc.returncode}
    if proc.returncode:
        out["error"] = err.splitlines()[-1] if err else f"exit {proc.returncode}"
    return out


def median_cmd(
    argv: list[str], n: int, budget: float, env: dict[str, str] | None = None, timeout: float = 300
) -> dict:
    runs = []
    started = time.perf_counter()
    for _ in range(n):
        r = run_cmd(argv, env, timeout=timeout)
        runs.append(r)
        if r.get("error") or time.perf_counter() - started > budget:
            break
    ok = [r for r in runs if not r.get("error")]
    if not ok:
        return {"seconds": None, "rss_mb": max(r["rss_mb"] for r in runs), "error": runs[-1]["error"]}
    return {
        "seconds": statistics.median(r["seconds"] for r in ok),
        "rss_mb": max(r["rss_mb"] for r in ok),
        "runs": len(ok),
    }


def kb_exe() -> str:
    local = Path(sys.executable).with_name("kb")
    return str(local) if local.exists() else (shutil.which("kb") or "kb")


def compile_kb() -> None:
    """Write kb's bytecode, as installing it does. The floor's packages were compiled when pip installed
    them, but an editable kb is compiled on first import, and with PYTHONDONTWRITEBYTECODE set never
    cached: every cold command would compile kb's source again (about a tenth of the floor)."""
    import compileall

    import kb

    compileall.compile_dir(Path(kb.__file__).parent, quiet=1)


def cold_starts(n: int, budget: float) -> dict:
    log("cold starts")
    compile_kb()
    return {
        "python": median_cmd([sys.executable, "-c", "pass"], n, budget),
        "sqlmodel": median_cmd([sys.executable, "-c", "import sqlmodel"], n, budget),
        "help": median_cmd([kb_exe(), "--help"], n, budget),
    }


# --------------------------------------------------------------------------------------- one backend


def bench_backend(backend: str, new_db: Callable[[str], str], args: argparse.Namespace) -> dict:
    res: dict[str, Any] = {}
    url = new_db("kb")
    batch = args.batch
    corpus = Path(tempfile.mkdtemp(prefix="kb-bench-corpus-"))

    def stories(label: str, start: int, end: int) -> str:
        folder = corpus / label
        write_corpus(str(folder), args.seed, start, end, args.per_day)
        return str(folder)

    try:
        log(f"{backend}: ingest {batch} stories into an empty KB")
        res["empty"] = in_child(phase_ingest, url, stories("empty", 0, batch), args.workers)

        log(f"{backend}: the same rows with raw bulk SQL")
        res["raw"] = in_child(phase_raw, url, new_db("raw"))

        if args.grow == "ingest":
            log(f"{backend}: ingest stories {batch}..{args.base - 1}, growing the KB to {args.base} stories")
            folder = stories("grow", batch, args.base)
            res["grow"] = in_child(phase_ingest, url, folder, args.workers, args.every)
            shutil.rmtree(folder, ignore_errors=True)
            first, last = args.base, args.base + batch
        else:
            stored = res["empty"]["after"]["stories"]
            copies = max(1, math.ceil(args.base / max(1, stored)))
            log(f"{backend}: replicate to {copies * stored} stories ({copies} copies)")
            res["grow"] = in_child(phase_replicate, url, copies, args.max_entities)
            first, last = batch, 2 * batch  # (they follow up the stories the copies repeat)

        log(f"{backend}: ingest {batch} stories into a {args.base}-story KB")
        res["large"] = in_child(phase_ingest, url, stories("large", first, last), args.workers)
    finally:
        shutil.rmtree(corpus, ignore_errors=True)

    claims = res["large"]["after"]["claims"]
    more = math.ceil(args.claims / max(1, claims))
    if more > 1:
        log(f"{backend}: replicate to about {more * claims} claims ({more} copies)")
        res["grow2"] = in_child(phase_replicate, url, more, 0)
    res["kb"] = (res.get("grow2") or {}).get("stats") or res["large"]["after"]

    res["entity"] = in_child(phase_pick_entities, url)
    for label, (name, n) in res["entity"]["picks"].items():
        log(f"{backend}: kb entity {name!r} ({n} claims) in process")
        found = in_child(phase_entity, url, name, args.reps, args.budget, timeout=args.cmd_timeout, soft=True)
        res["entity"][label] = {"name": name, "claims": n, **found}

    if backend == "sqlite":
        base_argv, env = [kb_exe(), "--db", url.removeprefix("sqlite:///")], {"NO_COLOR": "1"}
    else:
        base_argv, env = [kb_exe()], {"KB_DATABASE_URL": url, "NO_COLOR": "1"}
    for label in ("head", "tail"):
        name = res["entity"][label]["name"]
        log(f"{backend}: kb entity {name!r} as a command")
        res[f"cmd_entity_{label}"] = median_cmd(
            [*base_argv, "entity", name, "--format", "json"],
            args.cold_reps,
            args.budget,
            env,
            args.cmd_timeout,
        )
    last = in_child(phase_last_published, url)["last"]
    from datetime import datetime

    until = datetime.fromisoformat(last) + timedelta(days=1) if last else datetime(2030, 1, 1)
    since = until - timedelta(days=31)
    res["diff_range"] = [since.date().isoformat(), until.date().isoformat()]
    log(f"{backend}: kb diff --by published {since.date()}..{until.date()}")
    res["cmd_diff"] = run_cmd(
        [
            *base_argv,
            "diff",
            "--since",
            since.date().isoformat(),
            "--until",
            until.date().isoformat(),
            "--by",
            "published",
            "--format",
            "json",
        ],
        env,
        timeout=args.cmd_timeout,
    )
    for key, extra in (("watchlist", []), ("watchlist_all", ["--limit", "0"])):
        log(f"{backend}: kb watchlist --format csv {' '.join(extra)}".rstrip())
        out_file = Path(tempfile.gettempdir()) / f"kb-bench-watch-{uuid.uuid4().hex[:8]}.csv"
        res[f"cmd_{key}"] = run_cmd(
            [*base_argv, "watchlist", "--format", "csv", *extra, "-o", str(out_file), "--force"],
            env,
            timeout=args.cmd_timeout,
        )
        if out_file.exists():
            res[f"{key}_lines"] = sum(1 for _ in out_file.open(encoding="utf-8", errors="replace"))
            out_file.unlink()
    return res


# --------------------------------------------------------------------------------------- report


def figures(res: dict, cold: dict) -> dict[str, Any]:
    """The headline numbers of one backend's results."""
    e, large, raw = res["empty"], res["large"], res["raw"]
    f: dict[str, Any] = {}
    f["ingest_empty_sps"] = e["stories"] / e["seconds"]
    f["ingest_empty_rps"] = e["rows"] / e["seconds"]
    f["ingest_large_sps"] = large["stories"] / large["seconds"]
    f["ingest_large_rps"] = large["rows"] / large["seconds"]
    f["growth"] = (large["seconds"] / large["stories"]) / (e["seconds"] / e["stories"])
    f["raw_rps"] = raw["rows"] / raw["seconds"]
    f["raw_fraction_empty"] = f["ingest_empty_rps"] / f["raw_rps"]
    f["raw_fraction"] = f["ingest_large_rps"] / f["raw_rps"]
    grew = [res["grow"]] if "marks" in res["grow"] else []
    f["ingest_rss"] = max(p["rss_mb"] for p in (e, large, *grew))
    f["workers_rss"] = max(p.get("workers_rss_mb", 0.0) for p in (e, large, *grew))
    if grew:
        g = grew[0]
        f["grow_sps"] = g["stories"] / g["seconds"]
        marks = g["marks"]
        if len(marks) >= 2:  # the rate over the last tenth of the growth, however long it took
            cut = max((m for m in marks[:-1] if m[0] <= 0.9 * marks[-1][0]), default=marks[0])
            tail = marks[-1]
            f["grow_tail_sps"] = (tail[0] - cut[0]) / (tail[1] - cut[1]) if tail[1] > cut[1] else None
    f["entity_ms"] = res["entity"]["head"].get("ms")
    floor = cold["sqlmodel"]["seconds"]
    for label in ("head", "tail"):
        cmd = res[f"cmd_entity_{label}"]
        f[f"cold_{label}"] = cmd["seconds"]
        ok_secs = cmd["seconds"] if not cmd.get("error") else None
        f[f"cold_{label}_ratio"] = ok_secs / floor if ok_secs and floor else None
    ratios = [f[f"cold_{label}_ratio"] for label in ("head", "tail")]
    f["cold_ratio"] = None if None in ratios else max(ratios)  # (the target holds for any entity)
    return f


def fmt(v: Any, unit: str = "", digits: int = 1) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:,.{digits}f}{unit}"
    return f"{v:,}{unit}"


def cmd_cell(r: dict) -> str:
    if r.get("error"):
        took = f"{r['seconds']:.2f} s, " if r.get("seconds") else ""
        return f"FAILED: {r['error'].removeprefix('error: ')[:120]} ({took}{r['rss_mb']:.0f} MB)"
    return f"{r['seconds']:.2f} s, {r['rss_mb']:.0f} MB"


def ok(key: str, value: Any) -> str:
    if key not in TARGETS or value is None:
        return ""
    return " ✓" if TARGETS[key][1](value) else " ✗"


def report(results: dict[str, dict], cold: dict, args: argparse.Namespace) -> str:
    backends = list(results)
    figs = {b: figures(results[b], cold) for b in backends}
    rows: list[tuple[str, list[str], str]] = []

    def row(label: str, cell: Callable[[str], str], target: str = "") -> None:
        rows.append((label, [cell(b) for b in backends], target))

    def fig(key: str, unit: str = "", digits: int = 1, scale: float = 1.0) -> Callable[[str], str]:
        def cell(b: str) -> str:
            v = figs[b].get(key)
            return fmt(v * scale if v is not None else None, unit, digits) + ok(key, v)

        return cell

    r0 = results[backends[0]]
    row("KB for ingest: stories before batch", lambda b: fmt(results[b]["large"]["before"]["stories"]))
    row("batch (stories)", lambda b: fmt(results[b]["empty"]["stories"]))
    row("ingest into empty KB: stories/s", fig("ingest_empty_sps", digits=2))
    row("ingest into empty KB: rows/s", fig("ingest_empty_rps", digits=0))
    row(
        "ingest into large KB: stories/s",
        fig("ingest_large_sps", digits=2),
        TARGETS["ingest_large_sps"][0] + " (100k KB)",
    )
    row("ingest into large KB: rows/s", fig("ingest_large_rps", digits=0))
    if any("grow_sps" in figs[b] for b in backends):
        row("growing the KB (one ingest): stories/s", fig("grow_sps", digits=1))
        row("... over its last tenth: stories/s", fig("grow_tail_sps", digits=1))
    row("cost growth (s/story large ÷ empty)", fig("growth", "x", 2), TARGETS["growth"][0])
    row("raw bulk SQL: rows/s (same rows)", fig("raw_rps", digits=0))
    row("kb rows/s as a fraction of raw: empty KB", fig("raw_fraction_empty", "%", 2, 100.0))
    row(
        "kb rows/s as a fraction of raw: large KB",
        fig("raw_fraction", "%", 2, 100.0),
        TARGETS["raw_fraction"][0],
    )
    row("peak RSS while ingesting (ingest process)", fig("ingest_rss", " MB", 0), TARGETS["ingest_rss"][0])
    row("peak RSS of a reader worker", fig("workers_rss", " MB", 0))
    row(
        "changes per batch (empty KB)",
        lambda b: (
            "{promoted} promoted, {corroborated} corrob., {disputed} disputed, {suggested} sugg.".format(
                **results[b]["empty"]["changes"]
            )
        ),
    )
    row("KB for queries: claims", lambda b: fmt(results[b]["kb"]["claims"]))
    row(
        "KB for queries: stories / entities",
        lambda b: f"{results[b]['kb']['stories']:,} / {results[b]['kb']['entities']:,}",
    )
    row("head entity's share of claims", lambda b: fmt(100 * results[b]["entity"]["head_share"], "%"))
    for label in ("head", "rank 30", "tail"):

        def cell(b: str, label: str = label) -> str:
            e = results[b]["entity"][label]
            if "ms" not in e:
                after = f" after {e['timeout']:.0f} s" if "timeout" in e else ""
                return f"{e.get('error', 'failed')}{after} ✗ ({e['claims']:,} claims)"
            mark = ok("entity_ms", e["ms"])
            return (
                f"{e['ms']:,.1f} ms{mark} (lookup {e['lookup_ms']:,.1f} + profile {e['profile_ms']:,.1f}; "
                f"{e['claims']:,} claims, n={e['runs']})"
            )

        row(f"kb entity in process: {label}", cell, TARGETS["entity_ms"][0] + " at 1M claims")
    row(
        "kb entity in process: peak RSS",
        lambda b: fmt(
            max(
                (results[b]["entity"][x].get("rss_mb", 0.0) for x in ("head", "rank 30", "tail")), default=0.0
            ),
            " MB",
            0,
        ),
    )
    for label in ("head", "tail"):

        def ccell(b: str, label: str = label) -> str:
            r = results[b][f"cmd_entity_{label}"]
            ratio = figs[b][f"cold_{label}_ratio"]
            extra = f" = {ratio:.2f}x floor{ok('cold_ratio', ratio)}" if ratio else ""
            return cmd_cell(r) + extra

        row(f"kb entity command: {label}", ccell, TARGETS["cold_ratio"][0])
    row(
        "kb diff --by published (31 days)",
        lambda b: cmd_cell(results[b]["cmd_diff"]) + f" [{' .. '.join(results[b]['diff_range'])}]",
    )
    for key, label in (("watchlist", ""), ("watchlist_all", " --limit 0")):

        def wcell(b: str, key: str = key) -> str:
            lines = results[b].get(f"{key}_lines")
            return cmd_cell(results[b][f"cmd_{key}"]) + (f", {lines:,} lines" if lines is not None else "")

        row(f"kb watchlist --format csv{label} -o FILE", wcell)
    row(
        "build: grow the KB (ingest or replicate)",
        lambda b: fmt(results[b]["grow"]["seconds"] + results[b].get("grow2", {}).get("seconds", 0.0), " s"),
    )
    del r0
    common = [
        ("floor: python -c 'import sqlmodel'", cmd_cell(cold["sqlmodel"]), ""),
        ("python -c pass", cmd_cell(cold["python"]), ""),
        ("kb --help", cmd_cell(cold["help"]) + ok("help_s", cold["help"]["seconds"]), TARGETS["help_s"][0]),
    ]
    head = ["figure", *backends, "target"]
    body = [[label, *cells, target] for label, cells, target in rows]
    body += [[label, cell, *([""] * (len(backends) - 1)), target] for label, cell, target in common]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    lines = [
        f"kb benchmark: seed {args.seed}, batch {args.batch}, base {args.base}, claims {args.claims}, "
        f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}",
        "| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in body]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="kb's performance figures on generated corpora (see the module docstring)."
    )
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--base", type=int, default=100_000, help="stories in the KB before the second batch")
    ap.add_argument("--batch", type=int, default=500, help="stories per timed ingest batch")
    ap.add_argument("--claims", type=int, default=1_000_000, help="claims in the KB for the query figures")
    ap.add_argument(
        "--grow",
        choices=("ingest", "replicate"),
        default="ingest",
        help="reach --base stories by ingesting them (default) or by copying the first batch in SQL",
    )
    ap.add_argument("--every", type=int, default=5000, help="stories between rate marks while growing")
    ap.add_argument(
        "--workers", type=int, default=None, help="reader processes beside each ingest (default: kb's)"
    )
    ap.add_argument("--max-entities", type=int, default=15_000, help="entities after a replication")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-day", type=float, default=60.0, help="generated stories a day")
    ap.add_argument("--reps", type=int, default=20, help="in-process kb entity repetitions")
    ap.add_argument("--cold-reps", type=int, default=5, help="cold command repetitions")
    ap.add_argument("--budget", type=float, default=60.0, help="seconds after which repetitions stop")
    ap.add_argument("--cmd-timeout", type=float, default=300.0, help="seconds a diff or watchlist may take")
    ap.add_argument("--quick", action="store_true", help="tiny sizes, to smoke-test this script")
    ap.add_argument("--keep", action="store_true", help="keep the databases (prints where)")
    ap.add_argument("--json", type=Path, help="also write the raw results here")
    args = ap.parse_args(argv)
    if args.workers is None:
        from kb.settings import WORKERS

        args.workers = WORKERS if (os.cpu_count() or 1) > 1 else 0
    if args.quick:
        args.base, args.batch, args.claims, args.every = 100, 5, 3000, 20
        args.reps, args.cold_reps, args.budget = 5, 2, 10.0
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    started = time.perf_counter()
    cold = cold_starts(args.cold_reps, args.budget)
    results: dict[str, dict] = {}
    for backend in backends:
        with databases(backend, args.keep) as new_db:
            results[backend] = bench_backend(backend, new_db, args)
    table = report(results, cold, args)
    print(table)
    print(f"(run took {time.perf_counter() - started:.0f} s)")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"args": vars(args) | {"json": str(args.json)}, "cold": cold, "results": results},
                indent=1,
                default=str,
            ),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
