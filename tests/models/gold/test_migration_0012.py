"""Migration 0012 on a revenue table that still has only the spec's columns: rows kept, applied
once."""

from __future__ import annotations

from decimal import Decimal

from databank.engines import Engine
from databank.engines.base import quote_table
from databank.migrations.columns import current_schema
from databank.migrations.versions import v0012_session_counts as v0012
from databank.schema.model import load_schema

NAMES = ["sessions", "converted_sessions"]


def test_0012_adds_the_session_counts_after_the_spec_columns(engine: Engine) -> None:
    """On a revenue table without them, 0012 adds sessions and converted_sessions once (rows kept,
    values null until the next build), each logged as an add_column; the schema readers (the
    metric catalog) know them after the spec's columns."""
    logged = engine.fetch_rows(
        "SELECT table_name, change_type, backward_compatible FROM meta.neural_schema_evolution "
        "WHERE schema_version = '0012'"
    )
    assert sorted(logged) == [("scout_kpi_revenue_daily", "add_column", True)] * 2
    for name in NAMES:
        engine.execute(f"ALTER TABLE {quote_table(v0012.REVENUE)} DROP COLUMN {name}")
    engine.execute(
        f"INSERT INTO {quote_table(v0012.REVENUE)} (date, region, channel, total_revenue, "
        "total_transactions, conversion_rate) "
        "VALUES (DATE '2025-03-01', 'north', 'online', 12.50, 2, 0.3333)"
    )
    changes = v0012.apply(engine)
    assert [(c.table_name, c.change_type, c.backward_compatible) for c in changes] == [
        ("scout_kpi_revenue_daily", "add_column", True)
    ] * 2
    spec = [c.name for c in load_schema().table(v0012.REVENUE).columns]
    types = engine.column_types(v0012.REVENUE)
    assert list(types) == spec + NAMES
    assert [types[name].lower() for name in NAMES] == ["integer"] * 2
    assert [c.name for c in current_schema().table(v0012.REVENUE).columns] == spec + NAMES
    row = engine.fetch_rows(
        f"SELECT total_revenue, conversion_rate, sessions, converted_sessions "
        f"FROM {quote_table(v0012.REVENUE)}"
    )
    assert row == [(Decimal("12.50"), Decimal("0.3333"), None, None)]
    assert v0012.apply(engine) == []
