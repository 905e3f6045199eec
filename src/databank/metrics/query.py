"""The one SQL query behind a KPI: component aggregates per time bucket, period and dimension values.

Identifiers come from the checked catalog only (quoted by the engine's rules); the dates and every
filter value are bound parameters. The query reads the current and the previous period at once and
flags each group with the period it belongs to, so a week that straddles the two is split.
Buckets are `CAST(date_trunc(unit, t) AS DATE)` (ISO weeks start on Monday in both DuckDB and
PostgreSQL); balances (`last` metrics) are grouped by day, since their bucket value is the latest day's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from databank.engines.base import Engine, quote_ident, quote_table
from databank.metrics.catalog import Metric
from databank.metrics.expression import Value, to_decimal
from databank.metrics.periods import Period
from databank.metrics.request import Filters


@dataclass(frozen=True)
class ComponentRow:
    """One group of the query: its day (or hour), its dimension values, its component values."""

    key: date | datetime  # the start of the group's bucket (or its day, for balances)
    current: bool  # in the current period (else the previous one)
    dims: tuple[str | None, ...]
    values: tuple[Value, ...]


def sql_grain(metric: Metric, granularity: str) -> str:
    """The bucket the SQL groups by: the granularity, except days for balances (hours stay hours)."""
    if metric.time_aggregation == "last" and granularity in ("week", "month"):
        return "day"
    return granularity


def build_sql(
    metric: Metric, dialect: str, *, grain: str, dimensions: tuple[str, ...], filters: Filters
) -> tuple[str, dict[str, Any]]:
    """The SELECT and its filter parameters (`start`, `current`, `stop` are added by the caller)."""
    time = quote_ident(metric.time_column)
    if grain == "hour":
        key = f"date_trunc('hour', {time})"
    elif grain in ("week", "month"):
        key = f"CAST(date_trunc('{grain}', {time}) AS DATE)"
    else:
        key = f"CAST({time} AS DATE)" if metric.time_is_timestamp else time
    dims = [quote_ident(d) for d in dimensions]
    aggregates = [f"{c.sql(dialect)} AS c{i}" for i, c in enumerate(metric.expression.components)]
    where = [f"{time} >= $start", f"{time} < $stop"]
    params: dict[str, Any] = {}
    for i, (column, values) in enumerate(filters):
        marks = []
        for j, value in enumerate(values):
            params[f"f{i}_{j}"] = value
            marks.append(f"$f{i}_{j}")
        where.append(f"{quote_ident(column)} IN ({', '.join(marks)})")
    flag = f"CASE WHEN {time} >= $current THEN 1 ELSE 0 END"
    select = ", ".join([f"{key} AS t", f"{flag} AS is_current", *dims, *aggregates])
    group = ", ".join(
        str(i) for i in range(1, 3 + len(dims))
    )  # by position: same text on both engines
    sql = (
        f"SELECT {select} FROM {quote_table(metric.table)} "
        f"WHERE {' AND '.join(where)} GROUP BY {group}"
    )
    return sql, params


def fetch_components(
    engine: Engine,
    metric: Metric,
    current: Period,
    *,
    granularity: str,
    dimensions: tuple[str, ...],
    filters: Filters,
) -> list[ComponentRow]:
    """Run the metric's query over the previous and the `current` period; return its groups."""
    grain = sql_grain(metric, granularity)
    sql, params = build_sql(
        metric, engine.dialect, grain=grain, dimensions=dimensions, filters=filters
    )
    start, middle, stop = current.previous().start, current.start, current.end + timedelta(days=1)
    if metric.time_is_timestamp:
        params.update(start=_midnight(start), current=_midnight(middle), stop=_midnight(stop))
    else:
        params.update(start=start, current=middle, stop=stop)
    width = len(dimensions)
    rows = []
    for row in engine.fetch_rows(sql, params):
        key = row[0]
        if isinstance(key, datetime) and grain != "hour":
            key = key.date()
        rows.append(
            ComponentRow(
                key=key,
                current=bool(row[1]),
                dims=tuple(None if v is None else str(v) for v in row[2 : 2 + width]),
                values=tuple(to_decimal(v) for v in row[2 + width :]),
            )
        )
    return rows


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def latest_day(engine: Engine, metric: Metric) -> date | None:
    """The newest day in the metric's table (None when it is empty)."""
    value = engine.fetch_value(
        f"SELECT max({quote_ident(metric.time_column)}) FROM {quote_table(metric.table)}"
    )
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None
