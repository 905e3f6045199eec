"""Reading lineage: a table's upstream and downstream (the spec's `LineageResponse`), and a column's
origins walked back edge by edge (gold `total_revenue` → silver `amount` → bronze `transaction_data`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from databank.engines.base import Engine
from databank.errors import UnknownTableError
from databank.lineage.columns import AGGREGATED, DIRECT, layer_of
from databank.lineage.store import LINEAGE
from databank.schema.model import load_schema
from databank.transform.model import Model

_MAX_APPLIED = 400  # characters of transformation text per node


def _edges(engine: Engine) -> list[dict[str, Any]]:
    keys = (
        "source_table",
        "source_column",
        "target_table",
        "target_column",
        "transformation_logic",
        "transformation_type",
        "created_at",
    )
    rows = engine.fetch_rows(
        f"SELECT {', '.join(keys)} FROM {LINEAGE} "
        "ORDER BY target_table, target_column, source_table, source_column"
    )
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _resolve(table: str, layer: str | None, known: set[str]) -> str:
    name = table if "." in table or ":" in table else (f"{layer}.{table}" if layer else table)
    if "." not in name and ":" not in name:
        matches = sorted(k for k in known if k.split(".", 1)[-1] == name)
        if len(matches) == 1:
            name = matches[0]
    if layer and layer_of(name) != layer:
        raise UnknownTableError(f"table {table} is not in layer {layer}")
    if name not in known:
        raise UnknownTableError(
            f"unknown table {table!r}",
            f"tables with lineage or in the schema: {', '.join(sorted(known))}",
        )
    return name


def _applied(edges: list[dict[str, Any]]) -> str:
    seen: list[str] = []
    for edge in edges:
        text = f"{edge['transformation_type']}: {edge['transformation_logic']}"
        if text not in seen:
            seen.append(text)
    joined = "; ".join(seen)
    return joined if len(joined) <= _MAX_APPLIED else joined[: _MAX_APPLIED - 1] + "…"


def trace(
    engine: Engine, table: str, layer: str | None = None, models: Mapping[str, Model] | None = None
) -> dict[str, Any]:
    """`LineageResponse`: upstream and downstream tables of `table`, recursively (nearest first)."""
    edges = _edges(engine)
    known = {t.qualified for t in load_schema().tables}
    known |= {e["source_table"] for e in edges} | {e["target_table"] for e in edges}
    name = _resolve(table, layer, known)
    into: dict[str, list[dict[str, Any]]] = defaultdict(list)
    out_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for edge in edges:
        into[edge["target_table"]].append(edge)
        out_of[edge["source_table"]].append(edge)

    def walk(start: str, upstream: bool) -> list[dict[str, Any]]:
        nodes: list[dict[str, Any]] = []
        seen = {start}
        frontier = [(start, 0)]
        while frontier:
            current, depth = frontier.pop(0)
            links = into[current] if upstream else out_of[current]
            by_table: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for edge in links:
                by_table[edge["source_table" if upstream else "target_table"]].append(edge)
            for other, via in sorted(by_table.items()):
                if other in seen:
                    continue
                seen.add(other)
                if upstream and not into[other]:
                    relation = "source"
                elif any(e["transformation_type"] == AGGREGATED for e in via):
                    relation = "aggregated"
                else:
                    relation = "derived"
                nodes.append(
                    {
                        "table_name": other,
                        "layer": layer_of(other),
                        "relationship_type": relation,
                        "transformation_applied": _applied(via),
                        "depth": depth + 1,
                    }
                )
                frontier.append((other, depth + 1))
        return nodes

    model = (models or {}).get(name)
    if model is not None and model.sql is not None:
        logic = model.sql
    else:
        logic = _applied(into[name]) if into[name] else ""
    return {
        "table_name": name,
        "layer": layer_of(name),
        "upstream_dependencies": walk(name, upstream=True),
        "downstream_dependencies": walk(name, upstream=False),
        "transformation_logic": logic,
        "last_updated": _last_updated(engine, name, into[name]),
    }


def _last_updated(engine: Engine, table: str, edges: list[dict[str, Any]]) -> str | None:
    value = None
    if engine.table_exists("meta.transform_model_state"):
        value = engine.fetch_value(
            "SELECT last_success_at FROM meta.transform_model_state WHERE model = $m", {"m": table}
        )
    if value is None and edges:
        value = max(e["created_at"] for e in edges if e["created_at"] is not None)
    return value.isoformat() if value is not None else None


def column_lineage(engine: Engine, table: str, column: str) -> dict[str, Any]:
    """The column's sources, recursively; `origins`: the first columns of each path (usually bronze
    payload columns); `source_systems`: the `source:<system>` tables feeding them."""
    edges = _edges(engine)
    known = {t.qualified for t in load_schema().tables} | {e["target_table"] for e in edges}
    name = _resolve(table, None, known)
    by_target: dict[tuple[str, str | None], list[dict[str, Any]]] = defaultdict(list)
    for edge in edges:
        by_target[(edge["target_table"], edge["target_column"])].append(edge)
    origins: list[dict[str, Any]] = []
    systems: list[str] = []

    def links_into(tbl: str, col: str | None) -> list[dict[str, Any]]:
        own = by_target.get((tbl, col), []) if col is not None else []
        if own:
            return own
        # table-level inputs (source systems, Python models); filters and joins are not origins
        return [e for e in by_target.get((tbl, None), []) if e["transformation_type"] == DIRECT]

    def sources(
        tbl: str, col: str | None, path: frozenset[tuple[str, str | None]]
    ) -> list[dict[str, Any]]:
        found = []
        for edge in links_into(tbl, col):
            key = (edge["source_table"], edge["source_column"])
            if key in path:
                continue
            deeper = sources(key[0], key[1], path | {key})
            found.append(
                {
                    "table": key[0],
                    "column": key[1],
                    "layer": layer_of(key[0]),
                    "transformation_type": edge["transformation_type"],
                    "transformation_logic": edge["transformation_logic"],
                    "sources": deeper,
                }
            )
            column_level = [d for d in deeper if d["column"] is not None]
            if key[1] is not None and not column_level:
                origin = {"table": key[0], "column": key[1], "layer": layer_of(key[0])}
                if origin not in origins:
                    origins.append(origin)
            if key[1] is None and not deeper and key[0] not in systems:
                systems.append(key[0])
        return found

    return {
        "table": name,
        "column": column,
        "layer": layer_of(name),
        "sources": sources(name, column, frozenset({(name, column)})),
        "origins": origins,
        "source_systems": systems,
    }
