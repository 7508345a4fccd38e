"""bench/growth.py, the breakdown of an ingest on a large SQLite KB, on the demo corpus (no timing)."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest
from helpers import ROOT, bench_module

from kb import match
from kb.parse.reader import Document, parse_document
from kb.pipeline import Ingestor
from kb.store import Store

CORPUS = sorted((ROOT / "data" / "corpus").glob("*.txt"))


def test_wal_pages_reads_the_page_numbers_of_every_frame(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE t (x TEXT)")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM t").fetchone()  # holds the log from checkpoints
    for _ in range(3):
        con.execute("INSERT INTO t SELECT 'abc' FROM (SELECT 1 UNION ALL SELECT 2)")
    con.execute("INSERT INTO t SELECT printf('%.5000d', 1)")  # a row spilling onto overflow pages
    pages = bench_module("growth").wal_pages(path)
    size = con.execute("PRAGMA page_size").fetchone()[0]
    frames = (path.with_name("x.db-wal").stat().st_size - 32) // (24 + size)
    assert sum(pages.values()) == frames >= 5
    assert set(pages) <= set(range(1, con.execute("PRAGMA page_count").fetchone()[0] + 1))
    assert pages[2] == 4  # the table's root page, written by each of the four commits
    reader.close()
    con.close()


def test_growth_reports_reads_and_pages_and_leaves_the_kb_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kb = tmp_path / "kb.db"
    store = Store(f"sqlite:///{kb}")
    ingestor = Ingestor(store)
    for p in CORPUS[:-1]:
        ingestor.ingest(parse_document(Document(p.name, p.read_text(encoding="utf-8"))), p.name)
    store.engine.dispose()
    folder = tmp_path / "next"
    folder.mkdir()
    shutil.copy(CORPUS[-1], folder)
    before = hashlib.sha256(kb.read_bytes()).hexdigest()
    real = (match.repeat_bound, match.best_match, Ingestor._claim)

    assert bench_module("growth").main([str(kb), str(folder), "--workers", "0"]) == 0
    out = capsys.readouterr().out

    assert out.startswith("1 stories in ")
    reads = dict(
        line.split()[:2] for line in out.splitlines() if line.startswith(("candidate_rows", "insert_rows"))
    )
    assert int(reads["candidate_rows"]) >= 1 and int(reads["insert_rows"]) >= 1
    lines = out.splitlines()
    written = [
        line.split() for line in lines[lines.index(next(x for x in lines if x.startswith("table or"))) + 1 :]
    ]
    assert any(row[0] == "claim" and int(row[1]) > 0 for row in written)
    counted = next(x for x in lines if x.startswith("matching: ")).replace("(", "").split()
    claims, candidates, scored = int(counted[1]), float(counted[6]), int(counted[-3])
    assert claims >= 1 and 0 < scored <= round(claims * candidates)  # (each candidate scored once at most)
    assert (match.repeat_bound, match.best_match, Ingestor._claim) == real  # (counted only while it ran)
    assert hashlib.sha256(kb.read_bytes()).hexdigest() == before
    assert not list(tmp_path.glob("kb.db-*"))  # (nor a log beside it)


def test_growth_plain_times_the_ingest_alone_and_leaves_the_kb_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kb = tmp_path / "kb.db"
    Store(f"sqlite:///{kb}").engine.dispose()
    folder = tmp_path / "next"
    folder.mkdir()
    for p in CORPUS[:2]:
        shutil.copy(p, folder)
    before = hashlib.sha256(kb.read_bytes()).hexdigest()

    assert bench_module("growth").main([str(kb), str(folder), "--workers", "0", "--plain"]) == 0
    out = capsys.readouterr().out

    assert out.startswith("2 stories in ") and "ingest CPU" in out and len(out.splitlines()) == 1
    assert hashlib.sha256(kb.read_bytes()).hexdigest() == before
    assert not list(tmp_path.glob("kb.db-*"))


def test_growth_names_a_missing_kb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_module("growth").main([str(tmp_path / "none.db"), str(tmp_path)]) == 1
    assert "none.db: no such SQLite file" in capsys.readouterr().err
