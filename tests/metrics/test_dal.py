"""`GoldDataAccess`: KPIs, catalog and cache status from Python, sharing the process's cache."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from tests.metrics.conftest import insert, make_bank

from databank.dal.gold import GoldDataAccess
from databank.engines import Engine
from databank.errors import UnknownTableError
from databank.metrics import Period, UnknownMetricError, kpi_service


def test_kpis_ranges_and_cache_status(engine: Engine, tmp_path: Path) -> None:
    """Named, explicit, Period and date-pair ranges; the spec's CacheMetrics; one cache per bank."""
    bank = make_bank(engine, tmp_path)
    insert(
        engine,
        "gold.scout_kpi_revenue_daily",
        [
            {
                "date": date(2025, 2, d),
                "region": "north",
                "channel": "online",
                "total_revenue": Decimal("12.34"),
                "total_transactions": 2,
            }
            for d in (3, 10)
        ],
    )
    gold = GoldDataAccess(bank)
    assert gold.kpis is kpi_service(bank)
    by_pair = gold.get_kpi_metrics(
        "daily_revenue", (date(2025, 2, 1), date(2025, 2, 28)), granularity="week"
    )
    assert by_pair.current_value == Decimal("24.68")
    assert [p.period for p in by_pair.time_series] == [
        "2025-W05",
        "2025-W06",
        "2025-W07",
        "2025-W08",
        "2025-W09",
    ]
    by_period = gold.get_kpi_metrics(
        "daily_revenue", Period(date(2025, 2, 1), date(2025, 2, 28)), granularity="week"
    )
    assert by_period is by_pair  # the same question, answered from the cache
    grouped = gold.get_kpi_metrics(
        "average_order_value",
        "last_30_days",
        dimensions=["region"],
        filters={"channel": "online"},
        as_of=date(2025, 2, 28),
    )
    assert grouped.to_dict()["current_value"] == 6.17
    status = gold.get_cache_status()
    assert (status.hit_count, status.miss_count, status.entries) == (1, 2, 2)
    assert status.to_dict()["hit_ratio"] == pytest.approx(1 / 3, abs=1e-4)
    assert status.memory_usage > 0
    with pytest.raises(UnknownMetricError) as caught:
        gold.get_kpi_metrics("revenue", "last_7_days")
    assert "daily_revenue" in caught.value.known
    assert {m["name"] for m in gold.list_metrics()} >= {"daily_revenue", "average_order_value"}


def test_refresh_view_runs_the_model_and_invalidates(engine: Engine, tmp_path: Path) -> None:
    """The runner rebuilds the gold table from (empty) silver; the cached KPI follows it."""
    gold = GoldDataAccess(make_bank(engine, tmp_path))
    with pytest.raises(UnknownTableError, match=r"gold\.scout_kpi_revenue_daily"):
        gold.refresh_materialized_view("bronze.scout_raw_transactions")
    insert(
        engine,
        "gold.scout_kpi_revenue_daily",
        [
            {
                "date": date(2025, 2, 3),
                "region": "north",
                "channel": "online",
                "total_revenue": Decimal("12.34"),
                "total_transactions": 2,
            }
        ],
    )
    span = "2025-02-01..2025-02-28"
    assert gold.get_kpi_metrics("daily_revenue", span).current_value == Decimal("12.34")
    report = gold.refresh_materialized_view("scout_kpi_revenue_daily", full_refresh=True)
    assert report.status == "success", report.to_dict()
    assert [m.model for m in report.models] == ["gold.scout_kpi_revenue_daily"]
    assert gold.get_kpi_metrics("daily_revenue", span).current_value == 0  # nothing in silver
    assert gold.get_cache_status().invalidation_count == 1
