"""Errors of the metric layer: a broken catalog, an unknown metric, a request that cannot be served."""

from __future__ import annotations

from collections.abc import Sequence

from databank.errors import ConfigError, DatabankError


class CatalogError(ConfigError):
    """The metric catalog file is malformed or refers to something the schema does not have."""


class MetricError(DatabankError):
    """A KPI request that cannot be answered as asked (the caller's input)."""

    status = 400
    code = "bad_request"


class UnknownMetricError(MetricError):
    """A metric name the catalog does not define."""

    status = 404
    code = "unknown_metric"

    def __init__(self, name: str, known: Sequence[str]) -> None:
        super().__init__(f"unknown metric {name!r}", f"valid metrics: {', '.join(known)}")
        self.name = name
        self.known = list(known)


class InvalidRequestError(MetricError):
    """A parameter (date range, granularity, dimension, filter) the metric does not accept."""

    def __init__(self, code: str, cause: str, fix: str | None = None) -> None:
        super().__init__(cause, fix)
        self.code = code
