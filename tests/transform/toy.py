"""Toy bronze data and toy models for the runner and lineage tests (real engines, no mocks).

The toy models in `fixtures/models` write real spec tables (`silver.scout_clean_transactions`,
`gold.scout_kpi_revenue_daily`, `gold.scout_kpi_product_performance`), so the runner's DDL/DML
meets the real constraints, defaults and types of each engine.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from conftest import ENGINES, drop_pg, fresh_pg_url
from databank.engines import connect
from databank.engines.base import Engine, quote_ident, quote_table
from databank.migrations.runner import migrate
from databank.schema.model import LAYERS
from databank.transform.runner import Runner

MODELS = Path(__file__).parent / "fixtures" / "models"
BRONZE = "bronze.scout_raw_transactions"
SILVER = "silver.scout_clean_transactions"
GOLD = "gold.scout_kpi_revenue_daily"
PRODUCTS = "gold.scout_kpi_product_performance"
STAMPS = ("created_at", "updated_at")


def copy_models(target: Path, *names: str) -> Path:
    """Copy the fixture models (all, or the `layer/table.sql` files named) into `target`."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(MODELS.glob("*/*.sql")):
        relative = f"{path.parent.name}/{path.name}"
        if names and relative not in names:
            continue
        (target / path.parent.name).mkdir(exist_ok=True)
        shutil.copy(path, target / relative)
    return target


def write_model(folder: Path, name: str, text: str) -> Path:
    """Write model `layer.table` into `folder` (a models directory)."""
    layer, table = name.split(".")
    path = folder / layer / f"{table}.sql"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def with_lookback(models_dir: Path, days: int) -> None:
    """Give the toy silver model in `models_dir` a lookback of `days` partitions."""
    path = models_dir / "silver" / "scout_clean_transactions.sql"
    path.write_text(
        path.read_text().replace(
            "partition_by transaction_date,", f"partition_by transaction_date,\n  lookback {days},"
        )
    )


def assert_full_refresh_keeps(engine: Engine, runner: Runner, table: str) -> None:
    """`table` as incremental runs left it equals what a full refresh of every model builds."""
    incremental = snapshot(engine, table)
    assert runner.run(full_refresh=True).status == "success"
    assert snapshot(engine, table) == incremental


class Bronze:
    """Writes toy transaction records the way bronze holds them (JSON payload + envelope)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._clock = datetime(2030, 1, 1)

    def tick(self) -> datetime:
        """A strictly increasing ingestion time (runs compare watermarks, never the wall clock)."""
        self._clock += timedelta(milliseconds=1)
        return self._clock

    def record(
        self,
        tid: str,
        day: str,
        amount: float | str,
        *,
        region: str = "north",
        channel: str = "online",
        customer: str = "c1",
        product: str = "p1",
        status: str = "passed",
        batch: str = "b1",
    ) -> dict[str, Any]:
        """One bronze row as a dict."""
        payload = {
            "transaction_id": tid,
            "customer_id": customer,
            "product_id": product,
            "timestamp": f"{day}T10:00:00Z",
            "amount": amount,
            "currency": "EUR",
            "channel": channel,
            "region": region,
        }
        return {
            "id": str(uuid.uuid4()),
            "source_system": "pos",
            "transaction_data": json.dumps(payload),
            "ingested_at": self.tick(),
            "validation_status": status,
            "quality_score": Decimal("0.95"),
            "schema_version": "1.0.0",
            "partition_key": date.fromisoformat(day),
            "batch_id": batch,
        }

    def add(self, tid: str, day: str, amount: float | str, **options: Any) -> str:
        """Insert one record; returns its bronze id."""
        row = self.record(tid, day, amount, **options)
        self.insert([row])
        return row["id"]

    def insert(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert many records in one bulk write."""
        if not rows:
            return 0
        data = pa.Table.from_pylist(list(rows))
        return self.engine.append_arrow(BRONZE, data)


def snapshot(engine: Engine, table: str, exclude: Iterable[str] = STAMPS) -> list[tuple[Any, ...]]:
    """Every row of `table` without the `exclude` columns, sorted: for whole-table comparisons."""
    skip = set(exclude)
    columns = [c for c in engine.column_types(table) if c not in skip]
    rows = engine.fetch_rows(
        f"SELECT {', '.join(map(quote_ident, columns))} FROM {quote_table(table)}"
    )
    return sorted(tuple(str(v) for v in row) for row in rows)


def rows_by(engine: Engine, table: str, key: str, columns: str = "*") -> dict[Any, tuple[Any, ...]]:
    """Rows of `table` keyed by column `key`."""
    names = list(engine.column_types(table)) if columns == "*" else columns.split(",")
    index = names.index(key)
    rows = engine.fetch_rows(
        f"SELECT {', '.join(map(quote_ident, names))} FROM {quote_table(table)}"
    )
    return {row[index]: row for row in rows}


# -- fixtures (imported by the transform and lineage conftests) ---------------------------------
@pytest.fixture(scope="session")
def duckdb_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB file migrated once per session; each test gets a copy (migrating takes seconds)."""
    path = tmp_path_factory.mktemp("template") / "template.duckdb"
    engine = connect(f"duckdb:///{path}")
    migrate(engine)
    engine.close()
    return path


@pytest.fixture(scope="session")
def pg_template(pg_server: str) -> Iterator[tuple[str, set[str]]]:
    """A PostgreSQL database migrated once per session (and its tables), emptied before each test."""
    url, name = fresh_pg_url(pg_server)
    engine = connect(url)
    migrate(engine)
    baseline = _tables(engine)
    engine.close()
    yield url, baseline
    drop_pg(name)


_KEEP = {"meta.schema_migrations", "meta.neural_schema_evolution"}


def _tables(engine: Engine) -> set[str]:
    return {f"{layer}.{t}" for layer in LAYERS for t in engine.table_names(layer)}


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An open, migrated, empty database on each engine: the root `engine` fixture's contract, served
    faster (migrating takes seconds here): a copy of a migrated DuckDB file, or a migrated PostgreSQL
    database emptied table by table (creating a database per test takes seconds too)."""
    if request.param == "duckdb":
        target = tmp_path / "test.duckdb"
        shutil.copy(request.getfixturevalue("duckdb_template"), target)
        engine = connect(f"duckdb:///{target}")
        yield engine
        engine.close()
        return
    url, baseline = request.getfixturevalue("pg_template")
    engine = connect(url)
    for table in sorted(_tables(engine) - baseline):
        engine.execute(f"DROP TABLE IF EXISTS {quote_table(table)}")
    for table in sorted(baseline - _KEEP):  # DELETE: TRUNCATE rewrites files and is far slower here
        engine.execute(f"DELETE FROM {quote_table(table)}")
    try:
        yield engine
    finally:
        engine.close()


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    """The fixture models in a folder of this test's own (tests may add or edit models)."""
    return copy_models(tmp_path / "models")


@pytest.fixture
def bronze(engine: Engine) -> Bronze:
    """Writes toy bronze transactions."""
    return Bronze(engine)


@pytest.fixture
def runner(engine: Engine, models_dir: Path) -> Runner:
    """A runner over the toy models (no OpenLineage events)."""
    return Runner(engine, models_dir)
