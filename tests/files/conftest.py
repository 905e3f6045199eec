"""Fixtures for file ingestion: a `Databank` on each engine, and files of valid transactions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from databank.context import Databank
from databank.engines import Engine
from databank.settings import load_settings


@pytest.fixture
def bank(engine: Engine, engine_url: str, tmp_path: Path) -> Iterator[Databank]:
    """A migrated installation on the test engine (DuckDB file or fresh PostgreSQL database)."""
    settings = load_settings(engine=engine_url, data_dir=tmp_path / "data", pii_key="test-pii-key")
    yield Databank(settings, engine)


def transaction(i: int, **changes: Any) -> dict[str, Any]:
    """A transaction record that passes the 1.0.0 contract."""
    record = {
        "transaction_id": f"txn-{i:07d}",
        "customer_id": f"cust-{i % 97:04d}",
        "product_id": f"prod-{i % 13:03d}",
        "timestamp": f"2025-01-{1 + i % 28:02d}T10:{i % 60:02d}:00Z",
        "amount": round(5 + (i % 500) * 0.37, 2),
        "currency": "EUR",
        "quantity": 1 + i % 3,
        "channel": "online",
        "payment_method": "card",
    }
    record.update(changes)
    return record


def bronze_count(bank: Databank, table: str = "bronze.scout_raw_transactions") -> int:
    """Rows stored in a bronze table."""
    return bank.engine.count_rows(table)
