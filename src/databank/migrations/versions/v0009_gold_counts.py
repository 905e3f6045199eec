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

from databank.engines.base import Engine
from databank.migrations.columns import add_columns, column
from databank.migrations.model import Change, Migration
from databank.schema.model import Column

SATISFACTION = "gold.ces_kpi_satisfaction_scores"
AGENTS = "gold.neural_databank_agent_performance"
ATTRIBUTION = "gold.scout_kpi_campaign_attribution"
ADDED_COLUMNS: dict[str, tuple[Column, ...]] = {
    SATISFACTION: (
        column("rating_count", "integer"),
        column("rating_sum", "numeric(14,2)"),
        column("sentiment_count", "integer"),
        column("sentiment_sum", "numeric(16,6)"),
        column("nps_responses", "integer"),
        column("nps_net_promoters", "integer"),
        column("support_contacts", "integer"),
        column("responded_contacts", "integer"),
        column("resolved_contacts", "integer"),
        column("escalated_contacts", "integer"),
        column("timed_contacts", "integer"),
        column("resolution_seconds", "bigint"),
    ),
    AGENTS: (
        column("timed_operations", "integer"),
        column("busy_seconds", "numeric(18,6)"),
    ),
    ATTRIBUTION: (column("spend", "numeric(12,2)"),),
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
    return add_columns(engine, ADDED_COLUMNS, _WHY)


MIGRATION = Migration(version="0009", name="gold_counts", apply=apply)
