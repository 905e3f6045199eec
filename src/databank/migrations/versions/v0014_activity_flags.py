"""0014: two per-row flags on `meta.customer_activity`, so the customer metrics only count.

`gold.scout_kpi_customer_metrics` is rebuilt in full on every run and counts the activity rows per
day and tier. Two of its counts tested each row's dates (`day > spell_start`, `next_purchase >
day + 90`), which at 10 M transactions took 0.19 s of its 0.30 s, every micro-batch. The activity
model, which re-derives only the customers a run touches, now stores both results:

- `continuing`: a purchase day after the first day of its activity spell;
- `ending`: a purchase day after which the customer's activity ends, no purchase following within
  the 90-day window (docs/definitions.md, "Gold", customer metrics).

The model's SQL changed with them, so the next run rebuilds the table in full.
"""

from __future__ import annotations

from databank.engines.base import Engine
from databank.migrations.columns import add_columns, column
from databank.migrations.model import Change, Migration
from databank.schema.model import Column

ACTIVITY = "meta.customer_activity"
ADDED_COLUMNS: dict[str, tuple[Column, ...]] = {
    ACTIVITY: (column("continuing", "boolean"), column("ending", "boolean")),
}
_WHY = {
    ACTIVITY: "the customer metrics count these per day and tier instead of comparing each "
    "row's dates on every rebuild",
}


def apply(engine: Engine) -> list[Change]:
    """Add each column the table lacks; one change per column added."""
    return add_columns(engine, ADDED_COLUMNS, _WHY)


MIGRATION = Migration(version="0014", name="activity_flags", apply=apply)
