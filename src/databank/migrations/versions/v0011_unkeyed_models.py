"""0011: no PRIMARY KEY or UNIQUE constraint on the model layers' tables where the engine keeps
them off (`Capabilities.model_keys`: DuckDB).

In DuckDB a key is an ART index maintained on every insert: filling 1 M silver transactions took
2.9x, and 2.2 M gold product rows 5.4x, as long as the same insert without one (measured on the
bench/transform.py tables). The transformation runner is the only writer of silver, gold and
platinum, and every model declares its grain as a `unique` test that runs inside the writing
transaction, so a duplicate key still stops the write; nothing else relied on these constraints
(merge models update and insert without ON CONFLICT where the table has no key).

The two meta tables that models write (`meta.customer_id_map`, `meta.feedback_analysis`) lose
theirs too; the other meta tables keep them. Databases created after this version get the model
layers' tables without keys from the start; older ones, and those two meta tables (migration 0006
creates them), get each keyed table rebuilt once with the same columns, defaults, NOT NULLs and
rows. PostgreSQL
keeps its keys (its btree inserts cost far less, and other processes may write there).
"""

from __future__ import annotations

from databank.engines.base import MODEL_LAYERS, Engine, quote_table
from databank.migrations.columns import current_schema
from databank.migrations.model import Change, Migration

MODEL_META_TABLES = ("meta.customer_id_map", "meta.feedback_analysis")  # written by models only


def apply(engine: Engine) -> list[Change]:
    """Drop the keys of each model-layer table that still has one; a change per table."""
    if engine.capabilities.model_keys:
        return []
    changes = []
    tables = [t.qualified for t in current_schema().tables if t.layer in MODEL_LAYERS]
    for table in [*tables, *MODEL_META_TABLES]:
        if not engine.table_exists(table):
            continue
        keys = engine.unique_keys(table)
        if not keys:
            continue
        engine.drop_keys(table)
        listed = "; ".join(", ".join(k) for k in keys)
        layer, name = table.split(".", 1)
        changes.append(
            Change(
                name,
                layer,
                "drop_constraints",
                f"drop the primary key / unique constraints ({listed}): the model's unique test "
                "proves the grain in each writing transaction, and the index slowed inserts 3-5x",
                f"-- {quote_table(table)} rebuilt without its key constraints",
                backward_compatible=True,
            )
        )
    return changes


MIGRATION = Migration(version="0011", name="unkeyed_models", apply=apply)
