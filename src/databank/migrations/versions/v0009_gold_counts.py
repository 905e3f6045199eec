"""0009: the counts behind three gold tables' rates, so KPIs over many rows divide exactly.

A gold row kept only its rounded averages and rates; a KPI over several rows (days, channels,
agents) had to weight them by a stand-in count and came out wrong (docs/metrics.md). Each table
now also keeps what its rates are divided from (docs/definitions.md, "Gold"), as
backward-compatible `add_column` changes after the spec's columns (none of which change):

- `gold.ces_kpi_satisfaction_scores`: rating, sentiment and NPS counts and sums; support
  contacts, and of them responded, resolved, escalated and timed ones; resolution seconds.
- `gold.neural_databank_agent_performance`: operations reporting a time, and their seconds.
- `gold.scout_kpi_campaign_attribution`: the day's spend on the row's channel, on every row of
  the campaign's running days (also those without touches or conversions).

The models' SQL changed with them, so the next run rebuilds the three tables in full.
"""

from __future__ import annotations

from databank.engines.base import Engine, quote_ident, quote_table
from databank.migrations.model import Change, Migration
from databank.schema.model import Column, ColumnType


def _col(name: str, type_: str) -> Column:
    return Column(name, ColumnType.parse(type_))


SATISFACTION = "gold.ces_kpi_satisfaction_scores"
AGENTS = "gold.neural_databank_agent_performance"
ATTRIBUTION = "gold.scout_kpi_campaign_attribution"
ADDED_COLUMNS: dict[str, tuple[Column, ...]] = {
    SATISFACTION: (
        _col("rating_count", "integer"),
        _col("rating_sum", "numeric(14,2)"),
        _col("sentiment_count", "integer"),
        _col("sentiment_sum", "numeric(16,6)"),
        _col("nps_responses", "integer"),
        _col("nps_net_promoters", "integer"),
        _col("support_contacts", "integer"),
        _col("responded_contacts", "integer"),
        _col("resolved_contacts", "integer"),
        _col("escalated_contacts", "integer"),
        _col("timed_contacts", "integer"),
        _col("resolution_seconds", "bigint"),
    ),
    AGENTS: (
        _col("timed_operations", "integer"),
        _col("busy_seconds", "numeric(18,6)"),
    ),
    ATTRIBUTION: (_col("spend", "numeric(12,2)"),),
}
_WHY = {
    SATISFACTION: "so ratings, sentiment, NPS and the support rates of "
    "several rows divide sums of counts instead of weighting rounded rates",
    AGENTS: "so the mean execution time of several rows is busy seconds / timed operations",
    ATTRIBUTION: "the day's spend on the channel (whole cents, a "
    "campaign's days add up to its spent), also on rows without conversions",
}


def apply(engine: Engine) -> list[Change]:
    """Add each column a table lacks; one change per column added."""
    changes = []
    for table, columns in ADDED_COLUMNS.items():
        present = engine.column_types(table)
        for column in columns:
            if column.name in present:
                continue
            script = (
                f"ALTER TABLE {quote_table(table)} ADD COLUMN {quote_ident(column.name)} "
                f"{engine.render_type(column.type)}"
            )
            engine.execute(script)
            layer, name = table.split(".", 1)
            changes.append(
                Change(
                    name,
                    layer,
                    "add_column",
                    f"add {column.name} {column.type}: {_WHY[table]}",
                    script + ";",
                    backward_compatible=True,
                )
            )
    return changes


MIGRATION = Migration(version="0009", name="gold_counts", apply=apply)
