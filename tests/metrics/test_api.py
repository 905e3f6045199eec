"""The KPI endpoints through HTTP (TestClient over the whole app, auth on), on every engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from tests.metrics.conftest import insert

from databank.engines import Engine
from databank.metrics import default_catalog
from databank.refresh import mark_refreshed

KPI = "/api/v1/metrics/kpi"
REVENUE = "gold.scout_kpi_revenue_daily"
Headers = Callable[..., dict[str, str]]


def _rows(engine: Engine) -> None:
    insert(
        engine,
        REVENUE,
        [
            {
                "date": date(2025, 3, d),
                "region": region,
                "channel": "online",
                "total_revenue": Decimal(amount),
                "total_transactions": count,
            }
            for d, region, amount, count in [
                (24, "north", "100.00", 4),
                (30, "north", "10.10", 1),
                (31, "south", "20.25", 3),
                (31, "north' OR '1'='1", "1.00", 1),
            ]
        ],
    )


def test_catalog_listing(client: TestClient, read_key: Headers) -> None:
    """Every metric with its definition; 401 without a key, 403 with a key that cannot read."""
    response = client.get(KPI, headers=read_key())
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(default_catalog()) >= 30
    revenue = next(m for m in body["metrics"] if m["name"] == "daily_revenue")
    assert revenue["table"] == REVENUE and revenue["dimensions"] == ["region", "channel"]
    assert client.get(KPI).status_code == 401
    assert client.get(KPI).json()["error"]["code"] == "unauthorized"
    assert client.get(KPI, headers=read_key("ingest")).status_code == 403


def test_kpi_response(engine: Engine, client: TestClient, read_key: Headers) -> None:
    """The spec's KPIResponse: series with filled days, current vs previous, change, trend."""
    _rows(engine)
    response = client.get(
        f"{KPI}/daily_revenue", params={"date_range": "last_7_days"}, headers=read_key()
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["metric_name"] == "daily_revenue"
    assert [p["period"] for p in body["time_series"]][:2] == ["2025-03-25", "2025-03-26"]
    assert [p["value"] for p in body["time_series"]] == [0, 0, 0, 0, 0, 10.1, 21.25]
    assert body["current_value"] == 31.35 and body["previous_period_value"] == 100
    assert body["change_percentage"] == -68.65 and body["trend"] == "down"
    assert body["benchmark"] is None and body["unit"] == "currency"
    assert body["period"] == {"start": "2025-03-25", "end": "2025-03-31"}


def test_dimensions_filters_and_granularity(
    engine: Engine, client: TestClient, read_key: Headers
) -> None:
    """Grouping, `k:v` and JSON filters (a hostile value is just a value), weekly buckets."""
    _rows(engine)
    headers = read_key()
    weekly = client.get(
        f"{KPI}/average_order_value",
        params={
            "date_range": "2025-03-24..2025-03-31",
            "granularity": "week",
            "dimensions": "region",
        },
        headers=headers,
    ).json()
    assert [
        (p["period"], p["dimensions"]["region"], p["value"]) for p in weekly["time_series"]
    ] == [
        ("2025-W13", "north", 22.02),
        ("2025-W14", "north", None),
        ("2025-W13", "north' OR '1'='1", None),
        ("2025-W14", "north' OR '1'='1", 1),
        ("2025-W13", "south", None),
        ("2025-W14", "south", 6.75),
    ]
    hostile = client.get(
        f"{KPI}/daily_revenue",
        params={"date_range": "last_1_days", "filters": "{\"region\": \"north' OR '1'='1\"}"},
        headers=headers,
    ).json()
    assert hostile["current_value"] == 1 and hostile["filters"] == {"region": ["north' OR '1'='1"]}
    repeated = client.get(
        f"{KPI}/daily_revenue?date_range=last_7_days&filters=region:south&filters=region:north",
        headers=headers,
    ).json()
    assert repeated["current_value"] == 30.35
    assert engine.count_rows(REVENUE) == 4


def test_refresh_reaches_the_api(engine: Engine, client: TestClient, read_key: Headers) -> None:
    """The API's cache drops an answer once its gold table is marked refreshed."""
    _rows(engine)
    headers, url = read_key(), f"{KPI}/total_transactions?date_range=last_1_days"
    assert client.get(url, headers=headers).json()["current_value"] == 4
    insert(
        engine,
        REVENUE,
        [
            {
                "date": date(2025, 3, 31),
                "region": "east",
                "channel": "online",
                "total_transactions": 5,
            }
        ],
    )
    assert client.get(url, headers=headers).json()["current_value"] == 4
    mark_refreshed(engine, REVENUE)
    assert client.get(url, headers=headers).json()["current_value"] == 9


@pytest.mark.parametrize(
    ("path", "status", "code", "says"),
    [
        ("/nope", 404, "unknown_metric", "daily_revenue, total_transactions"),
        ("/daily_revenue?granularity=hour", 400, "unsupported_granularity", "day, week, month"),
        ("/daily_revenue?granularity=fortnight", 400, "invalid_granularity", "day, week, month"),
        ("/daily_revenue?dimensions=region,colour", 400, "invalid_dimension", "region, channel"),
        ("/daily_revenue?filters=total_revenue:1", 400, "invalid_filter", "region, channel"),
        ("/daily_revenue?filters=region", 400, "invalid_filter", "column:value"),
        ("/daily_revenue?date_range=last_week", 400, "invalid_date_range", "last_7_days"),
        ("/daily_revenue?date_range=2025-02-30..2025-03-01", 400, "invalid_date", "YYYY-MM-DD"),
        (
            "/daily_revenue?date_range=2025-03-02..2025-03-01",
            400,
            "invalid_date_range",
            "ends before",
        ),
        ("/daily_revenue?as_of=soon", 400, "invalid_date", "as_of"),
        ("/daily_revenue?granularty=week", 400, "unknown_parameter", "granularity"),
        (
            "/product_revenue?date_range=2000-01-01..2019-12-31&dimensions=product_id",
            200,
            None,
            None,
        ),
    ],
)
def test_errors_are_json(
    client: TestClient,
    read_key: Headers,
    path: str,
    status: int,
    code: str | None,
    says: str | None,
) -> None:
    """400 and 404 name what is allowed, in the JSON error shape."""
    response = client.get(KPI + path, headers=read_key())
    assert response.status_code == status, response.text
    if code is not None:
        error = response.json()["error"]
        assert error["code"] == code
        assert says in error["message"]
    if code == "unknown_metric":
        assert "daily_revenue" in response.json()["error"]["details"]["valid_metrics"]
