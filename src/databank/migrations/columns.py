"""The schema `databank init` builds: the spec's tables plus the columns later migrations add.

The DBML is the spec and stays as written; a migration that adds columns to a table declares them
in an `ADDED_COLUMNS` mapping (table → columns, in the order they are added), so readers that
check names against the schema (the metric catalog) know them too, and applies them with
`add_columns`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict
from dataclasses import replace
from functools import cache

from databank.engines.base import Engine, quote_ident, quote_table
from databank.migrations import versions
from databank.migrations.model import Change
from databank.schema.model import Column, ColumnType, Default, Schema, Table, load_schema


def column(name: str, type_: str) -> Column:
    """A column for an `ADDED_COLUMNS` mapping (`type_` in DBML spelling: `numeric(12,2)`)."""
    return Column(name, ColumnType.parse(type_))


def add_columns(
    engine: Engine, added: dict[str, tuple[Column, ...]], why: dict[str, str]
) -> list[Change]:
    """Add each declared column a table lacks (after its own); one `add_column` change each.

    `why[table]` says what the table's new columns are for (it goes into the evolution log).
    """
    changes = []
    for table, columns in added.items():
        present = engine.column_types(table)
        for spec in columns:
            if spec.name in present:
                continue
            script = (
                f"ALTER TABLE {quote_table(table)} ADD COLUMN {quote_ident(spec.name)} "
                f"{engine.render_type(spec.type)}"
            )
            engine.execute(script)
            layer, name = table.split(".", 1)
            changes.append(
                Change(
                    name,
                    layer,
                    "add_column",
                    f"add {spec.name} {spec.type}: {why[table]}",
                    script + ";",
                    backward_compatible=True,
                )
            )
    return changes


def model_column(name: str, type_: str, *, key: bool = False, not_null: bool = False) -> Column:
    """A column of a table a model writes (`key`: part of its primary key where kept)."""
    return Column(name, ColumnType.parse(type_), primary_key=key, not_null=not_null)


def stamp_columns() -> tuple[Column, Column]:
    """`created_at` and `updated_at`, both defaulting to now: the runner's watermark columns."""
    now = Default("now()", is_expression=True)
    return (
        Column("created_at", ColumnType.parse("timestamp"), default=now),
        Column("updated_at", ColumnType.parse("timestamp"), default=now),
    )


def create_model_table(engine: Engine, table: Table, why: str) -> list[Change]:
    """Create a table that a model writes, if missing; one `create_table` change.

    Its primary key and unique columns are kept only where the engine keeps keys on model tables
    (PostgreSQL; on DuckDB the model's unique test proves the grain, migration 0011). `why` says
    what the table is for (it goes into the evolution log)."""
    if engine.table_exists(table.qualified):
        return []
    if not engine.capabilities.model_keys:
        keyless = tuple(replace(c, primary_key=False, unique=False) for c in table.columns)
        table = replace(table, columns=keyless)
    statements = engine.create_table_sql(table)
    for statement in statements:
        engine.execute(statement)
    return [
        Change(
            table.name,
            table.layer,
            "create_table",
            f"create {table.qualified}: {why}",
            ";\n".join(statements) + ";",
        )
    ]


def added_columns() -> dict[str, tuple[Column, ...]]:
    """Table (layer.name) → the columns migrations add to it, in version order."""
    found: dict[str, list[Column]] = defaultdict(list)
    for info in sorted(pkgutil.iter_modules(versions.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{versions.__name__}.{info.name}")
        for table, columns in getattr(module, "ADDED_COLUMNS", {}).items():
            found[table].extend(columns)
    return {table: tuple(columns) for table, columns in found.items()}


@cache
def current_schema() -> Schema:
    """The spec's schema with each table's added columns after its own (parsed once)."""
    added = added_columns()
    tables = tuple(
        replace(t, columns=t.columns + added[t.qualified]) if t.qualified in added else t
        for t in load_schema().tables
    )
    return Schema(tables)
