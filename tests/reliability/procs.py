"""Helpers for the reliability suite: run real `kb` processes, write corpora."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import brief


def kb(url: str, *args: str, **kw):  # type: ignore[no-untyped-def]
    env = dict(os.environ, KB_DATABASE_URL=url, NO_COLOR="1", COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "kb", *args], env=env, capture_output=True, text=True, **kw)


def corpus(folder: Path, n: int, offset: int = 0) -> Path:
    """n distinct briefs about a handful of recurring companies, in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    firms = ["Orbitalis", "Kestrel Dynamics", "Nimbus Freight", "Larkspur Bank", "Tessel Motors"]
    for i in range(offset, offset + n):
        a, b = firms[i % 5], firms[(i * 3 + 1) % 5]
        text = brief(
            f"Deal number {i}",
            f"Outlet {i % 7}",
            f"2026-0{1 + i % 9}-1{i % 9}",
            known=[
                f"Investors say {a} signed contract {i} with {b} worth ${i + 1} million.",
                f"Analysts report that {b} hired {i + 2} engineers in Oslo.",
            ],
            unclear=[f"Whether {a} will extend contract {i} is not confirmed."],
            watch=[f"Any change to contract {i} between {a} and {b}."],
        )
        (folder / f"story-{i:04d}.txt").write_text(text, encoding="utf-8")
    return folder
