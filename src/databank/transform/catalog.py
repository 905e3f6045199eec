"""What the runner needs to know about a target table, read from the engine's catalog."""

from __future__ import annotations

from dataclasses import dataclass

from databank.engines.base import Engine
from databank.errors import UnknownTableError

_INTEGER_WORDS = ("int", "serial")


@dataclass(frozen=True)
class TableInfo:
    """A table's columns with their engine types, defaults and keys."""

    name: str
    types: dict[str, str]  # column → engine type, in table order
    defaults: dict[str, str]  # column → the catalog's default expression (engine SQL)
    required: frozenset[str]  # NOT NULL columns without a default
    # the primary key and unique column sets the engine enforces on the table (upsert targets)
    keys: tuple[tuple[str, ...], ...]

    def family(self, column: str) -> str:
        """`date`, `timestamp`, `integer`, `numeric`, `text` or `other`, from the engine type."""
        kind = self.types[column].lower()
        if kind == "date":
            return "date"
        if kind.startswith("timestamp"):
            return "timestamp"
        if any(word in kind for word in _INTEGER_WORDS):
            return "integer"
        if kind.startswith(("decimal", "numeric", "double", "real", "float")):
            return "numeric"
        if kind.startswith(("varchar", "character varying", "text")):
            return "text"
        return "other"


def table_info(engine: Engine, table: str) -> TableInfo:
    """Describe `table` (layer.name); raises `UnknownTableError` if it does not exist."""
    types = engine.column_types(table) if "." in table else {}
    if not types:
        raise UnknownTableError(
            f"table {table} does not exist in {engine.redacted_url()}",
            "run `databank init` (a model's target table comes from the schema's migrations)",
        )
    schema, name = table.split(".", 1)
    rows = engine.fetch_rows(
        "SELECT column_name, column_default, is_nullable FROM information_schema.columns "
        "WHERE table_schema = $s AND table_name = $t AND table_catalog = current_database()",
        {"s": schema, "t": name},
    )
    defaults = {r[0]: str(r[1]) for r in rows if r[1] is not None}
    required = frozenset(r[0] for r in rows if str(r[2]).upper() == "NO" and r[1] is None)
    return TableInfo(table, types, defaults, required, engine.unique_keys(table))
