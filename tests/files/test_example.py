"""The worked example of docs/ingest-files.md, end to end on each engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from tests.files.conftest import bronze_count

from databank.context import Databank
from databank.ingestion.files import ingest_file, load_mapping

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CSV = EXAMPLES / "shop_orders_nl.csv"
MAPPING = EXAMPLES / "shop_orders_nl.toml"


def _stored(bank: Databank) -> dict[str, dict[str, Any]]:
    rows = bank.engine.fetch_rows(
        "SELECT transaction_data, validation_status FROM bronze.scout_raw_transactions"
    )
    out = {}
    for data, status in rows:
        payload = data if isinstance(data, dict) else orjson.loads(data)
        out[payload["transaction_id"]] = {**payload, "_status": status}
    return out


def test_shop_export_passes_the_transactions_contract(bank: Databank) -> None:
    """All 12 lines of the Dutch shop export pass; returns become refunds; a re-run adds nothing."""
    mapping = load_mapping(MAPPING)
    summary = ingest_file(bank.bronze, CSV, source_type="transactions", mapping=mapping)
    assert summary.records == 12
    assert (summary.passed, summary.failed, summary.pending) == (12, 0, 0), summary.errors
    assert summary.source_system == "file:shop_orders_nl"
    stored = _stored(bank)
    assert {r["_status"] for r in stored.values()} == {"passed"}
    refund = stored["NL-R-100235-1"]
    assert refund["transaction_type"] == "refund"
    assert refund["amount"] == -1249.0 and refund["quantity"] == -1
    assert refund["original_transaction_id"] == "NL-100235-1"
    assert refund["timestamp"] == "2025-01-12T15:11:00+01:00"
    sale = stored["NL-100235-1"]
    assert (sale["amount"], sale["channel"], sale["region"], sale["payment_method"]) == (
        1249.0,
        "marketplace",
        "east",
        "card",
    )
    assert stored["NL-100231-1"]["currency"] == "EUR"
    assert "Omschrijving" not in sale  # drop_unmapped
    # 249,00 + 29,90 + 24,50 + 224,10 + 119,85 + 1.249,00 - 14,95 + 59,80 + 12,99 + 39,95
    # - 1.249,00 + 49,00 in the export's own notation
    assert round(sum(r["amount"] for r in stored.values()), 2) == 794.14

    again = ingest_file(bank.bronze, CSV, source_type="transactions", mapping=mapping)
    assert again.batch_ids == summary.batch_ids
    assert again.passed == 0
    assert bronze_count(bank) == 12


def test_crm_export_with_nested_address_passes_the_customers_contract(bank: Databank) -> None:
    """The German CRM export: nested address, day-first dates, ja/nein flags, PII pseudonymised."""
    summary = ingest_file(
        bank.bronze,
        EXAMPLES / "crm_kunden_de.csv",
        source_type="customers",
        mapping=load_mapping(EXAMPLES / "crm_kunden_de.toml"),
    )
    assert (summary.records, summary.passed, summary.failed) == (4, 4, 0), summary.errors
    rows = bank.engine.fetch_rows(
        "SELECT customer_data, pii_masked FROM bronze.scout_raw_customers"
    )
    stored = {}
    for data, masked in rows:
        payload = data if isinstance(data, dict) else orjson.loads(data)
        assert masked is True
        stored[payload["customer_id"]] = payload
    munich = stored["DE-1002"]
    assert munich["address"]["city"] == "München" and munich["address"]["country"] == "DE"
    assert munich["birth_date"] == "1975-11-30" and munich["marketing_consent"] is False
    assert munich["updated_at"] == "2025-01-02T17:45:00+01:00"
    assert munich["email"] != "j.schmidt@example.com"  # pseudonymised at bronze
    assert munich["address"]["street"] != "Hauptstraße 5"
    assert stored["DE-1003"]["gender"] == "other" and "birth_date" not in stored["DE-1003"]
