"""Every catalog KPI, on every engine, equals the same KPI computed in plain Python from the rows."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from tests.metrics.conftest import GOLD_TABLES, Row
from tests.metrics.expected import EXPECTED, rounded

from databank.metrics import KpiService, Metric, Period
from databank.metrics.periods import bucket_of


def _rows_for(metric: Metric, rows: list[Row], extra: dict[str, str] | None = None) -> list[Row]:
    """The rows a metric reads: its default filters (unless overridden) and `extra` filters."""
    wanted = {**metric.default_filters, **(extra or {})}
    return [r for r in rows if all(r[c] == v for c, v in wanted.items())]


def _in(period: Period, rows: list[Row]) -> list[Row]:
    return [r for r in rows if period.contains(r["date"])]


def _close(metric: Metric, got: Any, want: Decimal | None) -> bool:
    if got is None or want is None:
        return got is None and want is None
    return Decimal(got) == want


def test_catalog_covers_the_six_gold_tables(service: KpiService) -> None:
    """At least 30 KPIs, the spec's daily_revenue among them, over all six gold tables."""
    assert len(service.catalog) >= 30
    assert "daily_revenue" in service.catalog.names
    assert service.catalog.tables == set(GOLD_TABLES)
    assert set(EXPECTED) == set(service.catalog.names), "every KPI needs its Python twin"


def test_every_kpi_period_values_and_weeks_match_python(
    gold: dict[str, list[Row]], service: KpiService
) -> None:
    """last_30_days by ISO week: current, previous and each week's value, to the last digit."""
    wrong: list[str] = []
    for metric in service.catalog:
        result = service.get(metric.name, date_range="last_30_days", granularity="week")
        rows = _rows_for(metric, gold[metric.table])
        formula = EXPECTED[metric.name]
        now = rounded(formula(_in(result.query.period, rows)), metric.unit)
        before = rounded(formula(_in(result.query.previous, rows)), metric.unit)
        if not _close(metric, result.current_value, now):
            wrong.append(f"{metric.name}: current {result.current_value} != {now}")
        if not _close(metric, result.previous_period_value, before):
            wrong.append(f"{metric.name}: previous {result.previous_period_value} != {before}")
        weeks: dict[Any, list[Row]] = defaultdict(list)
        for row in _in(result.query.period, rows):
            weeks[bucket_of(row["date"], "week")].append(row)
        # 2025-03-02 is a Sunday and 2025-03-31 a Monday: partial ISO weeks at both ends, 6 in all
        assert [p.period for p in result.time_series] == [f"2025-W{w:02d}" for w in range(9, 15)]
        for point in result.time_series:
            want = rounded(formula(weeks.get(point.timestamp, [])), metric.unit)
            if not _close(metric, point.value, want):
                wrong.append(f"{metric.name} {point.period}: {point.value} != {want}")
    assert not wrong, "\n".join(wrong)


def test_every_kpi_by_day_and_dimension_matches_python(
    gold: dict[str, list[Row]], service: KpiService
) -> None:
    """last_7_days by day, grouped by the metric's first dimension: every point matches."""
    wrong: list[str] = []
    for metric in service.catalog:
        dim = metric.dimensions[0]
        result = service.get(metric.name, date_range="last_7_days", dimensions=dim)
        rows = _in(result.query.period, _rows_for(metric, gold[metric.table]))
        values = sorted({r[dim] for r in rows})
        assert len(result.time_series) == 7 * len(values), metric.name
        for point in result.time_series:
            group = [
                r for r in rows if r["date"] == point.timestamp and r[dim] == point.dimensions[dim]
            ]
            want = rounded(EXPECTED[metric.name](group), metric.unit)
            if not _close(metric, point.value, want):
                wrong.append(
                    f"{metric.name} {point.period} {point.dimensions}: {point.value} != {want}"
                )
    assert not wrong, "\n".join(wrong)
