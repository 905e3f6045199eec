"""The schema `databank init` builds: the spec's tables plus the columns later migrations add.

The DBML is the spec and stays as written; a migration that adds columns to a table declares them
in an `ADDED_COLUMNS` mapping (table → columns, in the order they are added), so readers that
check names against the schema (the metric catalog) know them too.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict
from dataclasses import replace
from functools import cache

from databank.migrations import versions
from databank.schema.model import Column, Schema, load_schema


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
