"""A KPI request, parsed and normalised: the same question always has the same `KpiQuery` (the cache key).

Dimensions and filter columns must be among the metric's dimensions (identifiers come only from
the catalog); filter values are kept as text and always reach the database as bound parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from databank.metrics.catalog import Metric
from databank.metrics.errors import InvalidRequestError
from databank.metrics.periods import GRANULARITIES, Period

MAX_FILTER_VALUES = 100
MAX_VALUE_LENGTH = 1000
Filters = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class KpiQuery:
    """One normalised KPI question: metric, days, bucket size, breakdown and filters."""

    metric: str
    period: Period
    granularity: str
    dimensions: tuple[str, ...] = ()
    filters: Filters = ()

    @property
    def previous(self) -> Period:
        """The comparison period: same length, just before."""
        return self.period.previous()


def parse_granularity(text: str | None, metric: Metric) -> str:
    """`hour`, `day`, `week` or `month`, if this metric supports it."""
    value = (text or "day").strip().lower()
    if value not in GRANULARITIES:
        raise InvalidRequestError(
            "invalid_granularity",
            f"unknown granularity {value[:40]!r}",
            f"metric {metric.name!r} supports: {', '.join(metric.granularities)}",
        )
    if value not in metric.granularities:
        raise InvalidRequestError(
            "unsupported_granularity",
            f"metric {metric.name!r} cannot be served by {value}: its time column "
            f"{metric.time_column!r} is a date without hours",
            f"use one of: {', '.join(metric.granularities)}",
        )
    return value


def parse_dimensions(value: str | Iterable[str] | None, metric: Metric) -> tuple[str, ...]:
    """Comma-separated text or a list of names → the metric's dimensions, sorted and unique."""
    if value is None:
        return ()
    items = (
        value.split(",")
        if isinstance(value, str)
        else [p for v in value for p in str(v).split(",")]
    )
    names = {item.strip() for item in items if item.strip()}
    unknown = sorted(n for n in names if n not in metric.dimensions)
    if unknown:
        raise InvalidRequestError(
            "invalid_dimension",
            f"metric {metric.name!r} cannot be grouped by {', '.join(repr(u[:60]) for u in unknown)}",
            f"its dimensions are: {', '.join(metric.dimensions) or 'none'}",
        )
    return tuple(sorted(names))


def parse_filters(
    value: str | Mapping[str, Any] | Iterable[str] | None,
    metric: Metric,
    dimensions: tuple[str, ...] = (),
) -> Filters:
    """Filters as `col:v,col:w`, `col=v`, a JSON object, a dict, or a list of `col=v` items.

    Several values for one column mean any of them. The metric's default filters apply to the
    columns the caller neither filters nor groups by.
    """
    pairs = _pairs(value)
    wanted: dict[str, set[str]] = {}
    for column, raw in pairs:
        if column not in metric.dimensions:
            raise InvalidRequestError(
                "invalid_filter",
                f"metric {metric.name!r} cannot be filtered on {column[:60]!r}",
                f"filter on its dimensions: {', '.join(metric.dimensions) or 'none'}",
            )
        wanted.setdefault(column, set()).update(_values(column, raw))
    for column, default in metric.default_filters.items():
        if column not in wanted and column not in dimensions:
            wanted[column] = {default}
    if sum(len(v) for v in wanted.values()) > MAX_FILTER_VALUES:
        raise InvalidRequestError("invalid_filter", f"more than {MAX_FILTER_VALUES} filter values")
    return tuple((c, tuple(sorted(vs))) for c, vs in sorted(wanted.items()))


def _pairs(value: str | Mapping[str, Any] | Iterable[str] | None) -> list[tuple[str, Any]]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [(str(k), v) for k, v in value.items()]
    if isinstance(value, str):
        if value.strip().startswith("{"):
            return _json_pairs(value.strip())
        return [
            _split(item) for item in value.split(",") if item.strip()
        ]  # values keep their spaces
    pairs: list[tuple[str, Any]] = []
    for item in value:
        if item.strip().startswith("{"):
            pairs += _json_pairs(item.strip())
        elif item.strip():
            pairs.append(_split(item))
    return pairs


def _json_pairs(text: str) -> list[tuple[str, Any]]:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise InvalidRequestError(
            "invalid_filter", "filters look like JSON but do not parse"
        ) from None
    if not isinstance(data, dict):
        raise InvalidRequestError("invalid_filter", "JSON filters must be an object")
    return [(str(k), v) for k, v in data.items()]


def _split(item: str) -> tuple[str, str]:
    """`col:value` or `col=value`: the column is what precedes the first `:` or `=`."""
    cut = min((i for i in (item.find(":"), item.find("=")) if i >= 0), default=-1)
    if cut <= 0:
        raise InvalidRequestError(
            "invalid_filter",
            f"filter {item[:60]!r} has no column",
            "write column:value (or column=value)",
        )
    return item[:cut].strip(), item[cut + 1 :]


def _values(column: str, raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise InvalidRequestError("invalid_filter", f"filter on {column!r} lists no values")
    values = []
    for item in items:
        if isinstance(item, bool) or item is None or not isinstance(item, str | int | float):
            raise InvalidRequestError(
                "invalid_filter", f"filter values for {column!r} must be text or numbers"
            )
        text = str(item)
        if "\x00" in text:
            # PostgreSQL cannot store NUL in text, so no row could match; say so instead.
            raise InvalidRequestError(
                "invalid_filter", f"a filter value for {column!r} contains a NUL byte"
            )
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidRequestError(
                "invalid_filter", f"a filter value for {column!r} is not valid Unicode text"
            ) from None
        if len(text) > MAX_VALUE_LENGTH:
            raise InvalidRequestError(
                "invalid_filter",
                f"a filter value for {column!r} is longer than {MAX_VALUE_LENGTH} characters",
            )
        values.append(text)
    return values
