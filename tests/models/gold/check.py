"""Compare a gold table with the rows `expected.py` worked out, and snapshot whole tables."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from databank.engines import Engine
from databank.engines.base import quote_ident, quote_table
from databank.migrations.versions.v0007_gold_types import ATTRIBUTION_KEY
from databank.schema.model import load_schema

Rows = dict[tuple[Any, ...], dict[str, Any]]
GOLD = (
    "gold.scout_kpi_revenue_daily",
    "gold.scout_kpi_customer_metrics",
    "gold.scout_kpi_product_performance",
    "gold.scout_kpi_campaign_attribution",
    "gold.ces_kpi_satisfaction_scores",
    "gold.neural_databank_agent_performance",
)
STAMPS = ("created_at", "updated_at")


def key_of(table: str) -> tuple[str, ...]:
    """The table's primary key (the attribution table's includes attribution_model, 0007)."""
    if table == "gold.scout_kpi_campaign_attribution":
        return ATTRIBUTION_KEY
    return load_schema().table(table).primary_key


def actual(
    engine: Engine, table: str, where: Callable[[tuple[Any, ...]], bool] | None = None
) -> Rows:
    """{primary key: {column: value}} of every row of `table` (minus the time stamps)."""
    key = key_of(table)
    columns = [c for c in engine.column_types(table) if c not in STAMPS]
    rows = engine.fetch_rows(
        f"SELECT {', '.join(map(quote_ident, columns))} FROM {quote_table(table)}"
    )
    out: Rows = {}
    for row in rows:
        record = dict(zip(columns, row, strict=True))
        pk = tuple(record.pop(k) for k in key)
        if where is None or where(pk):
            out[pk] = record
    return out


def assert_rows(
    engine: Engine,
    table: str,
    expected: Rows,
    where: Callable[[tuple[Any, ...]], bool] | None = None,
) -> Rows:
    """The table holds exactly the expected keys, each with the expected values (exact)."""
    got = actual(engine, table, where)
    assert sorted(got, key=repr) == sorted(expected, key=repr), _key_diff(got, expected)
    problems = []
    for pk, values in expected.items():
        for column, value in values.items():
            if got[pk][column] != value:
                problems.append(f"{pk} {column}: got {got[pk][column]!r}, expected {value!r}")
    assert not problems, f"{table}: {len(problems)} wrong value(s):\n" + "\n".join(problems[:30])
    return got


def _key_diff(got: Rows, expected: Rows) -> str:
    extra = sorted(set(got) - set(expected), key=repr)[:10]
    missing = sorted(set(expected) - set(got), key=repr)[:10]
    return f"extra keys {extra}, missing keys {missing}"


def snapshot(engine: Engine, tables: Iterable[str] = GOLD) -> dict[str, list[tuple[str, ...]]]:
    """Every row of each table without its time stamps, as sorted text tuples."""
    out = {}
    for table in tables:
        columns = [c for c in engine.column_types(table) if c not in STAMPS]
        rows = engine.fetch_rows(
            f"SELECT {', '.join(map(quote_ident, columns))} FROM {quote_table(table)}"
        )
        out[table] = sorted(tuple(str(v) for v in row) for row in rows)
    return out
