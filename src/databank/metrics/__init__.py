"""Metrics: the KPI catalog over the gold tables, and the cached service that answers KPI questions.

from databank.metrics import kpi_service
answer = kpi_service(bank).answer("daily_revenue", date_range="last_30_days", granularity="week")
answer.result.current_value, answer.body  # Decimal, JSON bytes of the spec's KPIResponse
"""

from __future__ import annotations

from databank.metrics.cache import CacheMetrics
from databank.metrics.catalog import Catalog, Metric, default_catalog, load_catalog
from databank.metrics.compute import TREND_THRESHOLD, KpiResult, SeriesPoint
from databank.metrics.errors import (
    CatalogError,
    InvalidRequestError,
    MetricError,
    UnknownMetricError,
)
from databank.metrics.periods import GRANULARITIES, NAMED_RANGES, Period, parse_date_range
from databank.metrics.request import KpiQuery
from databank.metrics.service import KpiAnswer, KpiService, kpi_service, utc_today

__all__ = [
    "GRANULARITIES",
    "NAMED_RANGES",
    "TREND_THRESHOLD",
    "CacheMetrics",
    "Catalog",
    "CatalogError",
    "InvalidRequestError",
    "KpiAnswer",
    "KpiQuery",
    "KpiResult",
    "KpiService",
    "Metric",
    "MetricError",
    "Period",
    "SeriesPoint",
    "UnknownMetricError",
    "default_catalog",
    "kpi_service",
    "load_catalog",
    "parse_date_range",
    "utc_today",
]
