"""0013: `meta.customer_activity`, the per-customer half of the customer metrics.

`gold.scout_kpi_customer_metrics` is rebuilt in full on every run (tiers are today's, so a tier
change moves a customer in every past day), and most of that rebuild was per-customer work: the
windows over each customer's days that find the previous and next purchase and the start of the
activity spell. At 10 M transactions it took 8 s of a 10 s micro-batch. That work now lives in
this table, one row per customer and day, filled incrementally per customer by the model
`models/meta/customer_activity.sql`; the gold model only counts its rows per day and tier.

Where the engine keeps keys off model tables (DuckDB, migration 0011) the table has no primary
key: the model's `unique(customer_id, day)` test proves the grain in each writing transaction.
"""

from __future__ import annotations

from databank.engines.base import Engine
from databank.migrations.columns import create_model_table, model_column, stamp_columns
from databank.migrations.model import Change, Migration
from databank.schema.model import Table

TABLE = Table(
    "customer_activity",
    "meta",
    (
        model_column("customer_id", "varchar", key=True, not_null=True),
        model_column("day", "date", key=True, not_null=True),
        model_column("customer_tier", "varchar", not_null=True),
        model_column("net_cents", "bigint", not_null=True),
        model_column("purchase", "boolean", not_null=True),
        model_column("next_purchase", "date"),
        model_column("spell_start", "date"),
        model_column("known", "boolean", not_null=True),
        model_column("acquired", "boolean", not_null=True),
        *stamp_columns(),
    ),
)


def apply(engine: Engine) -> list[Change]:
    """Create the table if it is missing."""
    return create_model_table(
        engine,
        TABLE,
        "each customer's purchase days, next purchase, activity spell and arrival, so the "
        "customer metrics no longer re-derive every customer's history",
    )


MIGRATION = Migration(version="0013", name="customer_activity", apply=apply)
