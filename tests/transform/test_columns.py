"""A model's columns against its table: extra columns and missing required ones are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from databank.engines import Engine
from databank.transform.runner import Runner
from transform.toy import GOLD, Bronze, write_model


@pytest.mark.parametrize(
    ("select", "message"),
    [
        (
            "SELECT t.transaction_date AS date, t.region, t.channel, 1 AS bonus, 2 AS malus "
            "FROM silver.scout_clean_transactions AS t",
            "does not have: bonus, malus",
        ),
        (
            "SELECT t.transaction_date AS date, t.region FROM silver.scout_clean_transactions AS t",
            "must produce channel",
        ),
    ],
)
def test_column_mismatches_are_named(
    engine: Engine, tmp_path: Path, bronze: Bronze, select: str, message: str
) -> None:
    write_model(tmp_path / "models", GOLD, select)
    result = Runner(engine, tmp_path / "models").run().result(GOLD)
    assert result.status == "failed"
    assert message in (result.error or "")


def test_missing_columns_take_the_table_defaults(
    engine: Engine, tmp_path: Path, bronze: Bronze
) -> None:
    write_model(
        tmp_path / "models",
        GOLD,
        "SELECT DATE '2025-01-01' AS date, 'north' AS region, 'online' AS channel, 5 AS total_transactions",
    )
    report = Runner(engine, tmp_path / "models").run()
    assert report.status == "success"
    row = engine.fetch_rows(
        "SELECT total_transactions, total_revenue, created_at IS NOT NULL, updated_at IS NOT NULL "
        "FROM gold.scout_kpi_revenue_daily"
    )
    assert row == [(5, None, True, True)]
