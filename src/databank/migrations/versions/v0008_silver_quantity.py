"""0008: `silver.scout_clean_transactions.quantity`, the units of the transaction line.

The spec's silver table keeps no quantity, so gold product performance had to read every bronze
payload again for it. Silver now carries it (docs/definitions.md, "Silver"): a backward-compatible
`add_column` (existing columns keep their names, types and order). The model's SQL changed with
it, so the next run rebuilds silver transactions in full and fills the column.
"""

from __future__ import annotations

from databank.engines.base import Engine
from databank.migrations.columns import add_columns, column
from databank.migrations.model import Change, Migration
from databank.schema.model import Column

TABLE = "silver.scout_clean_transactions"
ADDED_COLUMNS: dict[str, tuple[Column, ...]] = {TABLE: (column("quantity", "integer"),)}
_WHY = {
    TABLE: "the units of the line (absolute value of the bronze record's quantity, 1 when "
    "absent), so gold need not re-read bronze for it"
}


def apply(engine: Engine) -> list[Change]:
    """Add `quantity integer` unless it is there."""
    return add_columns(engine, ADDED_COLUMNS, _WHY)


MIGRATION = Migration(version="0008", name="silver_quantity", apply=apply)
