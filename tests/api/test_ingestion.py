"""The ingestion endpoint and the status endpoint, on each engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import orjson
import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import INGEST, bronze_count, envelope, transactions

from databank.context import Databank

Key = Callable[..., dict[str, str]]


def _code(response) -> str:  # type: ignore[no-untyped-def]
    return response.json()["error"]["code"]


def test_batch_is_stored_and_reported(client: TestClient, bank: Databank, new_key: Key) -> None:
    """A valid batch: 200 with the spec's IngestionResponse fields plus counts; rows in bronze."""
    headers = new_key()
    response = client.post(INGEST, json=envelope(transactions(25)), headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {
        "batch_id",
        "records_received",
        "validation_status",
        "processing_time_ms",
        "quality_score",
        "errors",
        "passed",
        "failed",
        "duplicates",
    } <= set(body)
    assert body["records_received"] == 25 and body["passed"] == 25 and body["failed"] == 0
    assert body["validation_status"] == "passed" and body["errors"] == []
    assert 0 < body["quality_score"] <= 1
    assert bronze_count(bank.engine) == 25

    status = client.get(f"/api/v1/ingestion/status/{body['batch_id']}", headers=headers)
    assert status.status_code == 200
    report = status.json()
    assert report["status"] == "passed" and report["records_received"] == 25
    assert report["passed"] == 25 and report["source_system"] == "ecommerce_platform"
    assert report["received_at"] and report["completed_at"] >= report["received_at"]


def test_invalid_records_are_kept_with_reasons(
    client: TestClient, bank: Databank, new_key: Key
) -> None:
    """A record missing a required field fails with its index, field and reason; others pass."""
    records = transactions(3)
    del records[1]["amount"]
    response = client.post(INGEST, json=envelope(records), headers=new_key())
    assert response.status_code == 200
    body = response.json()
    assert body["passed"] == 2 and body["failed"] == 1
    assert any(e["index"] == 1 and e["field"] == "amount" and e["reason"] for e in body["errors"])
    assert bronze_count(bank.engine) == 3  # the failed record is kept, marked failed


def test_quality_checks_off_stores_pending(
    client: TestClient, bank: Databank, new_key: Key
) -> None:
    """quality_checks=false stores without validation: status pending, no score."""
    records = transactions(2)
    del records[0]["amount"]
    response = client.post(INGEST, json=envelope(records, quality_checks=False), headers=new_key())
    body = response.json()
    assert response.status_code == 200 and body["validation_status"] == "pending"
    assert body["failed"] == 0 and body["pending"] == 2
    assert bronze_count(bank.engine) == 2


def test_replay_with_same_key_changes_nothing(
    client: TestClient, bank: Databank, new_key: Key
) -> None:
    """Same key, same body (keys reordered): the first response again, no new rows."""
    headers = {**new_key(), "Idempotency-Key": "order-42"}
    body = envelope(transactions(10))
    first = client.post(INGEST, json=body, headers=headers)
    assert first.status_code == 200
    rows = bronze_count(bank.engine)
    reordered = orjson.dumps(dict(reversed(list(body.items()))))
    for _ in range(3):
        again = client.post(INGEST, content=reordered, headers=headers)
        assert again.status_code == 200
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
    assert bronze_count(bank.engine) == rows == 10


def test_changed_body_under_used_key_is_refused(
    client: TestClient, bank: Databank, new_key: Key
) -> None:
    """Reusing a key with a different body is a 409 and stores nothing."""
    headers = {**new_key(), "Idempotency-Key": "k-1"}
    assert client.post(INGEST, json=envelope(transactions(3)), headers=headers).status_code == 200
    changed = envelope(transactions(3))
    changed["data_batch"][2]["amount"] = 1.01
    response = client.post(INGEST, json=changed, headers=headers)
    assert response.status_code == 409 and _code(response) == "idempotency_key_reused"
    assert bronze_count(bank.engine) == 3


def test_idempotency_keys_are_scoped_to_the_api_key(
    client: TestClient, bank: Databank, new_key: Key
) -> None:
    """Two API keys may use the same Idempotency-Key independently."""
    body = envelope(transactions(2))
    one = client.post(INGEST, json=body, headers={**new_key(), "Idempotency-Key": "same"})
    two = client.post(INGEST, json=body, headers={**new_key(), "Idempotency-Key": "same"})
    assert one.status_code == two.status_code == 200
    assert one.json()["batch_id"] != two.json()["batch_id"]


def test_expired_idempotency_records_are_purged(
    client: TestClient, bank: Databank, new_key: Key
) -> None:
    """Past the retention a key is forgotten: purge removes it and the key can be used again."""
    headers = {**new_key(), "Idempotency-Key": "old"}
    first = client.post(INGEST, json=envelope(transactions(1)), headers=headers).json()
    service = client.app.state.ingestion  # type: ignore[attr-defined]
    assert service.idempotency.retention == timedelta(hours=24)
    assert service.purge()["idempotency_keys"] == 0
    bank.engine.execute(
        "UPDATE meta.idempotency_keys SET expires_at = created_at - INTERVAL '1 hour'"
    )
    assert service.purge()["idempotency_keys"] == 1
    again = client.post(INGEST, json=envelope(transactions(1, 1)), headers=headers)
    assert again.status_code == 200 and again.json()["batch_id"] != first["batch_id"]


def test_status_of_unknown_batch_is_404(client: TestClient, new_key: Key) -> None:
    """Unknown ids, valid UUID or not, are 404 with a JSON error."""
    for batch_id in ("00000000-0000-0000-0000-000000000000", "not-a-uuid", "x" * 300):
        response = client.get(f"/api/v1/ingestion/status/{batch_id}", headers=new_key())
        assert response.status_code == 404 and _code(response) == "batch_not_found"


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"{not json", 400, "malformed_json"),
        (b"", 400, "malformed_json"),
        (
            b'{"source_system": "s", "schema_version": "1", "data_batch": [{"a": NaN}]}',
            400,
            "malformed_json",
        ),
        (b"[1, 2]", 422, "invalid_request"),
        (b'{"schema_version": "1.0.0", "data_batch": [{}]}', 422, "invalid_request"),
        (
            b'{"source_system": "s", "schema_version": "1.0.0", "data_batch": {}}',
            422,
            "invalid_request",
        ),
        (
            b'{"source_system": "s", "schema_version": "1.0.0", "data_batch": []}',
            422,
            "invalid_request",
        ),
        (
            b'{"source_system": "s", "schema_version": "1.0.0", "data_batch": [1]}',
            422,
            "invalid_request",
        ),
        (
            b'{"source_system": 7, "schema_version": "1.0.0", "data_batch": [{}]}',
            422,
            "invalid_request",
        ),
        (
            b'{"source_system": "s", "schema_version": "1", "data_batch": [{}], "quality_checks": "yes"}',
            422,
            "invalid_request",
        ),
    ],
)
def test_bad_requests_get_clear_errors(
    client: TestClient, bank: Databank, new_key: Key, content: bytes, status: int, code: str
) -> None:
    """Malformed JSON is 400, a wrong shape 422; nothing is stored."""
    response = client.post(
        INGEST, content=content, headers={**new_key(), "Content-Type": "application/json"}
    )
    assert response.status_code == status, response.text
    assert _code(response) == code
    assert bronze_count(bank.engine) == 0


def test_unknown_source_type_is_404_listing_valid_ones(client: TestClient, new_key: Key) -> None:
    """The 404 names the source types that exist."""
    response = client.post(
        "/api/v1/ingestion/bronze/telepathy", json=envelope(transactions(1)), headers=new_key()
    )
    assert response.status_code == 404 and _code(response) == "unknown_source_type"
    assert "transactions" in response.json()["error"]["details"]["valid"]


def test_too_many_records_is_413(client: TestClient, bank: Databank, new_key: Key) -> None:
    """More records than api_max_records: 413 before anything is written."""
    limit = bank.settings.api_max_records
    response = client.post(INGEST, json=envelope(transactions(limit + 1)), headers=new_key())
    assert response.status_code == 413 and _code(response) == "too_many_records"
    assert bronze_count(bank.engine) == 0


def test_bad_idempotency_key_header_is_400(client: TestClient, new_key: Key) -> None:
    """An over-long Idempotency-Key is refused."""
    response = client.post(
        INGEST, json=envelope(transactions(1)), headers={**new_key(), "Idempotency-Key": "k" * 201}
    )
    assert response.status_code == 400 and _code(response) == "invalid_idempotency_key"


def test_unknown_route_and_method_are_json(client: TestClient) -> None:
    """Even the framework's own errors have the JSON error shape."""
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and _code(missing) == "not_found"
    wrong = client.get(INGEST)
    assert wrong.status_code == 405 and _code(wrong) == "method_not_allowed"
