"""Group commit on DuckDB: concurrent batches share a transaction, each still whole or nothing.

DuckDB only: group commit is for single-writer engines (PostgreSQL commits concurrently itself).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.ingestion.conftest import transaction

from databank.engines import connect
from databank.engines.base import Engine
from databank.ingestion.results import BatchResult
from databank.ingestion.writer import BronzeWriter
from databank.migrations.runner import migrate
from databank.settings import Settings

TABLE = "bronze.scout_raw_transactions"


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[tuple[Engine, BronzeWriter]]:
    engine = connect(f"duckdb:///{tmp_path / 'group.duckdb'}")
    migrate(engine)
    yield engine, BronzeWriter(engine, Settings(data_dir=tmp_path / "data", pii_key="k"))
    engine.close()


def _queued(writer: BronzeWriter, count: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while len(writer._queue) < count:
        assert time.monotonic() < deadline, "the batches never queued up"
        time.sleep(0.005)


def test_waiting_batches_commit_together_and_overlaps_count_as_duplicates(
    duck: tuple[Engine, BronzeWriter], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, writer = duck
    sizes: list[int] = []
    original = writer._commit_group
    monkeypatch.setattr(writer, "_commit_group", lambda g: (sizes.append(len(g)), original(g)))
    results: dict[int, BatchResult] = {}
    # Batch k holds records 50k … 50k+59: each overlaps the next by 10 identical records.
    batches = {k: [transaction(i) for i in range(50 * k, 50 * k + 60)] for k in range(4)}

    def send(k: int) -> None:
        results[k] = writer.write_batch("transactions", batches[k], source_system="shop")

    writer._commit_lock.acquire()  # hold the leader's place so all four queue up behind it
    threads = [threading.Thread(target=send, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    _queued(writer, 4)
    writer._commit_lock.release()
    for thread in threads:
        thread.join(30)
    assert sizes == [4]
    assert engine.count_rows(TABLE) == 50 * 3 + 60
    assert sum(r.duplicates for r in results.values()) == 30
    assert all(r.passed + r.duplicates == 60 for r in results.values())
    assert engine.count_rows("meta.ingestion_batches") == 4
    logged = engine.fetch_value(
        "SELECT count(*) FROM bronze.neural_databank_raw_logs WHERE layer = 'bronze' "
        "AND operation = 'ingest:transactions'"
    )
    assert logged == 4


def test_a_failing_batch_leaves_the_rest_of_its_group_stored(
    duck: tuple[Engine, BronzeWriter],
) -> None:
    engine, writer = duck
    outcomes: dict[int, Any] = {}

    def refuse(_result: BatchResult) -> None:
        raise ValueError("the caller's own bookkeeping failed")

    def send(k: int) -> None:
        try:
            outcomes[k] = writer.write_batch(
                "transactions",
                [transaction(1000 * k + i) for i in range(20)],
                source_system="shop",
                in_transaction=refuse if k == 1 else None,
            )
        except ValueError as exc:
            outcomes[k] = exc

    writer._commit_lock.acquire()
    threads = [threading.Thread(target=send, args=(k,)) for k in range(3)]
    for thread in threads:
        thread.start()
    _queued(writer, 3)
    writer._commit_lock.release()
    for thread in threads:
        thread.join(30)
    assert isinstance(outcomes[1], ValueError)
    assert outcomes[0].passed == 20 and outcomes[2].passed == 20
    keys = {r[0] for r in engine.fetch_rows(f"SELECT record_key FROM {TABLE}")}
    assert keys == {f"txn_{i}" for i in [*range(20), *range(2000, 2020)]}


def test_many_concurrent_writers_lose_and_duplicate_nothing(
    duck: tuple[Engine, BronzeWriter],
) -> None:
    engine, writer = duck
    errors: list[BaseException] = []

    def client(c: int) -> None:
        try:
            for b in range(6):
                start = 100 * (6 * c + b)
                writer.write_batch(
                    "transactions",
                    [transaction(start + i) for i in range(100)],
                    source_system="shop",
                )
                # and a full re-delivery of the previous client's first batch
                writer.write_batch(
                    "transactions",
                    [transaction(600 * ((c + 7) % 8) + i) for i in range(100)],
                    source_system="shop",
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert engine.count_rows(TABLE) == 8 * 6 * 100
    distinct = engine.fetch_value(f"SELECT count(DISTINCT record_key) FROM {TABLE}")
    assert distinct == 4800
