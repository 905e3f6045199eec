"""A DuckDB file stays openable after a crash that leaves its write-ahead log un-checkpointed,
whatever DDL the runner and the migrations wrote into it (DuckDB 1.5.5 cannot replay
`ALTER COLUMN … SET DEFAULT now()`: the file could not be opened again)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from databank.engines import connect

SETUP = """
import os, uuid
from databank.engines import connect
from databank.migrations.runner import migrate
engine = connect("duckdb:///{path}")
migrate(engine)
engine.execute("CHECKPOINT")  # everything below lives in the WAL only
"""


def _crash_after(path: Path, body: str) -> None:
    """Run the migrations, then `body`, then exit without closing (no checkpoint)."""
    script = SETUP.format(path=path) + textwrap.dedent(body) + "\nos._exit(0)\n"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert Path(f"{path}.wal").exists()


def test_a_full_refresh_swap_replays(tmp_path: Path) -> None:
    path = tmp_path / "swap.duckdb"
    _crash_after(
        path,
        """
        table, staging = "gold.scout_kpi_customer_metrics", "gold.scout_kpi_customer_metrics__next"
        engine.create_like(table, staging)
        engine.execute(f"INSERT INTO {staging} (date, customer_tier, total_customers) "
                       "VALUES (DATE '2025-01-01', 'gold', 7)")
        engine.swap_table(table, staging)
        """,
    )
    with connect(f"duckdb:///{path}") as engine:
        rows = engine.fetch_rows(
            "SELECT customer_tier, total_customers, created_at IS NOT NULL "
            "FROM gold.scout_kpi_customer_metrics"
        )
        assert rows == [("gold", 7, True)]
        assert not engine.table_exists("gold.scout_kpi_customer_metrics__next")


def test_dropping_keys_replays(tmp_path: Path) -> None:
    path = tmp_path / "keys.duckdb"
    _crash_after(
        path,
        """
        engine.execute("CREATE TABLE meta.keyed (id UUID PRIMARY KEY, n INTEGER NOT NULL, "
                       "made TIMESTAMP DEFAULT now(), s VARCHAR DEFAULT 'x')")
        engine.execute("INSERT INTO meta.keyed (id, n) VALUES (gen_random_uuid(), 1)")
        engine.drop_keys("meta.keyed")
        engine.execute("INSERT INTO meta.keyed (id, n) VALUES (gen_random_uuid(), 2)")
        """,
    )
    with connect(f"duckdb:///{path}") as engine:
        assert engine.unique_keys("meta.keyed") == ()
        rows = engine.fetch_rows("SELECT n, made IS NOT NULL, s FROM meta.keyed ORDER BY n")
        assert rows == [(1, True, "x"), (2, True, "x")]
