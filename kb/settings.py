"""Settings in one place: database URL, matching thresholds and limits, read from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw else default


@dataclass(frozen=True)
class Thresholds:
    """Match scores are in [0, 1]. At or above `auto` a link acts by itself; between `suggest` and
    `auto` it waits in `kb review`; below `suggest` it is dropped."""

    auto: float = field(default_factory=lambda: _float("KB_MATCH_AUTO", 0.72))
    suggest: float = field(default_factory=lambda: _float("KB_MATCH_SUGGEST", 0.45))
    # Repeats (same_as) are scored by similarity, a different scale: they act from this score on.
    repeat_auto: float = field(default_factory=lambda: _float("KB_REPEAT_AUTO", 0.6))

    def acts(self, kind: str, score: float) -> bool:
        """Whether a match of this kind and score acts without an analyst."""
        return score >= (self.repeat_auto if kind == "same_as" else self.auto)

    # Entity resolution: letter edits (Damerau-Levenshtein) for taking an unknown spelling of six letters
    # or more as a known alias ("Micorsoft"); one more from twelve letters on. 0 turns it off.
    entity_edits: int = field(default_factory=lambda: int(_float("KB_ENTITY_EDITS", 1)))


DEFAULT_DB_FILE = "kb.db"
MAX_INPUT_BYTES = int(os.environ.get("KB_MAX_INPUT_BYTES", str(20 * 1024 * 1024)))
# Candidate selection (blocking). Each incoming claim is scored against the MAX_CANDIDATES existing claims
# sharing the most of its terms (rare ones weighing more), taken from the newest PER_TERM claims using
# each of its terms, plus the newest PER_ENTITY claims naming each of its entities.
MAX_CANDIDATES = int(os.environ.get("KB_MAX_CANDIDATES", "40"))
PER_TERM = int(os.environ.get("KB_PER_TERM", "40"))
PER_ENTITY = int(os.environ.get("KB_PER_ENTITY", "15"))
# Ingest decides stories in memory and stores them in batches of up to BATCH stories, or what arrived in
# BATCH_SECONDS, each batch one transaction. WORKERS processes read and prepare documents beside it when
# there are at least PARALLEL_FROM of them (default: one fewer than the machine's cores, at least one).
BATCH = max(1, int(os.environ.get("KB_BATCH", "200")))
BATCH_SECONDS = _float("KB_BATCH_SECONDS", 2.0)
WORKERS = int(os.environ.get("KB_WORKERS", str(max(1, (os.cpu_count() or 2) - 1))))
PARALLEL_FROM = int(os.environ.get("KB_PARALLEL_FROM", "50"))
# Watch-lists list the items of highest priority: WATCH_TABLE_LIMIT in the table, WATCH_EXPORT_LIMIT in
# csv, json and md; of the stale claims, the WATCH_STALE_LIMIT last seen most recently (--limit 0 and
# --stale-limit 0 list all).
WATCH_TABLE_LIMIT = 100
WATCH_EXPORT_LIMIT = 10_000
WATCH_STALE_LIMIT = 1_000


def database_url(db_path: str | None = None) -> str:
    """`--db PATH` wins, then KB_DATABASE_URL, then kb.db in the current directory."""
    if db_path:
        return f"sqlite:///{Path(db_path).expanduser()}"
    url = os.environ.get("KB_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{DEFAULT_DB_FILE}"


def gazetteer_paths() -> list[Path]:
    """The packaged gazetteer plus any extra files named in KB_GAZETTEER (separated by os.pathsep)."""
    paths = [Path(__file__).with_name("gazetteer.json")]
    extra = os.environ.get("KB_GAZETTEER", "")
    paths += [Path(p) for p in extra.split(os.pathsep) if p]
    return paths
