"""`meta.neural_data_lineage`: edges from the models' SQL, the source systems and registered providers.

The table is derived data: `sync_lineage` rewrites it from
- every model (`lineage.columns.model_edges`),
- the source systems feeding bronze (`source:<system>` → bronze table, from the distinct
  `source_system` values of the bronze tables that have that column),
- providers registered with `register_provider`, for edges no SQL shows, such as
  gold → ML model → platinum (`ml_edges` builds those).
After a run, the runner refreshes the rows of the models whose SQL changed (`sync_model_lineage`).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence

import pyarrow as pa

from databank.engines.base import Engine, quote_table
from databank.lineage.columns import DIRECT, Edge, model_edges
from databank.transform.model import Model

LINEAGE = "meta.neural_data_lineage"
Provider = Callable[[Engine], Iterable[Edge]]
_providers: list[Provider] = []
_lock = threading.Lock()


def register_provider(provider: Provider) -> Callable[[], None]:
    """Add edges that no model SQL shows at every `sync_lineage`; returns an unregister function."""
    with _lock:
        _providers.append(provider)

    def unregister() -> None:
        with _lock:
            if provider in _providers:
                _providers.remove(provider)

    return unregister


def ml_edges(
    model_id: str, inputs: Sequence[str], outputs: Sequence[str], logic: str = ""
) -> list[Edge]:
    """Edges gold table(s) → `ml:<model_id>` → platinum table(s), for a provider to return."""
    node = f"ml:{model_id}"
    text = logic or f"ML model {model_id}"
    return [
        Edge(t, None, node, None, f"training and scoring input of {text}", DIRECT) for t in inputs
    ] + [Edge(node, None, t, None, f"predictions written by {text}", DIRECT) for t in outputs]


def schema_for(engine: Engine, tables: Iterable[str]) -> dict[str, dict[str, dict[str, str]]]:
    """{layer: {table: {column: type}}} of the existing `tables` (types do not matter to lineage)."""
    schema: dict[str, dict[str, dict[str, str]]] = {}
    for table in tables:
        if "." not in table:
            continue
        columns = engine.column_types(table)
        if columns:
            layer, name = table.split(".", 1)
            schema.setdefault(layer, {})[name] = {c: "TEXT" for c in columns}
    return schema


def source_system_edges(engine: Engine, tables: Iterable[str] | None = None) -> list[Edge]:
    """`source:<system>` → bronze table, for each distinct `source_system` of each bronze table
    (all of them, or `tables`)."""
    edges = []
    names = tables if tables is not None else (f"bronze.{n}" for n in engine.table_names("bronze"))
    for table in sorted(names):
        if "source_system" not in engine.column_types(table):
            continue
        rows = engine.fetch_rows(
            f"SELECT DISTINCT source_system FROM {quote_table(table)} WHERE source_system IS NOT NULL "
            "ORDER BY source_system"
        )
        for (system,) in rows:
            edges.append(
                Edge(
                    f"source:{system}",
                    None,
                    table,
                    None,
                    f"records from {system} ingested through the BronzeWriter "
                    "(validated, quality-scored, PII pseudonymised)",
                    DIRECT,
                )
            )
    return edges


def write_edges(engine: Engine, edges: Sequence[Edge]) -> int:
    """Append `edges` to the lineage table (in one bulk write)."""
    if not edges:
        return 0
    data = pa.table(
        {
            "lineage_id": [str(uuid.uuid4()) for _ in edges],
            "source_table": [e.source_table for e in edges],
            "source_column": pa.array([e.source_column for e in edges], pa.string()),
            "target_table": [e.target_table for e in edges],
            "target_column": pa.array([e.target_column for e in edges], pa.string()),
            "transformation_logic": [e.transformation_logic for e in edges],
            "layer_transition": [e.layer_transition for e in edges],
            "transformation_type": [e.transformation_type for e in edges],
        }
    )
    return engine.append_arrow(LINEAGE, data)


def edges_of(engine: Engine, model: Model) -> list[Edge]:
    """A model's edges, with its inputs' columns read from the engine."""
    return model_edges(model, schema_for(engine, model.depends_on))


def sync_model_lineage(
    engine: Engine, model: Model, models: Mapping[str, Model] | None = None
) -> int:
    """Replace the edges into `model`'s table by those its current SQL gives."""
    edges = edges_of(engine, model)
    with engine.transaction():
        engine.execute(f"DELETE FROM {LINEAGE} WHERE target_table = $t", {"t": model.name})
        return write_edges(engine, edges)


def sync_lineage(
    engine: Engine, models: Mapping[str, Model], providers: Iterable[Provider] | None = None
) -> int:
    """Rewrite the whole lineage table; returns the number of edges written."""
    with _lock:
        extra = list(_providers)
    edges: list[Edge] = []
    for model in models.values():
        edges += edges_of(engine, model)
    edges += source_system_edges(engine)
    for provider in [*extra, *(providers or ())]:
        edges += list(provider(engine))
    edges = list(dict.fromkeys(edges))
    with engine.transaction():
        engine.execute(f"DELETE FROM {LINEAGE}")
        return write_edges(engine, edges)


def sync_source_edges(engine: Engine, tables: Sequence[str]) -> int:
    """Replace the `source:<system>` edges into bronze `tables` by the systems they hold now."""
    edges = source_system_edges(engine, tables)
    marks = ", ".join(f"$t{i}" for i in range(len(tables)))
    with engine.transaction():
        engine.execute(
            f"DELETE FROM {LINEAGE} WHERE source_table LIKE 'source:%' AND target_table IN ({marks})",
            {f"t{i}": t for i, t in enumerate(tables)},
        )
        return write_edges(engine, edges)
