"""`GET /api/v1/metrics/kpi` (the catalog) and `GET /api/v1/metrics/kpi/{metric_name}` (one KPI).

Answers come from the process's `KpiService` (cached per gold-table version) as ready JSON bytes.
A cached answer is sent from the event loop (`KpiService.cached` does no database work); only a
miss goes to a worker thread to read the gold table. Bad parameters answer 400 naming what is
allowed, an unknown metric 404 listing the valid names.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from databank.api.deps import get_bank, require_scope
from databank.api.errors import ApiError
from databank.auth import Principal
from databank.metrics import (
    NAMED_RANGES,
    KpiService,
    MetricError,
    UnknownMetricError,
    default_catalog,
    kpi_service,
)

# Loaded and checked when the API starts: a broken catalog entry stops start-up with its reason.
CATALOG = default_catalog()
PARAMETERS = frozenset({"date_range", "granularity", "dimensions", "filters", "as_of"})
_READ = require_scope("read")

router = APIRouter(prefix="/api/v1/metrics", tags=["metrics"])


class TimeSeriesPoint(BaseModel):
    """One bucket of a KPI time series."""

    timestamp: str
    period: str
    value: float | None
    dimensions: dict[str, str | None]


class KPIResponse(BaseModel):
    """The spec's KPIResponse, plus the periods, unit and filters it was computed for."""

    metric_name: str
    time_series: list[TimeSeriesPoint]
    current_value: float | None
    previous_period_value: float | None
    change_percentage: float | None
    trend: str
    benchmark: float | None
    unit: str
    higher_is_better: bool
    granularity: str
    period: dict[str, str]
    previous_period: dict[str, str]
    dimensions: list[str]
    filters: dict[str, list[str]]


async def get_kpis(request: Request) -> KpiService:
    """The KPI service: `app.state.kpis` when set (tests pin "today" there), else the bank's."""
    service = getattr(request.app.state, "kpis", None)
    if service is None:
        service = kpi_service(get_bank(request))
    return service


_CATALOG_BODY = orjson.dumps({"metrics": [m.describe() for m in CATALOG], "count": len(CATALOG)})


@router.get("/kpi", summary="List the KPI catalog")
def list_kpis(_: Principal = Depends(_READ)) -> Response:
    """Every metric: description, table, expression, dimensions, granularities, unit, benchmark."""
    return Response(_CATALOG_BODY, media_type="application/json")


@router.get(
    "/kpi/{metric_name}",
    summary="One KPI as a time series with current vs previous period",
    responses={200: {"model": KPIResponse}},
)
async def get_kpi(
    request: Request,
    metric_name: str = Path(..., description="A metric of the catalog (GET /api/v1/metrics/kpi)."),
    date_range: str = Query(
        "last_30_days",
        description=f"{', '.join(NAMED_RANGES)}, last_N_days, or YYYY-MM-DD..YYYY-MM-DD (both included).",
    ),
    granularity: str = Query(
        "day", description="hour (timestamp metrics only), day, week (ISO), month."
    ),
    dimensions: list[str] | None = Query(
        None, description="Comma-separated dimensions to group by."
    ),
    filters: list[str] | None = Query(
        None, description="column:value,column:value (repeat a column for any-of) or a JSON object."
    ),
    as_of: str | None = Query(
        None,
        description="Anchor day of relative ranges: YYYY-MM-DD or `latest` (default: today, UTC).",
    ),
    service: KpiService = Depends(get_kpis),
    _: Principal = Depends(_READ),
) -> Response:
    """The KPI over the range: series with empty buckets filled, period values, change, trend."""
    unknown = sorted(set(request.query_params) - PARAMETERS)
    if unknown:
        raise ApiError(
            400,
            "unknown_parameter",
            f"unknown query parameter {', '.join(repr(u[:60]) for u in unknown)}; "
            f"use: {', '.join(sorted(PARAMETERS))}",
        )
    params: dict[str, Any] = {
        "date_range": date_range,
        "granularity": granularity,
        "dimensions": dimensions,
        "filters": _one_filter_text(filters),
        "as_of": as_of,
    }
    try:
        answer = service.cached(metric_name, **params)
        if answer is None:
            answer = await run_in_threadpool(service.answer, metric_name, **params)
    except MetricError as exc:
        raise ApiError(exc.status, exc.code, str(exc), details=_details(exc)) from None
    return Response(answer.body, media_type="application/json")


def _one_filter_text(filters: list[str] | None) -> str | list[str] | None:
    """One `filters` parameter is parsed as given (maybe JSON); several are `column:value` items."""
    if not filters:
        return None
    if len(filters) == 1:
        return filters[0]
    return [item for text in filters for item in text.split(",")]


def _details(exc: MetricError) -> dict[str, Any] | None:
    if isinstance(exc, UnknownMetricError):
        return {"valid_metrics": exc.known}
    return None
