"""From query groups to the spec's KPIResponse: buckets, filled gaps, period values, change and trend.

Rules (docs/metrics.md):
- A bucket without rows is 0 for a sum or count of flows, null for anything else (a ratio of
  nothing, or a balance nobody recorded).
- `aggregate` metrics combine every row of a bucket; `last` metrics (balances) take the bucket's
  latest day.
- change_percentage = (current − previous) / |previous| × 100, null when previous is 0 or null.
- trend is `stable` while |change| < 2 %; else `up` or `down` (the direction of the value,
  whether that is good news is `higher_is_better`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from databank.metrics.catalog import Metric
from databank.metrics.errors import InvalidRequestError
from databank.metrics.expression import Value, combine
from databank.metrics.periods import Bucket, bucket_of, buckets, label
from databank.metrics.query import ComponentRow
from databank.metrics.request import KpiQuery

TREND_THRESHOLD = Decimal(2)  # percent: a smaller change either way is "stable"
MAX_POINTS = 100_000


@dataclass(frozen=True)
class SeriesPoint:
    """One bucket of the time series (for one combination of dimension values)."""

    timestamp: Bucket
    period: str
    value: Decimal | None
    dimensions: dict[str, str | None]


@dataclass(frozen=True)
class KpiResult:
    """A KPI answer: the series, the period values, their change, the trend."""

    metric: Metric
    query: KpiQuery
    time_series: list[SeriesPoint]
    current_value: Decimal | None
    previous_period_value: Decimal | None
    change_percentage: Decimal | None
    trend: str

    def to_dict(self) -> dict[str, Any]:
        """The spec's KPIResponse (plus period, unit and filters), JSON-ready."""
        metric, query = self.metric, self.query
        return {
            "metric_name": metric.name,
            "time_series": [
                {
                    "timestamp": p.timestamp.isoformat(),
                    "period": p.period,
                    "value": json_number(p.value),
                    "dimensions": p.dimensions,
                }
                for p in self.time_series
            ],
            "current_value": json_number(self.current_value),
            "previous_period_value": json_number(self.previous_period_value),
            "change_percentage": json_number(self.change_percentage),
            "trend": self.trend,
            "benchmark": metric.benchmark,
            "unit": metric.unit,
            "higher_is_better": metric.higher_is_better,
            "granularity": query.granularity,
            "period": query.period.to_dict(),
            "previous_period": query.previous.to_dict(),
            "dimensions": list(query.dimensions),
            "filters": {column: list(values) for column, values in query.filters},
        }


def json_number(value: Decimal | None) -> int | float | None:
    """A rounded Decimal as a JSON number: integers stay integers; 2-4 decimals print exactly."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def compute(metric: Metric, query: KpiQuery, rows: Sequence[ComponentRow]) -> KpiResult:
    """Turn the query's groups (current and previous period) into the KPI answer."""
    current = [r for r in rows if r.current]
    previous = [r for r in rows if not r.current]
    series = _series(metric, query, current)
    now = _period_value(metric, current)
    before = _period_value(metric, previous)
    change = _change(now, before)
    return KpiResult(
        metric=metric,
        query=query,
        time_series=series,
        current_value=round_value(metric, now),
        previous_period_value=round_value(metric, before),
        change_percentage=None
        if change is None
        else change.quantize(Decimal("0.01"), ROUND_HALF_UP),
        trend=_trend(now, before, change),
    )


def round_value(metric: Metric, value: Value) -> Value:
    """Round once, half away from zero, to the unit's decimal places."""
    if value is None:
        return None
    return value.quantize(Decimal(1).scaleb(-metric.scale), ROUND_HALF_UP)


def _series(metric: Metric, query: KpiQuery, rows: Sequence[ComponentRow]) -> list[SeriesPoint]:
    starts = buckets(query.period, query.granularity)
    groups: dict[tuple[Bucket, tuple[str | None, ...]], list[ComponentRow]] = defaultdict(list)
    for row in rows:
        groups[(bucket_of(row.key, query.granularity), row.dims)].append(row)
    # Every combination of dimension values seen in the period gets every bucket.
    combos = sorted({r.dims for r in rows}, key=_sort_key) if query.dimensions else [()]
    if len(starts) * max(len(combos), 1) > MAX_POINTS:
        raise InvalidRequestError(
            "too_many_points",
            f"the answer would have more than {MAX_POINTS:,} points",
            "choose a coarser granularity, a shorter range, fewer dimensions or a filter",
        )
    empty = Decimal(0) if metric.fills_with_zero else None
    points = []
    for combo in combos:
        dims = dict(zip(query.dimensions, combo, strict=True))
        for start in starts:
            members = groups.get((start, combo))
            value = _value(metric, members) if members else empty
            points.append(
                SeriesPoint(
                    start, label(start, query.granularity), round_value(metric, value), dims
                )
            )
    return points


def _value(metric: Metric, rows: Sequence[ComponentRow]) -> Value:
    """The metric over `rows` of one bucket (or one period)."""
    if metric.time_aggregation == "last":
        newest = max(r.key for r in rows)
        rows = [r for r in rows if r.key == newest]
    kinds = [c.combine for c in metric.expression.components]
    merged = [combine(kind, [r.values[i] for r in rows]) for i, kind in enumerate(kinds)]
    return metric.expression.evaluate(merged)


def _period_value(metric: Metric, rows: Sequence[ComponentRow]) -> Value:
    if not rows:
        return Decimal(0) if metric.fills_with_zero else None
    return _value(metric, rows)  # a balance takes the latest day (or hour) of the period


def _change(now: Value, before: Value) -> Decimal | None:
    if now is None or before is None or before == 0:
        return None
    return (now - before) / abs(before) * 100


def _trend(now: Value, before: Value, change: Decimal | None) -> str:
    if change is not None:
        if abs(change) < TREND_THRESHOLD:
            return "stable"
        return "up" if change > 0 else "down"
    if now is None or before is None or now == before:
        return "stable"
    return "up" if now > before else "down"  # from zero: any move is a trend


def _sort_key(combo: Iterable[str | None]) -> tuple[tuple[bool, str], ...]:
    return tuple((v is None, v or "") for v in combo)
