"""async_processing: 202 at once, processed by the worker, and never lost across a restart."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from tests.api.conftest import (
    INGEST,
    bronze_count,
    envelope,
    key_for_server,
    make_bank,
    transactions,
)
from tests.api.server import Server

from databank.api.app import create_app
from databank.engines import Engine

Key = Callable[..., dict[str, str]]


def _wait_status(get: Callable[[], dict], want: str, timeout: float = 20.0) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    report = get()
    while report.get("status") != want and time.monotonic() < deadline:
        time.sleep(0.05)
        report = get()
    return report


def test_async_answers_202_then_passes(client: TestClient, new_key: Key) -> None:
    """202 with status pending at once; the status endpoint later says passed, with counts."""
    headers = new_key()
    response = client.post(
        INGEST, json=envelope(transactions(50), async_processing=True), headers=headers
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["validation_status"] == "pending" and body["records_received"] == 50
    assert response.headers["location"] == f"/api/v1/ingestion/status/{body['batch_id']}"
    report = _wait_status(
        lambda: client.get(response.headers["location"], headers=headers).json(), "passed"
    )
    assert report["status"] == "passed" and report["passed"] == 50 and report["processed"] is True
    assert report["received_at"] <= report["started_at"] <= report["completed_at"]


def test_async_replay_returns_the_same_batch(client: TestClient, bank, new_key: Key) -> None:  # type: ignore[no-untyped-def]
    """An async request retried with its Idempotency-Key gets the same batch id, stored once."""
    headers = {**new_key(), "Idempotency-Key": "async-1"}
    body = envelope(transactions(20), async_processing=True)
    first = client.post(INGEST, json=body, headers=headers).json()
    time.sleep(0.2)
    second = client.post(INGEST, json=body, headers=headers)
    assert second.status_code == 202 and second.json()["batch_id"] == first["batch_id"]
    _wait_status(
        lambda: client.get(f"/api/v1/ingestion/status/{first['batch_id']}", headers=headers).json(),
        "passed",
    )
    assert bronze_count(bank.engine) == 20


def test_queued_batch_survives_the_app_stopping(engine: Engine, tmp_path: Path) -> None:
    """Queued with the worker off, app stopped; a new app with the worker processes it."""
    idle = make_bank(engine, tmp_path, api_queue_worker=False, api_auth=False)
    with TestClient(create_app(idle)) as test_client:
        batch = test_client.post(
            INGEST, json=envelope(transactions(30), async_processing=True)
        ).json()
        time.sleep(0.3)
        report = test_client.get(f"/api/v1/ingestion/status/{batch['batch_id']}").json()
        assert report["status"] == "queued" and report["processed"] is False
        assert test_client.get("/health").json()["queue"]["queued"] == 1
    assert bronze_count(engine) == 0
    busy = make_bank(engine, tmp_path, api_auth=False)
    with TestClient(create_app(busy)) as test_client:
        report = _wait_status(
            lambda: test_client.get(f"/api/v1/ingestion/status/{batch['batch_id']}").json(),
            "passed",
        )
        assert report["status"] == "passed"
        assert test_client.get("/health").json()["queue"]["queued"] == 0
    assert bronze_count(engine) == 30


def test_queued_batch_survives_sigkill(engine_url: str, tmp_path: Path) -> None:
    """Real server, worker off: queue, SIGKILL, restart with the worker: the batch gets processed."""
    headers = key_for_server(engine_url)
    with Server(engine_url, tmp_path) as server:
        server.start("--no-worker")
        accepted = httpx.post(
            server.url + INGEST,
            json=envelope(transactions(40), async_processing=True),
            headers=headers,
            timeout=30,
        )
        assert accepted.status_code == 202
        batch_id = accepted.json()["batch_id"]
        server.kill()
        server.start()
        report = _wait_status(
            lambda: httpx.get(
                f"{server.url}/api/v1/ingestion/status/{batch_id}", headers=headers, timeout=10
            ).json(),
            "passed",
        )
        assert report["status"] == "passed" and report["passed"] == 40
        server.stop()
    from databank.engines import connect

    with connect(engine_url) as engine:
        assert bronze_count(engine) == 40
