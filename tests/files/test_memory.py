"""Constant memory: 500,000 records stream through in bounded RSS (measured in a subprocess).

Each run measures the peak RSS (`ru_maxrss`) once the first 50,000 records are through (imports,
buffers and engine caches warmed up) and again at the end. A reader that loaded the file would grow
by hundreds of MB (500k dicts); a streaming one stays within a few MB of the warm-up peak.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import orjson
import pytest
from tests.files.conftest import transaction

RECORDS = 500_000
MAX_GROWTH_MB = 40

READ_ONLY = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    from databank.ingestion.files.ingest import rows_of
    from databank.ingestion.files.mapping import Mapping
    from databank.ingestion.files.source import open_source

    def peak_mb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    count, warm = 0, None
    with open_source(Path(sys.argv[1])) as opened:
        for row in rows_of(opened, Mapping(), 1 << 24):
            count += row.data is not None
            if count == 50_000:
                warm = peak_mb()
    print(json.dumps({"records": count, "warm_mb": warm, "end_mb": peak_mb()}))
    """
)

FULL = textwrap.dedent(
    """
    import json, resource, sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[4])
    from databank.context import Databank
    from databank.ingestion.files import ingest_file
    from databank.settings import load_settings
    from tests.files.conftest import transaction

    def peak_mb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    marks = {}
    def progress(done, total, records):
        if records >= 50_000 and "warm" not in marks:
            marks["warm"] = peak_mb()

    settings = load_settings(engine=sys.argv[2], data_dir=sys.argv[3], pii_key="k")
    started = time.perf_counter()
    with Databank(settings) as bank:
        bank.init()
        if sys.argv[1] == "generated":  # the baseline: the same records made in memory
            for start in range(0, 500_000, 5000):
                batch = [transaction(i) for i in range(start, start + 5000)]
                bank.bronze.write_batch("transactions", batch, source_system="generated")
                progress(0, 0, start + 5000)
            records = passed = 500_000
        else:
            s = ingest_file(bank.bronze, Path(sys.argv[1]), source_type="transactions",
                            batch_size=5000, on_progress=progress)
            records, passed = s.records, s.passed
        stored = bank.engine.count_rows("bronze.scout_raw_transactions")
    print(json.dumps({"records": records, "passed": passed, "stored": stored,
                      "warm_mb": marks["warm"], "end_mb": peak_mb(),
                      "seconds": time.perf_counter() - started}))
    """
)


def _write_file(path: Path, fmt: str) -> None:
    with path.open("wb") as out:
        if fmt == "csv":
            out.write(b"transaction_id,customer_id,product_id,timestamp,amount,currency\n")
        elif fmt == "json":
            out.write(b"[")
        for i in range(RECORDS):
            record = transaction(i)
            if fmt == "csv":
                out.write(
                    ",".join(
                        str(record[k])
                        for k in (
                            "transaction_id",
                            "customer_id",
                            "product_id",
                            "timestamp",
                            "amount",
                            "currency",
                        )
                    ).encode()
                    + b"\n"
                )
            elif fmt == "json":
                out.write((b"," if i else b"") + orjson.dumps(record))
            else:
                out.write(orjson.dumps(record) + b"\n")
        if fmt == "json":
            out.write(b"]")


def _run(script: str, *args: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_readers_stream_500k_records_in_bounded_memory(tmp_path: Path, fmt: str) -> None:
    """Each reader gets through 500k records with flat peak RSS."""
    path = tmp_path / f"big.{fmt}"
    _write_file(path, fmt)
    assert path.stat().st_size > 25_000_000
    report = _run(READ_ONLY, str(path))
    assert report["records"] == RECORDS
    assert report["end_mb"] - report["warm_mb"] < MAX_GROWTH_MB, report


@pytest.mark.slow
@pytest.mark.timeout(1200)  # two 500k-record runs through the writer
def test_ingest_500k_json_array_in_bounded_memory(tmp_path: Path) -> None:
    """The whole path (reader, BronzeWriter, DuckDB) on a 500k-record JSON array grows no more than
    writing the same records made in memory does.

    The writer's dedup filter and DuckDB's buffer cache grow with the rows stored, by design; the
    baseline run measures that growth, and the file run may add at most MAX_GROWTH_MB to it.
    """
    path = tmp_path / "big.json"
    _write_file(path, "json")
    root = str(Path(__file__).resolve().parents[2])
    base = _run(FULL, "generated", f"duckdb:///{tmp_path / 'base.duckdb'}", str(tmp_path), root)
    report = _run(FULL, str(path), f"duckdb:///{tmp_path / 'file.duckdb'}", str(tmp_path), root)
    assert report["records"] == report["passed"] == report["stored"] == RECORDS
    assert base["stored"] == RECORDS
    file_growth = report["end_mb"] - report["warm_mb"]
    base_growth = base["end_mb"] - base["warm_mb"]
    assert file_growth - base_growth < MAX_GROWTH_MB, (report, base)
    print(json.dumps({"file": report, "generated_baseline": base}))
