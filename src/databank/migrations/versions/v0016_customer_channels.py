"""0016: `meta.customer_channels`, each customer's sales and spend per channel, kept as sums.

`silver.scout_clean_customers` derives lifetime_value and preferred_channel from each touched
person's transactions. Reading them meant filtering every silver transaction by customer id (the
ids compress poorly, so the scan decompresses them all): 0.1 s of each micro-batch at 10 M
transactions. The summary model `models/meta/customer_channels.sql` keeps the per-channel sums and
counts up to date by adding new transactions and subtracting replaced ones (kind summary), and the
people model reads them.

No key on either engine: channel may be NULL (a group of its own); the model's unique test proves
the grain. PostgreSQL gets an index on customer_id, so a micro-batch's groups are found by it.
"""

from __future__ import annotations

from databank.engines.base import Engine
from databank.migrations.columns import create_model_table, model_column, stamp_columns
from databank.migrations.model import Change, Migration
from databank.schema.model import Index, Table

TABLE = Table(
    "customer_channels",
    "meta",
    (
        model_column("customer_id", "varchar", not_null=True),
        model_column("channel", "varchar"),
        model_column("amount", "numeric(18,2)", not_null=True),
        model_column("sales", "bigint", not_null=True),
        model_column("transactions", "bigint", not_null=True),
        *stamp_columns(),
    ),
    indexes=(Index(("customer_id",)),),
)


def apply(engine: Engine) -> list[Change]:
    """Create the table if it is missing."""
    return create_model_table(
        engine,
        TABLE,
        "each customer's spend and sales per channel as sums kept by adding and subtracting, so "
        "people no longer re-read their transactions",
    )


MIGRATION = Migration(version="0016", name="customer_channels", apply=apply)
