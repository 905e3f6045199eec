"""`ingest_file` on each engine: batches, failures with line numbers, idempotent re-runs."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import orjson
import pytest
from tests.files.conftest import bronze_count, transaction

from databank.context import Databank
from databank.ingestion.files import FileFormatError, ingest_file, parse_map_flags


def _jsonl(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_jsonl_with_bad_lines_then_rerun(bank: Databank, tmp_path: Path) -> None:
    """Good lines pass, bad ones fail with their line numbers; a second run stores nothing new."""
    lines = [orjson.dumps(transaction(i)) for i in range(25)]
    lines.insert(4, b'{"transaction_id": "broken", ')  # line 5
    lines.insert(10, b"[1, 2, 3]")  # line 11
    lines.insert(15, orjson.dumps(transaction(99, amount="lots")))  # line 16: fails the contract
    path = _jsonl(tmp_path / "orders.jsonl", lines)

    first = ingest_file(bank.bronze, path, source_type="transactions", batch_size=10)
    assert first.records == 28
    assert first.passed == 25 and first.failed == 3 and first.duplicates == 0
    assert first.batches == 3 and first.complete
    assert first.source_system == "file:orders"
    assert first.mean_quality_score is not None and 0 < first.mean_quality_score <= 1
    where = {e["where"] for e in first.errors}
    assert {"line 5", "line 11", "line 16"} <= where
    reasons = " ".join(e["reason"] for e in first.errors)
    assert "invalid JSON (unexpected end of data" in reasons
    assert "an array, not a JSON object" in reasons
    stored = bronze_count(bank)
    assert stored == 28  # failed records are kept in bronze too

    second = ingest_file(bank.bronze, path, source_type="transactions", batch_size=10)
    assert second.batch_ids == first.batch_ids
    assert (second.passed, second.failed, second.duplicates) == (0, 0, 28)
    assert second.already_ingested == 3
    assert bronze_count(bank) == stored
    assert second.sha256 == first.sha256 and len(first.sha256) == 64


def test_batch_ids_are_deterministic_and_per_batch(bank: Databank, tmp_path: Path) -> None:
    """Batch ids depend on content and position: same file same ids, a changed batch a new id."""
    records = [transaction(i) for i in range(30)]
    path = tmp_path / "a.json"
    path.write_bytes(orjson.dumps(records))
    first = ingest_file(bank.bronze, path, source_type="transactions", batch_size=7)
    assert first.batches == math.ceil(30 / 7) and len(set(first.batch_ids)) == first.batches
    records[20]["amount"] = 1.23
    path.write_bytes(orjson.dumps(records))
    second = ingest_file(bank.bronze, path, source_type="transactions", batch_size=7)
    changed = [
        i for i, (a, b) in enumerate(zip(first.batch_ids, second.batch_ids, strict=True)) if a != b
    ]
    assert changed == [2]  # records 14..20 are batch 3
    assert second.passed == 1  # the changed record is new content; the rest are duplicates
    assert second.duplicates == 29


def test_json_array_gzip_and_csv_with_map(bank: Databank, tmp_path: Path) -> None:
    """A gzipped JSON array and a CSV mapped with --map flags land in bronze."""
    gz = tmp_path / "export.json.gz"
    gz.write_bytes(gzip.compress(orjson.dumps([transaction(i) for i in range(12)])))
    summary = ingest_file(bank.bronze, gz, source_type="transactions", batch_size=5)
    assert (summary.records, summary.passed, summary.batches) == (12, 12, 3)
    assert summary.source_system == "file:export"

    csv = tmp_path / "shop.csv"
    csv.write_text(
        "Id,Client,Sku,When,Total,Qty\n"
        "c-1,C1,P1,2025-02-01T10:00:00Z,12.50,2\n"
        "c-2,C2,P2,2025-02-01T11:00:00Z,7,1\n",
        "utf-8",
    )
    mapping = parse_map_flags(
        [
            "transaction_id=Id",
            "customer_id=Client",
            "product_id=Sku",
            "timestamp=When",
            "amount=Total",
            "quantity=Qty",
            'currency="EUR"',
        ]
    )
    summary = ingest_file(
        bank.bronze, csv, source_type="transactions", source_system="pos", mapping=mapping
    )
    assert (summary.records, summary.failed) == (2, 0), summary.errors
    assert summary.passed == 2


def test_truncated_json_array_keeps_what_came_before(bank: Databank, tmp_path: Path) -> None:
    """A JSON array cut mid-item: earlier items stored, the break recorded, complete=False."""
    data = orjson.dumps([transaction(i) for i in range(20)])
    path = tmp_path / "cut.json"
    path.write_bytes(data[: len(data) - 40])
    summary = ingest_file(bank.bronze, path, source_type="transactions", batch_size=8)
    assert not summary.complete
    assert summary.stopped_reason is not None and "truncated or invalid" in summary.stopped_reason
    assert summary.passed == 19 and summary.failed == 1
    assert summary.errors[-1]["where"] == "item 20"
    assert bronze_count(bank) == 20


def test_not_a_json_array_writes_nothing(bank: Databank, tmp_path: Path) -> None:
    """A JSON Lines file given as .json is refused before any batch is written."""
    path = _jsonl(tmp_path / "lines.json", [orjson.dumps(transaction(i)) for i in range(3)])
    with pytest.raises(FileFormatError, match="holds a JSON object, not an array"):
        ingest_file(bank.bronze, path, source_type="transactions")
    assert bronze_count(bank) == 0
