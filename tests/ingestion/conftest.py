"""Ingestion fixtures: a BronzeWriter on each engine, valid records of every source type."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from databank.engines import Engine
from databank.ingestion.contract import ContractRegistry
from databank.ingestion.writer import BronzeWriter
from databank.settings import Settings

PACKAGE_CONTRACTS = Path(__file__).parents[2] / "src" / "databank" / "ingestion" / "contracts"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fixed PII key and a data dir of the test's own."""
    return Settings(data_dir=tmp_path / "data", pii_key="test-pii-key", engine=None)


@pytest.fixture
def contracts_dir(tmp_path: Path) -> Path:
    """A private copy of the package's contracts that a test may edit."""
    target = tmp_path / "contracts"
    shutil.copytree(PACKAGE_CONTRACTS, target)
    return target


@pytest.fixture
def writer(engine: Engine, settings: Settings, contracts_dir: Path) -> Iterator[BronzeWriter]:
    """A BronzeWriter on a migrated database, reading the test's copy of the contracts."""
    yield BronzeWriter(engine, settings, contracts=ContractRegistry(contracts_dir))


def transaction(i: int = 0, **over: Any) -> dict[str, Any]:
    """A valid transactions record."""
    record = {
        "transaction_id": f"txn_{i}",
        "customer_id": f"cust_{i % 7}",
        "product_id": f"prod_{i % 5}",
        "timestamp": "2025-01-12T10:30:00Z",
        "amount": 19.99,
        "currency": "EUR",
        "quantity": 1,
        "transaction_type": "sale",
        "channel": "online",
        "region": "north",
        "payment_method": "card",
        "discount_applied": 0,
        "tax_amount": 3.19,
        "session_id": f"sess_{i}",
    }
    record.update(over)
    return record


VALID: dict[str, dict[str, Any]] = {
    "transactions": transaction(1, customer_email="Alice.Example@Mail.com"),
    "customers": {
        "customer_id": "cust_1",
        "email": "alice.example@mail.com",
        "first_name": "Alice",
        "last_name": "Zyxwv",
        "phone": "+46 70 123 45 67",
        "birth_date": "1990-04-01",
        "gender": "female",
        "address": {
            "street": "Storgatan 12",
            "city": "Malmo",
            "postcode": "21122",
            "country": "SE",
        },
        "registration_date": "2024-05-06",
        "marketing_consent": True,
        "preferred_channel": "online",
        "updated_at": "2025-01-03T08:00:00+01:00",
    },
    "products": {
        "product_id": "prod_1",
        "product_name": "Trail shoe",
        "category_l1": "footwear",
        "category_l2": "running",
        "brand": "Acme",
        "price": 89.9,
        "cost": 40,
        "currency": "SEK",
        "status": "active",
        "stock_quantity": 12,
        "inventory_status": "in_stock",
        "seasonal_flags": ["summer"],
        "attributes": {"colour": "red", "size": [42, 43]},
        "updated_at": "2025-01-05T12:00:00Z",
    },
    "campaigns": {
        "campaign_id": "camp_1",
        "campaign_name": "Winter sale",
        "campaign_type": "email",
        "start_date": "2025-01-10",
        "end_date": "2025-01-31",
        "budget": 5000,
        "spent": 1250.5,
        "currency": "EUR",
        "channels": ["email", "social"],
        "objectives": ["revenue"],
        "product_ids": ["prod_1"],
        "status": "active",
        "performance_metrics": {
            "impressions": 1000,
            "clicks": 40,
            "attribution_model": "last_touch",
        },
    },
    "events": {
        "event_id": "evt_1",
        "event_type": "page_view",
        "timestamp": "2025-01-12T23:30:00-05:00",
        "session_id": "sess_1",
        "anonymous_id": "anon_1",
        "user_agent": "Mozilla/5.0",
        "properties": {"url": "/shoes", "utm_source": "newsletter"},
    },
    "feedback": {
        "feedback_id": "fb_1",
        "customer_id": "cust_1",
        "feedback_text": "Great shoes, slow delivery",
        "rating": 4,
        "nps_response": 8,
        "channel": "survey",
        "interaction_type": "delivery",
        "submitted_at": "2025-01-13T09:00:00Z",
        "language": "en",
    },
    "interactions": {
        "interaction_id": "int_1",
        "interaction_type": "ad_click",
        "customer_id": "cust_1",
        "occurred_at": "2025-01-11T10:00:00Z",
        "channel": "social",
        "customer_journey_stage": "consideration",
        "campaign_id": "camp_1",
        "touchpoint": {"placement": "feed"},
    },
    "logs": {
        "log_id": "log_1",
        "agent_id": "weather_loader",
        "layer": "bronze",
        "operation": "fetch",
        "payload": {"city": "Malmo"},
        "execution_time": 0.25,
        "status": "success",
        "created_at": "2025-01-12T06:00:00Z",
    },
}


def stored(
    engine: Engine, table: str, payload_column: str, where: str = "1=1"
) -> list[dict[str, Any]]:
    """The stored payloads of a bronze table (as dicts), plus envelope columns, in record order."""
    rows = engine.fetch_rows(
        f"SELECT CAST({payload_column} AS VARCHAR), validation_status, quality_score, record_key, "
        f"payload_hash, pii_masked, batch_id, record_index, CAST(partition_key AS VARCHAR) "
        f"FROM {table} WHERE {where} ORDER BY batch_id, record_index"
    )
    names = [
        "validation_status",
        "quality_score",
        "record_key",
        "payload_hash",
        "pii_masked",
        "batch_id",
        "record_index",
        "partition_key",
    ]
    return [{"payload": orjson.loads(r[0]), **dict(zip(names, r[1:], strict=True))} for r in rows]
