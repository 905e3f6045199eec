"""Benchmark: `BronzeWriter.write_batch` records/s on DuckDB and PostgreSQL (validation on).

Prints one JSON object. Batches of 1,000 transactions records (docs/source-records.md), each batch
its own transaction, into a freshly migrated database. The baseline, measured in the same run on
another fresh database of the same engine: plain `append_arrow` of pre-built bronze rows (ids,
payload JSON and envelope already computed), one transaction per batch, no validation, hashing,
dedup or meta rows. `writer_in_memory` is the in-memory part alone (`prepare`: canonical JSON,
hash, contract checks, pseudonymisation), without any database, next to JSON + hash alone.

    .venv/bin/python bench/bronze_writer.py [--batches 60] [--batch-size 1000] [--pg URL]

PostgreSQL gets a temporary database on the server of `--pg` (default: DATABANK_TEST_PG or
postgresql://postgres@127.0.0.1:5432/postgres), dropped afterwards; skipped if unreachable.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from databank.engines import connect
from databank.ingestion.contract import ContractRegistry
from databank.ingestion.pii import Pseudonymiser
from databank.ingestion.prepare import prepare
from databank.ingestion.writer import BronzeWriter
from databank.migrations.runner import migrate
from databank.settings import Settings

TABLE = "bronze.scout_raw_transactions"


def records(batch: int, size: int) -> list[dict[str, Any]]:
    """One batch of valid, distinct transactions (a tenth carry a customer e-mail: PII)."""
    out = []
    for j in range(size):
        i = batch * size + j
        record = {
            "transaction_id": f"txn_{i:09d}",
            "customer_id": f"cust_{i % 9973}",
            "product_id": f"prod_{i % 503}",
            "timestamp": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
            "amount": round(5 + (i % 1000) * 0.37, 2),
            "currency": ("EUR", "USD", "GBP", "SEK", "PLN")[i % 5],
            "quantity": 1 + i % 3,
            "transaction_type": "sale",
            "channel": ("online", "store", "mobile_app", "marketplace")[i % 4],
            "region": ("north", "south", "east", "west", "central")[i % 5],
            "payment_method": ("card", "paypal", "bank_transfer", "cash", "voucher")[i % 5],
            "discount_applied": 0,
            "tax_amount": round((i % 1000) * 0.07, 2),
            "session_id": f"sess_{i // 3}",
        }
        if i % 10 == 0:
            record["customer_email"] = f"person{i % 9973}@example.com"
        out.append(record)
    return out


def prebuilt(batch: list[dict[str, Any]]) -> pa.Table:
    """Bronze rows for the baseline, built before the clock starts."""
    n = len(batch)
    payloads = [orjson.dumps(r, option=orjson.OPT_SORT_KEYS).decode() for r in batch]
    return pa.table(
        {
            "id": [str(uuid.uuid4()) for _ in batch],
            "source_system": ["bench"] * n,
            "transaction_data": payloads,
            "validation_status": ["passed"] * n,
            "quality_score": [1.0] * n,
            "schema_version": ["1.0.0"] * n,
            "partition_key": [r["timestamp"][:10] for r in batch],
            "batch_id": ["baseline"] * n,
            "record_key": [r["transaction_id"] for r in batch],
            "payload_hash": [hashlib.sha256(p.encode()).hexdigest() for p in payloads],
            "record_index": list(range(n)),
        }
    )


def timed(
    batches: list[list[dict[str, Any]]], write: Callable[[list[dict[str, Any]]], Any]
) -> float:
    started = time.perf_counter()
    for batch in batches:
        write(batch)
    return time.perf_counter() - started


def measure(
    url: str,
    fresh: Callable[[], Iterator[str]],
    batches: list[list[dict[str, Any]]],
    settings: Settings,
) -> dict[str, Any]:
    """Writer and baseline on two fresh databases of one engine."""
    total = sum(len(b) for b in batches)
    with fresh() as writer_url:  # type: ignore[attr-defined]
        engine = connect(writer_url)
        migrate(engine)
        writer = BronzeWriter(engine, settings)
        writer.write_batch("transactions", records(10**6, 10), source_system="warmup")
        results = []
        seconds = timed(
            batches,
            lambda b: results.append(writer.write_batch("transactions", b, source_system="bench")),
        )
        assert sum(r.passed for r in results) == total, "every record must pass"
        again = timed(
            batches[:5], lambda b: writer.write_batch("transactions", b, source_system="bench")
        )
        stored = engine.count_rows(TABLE)
        engine.close()
    tables = [prebuilt(b) for b in batches]
    with fresh() as base_url:  # type: ignore[attr-defined]
        engine = connect(base_url)
        migrate(engine)

        def append(table: pa.Table) -> None:
            with engine.transaction():
                engine.append_arrow(TABLE, table)

        base_seconds = timed(tables, append)  # type: ignore[arg-type]
        engine.close()
    redelivered = sum(len(b) for b in batches[:5])
    return {
        "records": total,
        "stored_rows": stored,
        "writer_records_per_s": round(total / seconds),
        "baseline_records_per_s": round(total / base_seconds),
        "writer_vs_baseline": round(base_seconds / seconds, 3),
        "writer_ms_per_batch": round(seconds / len(batches) * 1000, 3),
        "baseline_ms_per_batch": round(base_seconds / len(batches) * 1000, 3),
        "redelivery_records_per_s": round(redelivered / again),
    }


def duckdb_fresh(root: Path) -> Callable[[], Any]:
    @contextmanager
    def fresh() -> Iterator[str]:
        yield f"duckdb:///{root / (uuid.uuid4().hex + '.duckdb')}"

    return fresh


def pg_fresh(admin_url: str) -> Callable[[], Any]:
    import psycopg

    @contextmanager
    def fresh() -> Iterator[str]:
        name = f"databank_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield admin_url.rsplit("/", 1)[0] + f"/{name}"
        finally:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return fresh


def cpu_only(batches: list[list[dict[str, Any]]]) -> dict[str, float]:
    """Microseconds per record of the writer's in-memory work (no database), wall and CPU time,
    next to what canonical JSON + SHA-256 alone cost (the floor any deduplicating writer pays)."""
    contract = ContractRegistry().get("transactions", "1.0.0")
    pseudo = Pseudonymiser(b"bench-key")
    count = sum(len(b) for b in batches)
    wall, cpu = time.perf_counter(), time.process_time()
    for batch in batches:
        prepare(
            batch,
            contract,
            pseudo,
            source_system="bench",
            quality_checks=True,
            fallback_date="2025-01-01",
        )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    floor = time.process_time()
    for batch in batches:
        for record in batch:
            hashlib.sha256(orjson.dumps(record, option=orjson.OPT_SORT_KEYS)).hexdigest()
    floor = time.process_time() - floor
    return {
        "wall_us_per_record": round(wall / count * 1e6, 3),
        "cpu_us_per_record": round(cpu / count * 1e6, 3),
        "json_and_hash_only_cpu_us_per_record": round(floor / count * 1e6, 3),
    }


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument(
        "--pg",
        default=os.environ.get("DATABANK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args(argv)
    batches = [records(b, args.batch_size) for b in range(args.batches)]
    report: dict[str, Any] = {
        "benchmark": "bronze_writer.write_batch (transactions, validation on, 1 transaction/batch)",
        "batch_size": args.batch_size,
        "batches": args.batches,
        "writer_in_memory": cpu_only(batches),
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": sys.version.split()[0],
            "duckdb": duckdb.__version__,
            "load_average": [round(x, 2) for x in os.getloadavg()],
        },
    }
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", pii_key="bench-key")
        report["duckdb"] = measure("duckdb", duckdb_fresh(Path(tmp)), batches, settings)
        try:
            import psycopg

            with psycopg.connect(args.pg, autocommit=True, connect_timeout=3) as admin:
                version = admin.execute("SHOW server_version").fetchone()
            report["machine"]["postgresql"] = version[0] if version else None
        except Exception as exc:  # no server: report it instead of failing the whole run
            report["postgresql"] = {"skipped": f"PostgreSQL not reachable: {exc}".splitlines()[0]}
        else:
            report["postgresql"] = measure("postgresql", pg_fresh(args.pg), batches, settings)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
