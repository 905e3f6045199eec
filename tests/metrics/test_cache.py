"""The KPI cache: hits for the same question, never a stale answer after its table refreshes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tests.metrics.conftest import TODAY, insert

from databank.engines import Engine
from databank.metrics import KpiService
from databank.metrics.versions import VersionBook
from databank.refresh import mark_refreshed

REVENUE = "gold.scout_kpi_revenue_daily"


def _row(amount: str, region: str = "north") -> dict:
    return {
        "date": TODAY,
        "region": region,
        "channel": "online",
        "total_revenue": Decimal(amount),
        "total_transactions": 1,
    }


def test_same_question_is_a_hit_whatever_its_spelling(engine: Engine, service: KpiService) -> None:
    """last_7_days and the same explicit dates, dimensions in any order: one entry, then hits."""
    insert(engine, REVENUE, [_row("5.00")])
    first = service.answer("daily_revenue", date_range="last_7_days", dimensions="region,channel")
    again = service.answer(
        "daily_revenue", date_range="2025-03-25..2025-03-31", dimensions=["channel", "region"]
    )
    assert again is first
    stats = service.cache_status()
    assert (stats.hit_count, stats.miss_count, stats.entries) == (1, 1, 1)
    assert stats.hit_ratio == 0.5
    assert stats.memory_usage > len(first.body)
    other = service.answer("daily_revenue", date_range="last_7_days", granularity="week")
    assert other is not first
    assert service.cache_status().entries == 2


def test_refresh_invalidates_after_rows_change(engine: Engine, service: KpiService) -> None:
    """Rows change, the runner marks the table refreshed: the next answer is the new value."""
    insert(engine, REVENUE, [_row("5.00")])
    assert service.get("daily_revenue", date_range="last_1_days").current_value == Decimal("5.00")
    insert(engine, REVENUE, [_row("7.00", region="south")])
    # Not refreshed yet: the cache still answers (the runner marks tables after it writes them).
    assert service.get("daily_revenue", date_range="last_1_days").current_value == Decimal("5.00")
    mark_refreshed(engine, REVENUE)
    assert service.cache_status().entries == 0  # the in-process notification dropped it at once
    assert service.get("daily_revenue", date_range="last_1_days").current_value == Decimal("12.00")
    mark_refreshed(engine, "gold.scout_kpi_customer_metrics")  # another table: keeps this entry
    assert service.cache_status().entries == 1
    assert service.cache_status().invalidation_count == 1


def test_refresh_by_another_process_is_seen(engine: Engine) -> None:
    """A version bumped in the database with no in-process notice (another API process) is honoured.

    Several processes share a PostgreSQL database; versions are then re-read after a TTL (0 here).
    """
    service = KpiService(engine, today=lambda: TODAY, versions=VersionBook(ttl=0))
    insert(engine, REVENUE, [_row("5.00")])
    assert service.get("daily_revenue", date_range="last_1_days").current_value == Decimal("5.00")
    engine.execute(f"DELETE FROM {REVENUE}")
    insert(engine, REVENUE, [_row("9.00")])
    engine.execute(
        "INSERT INTO meta.table_versions (table_name, version) VALUES ($t, 42)", {"t": REVENUE}
    )
    assert service.cache_status().entries == 1  # nobody told this process …
    assert service.get("daily_revenue", date_range="last_1_days").current_value == Decimal("9.00")
    stats = service.cache_status()
    assert (stats.invalidation_count, stats.hit_count, stats.entries) == (1, 0, 1)


def test_lru_evicts_the_least_recently_used(engine: Engine) -> None:
    """With room for two answers, a third pushes out the one used longest ago."""
    service = KpiService(engine, today=lambda: TODAY, max_entries=2)
    insert(engine, REVENUE, [_row("5.00")])
    a = service.answer("daily_revenue", date_range="last_1_days")
    service.answer("daily_revenue", date_range="last_2_days")
    assert service.answer("daily_revenue", date_range="last_1_days") is a  # a is now the newest
    service.answer("daily_revenue", date_range="last_3_days")  # evicts last_2_days
    assert service.answer("daily_revenue", date_range="last_1_days") is a
    stats = service.cache_status()
    assert (stats.eviction_count, stats.entries, stats.hit_count) == (1, 2, 2)
    service.answer("daily_revenue", date_range="last_2_days")
    assert service.cache_status().miss_count == 4


def test_as_of_latest_follows_new_data(engine: Engine, service: KpiService) -> None:
    """The newest day behind as_of=latest is re-read once the table's version changes."""
    insert(engine, REVENUE, [{**_row("5.00"), "date": date(2024, 1, 10)}])
    assert service.get(
        "daily_revenue", date_range="last_1_days", as_of="latest"
    ).query.period.end == date(2024, 1, 10)
    insert(engine, REVENUE, [{**_row("6.00"), "date": date(2024, 2, 1)}])
    mark_refreshed(engine, REVENUE)
    latest = service.get("daily_revenue", date_range="last_1_days", as_of="latest")
    assert latest.query.period.end == date(2024, 2, 1)
    assert latest.current_value == Decimal("6.00")
