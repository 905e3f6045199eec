"""API fixtures: a `Databank` on each engine, a TestClient with its lifespan, API keys, records."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from databank.api.app import create_app
from databank.auth import KeyStore
from databank.context import Databank
from databank.engines import Engine
from databank.settings import load_settings

INGEST = "/api/v1/ingestion/bronze/transactions"


def transactions(count: int, start: int = 0, prefix: str = "txn") -> list[dict[str, Any]]:
    """Valid transaction records (docs/source-records.md) with unique transaction ids."""
    return [
        {
            "transaction_id": f"{prefix}_{i}",
            "customer_id": f"cust_{i % 97}",
            "product_id": f"prod_{i % 31}",
            "timestamp": f"2025-01-{1 + i % 28:02d}T10:{i % 60:02d}:00Z",
            "amount": round(5 + (i % 1000) * 0.37, 2),
            "currency": "EUR",
            "quantity": 1 + i % 3,
            "channel": "online",
            "region": "north",
            "payment_method": "card",
        }
        for i in range(start, start + count)
    ]


def envelope(records: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """An IngestionRequest body."""
    return {
        "source_system": "ecommerce_platform",
        "schema_version": "1.0.0",
        "data_batch": records,
        **extra,
    }


def make_bank(engine: Engine, tmp_path: Path, **settings: Any) -> Databank:
    """A `Databank` over the test's engine."""
    settings.setdefault("pii_key", "test-pseudonymisation-key")
    return Databank(load_settings(data_dir=tmp_path, engine=engine.url, **settings), engine=engine)


@pytest.fixture
def bank(engine: Engine, tmp_path: Path) -> Databank:
    """A `Databank` on each engine, schema migrated."""
    return make_bank(engine, tmp_path)


@pytest.fixture
def client(bank: Databank) -> Iterator[TestClient]:
    """A TestClient over the app, lifespan (migrations, queue worker) running."""
    with TestClient(create_app(bank)) as test_client:
        yield test_client


@pytest.fixture
def new_key(bank: Databank) -> Callable[..., dict[str, str]]:
    """Make an API key with the given scopes; returns its Authorization header."""

    def make(*scopes: str) -> dict[str, str]:
        _, plaintext = KeyStore(bank.engine).create(list(scopes or ("ingest", "read")))
        return {"Authorization": f"Bearer {plaintext}"}

    return make


def bronze_count(engine: Engine, table: str = "bronze.scout_raw_transactions") -> int:
    """Rows in a bronze table."""
    return engine.count_rows(table)


def key_for_server(engine_url: str, *scopes: str) -> dict[str, str]:
    """Migrate the database at `engine_url` and make a key, closing the engine before a server
    opens it (a DuckDB file has one writer process)."""
    from databank.engines import connect
    from databank.migrations.runner import migrate

    with connect(engine_url) as engine:
        migrate(engine)
        _, plaintext = KeyStore(engine).create(list(scopes or ("ingest", "read")))
    return {"Authorization": f"Bearer {plaintext}"}
