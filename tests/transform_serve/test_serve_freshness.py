"""A real `databank serve`: posted transactions reach gold by themselves, beside explicit triggers."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.server import Server
from databank.auth import KeyStore
from databank.engines import connect

INGEST = "/api/v1/ingestion/bronze/transactions"
RANGE = "2025-01-01..2025-01-28"
pytestmark = pytest.mark.timeout(400)


def _records(count: int, start: int) -> list[dict[str, Any]]:
    return [
        {
            "transaction_id": f"live_{i}",
            "customer_id": f"cust_{i % 13}",
            "product_id": f"prod_{i % 7}",
            "timestamp": f"2025-01-{1 + i % 28:02d}T10:{i % 60:02d}:00Z",
            "amount": round(5 + (i % 100) * 0.37, 2),
            "currency": "EUR",
            "quantity": 1 + i % 3,
            "channel": "online",
            "region": "north",
            "payment_method": "card",
        }
        for i in range(start, start + count)
    ]


def _total(records: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(str(r["amount"])) for r in records), Decimal(0))


def _key(engine_url: str) -> dict[str, str]:
    """A key with every scope the test needs, made before the server owns the database."""
    with connect(engine_url) as engine:
        _, plaintext = KeyStore(engine).create(["ingest", "read", "transform"])
    return {"Authorization": f"Bearer {plaintext}"}


def _post(http: httpx.Client, records: list[dict[str, Any]]) -> None:
    body = {"source_system": "shop", "schema_version": "1.0.0", "data_batch": records}
    response = http.post(INGEST, json=body)
    assert response.status_code in (200, 201, 202), response.text[:300]
    assert response.json()["passed"] == len(records), response.text[:300]


def _gold_revenue(http: httpx.Client) -> Decimal | None:
    response = http.get(
        "/api/v1/metrics/kpi/daily_revenue", params={"date_range": RANGE, "granularity": "day"}
    )
    assert response.status_code == 200, response.text
    value = response.json()["current_value"]
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _wait_for_revenue(http: httpx.Client, expected: Decimal, timeout: float = 60.0) -> float:
    """Seconds until gold shows `expected` (fails after `timeout`)."""
    started = time.monotonic()
    seen = None
    while time.monotonic() - started < timeout:
        seen = _gold_revenue(http)
        if seen == expected:
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"gold revenue is {seen}, expected {expected} within {timeout}s")


def test_posted_transactions_reach_gold_without_a_trigger(engine_url: str, tmp_path: Path) -> None:
    headers = _key(engine_url)
    first, second = _records(300, 0), _records(200, 300)
    with Server(engine_url, tmp_path, DATABANK_TRANSFORM_MICROBATCH_DELAY_SECONDS="0.5") as server:
        server.start()
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
            assert _gold_revenue(http) == Decimal("0.00")
            _post(http, first)
            _wait_for_revenue(http, _total(first))
            _post(http, second)  # now incremental: the models exist
            _wait_for_revenue(http, _total(first) + _total(second))


def test_an_explicit_refresh_beside_a_pending_micro_batch_completes(
    engine_url: str, tmp_path: Path
) -> None:
    headers = _key(engine_url)
    first, second = _records(250, 1000), _records(250, 2000)
    with Server(engine_url, tmp_path, DATABANK_TRANSFORM_MICROBATCH_DELAY_SECONDS="1") as server:
        server.start()
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
            models = [m["name"] for m in http.get("/api/v1/transformation/models").json()["models"]]
            _post(http, first)  # a micro-batch is now pending; the demo's refresh comes at once
            answer = http.post(
                "/api/v1/gold/views/refresh",
                json={"view_names": models, "refresh_mode": "sequential"},
            )
            assert answer.status_code == 202, answer.text
            job_id = answer.json()["refresh_job_id"]
            deadline = time.monotonic() + 120
            job: dict[str, Any] = {}
            while time.monotonic() < deadline:
                job = http.get(f"/api/v1/transformation/jobs/{job_id}").json()
                if job["status"] in ("completed", "failed"):
                    break
                time.sleep(0.2)
            assert job["status"] == "completed", job
            assert _gold_revenue(http) == _total(first)
            _post(http, second)
            _wait_for_revenue(http, _total(first) + _total(second))


def test_micro_batching_can_be_turned_off(engine_url: str, tmp_path: Path) -> None:
    headers = _key(engine_url)
    with Server(engine_url, tmp_path, DATABANK_TRANSFORM_MICROBATCH_DELAY_SECONDS="0") as server:
        server.start()
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
            _post(http, _records(50, 0))
            time.sleep(3)
            assert _gold_revenue(http) == Decimal("0.00")
