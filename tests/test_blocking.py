"""Candidate selection at scale: the term postings and counters ingest keeps, the migration that builds
them for older databases, and an ingest's caches between stories."""

from __future__ import annotations

from collections import Counter

from helpers import ROOT, brief
from sqlalchemy import text

from kb import db, pipeline
from kb.parse.reader import Document, parse_document
from kb.pipeline import Ingestor
from kb.store import Store

CORPUS = sorted((ROOT / "data" / "corpus").glob("*.txt"))


def _ingest_corpus(store: Store, ingestor: Ingestor | None = None) -> None:
    for path in CORPUS:
        doc = Document(str(path), path.read_text(encoding="utf-8"))
        (ingestor or Ingestor(store)).ingest(parse_document(doc), str(path))


def _index(store: Store) -> tuple[list[tuple[str, int]], dict[str, int]]:
    with store.engine.connect() as c:
        postings = [tuple(r) for r in c.execute(text("SELECT term, claim_id FROM posting ORDER BY 1, 2"))]
        counters = dict(
            c.execute(
                text("SELECT term, df FROM term_stat WHERE df != 0 AND (term LIKE '@%' OR term LIKE '#%')")
            ).all()
        )
    return postings, counters  # type: ignore[return-value]


def _tallies(store: Store) -> tuple[dict[str, int], dict[str, int]]:
    """The per-entity (kind, state) tallies ingest and decisions keep, and the same counted in SQL."""
    with store.engine.connect() as c:
        kept = dict(c.execute(text("SELECT term, df FROM term_stat WHERE term LIKE '~%' AND df != 0")).all())
        counted = c.execute(
            text(
                "SELECT m.entity_id, c.kind, c.state, count(*) FROM mention m "
                "JOIN claim c ON c.id = m.claim_id WHERE m.role != 'context' "
                "GROUP BY m.entity_id, c.kind, c.state"
            )
        ).all()
    return kept, {db.tally_key(e, k, st): n for e, k, st, n in counted}  # type: ignore[return-value]


def test_tallies_follow_ingest_decisions_and_merges(store):
    from kb import curate
    from kb.pipeline import decide

    _ingest_corpus(store)
    kept, counted = _tallies(store)
    assert kept == counted and len(kept) > 10
    question = store.claim_rows(kind="question")[0]["id"]
    decide(store, question, "promote", "confirmed by phone", analyst="t")
    ids = {e["name"]: e["id"] for e in store.entity_rows()}
    curate.merge(store, ids["Microsoft"], ids["Azure"], "test", analyst="t")
    kept, counted = _tallies(store)
    assert kept == counted
    curate.unmerge(store, ids["Azure"], "test", analyst="t")
    decide(store, question, "reopen", "not after all", analyst="t")
    assert _tallies(store)[0] == _tallies(store)[1]


def _roles(store: Store) -> tuple[dict[int, set[tuple[str, int]]], dict[int, set[tuple[str, int]]]]:
    """Each claim's entities by role as its row keeps them, and as its mention rows give them."""
    with store.engine.connect() as c:
        kept = {i: r for i, r in c.execute(text("SELECT id, roles FROM claim")).all()}
        mentions = c.execute(text("SELECT claim_id, role, entity_id FROM mention")).all()
    given: dict[int, set[tuple[str, int]]] = {i: set() for i in kept}
    for cid, role, eid in mentions:
        given[cid].add((role, eid))
    words = {i: (r or "").split() for i, r in kept.items()}
    return {i: {(w[k], int(w[k + 1])) for k in range(0, len(w), 2)} for i, w in words.items()}, given


def test_claims_keep_their_entities_by_role_through_ingest_merges_undos_and_loads(store, tmp_path):
    from kb import curate

    _ingest_corpus(store)
    kept, given = _roles(store)
    assert kept == given and sum(map(len, kept.values())) > 100
    with store.reading() as s:
        ids = sorted(kept)
        read = store.candidate_rows(s, ids)
        roles = ("subject", "context", "aside", "source")
        by_role = {c.id: {(r, e) for r in roles for e in getattr(c, r)} for c in read}
        assert by_role == given and {r for found in given.values() for r, _ in found} == set(roles)
        s.execute(text("UPDATE claim SET roles = NULL"))  # (then read from the mention rows)
        assert store.candidate_rows(s, ids) == read
        s.rollback()
    names = {e["name"]: e["id"] for e in store.entity_rows()}
    curate.merge(store, names["Microsoft"], names["Azure"], "test", analyst="t")
    kept, given = _roles(store)
    assert kept == given
    assert not any(e == names["Azure"] for r in kept.values() for _, e in r)  # (all moved to Microsoft)
    curate.unmerge(store, names["Azure"], "test", analyst="t")
    assert _roles(store)[0] == _roles(store)[1]
    other = Store(f"sqlite:///{tmp_path / 'copy.db'}")
    other.load_rows(store.dump_rows())  # (a dump leaves the copy out; the load makes it again)
    assert _roles(other) == _roles(store)
    other.engine.dispose()


def test_ingest_keeps_postings_and_counters_exact(store):
    _ingest_corpus(store)
    postings, counters = _index(store)
    with store.engine.connect() as c:
        claims = c.execute(text("SELECT id, terms FROM claim")).all()
        subjects = Counter(
            r[0] for r in c.execute(text("SELECT entity_id FROM mention WHERE role = 'subject'"))
        )
    assert sorted(postings) == sorted((t, cid) for cid, terms in claims for t in set(terms.split()))
    assert counters[db.CLAIM_COUNT] == len(claims)
    assert {k: v for k, v in counters.items() if k.startswith("@")} == {
        f"@{e}": n for e, n in subjects.items()
    }


def test_an_older_database_gets_its_postings_and_counters_on_open(db_url):
    store = Store(db_url)
    _ingest_corpus(store)
    expected = _index(store)
    with store.engine.begin() as c:  # back to the first released schema: no postings, no counters
        c.execute(text("DROP TABLE posting"))
        c.execute(text("DELETE FROM term_stat WHERE term LIKE '@%' OR term LIKE '#%'"))
        c.execute(text("UPDATE meta SET value = '1' WHERE key = 'schema_version'"))
    store.engine.dispose()
    upgraded = Store(db_url)
    assert upgraded.meta("schema_version") == str(db.schema_version())
    assert _index(upgraded) == expected
    upgraded.engine.dispose()


def test_a_loaded_dump_rebuilds_the_postings(store, tmp_path):
    _ingest_corpus(store)
    other = Store(f"sqlite:///{tmp_path / 'copy.db'}")
    other.load_rows(store.dump_rows())
    assert _index(other) == _index(store)
    other.engine.dispose()


def _crowded(store: Store, monkeypatch, postings: bool) -> str:  # type: ignore[no-untyped-def]
    """An old question about Orbitalis Labs, then many newer Orbitalis claims on other topics, then the
    fact that answers it; returns the question's state."""
    monkeypatch.setattr(pipeline, "PER_ENTITY", 2)  # entity blocking alone sees only the newest two
    if not postings:
        monkeypatch.setattr(Store, "postings", staticmethod(lambda s, terms, per_term: []))

    def ingest(path: str, text_: str) -> None:
        Ingestor(store).ingest(parse_document(Document(path, text_)), path)

    ingest(
        "q.txt",
        brief(
            "Orbitalis Labs in Norway",
            "Wire One",
            "2026-06-01",
            known=["Orbitalis Labs opened an office in Oslo."],
            unclear=["The size of the Oslo staff at Orbitalis Labs is not disclosed."],
        ),
    )
    topics = ["satellite launch", "battery supplier", "chip shortage", "ground station", "quarterly report"]
    for i, topic in enumerate(topics):
        ingest(
            f"n{i}.txt",
            brief(
                f"Orbitalis Labs {topic}",
                "Wire Two",
                f"2026-06-{i + 2:02d}",
                known=[f"Orbitalis Labs discussed its {topic} plans with investors in Oslo {i}."],
                unclear=[f"Whether the {topic} affects Orbitalis Labs revenue in Oslo is unclear."],
            ),
        )
    ingest(
        "a.txt",
        brief(
            "Orbitalis Labs staffs up",
            "Wire Three",
            "2026-06-20",
            known=["Orbitalis Labs employs 120 staff in its Oslo office."],
        ),
    )
    question = next(c for c in store.claim_rows(kind="question") if "Oslo staff" in c["text"])
    return str(question["state"])


def test_a_crowded_entity_still_finds_the_claims_sharing_rare_terms(store, monkeypatch):
    assert _crowded(store, monkeypatch, postings=True) != "unclear"


def test_without_postings_the_crowded_question_is_missed(store, monkeypatch):
    # The control for the test above: entity blocking alone no longer reaches the old question.
    assert _crowded(store, monkeypatch, postings=False) == "unclear"


def _links(store: Store) -> set[tuple]:
    with store.engine.connect() as c:
        return {
            tuple(r)
            for r in c.execute(
                text(
                    "SELECT l.kind, a.text, b.text, l.status, l.score FROM claim_link l "
                    "JOIN claim a ON a.id = l.src_id JOIN claim b ON b.id = l.dst_id"
                )
            )
        }


def test_an_ingest_kept_across_stories_matches_like_fresh_ones(db_url, tmp_path):
    """One Ingestor keeps counters, candidate rows and entity kinds between stories; another writer's
    story in between, or an analyst's merge, must make it read them again."""
    from kb import curate

    fresh = Store(f"sqlite:///{tmp_path / 'fresh.db'}")
    kept = Store(db_url)
    mine = Ingestor(kept)
    for i, path in enumerate(CORPUS):
        doc = parse_document(Document(str(path), path.read_text(encoding="utf-8")))
        Ingestor(fresh).ingest(doc, str(path))
        (Ingestor(kept) if i == 1 else mine).ingest(doc, str(path))  # story 2 comes from another writer
        if i == 2:
            for store in (fresh, kept):
                ids = {e["name"]: e["id"] for e in store.entity_rows()}
                curate.set_kind(store, ids["Azure"], "product", analyst="t")
    assert _links(kept) == _links(fresh)
    assert kept.stats() == fresh.stats()
    assert _index(kept)[1] == _index(fresh)[1]
    fresh.engine.dispose()
    kept.engine.dispose()


def test_an_ingest_kept_across_stories_learns_an_analysts_new_alias(store):
    from kb import curate

    mine = Ingestor(store)
    _ingest_corpus(store, mine)
    microsoft = next(e["id"] for e in store.entity_rows() if e["name"] == "Microsoft")
    curate.add_alias(store, microsoft, "Redmond Giant", analyst="t")
    doc = brief(
        "Cloud news", "Wire Four", "2026-07-01", known=["Redmond Giant opened a data centre in Oslo."]
    )
    result = mine.ingest(parse_document(Document("r.txt", doc)), "r.txt")
    assert "Redmond Giant" not in result.new_entities
    assert "Microsoft" in store.claim_rows(text="data centre in Oslo")[0]["entities"]


def test_shortlist_sums_each_claims_shared_term_weights():
    from kb import match

    postings = {"chip": [9, 7, 5, 3], "plant": [8, 7, 3], "ireland": [7, 2], "rare": [4]}
    weights = match.Weights({"chip": 0.5, "plant": 1.25, "ireland": 2.0, "rare": 3.0})
    terms = ["plant", "chip", "ireland", "rare", "unknown"]
    assert sorted(match.shortlist(terms, postings, weights, 10)) == [2, 3, 4, 5, 7, 8, 9]
    # 7: 0.5 + 1.25 + 2.0; 4: 3.0; 2: 2.0; 3: 0.5 + 1.25; 8: 1.25; then 9 and 5 tie at 0.5, the newer first
    assert match.shortlist(terms, postings, weights, 5) == [7, 4, 2, 3, 8]
    assert match.shortlist(terms, postings, weights, 6) == [7, 4, 2, 3, 8, 9]
