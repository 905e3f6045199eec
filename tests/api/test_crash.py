"""Crash safety: 20,000 records in batches of 100 with Idempotency-Keys, the server SIGKILLed at
least 5 times mid-load and restarted, clients retrying until acknowledged: exactly 20,000 stored."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from tests.api.conftest import INGEST, envelope, key_for_server, transactions
from tests.api.server import Server

from databank.engines import connect

BATCHES, SIZE, CLIENTS, KILLS = 200, 100, 4, 6
DEADLINE_S = 900.0  # a bound for a loaded machine; about a minute when it is idle


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_sigkill_loses_and_doubles_nothing(tmp_path: Path) -> None:
    """Every batch is retried with its key until a 200; the bronze table ends with each record once."""
    url = f"duckdb:///{tmp_path / 'crash.duckdb'}"
    headers = key_for_server(url)
    server = Server(url, tmp_path).start()
    todo = list(range(BATCHES))
    lock = threading.Lock()
    acked: dict[int, str] = {}
    retries = [0]
    replays = [0]
    failures: list[str] = []
    deadline = time.monotonic() + DEADLINE_S

    def client() -> None:
        with httpx.Client(timeout=10) as http:
            while time.monotonic() < deadline:
                with lock:
                    if not todo:
                        return
                    batch = todo.pop(0)
                body = envelope(transactions(SIZE, batch * SIZE))
                key = {"Idempotency-Key": f"load-batch-{batch}"}
                while time.monotonic() < deadline:
                    try:
                        response = http.post(
                            server.url + INGEST, json=body, headers={**headers, **key}
                        )
                    except httpx.TransportError:
                        with lock:
                            retries[0] += 1
                        time.sleep(0.02)
                        continue
                    if response.status_code >= 500:
                        with lock:
                            retries[0] += 1
                        time.sleep(0.02)
                        continue
                    if response.status_code != 200:
                        failures.append(
                            f"batch {batch}: {response.status_code} {response.text[:200]}"
                        )
                        return
                    with lock:
                        acked[batch] = response.json()["batch_id"]
                        replays[0] += response.headers.get("idempotent-replayed") == "true"
                    break

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    kills = 0
    try:
        # Kill while requests are in flight: each time another sixth of the batches is acknowledged.
        for kill in range(KILLS):
            threshold = (kill + 1) * BATCHES // (KILLS + 1)
            while len(acked) < threshold and time.monotonic() < deadline and not failures:
                time.sleep(0.005)
            server.kill()
            kills += 1
            server.start()
        for thread in threads:
            thread.join(max(1.0, deadline - time.monotonic()))
    finally:
        server.stop()

    assert not failures, failures[:5]
    assert kills >= 5
    assert len(acked) == BATCHES, f"only {len(acked)} batches acknowledged before the deadline"
    assert len(set(acked.values())) == BATCHES
    with connect(url) as engine:
        total, distinct = engine.fetch_rows(
            "SELECT count(*), count(DISTINCT transaction_data->>'transaction_id') "
            "FROM bronze.scout_raw_transactions"
        )[0]
    assert (total, distinct) == (BATCHES * SIZE, BATCHES * SIZE), (
        f"{total} rows, {distinct} distinct after {kills} kills, {retries[0]} retries, {replays[0]} replays"
    )
