"""The engine interface behaves the same on DuckDB and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pyarrow as pa
import pytest

from databank.engines import Engine, connect
from databank.errors import ConfigError


def _rows(n: int, day: dt.date) -> pa.Table:
    return pa.table(
        {
            "id": [str(uuid.uuid4()) for _ in range(n)],
            "source_system": ["shop"] * n,
            "transaction_data": ['{"amount": 1.5, "note": "caf\\u00e9, \\"quoted\\"\\n"}'] * n,
            "partition_key": [day] * n,
            "quality_score": [0.75] * n,
        }
    )


def test_append_and_fetch_arrow_round_trip(engine: Engine) -> None:
    """Rows appended from Arrow come back with their values (JSON text kept exactly)."""
    data = _rows(3, dt.date(2025, 1, 2))
    assert engine.append_arrow("bronze.scout_raw_transactions", data) == 3
    back = engine.fetch_arrow(
        "SELECT id, transaction_data, partition_key, quality_score FROM bronze.scout_raw_transactions ORDER BY id"
    )
    assert back.num_rows == 3
    assert sorted(map(str, back.column("id").to_pylist())) == sorted(data.column("id").to_pylist())
    import orjson

    assert orjson.loads(back.column("transaction_data")[0].as_py()) == {
        "amount": 1.5,
        "note": 'café, "quoted"\n',
    }
    assert back.column("partition_key")[0].as_py() == dt.date(2025, 1, 2)
    assert float(back.column("quality_score")[0].as_py()) == 0.75


def test_append_arrays_and_nulls(engine: Engine) -> None:
    """List columns and nulls survive an Arrow append (COPY on PostgreSQL)."""
    data = pa.table(
        {
            "id": [str(uuid.uuid4()), str(uuid.uuid4())],
            "quality_flags": [["a,b", 'say "hi"', "back\\slash"], None],
            "data_lineage": [None, ""],
        }
    )
    engine.append_arrow("bronze.scout_raw_customers", data)
    rows = engine.fetch_rows(
        "SELECT quality_flags, data_lineage FROM bronze.scout_raw_customers ORDER BY data_lineage NULLS FIRST"
    )
    assert rows[0] == (["a,b", 'say "hi"', "back\\slash"], None)
    assert rows[1] == (None, "")


def test_transaction_rolls_back(engine: Engine) -> None:
    """An exception inside `transaction()` undoes every statement of the block."""
    with pytest.raises(RuntimeError), engine.transaction():
        engine.append_arrow("bronze.scout_raw_transactions", _rows(5, dt.date(2025, 1, 1)))
        engine.execute(
            "INSERT INTO bronze.scout_raw_events (id) VALUES ($i)", {"i": str(uuid.uuid4())}
        )
        raise RuntimeError("stop")
    assert engine.count_rows("bronze.scout_raw_transactions") == 0
    assert engine.count_rows("bronze.scout_raw_events") == 0
    with engine.transaction():
        engine.append_arrow("bronze.scout_raw_transactions", _rows(2, dt.date(2025, 1, 1)))
    assert engine.count_rows("bronze.scout_raw_transactions") == 2


def test_write_returns_the_rows_it_wrote(engine: Engine) -> None:
    """INSERT … SELECT, UPDATE and DELETE report their row counts (0 when nothing matched)."""
    engine.append_arrow("bronze.scout_raw_transactions", _rows(5, dt.date(2025, 1, 1)))
    copied = engine.write(
        "INSERT INTO bronze.scout_raw_events (id, batch_id) "
        "SELECT id, 'copy' FROM bronze.scout_raw_transactions"
    )
    assert copied == 5
    assert engine.write("UPDATE bronze.scout_raw_events SET batch_id = $b", {"b": "x"}) == 5
    assert engine.write("DELETE FROM bronze.scout_raw_events WHERE batch_id = 'none'") == 0
    assert engine.write("DELETE FROM bronze.scout_raw_events") == 5


def test_replace_partitions(engine: Engine) -> None:
    """Only the named partitions are replaced."""
    engine.append_arrow("bronze.scout_raw_transactions", _rows(2, dt.date(2025, 1, 1)))
    engine.append_arrow("bronze.scout_raw_transactions", _rows(3, dt.date(2025, 1, 2)))
    engine.replace_partitions(
        "bronze.scout_raw_transactions",
        "partition_key",
        [dt.date(2025, 1, 2)],
        _rows(1, dt.date(2025, 1, 2)),
    )
    counts = dict(
        engine.fetch_rows(
            "SELECT partition_key, count(*) FROM bronze.scout_raw_transactions GROUP BY 1 ORDER BY 1"
        )
    )
    assert counts == {dt.date(2025, 1, 1): 2, dt.date(2025, 1, 2): 1}


def test_swap_table_is_atomic(engine: Engine) -> None:
    """A reader sees the old or the new contents, never a mix; staging is dropped."""
    target = "gold.scout_kpi_revenue_daily"
    engine.execute(
        "INSERT INTO gold.scout_kpi_revenue_daily (date, region, channel, total_revenue) "
        "SELECT DATE '2025-01-01' + CAST(i AS INTEGER), 'north', 'online', 1 FROM generate_series(0, 199) AS g(i)"
    )
    engine.execute(
        "CREATE TABLE gold.swap_staging AS SELECT * FROM gold.scout_kpi_revenue_daily WHERE 1 = 0"
    )
    engine.execute(
        "INSERT INTO gold.swap_staging (date, region, channel, total_revenue, created_at, updated_at) "
        "SELECT DATE '2024-01-01' + CAST(i AS INTEGER), 'south', 'store', 2, now(), now() FROM generate_series(0, 299) AS g(i)"
    )
    seen: set[tuple[int, int]] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            rows = engine.fetch_rows(
                f"SELECT count(*), CAST(sum(total_revenue) AS INTEGER) FROM {target}"
            )
            seen.add(tuple(rows[0]))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        engine.swap_table(target, "gold.swap_staging")
    finally:
        stop.set()
        thread.join()
    assert engine.count_rows(target) == 300
    assert seen <= {(200, 200), (300, 600)}
    assert not engine.table_exists("gold.swap_staging")


def test_parameters_are_bound_not_spliced(engine: Engine) -> None:
    """A value with quotes and `%` stays a value."""
    hostile = "x'); DROP TABLE bronze.scout_raw_events; -- 100%"
    engine.execute(
        "INSERT INTO bronze.scout_raw_events (id, event_type) VALUES ($i, $t)",
        {"i": str(uuid.uuid4()), "t": hostile},
    )
    assert engine.fetch_value("SELECT event_type FROM bronze.scout_raw_events") == hostile
    assert (
        engine.fetch_value(
            "SELECT count(*) FROM bronze.scout_raw_events WHERE event_type LIKE '%100%'"
        )
        == 1
    )


def test_unknown_scheme_is_a_config_error() -> None:
    """An unknown URL scheme names the known ones."""
    with pytest.raises(ConfigError, match="duckdb://"):
        connect("mysql://root@127.0.0.1/test")


def test_housekeep_checkpoints_a_long_log_between_batches(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB: a write-ahead log past the idle threshold is checkpointed, and only then, also
    while another thread's write is open (which then commits as usual). PostgreSQL: nothing."""
    if engine.dialect != "duckdb":
        engine.append_arrow("bronze.scout_raw_transactions", _rows(5, dt.date(2025, 1, 1)))
        assert engine.housekeep() is False
        return
    from pathlib import Path

    import databank.engines.duckdb as duck

    wal = Path(f"{engine.path}.wal")  # type: ignore[attr-defined]
    engine.execute("CHECKPOINT")
    engine.append_arrow("bronze.scout_raw_transactions", _rows(50, dt.date(2025, 1, 1)))
    logged = wal.stat().st_size
    monkeypatch.setattr(duck, "IDLE_CHECKPOINT_BYTES", logged + 1)
    assert engine.housekeep() is False and wal.stat().st_size == logged
    monkeypatch.setattr(duck, "IDLE_CHECKPOINT_BYTES", 1)
    opened, release = threading.Event(), threading.Event()

    def writer() -> None:
        with engine.transaction():
            engine.append_arrow("bronze.scout_raw_transactions", _rows(1, dt.date(2025, 1, 2)))
            opened.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert opened.wait(10)
        assert engine.housekeep() is True
        assert not wal.exists() or wal.stat().st_size < logged
    finally:
        release.set()
        thread.join(10)
    assert engine.count_rows("bronze.scout_raw_transactions") == 51
    assert engine.housekeep() is True  # the other write's commit logged again


@pytest.mark.postgres
def test_postgresql_sessions_run_without_jit(pg_database: str) -> None:
    """JIT compiling cost more than it saved on the runner's statements (engines/postgres.py)."""
    with connect(pg_database) as engine:
        assert engine.fetch_value("SHOW jit") == "off"
