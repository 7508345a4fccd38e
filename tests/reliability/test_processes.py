"""Concurrent writers, a killed ingest, backups and hostile text, through real processes on both
databases."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

from procs import brief, corpus, kb


def stats(url):  # type: ignore[no-untyped-def]
    result = kb(url, "stats", "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def without_events(counts):  # type: ignore[no-untyped-def]
    return {k: v for k, v in counts.items() if k not in ("events", "links")}


def test_two_parallel_ingests_of_overlapping_folders_equal_one_ingest(url, tmp_path, sqlite_url):
    folder = corpus(tmp_path / "all", 40)
    left, right = tmp_path / "left", tmp_path / "right"
    left.mkdir()
    right.mkdir()
    for i, path in enumerate(sorted(folder.iterdir())):
        if i < 28:
            shutil.copy(path, left)
        if i >= 12:
            shutil.copy(path, right)
    env = dict(os.environ, KB_DATABASE_URL=url)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "kb", "ingest", str(p), "--format", "json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in (left, right)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-500:] for o in outputs]
    reference = tmp_path / "one.db"
    assert kb(f"sqlite:///{reference}", "ingest", str(folder)).returncode == 0
    assert without_events(stats(url)) == without_events(stats(f"sqlite:///{reference}"))
    assert stats(url)["stories"] == 40


def test_a_killed_ingest_leaves_a_consistent_kb_and_a_rerun_completes_it(url, tmp_path):
    from kb.store import Store

    total = 300
    folder = corpus(tmp_path / "big", total)
    env = dict(os.environ, KB_DATABASE_URL=url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kb", "ingest", str(folder)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    watcher = Store(url)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and watcher.stats()["stories"] < 3:
        time.sleep(0.02)
    assert proc.poll() is None, "the ingest finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    watcher.engine.dispose()
    partial = stats(url)
    assert 3 <= partial["stories"] < total
    rows = [json.loads(line) for line in kb(url, "dump").stdout.splitlines()[1:]]
    stories = {r["row"]["id"] for r in rows if r["table"] == "story"}
    claims = {r["row"]["id"] for r in rows if r["table"] == "claim"}
    with_evidence = {r["row"]["claim_id"] for r in rows if r["table"] == "evidence"}
    story_of_evidence = {r["row"]["story_id"] for r in rows if r["table"] == "evidence"}
    assert claims <= with_evidence  # no claim without its evidence
    assert stories == story_of_evidence  # no story without its claims
    assert kb(url, "ingest", str(folder)).returncode == 0
    reference = tmp_path / "ref.db"
    assert kb(f"sqlite:///{reference}", "ingest", str(folder)).returncode == 0
    assert without_events(stats(url)) == without_events(stats(f"sqlite:///{reference}"))


def test_dump_load_dump_is_byte_identical(url, tmp_path):
    assert kb(url, "ingest", str(corpus(tmp_path / "c", 12))).returncode == 0
    first = kb(url, "dump").stdout
    target = f"sqlite:///{tmp_path / 'restored.db'}"
    (tmp_path / "dump.jsonl").write_text(first, encoding="utf-8")
    assert kb(target, "load", str(tmp_path / "dump.jsonl")).returncode == 0
    assert kb(target, "dump").stdout == first
    refused = kb(target, "load", str(tmp_path / "dump.jsonl"))
    assert refused.returncode == 1 and "not empty" in refused.stderr


def test_a_story_titled_with_markup_and_escapes_prints_literally(url, tmp_path):
    path = tmp_path / "hostile.txt"
    path.write_text(
        brief(
            "[red]x[/red]\x1b[2J",
            "[link=http://evil]Wire[/link]",
            "2026-06-20",
            known=["Orbitalis said [bold red]nothing[/bold red] \x1b]0;pwned\x07 about \u202edlrow."],
        ),
        encoding="utf-8",
    )
    assert kb(url, "ingest", str(path)).returncode == 0
    shown = kb(url, "claim", "1").stdout
    assert "[red]x[/red]" in shown and "[bold red]nothing[/bold red]" in shown
    assert "\x1b" not in shown and "\u202e" not in shown and "\x07" not in shown
    assert "\\x1b" in shown


def test_sql_looking_names_are_stored_and_found_as_plain_text(url, tmp_path):
    name = "Robert'); DROP TABLE claim;-- Holdings"
    path = tmp_path / "sql.txt"
    path.write_text(
        brief("Odd firm", "Wire", "2026-06-20", known=[f"Investors backed {name} in Oslo."]), encoding="utf-8"
    )
    assert kb(url, "ingest", str(path)).returncode == 0
    found = kb(url, "search", "DROP TABLE", "--format", "json")
    assert json.loads(found.stdout)[0]["text"].startswith("Investors backed Robert'); DROP TABLE")
    assert stats(url)["claims"] >= 1
