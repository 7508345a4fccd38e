"""Ingest in batches: stories decided in memory and stored a batch at a time are stored exactly as if each
story had been ingested alone, by a fresh ingest that keeps nothing between stories. So neither the batch
size, nor what an ingest keeps in memory between batches, nor the reader workers change the outcome; only
the order in which stories arrive does."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from gen import generate
from helpers import brief
from sqlalchemy import text

from kb import pipeline
from kb.parse.brief import read_brief
from kb.parse.reader import sources
from kb.pipeline import Ingestor, Summary, decide
from kb.store import Store
from kb.workers import read_all

CLOCK = {"created_at", "ingested_at", "at_ingested", "decided_at"}  # when kb learnt it: differs per run


def _dump(store: Store) -> dict[str, list[dict]]:
    """Every row, without the ingest clock, and without counters at zero (a counter that went up and down
    within one batch is never written)."""
    out: dict[str, list[dict]] = {}
    for table, row in store.dump_rows():
        if table == "term_stat" and row["df"] == 0:
            continue
        out.setdefault(table, []).append({k: v for k, v in row.items() if k not in CLOCK})
    return out


@pytest.fixture(scope="module")
def corpus() -> list[tuple[str, str]]:
    return list(generate(110, seed=3))


def _alone(url: str, items: list[tuple[str, str]]) -> Store:
    """The reference: each story ingested by an ingest of its own, which reads everything afresh."""
    store = Store(url)
    for name, body in items:
        Ingestor(store).ingest(read_brief(body), name)
    return store


def test_a_batch_stores_what_its_stories_alone_would(db_url, tmp_path, corpus):
    alone = _alone(f"sqlite:///{tmp_path / 'alone.db'}", corpus)
    batched = Store(db_url)
    results = list(Ingestor(batched, batch=37).ingest_many((read_brief(b), n) for n, b in corpus))
    assert [r.path for r in results] == [n for n, _ in corpus]
    assert _dump(batched) == _dump(alone)
    assert _dump(batched)["claim_link"]  # (the corpus matches: there are links to compare)
    alone.engine.dispose()
    batched.engine.dispose()


def _backing_from_evidence(store: Store) -> dict[int, tuple[list, list]]:
    """Each claim's backing as its evidence gives it: (support, doubts), each [(source, best weight)] in
    the order the sources first gave it."""
    from kb.memo import SUPPORT
    from kb.vocab import Stance

    with store.reading() as s:
        ids = list(s.execute(text("SELECT id FROM claim")).scalars())
        out: dict[int, tuple[dict, dict]] = {cid: ({}, {}) for cid in ids}
        for cid, source, stance, weight in Store.backing(s, ids):
            part = out[cid][0] if stance in SUPPORT else out[cid][1] if stance == Stance.doubts else None
            if part is not None:
                part[source] = max(part.get(source, 0.0), weight)
    return {cid: (list(sup.items()), list(dbt.items())) for cid, (sup, dbt) in out.items()}


def _kept_backing(store: Store) -> dict[int, tuple[list, list] | None]:
    from kb.memo import parse_backing

    with store.reading() as s:
        rows = s.execute(text("SELECT id, backing FROM claim")).all()
    out: dict[int, tuple[list, list] | None] = {}
    for cid, kept in rows:
        parts = None if kept is None else parse_backing(kept)
        out[cid] = None if parts is None else (list(parts[0].items()), list(parts[1].items()))
    return out


def test_the_backing_kept_on_each_claim_is_what_its_evidence_gives(db_url, corpus):
    store = Store(db_url)
    list(Ingestor(store, batch=23).ingest_many((read_brief(b), n) for n, b in corpus))
    kept, evidence = _kept_backing(store), _backing_from_evidence(store)
    assert kept == evidence
    assert sum(len(sup) > 1 for sup, _ in evidence.values()) > 20  # (repeated by several sources)
    assert any(dbt for _, dbt in evidence.values())  # (and doubted)


def test_claims_stored_before_their_backing_was_kept_derive_the_same(db_url, tmp_path, corpus):
    half = len(corpus) // 2
    kept = Store(f"sqlite:///{tmp_path / 'kept.db'}")
    list(Ingestor(kept).ingest_many((read_brief(b), n) for n, b in corpus))
    older = Store(db_url)
    list(Ingestor(older).ingest_many((read_brief(b), n) for n, b in corpus[:half]))
    with older.transaction() as s:  # as a KB stored before the backing was kept on claims
        s.execute(text("UPDATE claim SET backing = NULL"))
    list(Ingestor(older).ingest_many((read_brief(b), n) for n, b in corpus[half:]))
    assert _dump(older) == _dump(kept)
    mine = _kept_backing(older)
    evidence = _backing_from_evidence(older)
    kept_ones = {c: b for c, b in mine.items() if b is not None}
    assert kept_ones == {c: evidence[c] for c in kept_ones}
    assert None in mine.values() and any(c < 200 and b is not None for c, b in mine.items())


def test_evidence_given_to_a_claim_out_of_view_unkeeps_its_backing():
    from kb.memo import ClaimView, backing_text

    view = ClaimView()
    view.add_claim(1, "fact", "reported", "Orbitalis Labs opened an office in Oslo.")
    view.add_evidence(1, 7, 1.0, "asserts")
    view.add_evidence(1, 9, 0.85, "supports")
    view.add_evidence(1, 7, 1.0, "doubts")
    view.add_evidence(2, 7, 1.0, "asserts")  # claim 2 is not in the view: its kept backing is stale
    assert view.take_backing() == [(1, "7 1.0 9 0.85|7 1.0"), (2, None)]
    assert view.take_backing() == []
    assert backing_text({}, {}) == "|"


def test_an_ingest_starts_with_a_small_batch_and_doubles_it_up_to_its_size(store, corpus, monkeypatch):
    monkeypatch.setattr(pipeline, "FIRST_BATCH", 4)
    monkeypatch.setattr(pipeline, "BATCH_SECONDS", 3600.0)
    sizes: list[int] = []
    store_batch = Ingestor._store_batch

    def sized(self: Ingestor, items: list) -> list:
        sizes.append(len(items))
        return store_batch(self, items)

    monkeypatch.setattr(Ingestor, "_store_batch", sized)
    results = list(Ingestor(store, batch=20).ingest_many((read_brief(b), n) for n, b in corpus[:70]))
    assert sizes == [4, 8, 16, 20, 20, 2] and len(results) == 70
    sizes.clear()
    list(Ingestor(store, batch=3).ingest_many((read_brief(b), n) for n, b in corpus[70:77]))
    assert sizes == [3, 3, 1]  # (never more than the ingest's batch size)


def test_an_ingest_kept_across_batches_sees_an_analysts_decision(tmp_path, corpus):
    """Batches keep claims' states in memory; a decision in between must make the next batch read them."""
    first, rest = corpus[:60], corpus[60:]
    stores = []
    for label in ("alone", "kept"):
        store = Store(f"sqlite:///{tmp_path / label}.db")
        ingestor = Ingestor(store, batch=25)
        if label == "alone":
            _alone(store.url, first)
        else:
            list(ingestor.ingest_many((read_brief(b), n) for n, b in first))
        fact = store.claim_rows(kind="fact")[0]
        decide(store, fact["id"], "refute", "retracted", analyst="t")
        again = ("again.txt", brief("Once more", "Wire Nine", "2022-03-01", known=[fact["text"]]))
        if label == "alone":
            _alone(store.url, [again, *rest])
        else:
            list(ingestor.ingest_many((read_brief(b), n) for n, b in [again, *rest]))
        stores.append(store)
    alone, kept = (_dump(s) for s in stores)
    for rows in (alone, kept):  # the decision's own events happened at a different moment in each
        rows["event"] = [r for r in rows["event"] if r["analyst"] is None]
    assert kept == alone


def test_readers_in_worker_processes_store_what_reading_here_would(tmp_path, corpus):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, body in corpus[:90]:
        (folder / name).write_text(body, encoding="utf-8")
    dumps = []
    for workers in (0, 1):
        store = Store(f"sqlite:///{tmp_path / f'w{workers}.db'}")
        ingestor = Ingestor(store, batch=40)
        reads = read_all(sources([str(folder)]), "auto", workers, ingestor.known_keys)
        list(ingestor.ingest_many((story, read.path) for read in reads for story in read.stories))
        dumps.append(_dump(store))
        store.engine.dispose()
    for dump in dumps:  # (the path of each file is the same; only the folder differs)
        assert len(dump["story"]) == 90
    assert dumps[0] == dumps[1]


def test_matching_skips_only_candidates_that_could_not_match(tmp_path, corpus, monkeypatch):
    """An incoming claim's candidates are not all scored: some are passed over by a cheap test, and
    possible repeats by an upper bound of their score. What is kept must be what scoring every candidate
    would keep."""
    from kb import match

    real = Ingestor._matches
    compared = Counter()

    def checked(self, new, candidates, kinds, weights):  # type: ignore[no-untyped-def]
        got = real(self, new, candidates, kinds, weights)
        near = new.entities | new.context
        scored = []
        for i, c in enumerate(candidates):
            if c.kind in pipeline.RELATED[new.kind] and not near.isdisjoint(c.entities | c.context):
                m = match.best_match(new, c, kinds, weights)
                if m is not None and m.score >= self.thresholds.suggest:
                    scored.append((i, m))
        scored.sort(key=lambda x: (-x[1].score, x[0]))
        kept: Counter[str] = Counter()
        expected = []
        for _, m in scored:
            kept[m.kind] += 1
            if kept[m.kind] <= pipeline.MAX_LINKS_PER_KIND:
                expected.append(m)
        assert got == expected
        compared.update(m.kind for m in got)
        compared["candidates"] += len(candidates)
        return got

    monkeypatch.setattr(Ingestor, "_matches", checked)
    store = Store(f"sqlite:///{tmp_path / 'k.db'}")
    list(Ingestor(store).ingest_many((read_brief(b), n) for n, b in corpus))
    assert compared["same_as"] and compared["answers"] and compared["contradicts"] and compared["triggers"]
    assert compared["candidates"] > 10 * sum(compared[k] for k in ("same_as", "answers", "contradicts"))
    store.engine.dispose()


def test_the_rows_of_a_batch_reference_rows_that_exist(sqlite_url, corpus):
    """A batch's transaction does not ask SQLite to check each reference (its own ids are numbered under
    the write lock); every reference must hold all the same."""
    store = Store(sqlite_url)
    list(Ingestor(store, batch=50).ingest_many((read_brief(b), n) for n, b in corpus[:80]))
    with store.engine.connect() as c:
        assert c.execute(text("PRAGMA foreign_key_check")).all() == []
        assert c.execute(text("SELECT count(*) FROM claim_link")).scalar_one() > 0
    store.engine.dispose()


def test_a_bad_story_in_a_batch_fails_alone(store, corpus, monkeypatch):
    real = Ingestor._match
    bad = corpus[2][0]

    def match(self, s, batch, st):  # type: ignore[no-untyped-def]
        if st.path == bad:
            raise RuntimeError("disk on fire")
        return real(self, s, batch, st)

    monkeypatch.setattr(Ingestor, "_match", match)
    stored = []
    with pytest.raises(RuntimeError):
        for result in Ingestor(store, batch=10).ingest_many((read_brief(b), n) for n, b in corpus[:6]):
            stored.append(result.path)
    assert stored == [corpus[0][0], corpus[1][0]]  # the stories before it, each alone, then it fails
    assert store.stats()["stories"] == 2
    with store.engine.connect() as c:  # and nothing of it is left behind
        paths = {r[0] for r in c.execute(text("SELECT path FROM story"))}
    assert bad not in paths


def test_an_ingest_eases_the_garbage_collector_and_gives_it_back(store, corpus, monkeypatch):
    monkeypatch.setattr(pipeline, "FULL_COLLECTION_EVERY", 2)
    before = gc.get_threshold()
    assert before != pipeline.EASED_THRESHOLDS
    full: list[int] = []

    def count(phase: str, info: dict) -> None:
        if phase == "stop" and info["generation"] == 2:
            full.append(1)

    gc.callbacks.append(count)
    try:
        during = [
            gc.get_threshold()
            for _ in Ingestor(store, batch=5).ingest_many((read_brief(b), n) for n, b in corpus[:20])
        ]
    finally:
        gc.callbacks.remove(count)
    assert set(during) == {pipeline.EASED_THRESHOLDS}
    assert gc.get_threshold() == before
    assert len(full) >= 2  # a full collection every second batch of four
    # Callers that stop reading results early get the collector back as it was too, once the last of
    # the ingests they started ends, whichever ends first.
    first = Ingestor(store, batch=5).ingest_many((read_brief(b), n) for n, b in corpus[20:30])
    second = Ingestor(store, batch=5).ingest_many((read_brief(b), n) for n, b in corpus[30:40])
    next(first)
    next(second)
    first.close()
    assert gc.get_threshold() == pipeline.EASED_THRESHOLDS
    second.close()
    assert gc.get_threshold() == before
    assert store.stats()["stories"] == 30  # (the four batches, and a batch for each early stop)


def test_a_question_whose_answers_contradict_each_other_stays_disputed(store, ingest):
    """Whatever else a later story touches: repeating the question must not make it look settled."""
    question = "The value of the Tessel Motors deal is not disclosed."

    def story(outlet: str, day: str, known: list[str], unclear: list[str] = ()) -> str:  # type: ignore[assignment]
        return brief(f"Tessel Motors deal {outlet}", outlet, day, known=known, unclear=list(unclear))

    ingest(story("Wire One", "2026-06-01", ["Tessel Motors signed a deal with Larkspur Bank."], [question]))
    ingest(story("Wire Two", "2026-06-02", ["The Tessel Motors deal is worth $400 million."]), "a.txt")
    ingest(story("Wire Three", "2026-06-03", ["The Tessel Motors deal is worth $900 million."]), "b.txt")
    state = next(c for c in store.claim_rows(kind="question") if c["text"] == question)["state"]
    ingest(story("Wire Four", "2026-06-04", ["Larkspur Bank hired staff in Oslo."], [question]), "c.txt")
    again = next(c for c in store.claim_rows(kind="question") if c["text"] == question)["state"]
    assert state == again == "disputed"


def test_an_ingest_summary_counts_everything_and_lists_the_first_changes():
    summary = Summary(limit=2)
    for i in range(3):
        result = pipeline.IngestResult(path=f"s{i}.txt", title=f"Story {i}", story_id=i + 1, new_claims=2)
        result.new_entities = [f"Firm {i}"]
        result.changes = [
            pipeline.Change(10 * i + 1, "a", "promoted", "unclear", "reported", "answered"),
            pipeline.Change(10 * i + 2, "b", "confidence", "reported", "reported"),
        ]
        summary.add(result)
    summary.failed()
    report = summary.as_dict()
    assert (report["files"], report["stories"], report["failures"], report["new_claims"]) == (4, 3, 1, 6)
    assert report["promoted"] == 3 and len(report["changes"]) == 2 and report["changes_omitted"] == 1
    assert report["entity_names"] == ["Firm 0", "Firm 1"] and report["entity_names_omitted"] == 1


def test_kb_ingest_with_reader_workers_leaves_no_process_behind(tmp_path, corpus):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, body in corpus[:30]:
        (folder / name).write_text(body, encoding="utf-8")
    outputs = []
    for workers in ("0", "1"):
        env = dict(
            os.environ,
            KB_DATABASE_URL=f"sqlite:///{tmp_path / f'cli{workers}.db'}",
            KB_WORKERS=workers,
            KB_PARALLEL_FROM="1",
            NO_COLOR="1",
        )
        done = subprocess.run(
            [sys.executable, "-m", "kb", "ingest", str(folder), "--format", "json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(json.loads(done.stdout))
    assert outputs[0] == outputs[1] and outputs[0]["stories"] == 30


def _copies(folder: Path, corpus: list[tuple[str, str]]) -> Path:
    """The stories as files, each made distinct (a line of its own), so none is a duplicate."""
    folder.mkdir()
    for i, (name, body) in enumerate(corpus):
        (folder / f"{i:04d}-{name}").write_text(body.replace("Published", f"Copy {i}\n\nPublished"), "utf-8")
    return folder


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    except OSError:
        return ""


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_reader_workers_end_with_a_killed_ingest(tmp_path, corpus):
    import signal
    import time

    folder = _copies(tmp_path / "corpus", corpus * 3)
    env = dict(
        os.environ, KB_DATABASE_URL=f"sqlite:///{tmp_path / 'k.db'}", KB_WORKERS="1", KB_PARALLEL_FROM="1"
    )
    proc = subprocess.Popen([sys.executable, "-m", "kb", "ingest", str(folder)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.time() + 60
    workers: list[int] = []
    while time.time() < deadline and not workers:
        time.sleep(0.1)
        workers = [c for c in _children(proc.pid) if "spawn_main" in _cmdline(c)]
    assert workers, "no reader worker started"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 10
    while time.time() < deadline and any(Path(f"/proc/{w}").exists() for w in workers):
        time.sleep(0.1)
    assert not any(Path(f"/proc/{w}").exists() for w in workers)


def test_stories_read_before_reading_fails_are_stored(tmp_path, corpus):
    store = Store(f"sqlite:///{tmp_path / 'k.db'}")
    ingestor = Ingestor(store, batch=50)

    def items():
        for name, body in corpus[:3]:
            yield read_brief(body), name
        raise OSError("the disk went away")

    results = []
    with pytest.raises(OSError, match="disk went away"):
        for result in ingestor.ingest_many(items()):
            results.append(result)
    assert len(results) == 3 and store.stats()["stories"] == 3


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_a_reader_process_that_dies_is_a_clear_error(tmp_path, corpus):
    import signal

    from kb.errors import KbError

    folder = _copies(tmp_path / "corpus", corpus * 2)
    reads = read_all(sources([str(folder)]), "auto", 1, set, ahead=8)
    assert next(reads).error is None
    (worker,) = [c for c in _children(os.getpid()) if "spawn_main" in _cmdline(c)]
    os.kill(worker, signal.SIGKILL)
    with pytest.raises(KbError, match="reader process stopped"):
        for _ in reads:
            pass
