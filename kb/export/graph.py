"""Graph exports for Gephi (GEXF), Cytoscape and yEd (GraphML), D3 (JSON) and Graphviz (DOT).

Any text may sit in a label, so values are cleaned of the characters XML 1.0 forbids and DOT strings are
escaped: every export stays valid and loads back."""

from __future__ import annotations

import io
import json
import re
from typing import Any, TextIO

import networkx as nx

FORMATS = ("graphml", "gexf", "json", "dot")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(value: Any) -> Any:
    """Strings with XML-forbidden characters shown as visible escapes; None as ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _XML_INVALID.sub(lambda m: f"\\x{ord(m.group(0)):02x}", value)
    return value


def _clean(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    out = nx.MultiDiGraph()
    for node, data in g.nodes(data=True):
        out.add_node(node, **{k: xml_safe(v) for k, v in data.items()})
    for u, v, data in g.edges(data=True):
        out.add_edge(u, v, **{k: xml_safe(v2) for k, v2 in data.items()})
    return out


def write(g: nx.MultiDiGraph, fmt: str, stream: TextIO) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown graph format {fmt!r}")
    clean = _clean(g)
    if fmt in ("graphml", "gexf"):
        buffer = io.BytesIO()
        (nx.write_graphml if fmt == "graphml" else nx.write_gexf)(clean, buffer)
        stream.write(buffer.getvalue().decode("utf-8"))
    elif fmt == "json":
        stream.write(json.dumps(nx.node_link_data(clean, edges="links"), ensure_ascii=False, indent=1) + "\n")
    else:
        _dot(clean, stream)


def _quote(value: Any) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{text}"'


def _dot(g: nx.MultiDiGraph, stream: TextIO) -> None:
    stream.write("digraph kb {\n")
    for node, data in g.nodes(data=True):
        attrs = ", ".join(f"{k}={_quote(v)}" for k, v in data.items())
        stream.write(f"  {_quote(node)} [{attrs}];\n")
    for u, v, data in g.edges(data=True):
        attrs = ", ".join(f"{k}={_quote(val)}" for k, val in data.items())
        stream.write(f"  {_quote(u)} -> {_quote(v)} [{attrs}];\n")
    stream.write("}\n")
