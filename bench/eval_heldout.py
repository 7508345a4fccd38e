"""Score matching on the held-out follow-ups in tests/data/heldout/ (written without seeing the matcher).

Ingests the real seed brief from ../shared, then each follow-up in date order into a fresh SQLite KB, and
compares what kb did with expected.json: automatic promotions, suggestions, corroborations, disputes, and
changes caused by trap stories. Prints one line per story and a final line of figures.

    python bench/eval_heldout.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from kb.parse.reader import documents, parse_document
from kb.pipeline import Ingestor
from kb.store import Store
from kb.text import fold
from kb.vocab import KNOWN

HERE = Path(__file__).resolve().parents[1] / "tests" / "data" / "heldout"


def locate(claims: list[dict], needle: str) -> dict:
    return min((c for c in claims if needle in fold(c["text"])), key=lambda c: c["id"])


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="kb-heldout-") as folder:
        return score(folder)


def score(folder: str) -> int:
    """Ingest the seed and then each held-out follow-up into a new KB in `folder`; print the figures."""
    spec = json.loads((HERE / "expected.json").read_text(encoding="utf-8"))
    seed = (HERE / spec["seed"]).resolve()
    if not seed.exists():
        print(f"skipped: {seed} is not there (../shared missing)")
        return 0
    store = Store(f"sqlite:///{folder}/kb.db")
    ingestor = Ingestor(store)

    def ingest(path: Path) -> None:
        doc = next(documents([str(path)]))
        ingestor.ingest(parse_document(doc), doc.path)

    ingest(seed)
    keys = {**spec["questions"], **spec["facts"]}
    ids = {k: locate(store.claim_rows(), fold(v))["id"] for k, v in keys.items()}
    wanted = {q for s in spec["stories"] for q in s.get("answers", [])}
    promoted_right, promoted_wrong, suggested, trap_changes = set(), [], set(), []
    corroborated, disputed = [], []
    for story in sorted(spec["stories"], key=lambda s: s["file"]):
        before = {c["id"]: (c["state"], tuple(c["answered_by"])) for c in store.claim_rows()}
        ingest(HERE / story["file"])
        after = {c["id"]: c for c in store.claim_rows()}
        changed = [
            k for k, i in ids.items() if (after[i]["state"], tuple(after[i]["answered_by"])) != before[i]
        ]
        for q in spec["questions"]:
            c = after[ids[q]]
            if c["state"] in KNOWN and before[ids[q]][0] not in KNOWN:
                if q in story.get("answers", []):
                    promoted_right.add(q)
                else:
                    promoted_wrong.append((q, story["file"]))
        for s in store.suggestion_rows():
            for q in story.get("answers", []):
                if ids[q] in (s["claim_id"], s["other_claim_id"]):
                    suggested.add(q)
        if story["kind"] == "trap" and changed:
            trap_changes.append((story["file"], changed))
        for f in story.get("repeats", []):
            corroborated.append((f, after[ids[f]]["state"] in ("corroborated", "confirmed")))
        for f in story.get("contradicts", []):
            disputed.append((f, after[ids[f]]["state"] == "disputed"))
        print(f"{story['file']:38} {story['kind']:12} changed: {', '.join(changed) or '-'}")
    tp, fp = len(promoted_right), len(promoted_wrong)
    precision = tp / (tp + fp) if tp + fp else 1.0
    print(f"wrong promotions: {promoted_wrong}; trap changes: {trap_changes}")
    print(
        f"heldout: precision={precision:.2f} recall_auto={tp / len(wanted):.2f} "
        f"recall_with_suggestions={len(promoted_right | suggested) / len(wanted):.2f} "
        f"corroborated={sum(ok for _, ok in corroborated)}/{len(corroborated)} "
        f"disputed={sum(ok for _, ok in disputed)}/{len(disputed)} trap_changes={len(trap_changes)}"
    )
    store.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
