"""The knowledge graph in memory (networkx): neighbours, paths, centrality. Reads the store, never prints.

Nodes are "entity:ID", "claim:ID" and "story:ID" with a `type` attribute; edges carry a `type`:
mentions (claim -> entity), asserts/questions/watches/supports/doubts (story -> claim), answers/same_as/
contradicts/triggers (claim -> claim). `entity_graph` folds this into entities linked by shared claims.
"""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import networkx as nx

from kb.store import Store


def build(store: Store, entity_id: int | None = None, depth: int = 1) -> nx.MultiDiGraph:
    """The whole KB, or the neighbourhood of one entity to `depth` hops, as a typed graph."""
    claim_ids = store.neighbourhood(entity_id, depth) if entity_id is not None else None
    rows = store.graph_rows(claim_ids)
    g = nx.MultiDiGraph()
    for eid, name, kind in rows["entities"]:
        g.add_node(f"entity:{eid}", type="entity", label=name, kind=kind)
    for cid, text, kind, state, confidence in rows["claims"]:
        g.add_node(
            f"claim:{cid}",
            type="claim",
            label=text,
            kind=kind,
            state=state,
            confidence=round(confidence or 0.0, 3),
        )
    for sid, title, publisher, published in rows["stories"]:
        g.add_node(
            f"story:{sid}",
            type="story",
            label=title,
            publisher=publisher or "",
            published=published.date().isoformat() if published else "",
        )
    for cid, eid, role in rows["mentions"]:
        g.add_edge(f"claim:{cid}", f"entity:{eid}", type="mentions", role=role)
    for sid, cid, stance in rows["evidence"]:
        g.add_edge(f"story:{sid}", f"claim:{cid}", type=stance)
    for src, dst, kind, score in rows["links"]:
        if g.has_node(f"claim:{src}") and g.has_node(f"claim:{dst}"):
            g.add_edge(f"claim:{src}", f"claim:{dst}", type=kind, score=round(score, 3))
    for a, b, shared in _co_mentions(rows["mentions"]):
        g.add_edge(f"entity:{a}", f"entity:{b}", type="shares_claims", weight=shared)
    return g


def _co_mentions(mentions: list[tuple]) -> list[tuple[int, int, int]]:
    by_claim: dict[int, set[int]] = {}
    for cid, eid, _ in mentions:
        by_claim.setdefault(cid, set()).add(eid)
    pairs: Counter[tuple[int, int]] = Counter()
    for entities in by_claim.values():
        pairs.update(combinations(sorted(entities), 2))
    return [(a, b, n) for (a, b), n in sorted(pairs.items())]


def entity_graph(g: nx.MultiDiGraph) -> nx.Graph:
    """Entities joined by the claims they share (edge weight = number of shared claims)."""
    out = nx.Graph()
    for node, data in g.nodes(data=True):
        if data["type"] == "entity":
            out.add_node(node, **data)
    for a, b, data in g.edges(data=True):
        if data["type"] == "shares_claims":
            out.add_edge(a, b, weight=data["weight"])
    return out


def neighbours(store: Store, entity_id: int, depth: int = 1) -> list[dict]:
    """Entities within `depth` shared-claim hops, nearest and most connected first."""
    g = entity_graph(build(store, entity_id, depth))
    start = f"entity:{entity_id}"
    if start not in g:
        return []
    distance = nx.single_source_shortest_path_length(g, start, cutoff=depth)
    out = []
    for node, hops in distance.items():
        if node == start:
            continue
        shared = g[start][node]["weight"] if g.has_edge(start, node) else 0
        data = g.nodes[node]
        out.append(
            {
                "id": int(node.split(":")[1]),
                "name": data["label"],
                "kind": data["kind"],
                "distance": hops,
                "shared_claims": shared,
            }
        )
    return sorted(out, key=lambda r: (r["distance"], -r["shared_claims"], r["name"].casefold()))


def path(store: Store, a: int, b: int, max_hops: int = 4) -> list[dict]:
    """The shortest chain entity - claim - entity - ... - claim - entity joining two entities, as steps
    ({"type": "entity"|"claim", "id", "label", ...}); empty when nothing joins them."""
    g = build(store).to_undirected(as_view=True)
    bipartite = nx.Graph()
    for u, v, data in g.edges(data=True):
        if data["type"] == "mentions":
            bipartite.add_edge(u, v)
    source, target = f"entity:{a}", f"entity:{b}"
    if source not in bipartite or target not in bipartite:
        return []
    try:
        nodes = nx.shortest_path(bipartite, source, target)
    except nx.NetworkXNoPath:
        return []
    if len(nodes) > 2 * max_hops + 1:
        return []
    return [{"type": g.nodes[n]["type"], "id": int(n.split(":")[1]), **_public(g.nodes[n])} for n in nodes]


def linking_claims(store: Store, a: int, b: int) -> list[int]:
    """Every claim that names both entities."""
    g = build(store, a, 1)
    ea, eb = f"entity:{a}", f"entity:{b}"
    claims = [u for u, v, d in g.edges(data=True) if d["type"] == "mentions" and v == ea]
    return sorted(int(c.split(":")[1]) for c in claims if g.has_edge(c, eb))


def central(store: Store, top: int = 20) -> list[dict]:
    """Entities ranked by weighted eigenvector centrality on the shared-claims graph (an entity matters
    when it shares claims with entities that matter), with their number of neighbours."""
    g = entity_graph(build(store))
    if not g:
        return []
    try:
        rank = nx.eigenvector_centrality(g, weight="weight", max_iter=1000) if g.number_of_edges() else {}
    except nx.PowerIterationFailedConvergence:
        rank = {}
    if not rank:
        total = sum(w for _, w in g.degree(weight="weight")) or 1
        rank = {n: w / total for n, w in g.degree(weight="weight")}
    rows = [
        {
            "id": int(n.split(":")[1]),
            "name": g.nodes[n]["label"],
            "kind": g.nodes[n]["kind"],
            "score": round(score, 4),
            "neighbours": g.degree(n),
        }
        for n, score in rank.items()
    ]
    return sorted(rows, key=lambda r: (-r["score"], r["name"].casefold()))[:top]


def _public(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "type"}
