"""The metric catalog: KPI definitions read from a TOML file and checked against the schema at load.

A broken entry stops the load with a `CatalogError` naming the metric and the problem, so the API,
the CLI and the DAL refuse to start on a catalog that would fail (or lie) at query time.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from databank.errors import UnknownTableError
from databank.metrics.errors import CatalogError, UnknownMetricError
from databank.metrics.expression import CompiledExpression, ExpressionError, compile_expression
from databank.migrations.columns import current_schema
from databank.schema.model import Schema, Table

UNITS: dict[str, int] = {  # unit → decimal places a value is rounded to
    "currency": 2,
    "percent": 4,  # a fraction: 0.0523 is 5.23 %
    "ratio": 4,
    "count": 2,  # integral counts print as integers
    "score": 4,
    "seconds": 2,
    "hours": 2,
}
TIME_AGGREGATIONS = ("aggregate", "last")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_FIELDS = {
    "description",
    "table",
    "expression",
    "time_column",
    "dimensions",
    "unit",
    "higher_is_better",
    "benchmark",
    "time_aggregation",
    "default_filters",
}
_REQUIRED = ("description", "table", "expression", "time_column", "unit", "higher_is_better")
_DIMENSION_FAMILIES = {"text"}
_TIME_FAMILIES = {"date", "timestamp"}


@dataclass(frozen=True)
class Metric:
    """One KPI: what it computes, over which table, and how it may be sliced."""

    __cache_shared__: ClassVar[bool] = True  # cached answers point at it; it is not theirs to count
    name: str
    description: str
    table: str  # layer.name
    expression: CompiledExpression
    time_column: str
    time_is_timestamp: bool
    dimensions: tuple[str, ...]
    unit: str
    higher_is_better: bool
    benchmark: float | None = None
    time_aggregation: str = "aggregate"
    default_filters: Mapping[str, str] = field(default_factory=dict)

    @property
    def granularities(self) -> tuple[str, ...]:
        """The granularities this metric can be served at (hour only over a timestamp column)."""
        return (
            ("hour", "day", "week", "month") if self.time_is_timestamp else ("day", "week", "month")
        )

    @property
    def fills_with_zero(self) -> bool:
        """True when a bucket without rows is worth 0 (a sum or count of flows), else null."""
        return self.expression.additive and self.time_aggregation == "aggregate"

    @property
    def scale(self) -> int:
        """Decimal places of the metric's values."""
        return UNITS[self.unit]

    def describe(self) -> dict[str, Any]:
        """The entry as JSON-ready data (what `GET /api/v1/metrics/kpi` lists)."""
        return {
            "name": self.name,
            "description": self.description,
            "table": self.table,
            "expression": self.expression.text,
            "time_column": self.time_column,
            "dimensions": list(self.dimensions),
            "granularities": list(self.granularities),
            "unit": self.unit,
            "higher_is_better": self.higher_is_better,
            "benchmark": self.benchmark,
            "time_aggregation": self.time_aggregation,
            "empty_bucket": 0 if self.fills_with_zero else None,
            "default_filters": dict(self.default_filters),
        }


@dataclass(frozen=True)
class Catalog:
    """All metrics, by name, in file order."""

    metrics: Mapping[str, Metric]

    def get(self, name: str) -> Metric:
        """The metric called `name`; UnknownMetricError lists the valid names."""
        metric = self.metrics.get(name)
        if metric is None:
            raise UnknownMetricError(name, self.names)
        return metric

    @property
    def names(self) -> list[str]:
        """Every metric name, in file order."""
        return list(self.metrics)

    @property
    def tables(self) -> set[str]:
        """The gold tables the metrics read."""
        return {m.table for m in self.metrics.values()}

    def __iter__(self) -> Iterator[Metric]:
        return iter(self.metrics.values())

    def __len__(self) -> int:
        return len(self.metrics)


def load_catalog(path: Path | str | None = None, schema: Schema | None = None) -> Catalog:
    """Read and check a catalog file (default: the one shipped in this package)."""
    if path is None:
        text = resources.files("databank.metrics").joinpath("catalog.toml").read_text("utf-8")
        source = "the packaged metric catalog"
    else:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise CatalogError(f"cannot read metric catalog {path}: {exc.strerror}") from None
        source = f"metric catalog {path}"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{source} is not valid TOML: {exc}") from None
    return parse_catalog(data, schema or current_schema(), source)  # with migrations' columns


@cache
def default_catalog() -> Catalog:
    """The packaged catalog, loaded and checked once per process."""
    return load_catalog()


def parse_catalog(
    data: Mapping[str, Any], schema: Schema, source: str = "metric catalog"
) -> Catalog:
    """Build a Catalog from parsed TOML, checking every entry against `schema`."""
    extra = set(data) - {"metric"}
    if extra:
        raise CatalogError(
            f"{source}: unknown top-level keys {sorted(extra)}", "put metrics under [metric.NAME]"
        )
    entries = data.get("metric")
    if not isinstance(entries, Mapping) or not entries:
        raise CatalogError(f"{source} defines no metrics", "add [metric.NAME] tables")
    metrics = {}
    for name, entry in entries.items():
        try:
            metrics[name] = _metric(name, entry, schema)
        except (CatalogError, ExpressionError) as exc:
            cause = exc.cause if isinstance(exc, CatalogError) else str(exc)
            raise CatalogError(f"{source}: metric {name!r}: {cause}") from None
    return Catalog(metrics)


def _metric(name: str, entry: Any, schema: Schema) -> Metric:
    if not _NAME_RE.match(name):
        raise CatalogError(
            "the name must be lower_snake_case (a-z, 0-9, _), starting with a letter"
        )
    if not isinstance(entry, Mapping):
        raise CatalogError("must be a table of fields")
    unknown = set(entry) - _FIELDS
    if unknown:
        raise CatalogError(
            f"unknown fields {sorted(unknown)} (known: {', '.join(sorted(_FIELDS))})"
        )
    missing = [f for f in _REQUIRED if f not in entry]
    if missing:
        raise CatalogError(f"missing fields {missing}")
    table = _gold_table(_text(entry, "table"), schema)
    columns = {c.name: c.type for c in table.columns}
    time_column = _text(entry, "time_column")
    if time_column not in columns or columns[time_column].family not in _TIME_FAMILIES:
        raise CatalogError(
            f"time_column {time_column!r} is not a date or timestamp column of {table.qualified}"
        )
    dimensions = _dimensions(entry.get("dimensions", []), columns, time_column, table.qualified)
    unit = _text(entry, "unit")
    if unit not in UNITS:
        raise CatalogError(f"unit {unit!r} is not one of {', '.join(UNITS)}")
    expression = compile_expression(_text(entry, "expression"), columns)
    if expression.divides_rows and unit == "currency":
        raise CatalogError(
            "a currency metric may not divide inside an aggregate (engines divide rows in floating "
            "point); divide the sums instead: sum(a) / sum(b)"
        )
    higher = entry["higher_is_better"]
    if not isinstance(higher, bool):
        raise CatalogError("higher_is_better must be true or false")
    benchmark = entry.get("benchmark")
    if benchmark is not None and (
        isinstance(benchmark, bool) or not isinstance(benchmark, int | float)
    ):
        raise CatalogError("benchmark must be a number")
    time_aggregation = entry.get("time_aggregation", "aggregate")
    if time_aggregation not in TIME_AGGREGATIONS:
        raise CatalogError(f"time_aggregation must be one of {', '.join(TIME_AGGREGATIONS)}")
    defaults = entry.get("default_filters", {})
    if not isinstance(defaults, Mapping) or any(
        k not in dimensions or not isinstance(v, str) for k, v in defaults.items()
    ):
        raise CatalogError("default_filters must map the metric's dimensions to text values")
    return Metric(
        name=name,
        description=_text(entry, "description"),
        table=table.qualified,
        expression=expression,
        time_column=time_column,
        time_is_timestamp=columns[time_column].family == "timestamp",
        dimensions=dimensions,
        unit=unit,
        higher_is_better=higher,
        benchmark=float(benchmark) if benchmark is not None else None,
        time_aggregation=time_aggregation,
        default_filters=dict(defaults),
    )


def _text(entry: Mapping[str, Any], key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f"{key} must be a non-empty string")
    return value.strip()


def _gold_table(name: str, schema: Schema) -> Table:
    try:
        table = schema.table(name)
    except UnknownTableError:
        gold = ", ".join(t.qualified for t in schema.layer("gold"))
        raise CatalogError(f"table {name!r} is not in the schema (gold tables: {gold})") from None
    if table.layer != "gold" or table.qualified != name:
        raise CatalogError(f"table {name!r} must be a gold table written as gold.NAME")
    return table


def _dimensions(
    raw: Any, columns: Mapping[str, Any], time_column: str, table: str
) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(d, str) for d in raw):
        raise CatalogError("dimensions must be a list of column names")
    for dim in raw:
        if dim not in columns:
            raise CatalogError(f"dimension {dim!r} is not a column of {table}")
        if dim == time_column or columns[dim].family not in _DIMENSION_FAMILIES:
            raise CatalogError(
                f"dimension {dim!r} must be a text column other than the time column"
            )
    if len(set(raw)) != len(raw):
        raise CatalogError("dimensions lists a column twice")
    return tuple(raw)
