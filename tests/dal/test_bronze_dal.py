"""`BronzeDataAccess` on each engine: ingest, batch status, and quality rules as data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from databank.context import Databank
from databank.dal.bronze import BronzeDataAccess, QualityRuleError, resolve_bronze
from databank.engines import Engine
from databank.errors import UnknownTableError
from databank.settings import load_settings


def _txn(i: int, **changes: Any) -> dict[str, Any]:
    record = {
        "transaction_id": f"t-{i:04d}",
        "customer_id": f"c-{i % 7}",
        "product_id": f"p-{i % 5}",
        "timestamp": f"2025-03-{1 + i % 28:02d}T12:00:00Z",
        "amount": 10.0 + i,
        "currency": "EUR",
        "channel": "online",
    }
    record.update(changes)
    return {k: v for k, v in record.items() if v is not None}


@pytest.fixture
def dal(engine: Engine, engine_url: str, tmp_path: Path) -> Iterator[BronzeDataAccess]:
    """A DAL over a `Databank` on the test engine."""
    settings = load_settings(engine=engine_url, data_dir=tmp_path, pii_key="dal-test-key")
    yield BronzeDataAccess(Databank(settings, engine))


def test_resolve_bronze_names() -> None:
    """Source type, table name and qualified name all resolve; others are refused."""
    expected = ("transactions", "bronze.scout_raw_transactions", "transaction_data")
    assert resolve_bronze("transactions") == expected
    assert resolve_bronze("scout_raw_transactions") == expected
    assert resolve_bronze("bronze.scout_raw_transactions") == expected
    assert resolve_bronze("logs")[1] == "bronze.neural_databank_raw_logs"
    with pytest.raises(UnknownTableError):
        resolve_bronze("silver.scout_clean_transactions")


def test_ingest_raw_data_and_status(dal: BronzeDataAccess) -> None:
    """ingest_raw_data by type or table name; get_ingestion_status reads the batch back."""
    good = [_txn(i) for i in range(8)]
    result = dal.ingest_raw_data("erp", "scout_raw_transactions", [*good, _txn(99, amount="x")])
    assert (result.records_received, result.passed, result.failed) == (9, 8, 1)
    status = dal.get_ingestion_status(str(result.batch_id))
    assert status is not None
    assert status["batch_id"] == str(result.batch_id)
    assert status["records_received"] == 9 and status["passed"] == 8 and status["failed"] == 1
    assert status["source_system"] == "erp"
    assert any(e["field"] == "amount" for e in status["errors"])
    again = dal.ingest_raw_data("erp", "transactions", good)
    assert again.passed == 0 and again.duplicates == 8
    assert dal.get_ingestion_status("00000000-0000-0000-0000-000000000000") is None


RULES: list[dict[str, Any]] = [
    {"field": "customer_id", "rule_type": "not_null", "parameters": {}},
    {"field": "amount", "rule_type": "range", "parameters": {"min": 0, "max": 15}},
    {"field": "currency", "rule_type": "format", "parameters": {"format": "currency"}},
    {
        "field": "channel",
        "rule_type": "custom",
        "parameters": {"check": "accepted_values", "values": ["online", "store"]},
    },
    {"field": "transaction_id", "rule_type": "custom", "parameters": {"check": "unique"}},
    {"field": "product_id", "rule_type": "format", "parameters": {"pattern": "p-[0-9]+"}},
    {
        "field": "product_id",
        "rule_type": "custom",
        "parameters": {"check": "length", "min": 3, "max": 3},
    },
]


def test_validate_data_quality_counts(dal: BronzeDataAccess) -> None:
    """Each rule type counts exactly the rows that break it; scores and advice follow."""
    records = [_txn(i) for i in range(10)]  # amounts 10..19: 16..19 are over 15
    records[0] = _txn(0, currency="euro")
    records[1] = _txn(1, channel="fax")
    dal.ingest_raw_data("erp", "transactions", records, quality_checks=False)
    report = dal.validate_data_quality("scout_raw_transactions", RULES)
    assert report["rows_checked"] == 10
    counts = {(v["field"], v["rule_type"]): v["violation_count"] for v in report["violations"]}
    assert counts == {("amount", "range"): 4, ("currency", "format"): 1, ("channel", "custom"): 1}
    assert report["field_scores"]["amount"] == 0.6
    assert report["field_scores"]["customer_id"] == 1.0
    assert report["field_scores"]["product_id"] == 1.0
    assert report["overall_score"] == pytest.approx((7 - 0.4 - 0.1 - 0.1) / 7, abs=1e-6)
    amount = next(v for v in report["violations"] if v["field"] == "amount")
    assert sorted(e["value"] for e in amount["examples"])[0].startswith("16")
    assert any(
        r.startswith("amount is not a number in [0, 15] in 4 of 10 rows")
        for r in report["recommendations"]
    )
    sample = dal.validate_data_quality("transactions", RULES[:1], sample_size=3)
    assert sample["rows_checked"] == 3


def test_validate_empty_table_and_logs(dal: BronzeDataAccess) -> None:
    """No rows: scores of 1 with a note; raw_logs payloads can be checked too."""
    report = dal.validate_data_quality("bronze.ces_raw_feedback", RULES[:1])
    assert report["rows_checked"] == 0 and report["overall_score"] == 1.0
    assert "no rows" in report["recommendations"][0]


BAD_RULES: list[tuple[Any, str]] = [
    ({"field": "amount; DROP TABLE x", "rule_type": "not_null"}, "not a field name"),
    ({"field": "amount", "rule_type": "sql", "parameters": {}}, "rule_type 'sql' is unknown"),
    ({"field": "amount", "rule_type": "range", "parameters": {}}, "min and/or max"),
    ({"field": "amount", "rule_type": "range", "parameters": {"min": "1; --"}}, "must be a number"),
    ({"field": "amount", "rule_type": "format", "parameters": {"format": "zip"}}, "unknown format"),
    (
        {"field": "amount", "rule_type": "format", "parameters": {"pattern": "x') OR (1"}},
        "not a valid",
    ),
    (
        {"field": "amount", "rule_type": "custom", "parameters": {"check": "sql"}},
        "custom rules need",
    ),
    ("not_null", "must be an object"),
]


def test_bad_rules_are_refused(dal: BronzeDataAccess) -> None:
    """Rules that cannot be evaluated safely are refused with the reason, before any query."""
    for rule, message in BAD_RULES:
        with pytest.raises(QualityRuleError, match=message):
            dal.validate_data_quality("transactions", [rule])
    with pytest.raises(QualityRuleError, match="no validation rules"):
        dal.validate_data_quality("transactions", [])
    with pytest.raises(QualityRuleError, match="sample_size"):
        dal.validate_data_quality("transactions", RULES, sample_size=0)


def test_hostile_values_are_only_ever_parameters(dal: BronzeDataAccess) -> None:
    """SQL in patterns and accepted values is data: it matches nothing and changes nothing."""
    dal.ingest_raw_data("erp", "transactions", [_txn(i) for i in range(3)])
    hostile = "x' OR '1'='1'; DROP TABLE bronze.scout_raw_transactions; --"
    report = dal.validate_data_quality(
        "transactions",
        [
            {
                "field": "currency",
                "rule_type": "custom",
                "parameters": {"check": "accepted_values", "values": [hostile]},
            },
            {"field": "currency", "rule_type": "format", "parameters": {"pattern": hostile}},
        ],
    )
    assert report["violations"][0]["violation_count"] == 3
    assert report["violations"][1]["violation_count"] == 3
    assert dal.bank.engine.count_rows("bronze.scout_raw_transactions") == 3


def test_constructed_from_settings(engine_url: str, tmp_path: Path) -> None:
    """BronzeDataAccess(settings) opens its own engine, and closes it."""
    settings = load_settings(engine=engine_url, data_dir=tmp_path, pii_key="k")
    with BronzeDataAccess(settings) as dal:
        dal.bank.init()
        result = dal.ingest_raw_data("crm", "transactions", [_txn(1)])
        assert result.passed == 1
        assert dal.get_ingestion_status(str(result.batch_id))["passed"] == 1  # type: ignore[index]
