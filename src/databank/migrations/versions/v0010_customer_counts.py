"""0010: the counts behind the customer table's churn and retention rates.

`gold.scout_kpi_customer_metrics` kept churn_rate and retention_rate but not what they divide, so
a KPI over several days or tiers weighted each rate by the same day's active customers, which is
not its denominator, and came out wrong (docs/metrics.md). The table now also keeps both rates'
counts (docs/definitions.md, "Gold"), as backward-compatible `add_column` changes after the
spec's columns (none of which change):

- `churn_base`: the customers active the day before, whom churn_rate divides churn_count by.
- `retention_base`: the customers active 90 days earlier, retention_rate's denominator.
- `retained`: of those, the ones still active without a break, its numerator.

The model is rebuilt in full on every run, so the next run fills the columns on every row.
"""

from __future__ import annotations

from databank.engines.base import Engine
from databank.migrations.columns import add_columns, column
from databank.migrations.model import Change, Migration
from databank.schema.model import Column

CUSTOMERS = "gold.scout_kpi_customer_metrics"
ADDED_COLUMNS: dict[str, tuple[Column, ...]] = {
    CUSTOMERS: (
        column("churn_base", "integer"),
        column("retention_base", "integer"),
        column("retained", "integer"),
    ),
}
_WHY = {
    CUSTOMERS: "so churn and retention rates of several rows divide sums of counts instead of "
    "weighting rounded rates by a stand-in count",
}


def apply(engine: Engine) -> list[Change]:
    """Add each column a table lacks; one change per column added."""
    return add_columns(engine, ADDED_COLUMNS, _WHY)


MIGRATION = Migration(version="0010", name="customer_counts", apply=apply)
