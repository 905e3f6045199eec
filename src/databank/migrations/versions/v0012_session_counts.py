"""0012: the session counts behind the revenue table's conversion rate.

`gold.scout_kpi_revenue_daily` kept conversion_rate (converting session-days / session-days of a
day and web channel, repeated on every region's row) but not what it divides, so the catalog's
KPI could only average the daily rates, each day weighing the same whatever its sessions
(docs/metrics.md). The table now also keeps both counts (docs/definitions.md, "Gold"), as
backward-compatible `add_column` changes after the spec's columns (none of which change):

- `sessions`: the day's session-days of the row's web channel (online, mobile_app).
- `converted_sessions`: of those, the ones holding a purchase.

Events carry no region, so the counts sit on one row of each day and web channel only (the
region whose md5 digest sorts first) and are NULL on the others: a sum over any rows counts each
session-day once. The model's SQL changed with them, so the next run rebuilds it in full.
"""

from __future__ import annotations

from databank.engines.base import Engine
from databank.migrations.columns import add_columns, column
from databank.migrations.model import Change, Migration
from databank.schema.model import Column

REVENUE = "gold.scout_kpi_revenue_daily"
ADDED_COLUMNS: dict[str, tuple[Column, ...]] = {
    REVENUE: (
        column("sessions", "integer"),
        column("converted_sessions", "integer"),
    ),
}
_WHY = {
    REVENUE: "so the conversion rate of several days divides converting session-days by "
    "session-days instead of averaging the daily rates (one row per day and web channel holds "
    "them)",
}


def apply(engine: Engine) -> list[Change]:
    """Add each column a table lacks; one change per column added."""
    return add_columns(engine, ADDED_COLUMNS, _WHY)


MIGRATION = Migration(version="0012", name="session_counts", apply=apply)
