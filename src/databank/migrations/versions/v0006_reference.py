"""0006: the reference and helper tables silver needs, in `meta` (the spec does not list them).

- `exchange_rates`: the ECB reference rates spread to one row per (currency, day), loaded from the
  file shipped with the package (`databank.reference`); the load is idempotent.
- `customer_id_map`: every source system's customer id → the person it belongs to (people are
  matched by pseudonymised email; `is_current` marks the e-mail of the id's latest record, the other
  rows are e-mails it had before); filled by the model `models/meta/customer_id_map.sql`.
- `feedback_analysis`: language, sentiment, categories, topics and priority of each passed bronze
  feedback record; filled by the Python model `models/meta/feedback_analysis.py`.
"""

from __future__ import annotations

from databank.engines.base import Engine
from databank.migrations.model import Change, Migration
from databank.reference.rates import RATES_TABLE, load_exchange_rates
from databank.schema.model import Column, ColumnType, Default, Index, Table

_NOW = Default("now()", is_expression=True)


def _col(
    name: str,
    type_: str,
    *,
    pk: bool = False,
    not_null: bool = False,
    now: bool = False,
    default: Default | None = None,
) -> Column:
    return Column(
        name,
        ColumnType.parse(type_),
        primary_key=pk,
        not_null=not_null,
        default=_NOW if now else default,
    )


TABLES: tuple[tuple[Table, str], ...] = (
    (
        Table(
            "exchange_rates",
            "meta",
            (
                _col("currency", "varchar", pk=True),
                _col("rate_date", "date", pk=True),
                _col("rate_per_eur", "numeric(18,6)", not_null=True),
                _col("published_date", "date", not_null=True),
                _col("source", "varchar", not_null=True),
                _col("updated_at", "timestamp", now=True),
            ),
        ),
        "ECB euro reference rates, one row per (currency, day): the rate that applies that day",
    ),
    (
        Table(
            "customer_id_map",
            "meta",
            (
                _col("source_customer_id", "varchar", pk=True),
                _col("customer_id", "varchar", pk=True),
                _col("email", "varchar"),
                _col("is_current", "boolean", not_null=True, default=Default(True)),
                _col("source_system", "varchar"),
                _col("source_bronze_id", "uuid"),
                _col("created_at", "timestamp", now=True),
                _col("updated_at", "timestamp", now=True),
            ),
            (Index(("customer_id",)),),
        ),
        "source customer id → person (silver customer_id) by pseudonymised email, with past e-mails",
    ),
    (
        Table(
            "feedback_analysis",
            "meta",
            (
                _col("bronze_id", "uuid", pk=True),
                _col("language_detected", "varchar"),
                _col("sentiment_score", "numeric(5,4)"),
                _col("sentiment_label", "varchar"),
                _col("categories", "varchar[]"),
                _col("key_topics", "varchar[]"),
                _col("escalation", "boolean"),
                _col("priority_score", "numeric(5,4)"),
                _col("analyzer_version", "varchar"),
                _col("created_at", "timestamp", now=True),
                _col("updated_at", "timestamp", now=True),
            ),
        ),
        "text analysis of each passed bronze feedback record (language, sentiment, topics, priority)",
    ),
)


def apply(engine: Engine) -> list[Change]:
    """Create the tables that are missing and (re)load the exchange rates."""
    changes = []
    for table, description in TABLES:
        if engine.table_exists(table.qualified):
            continue
        statements = engine.create_table_sql(table)  # PostgreSQL: with its btree indexes
        for statement in statements:
            engine.execute(statement)
        changes.append(
            Change(
                table.name,
                "meta",
                "create_table",
                f"create {table.qualified}: {description}",
                ";\n".join(statements) + ";",
            )
        )
    loaded = load_exchange_rates(engine)
    if loaded.inserted or loaded.deleted:
        changes.append(
            Change(
                "exchange_rates",
                "meta",
                "load_data",
                f"load {RATES_TABLE}: {loaded.inserted} rows written, {loaded.deleted} removed "
                f"({loaded.rows} in the shipped ECB file)",
                "databank.reference.load_exchange_rates()",
            )
        )
    return changes


MIGRATION = Migration(version="0006", name="reference", apply=apply)
