"""Entity resolution: names to entities through the alias index, the gazetteer and rapidfuzz."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from kb.text import fold

# rapidfuzz is imported where a name is not found exactly, so looking up a known name (as `kb entity`
# mostly does) does not pay for loading it.

_SUFFIXES = re.compile(
    r"(?:\s+(?:corp|corporation|inc|incorporated|ltd|limited|plc|llc|co|company|group|holdings|"
    r"sa|ag|gmbh|nv|bv|se|pbc))+$"
)


@lru_cache(maxsize=131072)
def alias_key(name: str) -> str:
    """The form under which a name is looked up: case, quotes, punctuation, possessive and corporate
    suffixes folded ("Microsoft Corp.'s" -> "microsoft")."""
    text = fold(name)
    text = re.sub(r"'s\b", "", text)
    text = re.sub(r"[^\w\s&]", "", text.replace("-", "").replace(".", ""))
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"^the\s+", "", text)
    stripped = _SUFFIXES.sub("", text).strip()
    return stripped or text


@dataclass
class GazetteerEntry:
    name: str
    kind: str
    aliases: list[str]


def load_gazetteer(paths: Iterable[Path]) -> dict[str, GazetteerEntry]:
    """alias key -> gazetteer entry, over every file given (later files win)."""
    index: dict[str, GazetteerEntry] = {}
    for path in paths:
        if not path.exists():
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        for item in data.get("entities", []):
            entry = GazetteerEntry(item["name"], item.get("kind", "unknown"), list(item.get("aliases", [])))
            for alias in [entry.name, *entry.aliases]:
                index[alias_key(alias)] = entry
    return index


@dataclass
class Resolution:
    """What a name resolved to: an existing entity id, or a new entity to create."""

    name: str
    entity_id: int | None = None
    new_name: str | None = None
    kind: str = "unknown"
    aliases: list[str] = field(default_factory=list)
    fuzzy_score: float | None = None
    looks_like: int | None = None  # a new name close to this entity's: an analyst should say if it is


class Resolver:
    """Resolves names against the database's alias index (analyst aliases and merges included), then the
    gazetteer, then spelling variants of known aliases by rapidfuzz."""

    def __init__(
        self,
        aliases: dict[str, int],
        gazetteer: dict[str, GazetteerEntry],
        edits: int = 1,
        not_same: set[frozenset[int]] | None = None,
    ) -> None:
        self.aliases = aliases  # alias key -> entity id
        self.gazetteer = gazetteer
        self.edits = edits
        self.not_same = not_same or set()  # pairs an analyst judged different
        self._by_length: dict[int, list[str]] | None = None  # alias keys of 6+ letters by length

    def is_alias(self, name: str) -> bool:
        return self.is_alias_key(alias_key(name))

    def is_alias_key(self, key: str) -> bool:
        return bool(key) and (key in self.aliases or key in self.gazetteer)

    def learn(self, key: str, entity_id: int) -> None:
        if self._by_length is not None and key not in self.aliases and len(key) >= 6:
            self._by_length.setdefault(len(key), []).append(key)
        self.aliases[key] = entity_id

    def _keys_near(self, key: str, edits: int) -> list[str]:
        """Alias keys whose length allows them within `edits` edits of `key` (each edit changes the length
        by at most one), so a lookup reads a few lengths' keys, not every alias."""
        if self._by_length is None:
            self._by_length = {}
            for k in self.aliases:
                if len(k) >= 6:
                    self._by_length.setdefault(len(k), []).append(k)
        n = len(key)
        return [k for length in range(n - edits, n + edits + 1) for k in self._by_length.get(length, ())]

    def resolve(self, name: str) -> Resolution | None:
        key = alias_key(name)
        if not key:
            return None
        if key in self.aliases:
            return Resolution(name, entity_id=self.aliases[key])
        entry = self.gazetteer.get(key)
        if entry is not None:
            known = self.aliases.get(alias_key(entry.name))
            if known is not None:
                return Resolution(name, entity_id=known)
            return Resolution(
                name, new_name=entry.name, kind=entry.kind, aliases=[entry.name, *entry.aliases]
            )
        match = self._fuzzy(key)
        if match is not None:
            return Resolution(name, entity_id=self.aliases[match[0]], fuzzy_score=match[1])
        return Resolution(name, new_name=_display(name), aliases=[_display(name)], looks_like=self._near(key))

    def _fuzzy(self, key: str) -> tuple[str, float] | None:
        """A known alias spelled differently ("Micorsoft"): within `edits` letter edits (one more from 12
        letters on; a swap of two letters is one edit), only for names long enough to judge."""
        if len(key) < 6:
            return None
        allowed = self.edits + (1 if len(key) >= 12 else 0)
        found = _closest(key, self._keys_near(key, allowed), allowed, 5)
        if not found:
            return None
        best = found[0]
        rivals = {self.aliases[k] for k, d, _ in found if d == best[1]}
        near = {self.aliases[k] for k, _, _ in found}
        if len(rivals) > 1 or any(frozenset((self.aliases[best[0]], e)) in self.not_same for e in near):
            return None  # two entities fit, or one an analyst keeps apart: a new name, not a guess
        return best[0], float(best[1])

    def _near(self, key: str) -> int | None:
        """The entity whose alias is close to a name that was not taken as its alias (one edit beyond what
        is taken automatically, or tied between entities, or kept apart by an analyst)."""
        if len(key) < 6 or self._by_length is None:
            return None
        allowed = self.edits + (1 if len(key) >= 12 else 0) + 1
        found = next(iter(_closest(key, self._keys_near(key, allowed), allowed, 1)), None)
        return self.aliases[found[0]] if found else None


def _closest(key: str, keys: list[str], edits: int, limit: int) -> list[tuple[str, int, int]]:
    """(alias key, letter edits, index) of the `limit` keys within `edits` edits of `key`, a swap of two
    letters counting one (Damerau-Levenshtein), fewest edits first, then in list order. rapidfuzz first
    scans the keys for plain Levenshtein distance, several times faster, which is at most twice the
    Damerau-Levenshtein one (a swap is two plain edits); only those few are scored exactly."""
    from rapidfuzz import process
    from rapidfuzz.distance import DamerauLevenshtein, Levenshtein

    near = process.extract(key, keys, scorer=Levenshtein.distance, score_cutoff=2 * edits, limit=None)
    scored = [(k, int(DamerauLevenshtein.distance(key, k)), i) for k, _, i in near]
    return sorted((x for x in scored if x[1] <= edits), key=lambda x: (x[1], x[2]))[:limit]


def _display(name: str) -> str:
    """A new entity's display name: the span without a possessive or trailing punctuation."""
    return re.sub(r"['’]s$", "", name.strip()).strip(" .,;:")


@dataclass
class Lookup:
    """The outcome of finding an entity by a name a user typed."""

    entity_id: int | None
    suggestions: list[str]


def lookup(name: str, aliases: list[tuple[int, str, str]], names: dict[int, str]) -> Lookup:
    """Find an entity by any alias, tolerating typos; when unsure, return close names instead."""
    key = alias_key(name)
    exact = {eid for eid, k, _ in aliases if k == key}
    if len(exact) == 1:
        return Lookup(exact.pop(), [])
    from rapidfuzz import fuzz, process

    keys = [k for _, k, _ in aliases]
    found = process.extract(key, keys, scorer=fuzz.WRatio, limit=10, score_cutoff=70)
    ranked: dict[int, float] = {}
    for _, score, index in found:
        eid = aliases[index][0]
        ranked[eid] = max(ranked.get(eid, 0.0), float(score))
    order = sorted(ranked.items(), key=lambda kv: -kv[1])
    if order and order[0][1] >= 85 and (len(order) == 1 or order[0][1] - order[1][1] >= 5):
        return Lookup(order[0][0], [])
    return Lookup(None, [names[eid] for eid, _ in order[:5] if eid in names])
