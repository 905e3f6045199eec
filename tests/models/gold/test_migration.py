"""Migrations 0007, 0009 and 0010 on a database that still has the spec's types and columns: rows kept,
each applied once."""

from __future__ import annotations

import uuid
from dataclasses import replace
from decimal import Decimal

import pytest

from databank.engines import Engine
from databank.engines.base import quote_table
from databank.migrations.versions import v0007_gold_types as m
from databank.migrations.versions import v0009_gold_counts as v0009
from databank.migrations.versions import v0010_customer_counts as v0010
from databank.migrations.versions import v0011_unkeyed_models as v0011
from databank.schema.model import load_schema

OLD_KEY = ("date", "campaign_id", "channel")


def _back_to_the_spec(engine: Engine) -> None:
    """Recreate the attribution table and the NPS column as the spec's DBML declares them."""
    engine.execute(f"DROP TABLE {quote_table(m.ATTRIBUTION)}")
    for statement in engine.create_table_sql(load_schema().table(m.ATTRIBUTION)):
        engine.execute(statement)
    engine.execute(f"DELETE FROM {quote_table(m.SATISFACTION)}")
    spec_type = engine.render_type(load_schema().table(m.SATISFACTION).column("nps_score").type)
    engine.execute(
        f"ALTER TABLE {quote_table(m.SATISFACTION)} ALTER COLUMN nps_score TYPE {spec_type}"
    )


def test_0007_keeps_the_rows_and_applies_once(engine: Engine) -> None:
    """Re-keying keeps every row (a row without a model becomes 'unknown'); a second run is a no-op."""
    _back_to_the_spec(engine)
    keyed = engine.capabilities.model_keys  # DuckDB: no key to re-key (migration 0011)
    assert m.primary_key(engine, m.ATTRIBUTION) == (OLD_KEY if keyed else ())
    engine.execute(
        f"INSERT INTO {quote_table(m.ATTRIBUTION)} (date, campaign_id, channel, impressions, "
        "revenue_attributed, attribution_model) VALUES "
        "(DATE '2025-03-01', 'K1', 'email', 5, 12.34, 'linear'), "
        "(DATE '2025-03-02', 'K1', 'email', 7, 1.00, NULL)"
    )
    engine.execute(
        f"INSERT INTO {quote_table(m.SATISFACTION)} (date, channel, interaction_type, nps_score) "
        "VALUES (DATE '2025-03-01', 'survey', 'purchase', -99.99)"
    )
    changes = m.apply(engine)
    assert [(c.table_name, c.change_type, c.backward_compatible) for c in changes] == [
        ("ces_kpi_satisfaction_scores", "alter_type", True),
        ("scout_kpi_campaign_attribution", "alter_primary_key", True),
    ][: 2 if keyed else 1]
    if keyed:
        assert m.primary_key(engine, m.ATTRIBUTION) == m.ATTRIBUTION_KEY
    else:  # the model's unique test keeps 'unknown' apart from the real models
        engine.execute(
            f"UPDATE {quote_table(m.ATTRIBUTION)} SET attribution_model = 'unknown' "
            "WHERE attribution_model IS NULL"
        )
    rows = engine.fetch_rows(
        f"SELECT date, impressions, revenue_attributed, attribution_model FROM {quote_table(m.ATTRIBUTION)} ORDER BY date"
    )
    assert [(r[1], r[2], r[3]) for r in rows] == [
        (5, Decimal("12.34"), "linear"),
        (7, Decimal("1.00"), "unknown"),
    ]
    assert list(engine.column_types(m.ATTRIBUTION)) == [
        c.name for c in load_schema().table(m.ATTRIBUTION).columns
    ]
    assert engine.fetch_value(f"SELECT nps_score FROM {quote_table(m.SATISFACTION)}") == Decimal(
        "-99.99"
    )
    assert m.apply(engine) == []


def test_0009_adds_the_count_columns_after_the_spec_ones(engine: Engine) -> None:
    """On a table without them, 0009 adds each column once (rows kept, values null until the next
    build); the runner logged one add_column per column; a second run changes nothing."""
    expected_names = {
        "gold.ces_kpi_satisfaction_scores": [
            "rating_count", "rating_sum", "sentiment_count", "sentiment_sum", "nps_responses",
            "nps_net_promoters", "support_contacts", "responded_contacts", "resolved_contacts",
            "escalated_contacts", "timed_contacts", "resolution_seconds",
        ],
        "gold.neural_databank_agent_performance": ["timed_operations", "busy_seconds"],
        "gold.scout_kpi_campaign_attribution": ["spend"],
    }  # fmt: skip
    logged = engine.fetch_rows(
        "SELECT table_name, change_type, backward_compatible FROM meta.neural_schema_evolution "
        "WHERE schema_version = '0009'"
    )
    assert sorted(logged) == sorted(
        (table.split(".")[1], "add_column", True)
        for table, names in expected_names.items()
        for _ in names
    )
    for table, names in expected_names.items():
        for name in names:
            engine.execute(f"ALTER TABLE {quote_table(table)} DROP COLUMN {name}")
    engine.execute(
        f"INSERT INTO {quote_table(v0009.SATISFACTION)} (date, channel, interaction_type, "
        "nps_score, total_interactions) VALUES (DATE '2025-03-01', 'survey', 'purchase', 50, 4)"
    )
    changes = v0009.apply(engine)
    assert [(f"gold.{c.table_name}", c.change_type) for c in changes] == [
        (table, "add_column") for table, names in expected_names.items() for _ in names
    ]
    for table, names in expected_names.items():
        spec = [c.name for c in load_schema().table(table).columns]
        assert list(engine.column_types(table)) == spec + names, table
    types = engine.column_types(v0009.SATISFACTION)
    assert types["rating_sum"].replace(" ", "").lower().endswith("(14,2)")
    assert types["resolution_seconds"].lower() == "bigint"
    row = engine.fetch_rows(
        f"SELECT nps_score, total_interactions, nps_responses FROM {quote_table(v0009.SATISFACTION)}"
    )
    assert row == [(Decimal("50.00"), 4, None)]
    assert v0009.apply(engine) == []


def test_0010_adds_the_customer_counts_after_the_spec_columns(engine: Engine) -> None:
    """On a customer table without them, 0010 adds churn_base, retention_base and retained once
    (rows kept, values null until the next build), each logged as an add_column."""
    names = ["churn_base", "retention_base", "retained"]
    logged = engine.fetch_rows(
        "SELECT table_name, change_type, backward_compatible FROM meta.neural_schema_evolution "
        "WHERE schema_version = '0010'"
    )
    assert sorted(logged) == [("scout_kpi_customer_metrics", "add_column", True)] * 3
    for name in names:
        engine.execute(f"ALTER TABLE {quote_table(v0010.CUSTOMERS)} DROP COLUMN {name}")
    engine.execute(
        f"INSERT INTO {quote_table(v0010.CUSTOMERS)} (date, customer_tier, total_customers, "
        "active_customers, churn_count, churn_rate) VALUES (DATE '2025-03-01', 'gold', 9, 4, 1, 0.25)"
    )
    changes = v0010.apply(engine)
    assert [(c.table_name, c.change_type) for c in changes] == [
        ("scout_kpi_customer_metrics", "add_column")
    ] * 3
    spec = [c.name for c in load_schema().table(v0010.CUSTOMERS).columns]
    types = engine.column_types(v0010.CUSTOMERS)
    assert list(types) == spec + names
    assert [types[name].lower() for name in names] == ["integer"] * 3
    row = engine.fetch_rows(
        f"SELECT active_customers, churn_rate, churn_base FROM {quote_table(v0010.CUSTOMERS)}"
    )
    assert row == [(4, Decimal("0.2500"), None)]
    assert v0010.apply(engine) == []


def test_0011_takes_the_keys_off_the_model_layers_where_the_engine_wants_none(
    engine: Engine,
) -> None:
    """A silver table created with its keys (as before 0011) loses them on DuckDB and keeps its
    rows, defaults and NOT NULLs, logged once; PostgreSQL keeps its keys and nothing changes."""
    table = load_schema().table("silver.scout_clean_transactions")
    engine.execute(f"DROP TABLE {quote_table(table.qualified)}")
    wanted = engine.capabilities.model_keys
    engine.capabilities = replace(engine.capabilities, model_keys=True)  # this instance only
    try:
        for statement in engine.create_table_sql(table):
            engine.execute(statement)
    finally:
        del engine.capabilities
    assert engine.unique_keys(table.qualified) == (("id",), ("transaction_id",))
    first = str(uuid.uuid4())
    engine.execute(
        f"INSERT INTO {quote_table(table.qualified)} (id, transaction_id, amount) "
        "VALUES ($i, 't1', 12.50)",
        {"i": first},
    )
    changes = v0011.apply(engine)
    if wanted:
        assert changes == []
        assert engine.unique_keys(table.qualified) == (("id",), ("transaction_id",))
        return
    assert [(c.table_name, c.layer, c.change_type) for c in changes] == [
        ("scout_clean_transactions", "silver", "drop_constraints")
    ]
    assert engine.unique_keys(table.qualified) == ()
    assert list(engine.column_types(table.qualified)) == [c.name for c in table.columns]
    row = engine.fetch_rows(
        f"SELECT CAST(id AS VARCHAR), transaction_id, amount, created_at IS NOT NULL "
        f"FROM {quote_table(table.qualified)}"
    )
    assert row == [(first, "t1", Decimal("12.50"), True)]
    engine.execute(
        f"INSERT INTO {quote_table(table.qualified)} (id, transaction_id) VALUES ($i, 't2')",
        {"i": str(uuid.uuid4())},
    )
    defaults = engine.fetch_rows(
        f"SELECT created_at IS NOT NULL, data_quality_score FROM {quote_table(table.qualified)} "
        "WHERE transaction_id = 't2'"
    )
    assert defaults == [(True, Decimal("1.0"))]
    with pytest.raises(Exception, match=r"(?i)not null"):  # the primary key's NOT NULL stays
        engine.execute(
            f"INSERT INTO {quote_table(table.qualified)} (id, transaction_id) VALUES (NULL, 't3')"
        )
    assert v0011.apply(engine) == []
