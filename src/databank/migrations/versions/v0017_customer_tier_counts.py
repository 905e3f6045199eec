"""0017: the customer metrics' per-day counts, kept as sums (`meta.customer_tier_days`,
`meta.customer_tier_spells`).

`gold.scout_kpi_customer_metrics` is rebuilt in full on every run (tiers are today's) and counted
all 9.5 M rows of `meta.customer_activity` per day and tier each time: 0.17 s of each micro-batch
at 10 M transactions. Those counts are sums over the activity rows, so two summary models
(docs/models.md, kind summary) keep them by adding the rows a run writes and subtracting the
rows it replaces, and the gold model reads a few thousand rows:

- `customer_tier_days`: per day and tier, the purchases, continuing and ending purchase days,
  arrivals, acquisitions and net cents of that day's activity rows;
- `customer_tier_spells`: per day and tier, the spells of two or more purchase days that started
  that day.
"""

from __future__ import annotations

from databank.engines.base import Engine
from databank.migrations.columns import create_model_table, model_column, stamp_columns
from databank.migrations.model import Change, Migration
from databank.schema.model import Table

_KEYS = (
    model_column("day", "date", key=True, not_null=True),
    model_column("customer_tier", "varchar", key=True, not_null=True),
)
DAYS = Table(
    "customer_tier_days",
    "meta",
    (
        *_KEYS,
        *(
            model_column(name, "bigint", not_null=True)
            for name in (
                "purchases",
                "continuing",
                "ending",
                "ending_spells",
                "known",
                "acquired",
                "net_cents",
                "activity_rows",
            )
        ),
        *stamp_columns(),
    ),
)
SPELLS = Table(
    "customer_tier_spells",
    "meta",
    (*_KEYS, model_column("spells", "bigint", not_null=True), *stamp_columns()),
)


def apply(engine: Engine) -> list[Change]:
    """Create each table that is missing."""
    return create_model_table(
        engine, DAYS, "the customer metrics' counts per day and tier, kept as sums"
    ) + create_model_table(
        engine, SPELLS, "the customer metrics' spell starts per day and tier, kept as sums"
    )


MIGRATION = Migration(version="0017", name="customer_tier_counts", apply=apply)
