"""silver.scout_clean_transactions: typed, latest version, EUR to the cent, refunds, passed only."""

from __future__ import annotations

import hashlib
import hmac
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

from databank import ingestion
from databank.context import Databank
from databank.engines import Engine
from databank.ingestion.contract import ContractRegistry
from databank.reference import REPORTING_CURRENCY
from databank.transform.loader import default_models_dir
from databank.transform.runner import Runner
from models.silver.conftest import PII_KEY
from models.silver.helpers import ecb_rate, eur, ok, rows, write

TX = "silver.scout_clean_transactions"


def _tx(tid: str, ts: str, amount: float, currency: str = "EUR", **extra: object) -> dict:
    return {
        "transaction_id": tid,
        "customer_id": "C1",
        "product_id": "P1",
        "timestamp": ts,
        "amount": amount,
        "currency": currency,
        **extra,
    }


def _token(email: str) -> str:
    """The BronzeWriter's pseudonym of an e-mail, computed here with hmac (normalised: trimmed, lower)."""
    return (
        "pii_"
        + hmac.new(PII_KEY.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()[
            :32
        ]
    )


def test_typed_latest_converted_refunds(bank: Databank, engine: Engine, runner: Runner) -> None:
    write(
        bank,
        "transactions",
        [
            _tx(
                "T1",
                "2024-03-15T10:00:00Z",
                100.00,
                "USD",
                channel="online",
                region="north",
                payment_method="card",
                discount_applied=5,
                tax_amount=16.5,
                campaign_id="K1",
            ),
            _tx(
                "T2",
                "2024-03-16T09:00:00Z",
                20,
                "EUR",
                transaction_type="refund",
                original_transaction_id="T0",
                tax_amount=3.8,
                channel="store",
            ),
            _tx("T3", "2024-03-16T12:00:00Z", -12.34, "GBP"),  # a Saturday: Friday's rate
            _tx("T4", "2024-03-17T08:00:00Z", 50),
            _tx("T5", "2026-09-10T11:00:00Z", 3.63, "USD"),  # 3.63 / 1.1616 = 3.125 exactly
            _tx("T6", "2024-03-15T23:30:00-02:00", 10, "PLN", customer_email=" Bob@Example.com"),
            _tx("T7", "2024-03-18T10:00:00Z", 10, "ARS"),  # no ECB rate
            _tx("T8", "not a time", 10),  # fails validation
        ],
        failed=1,
    )
    write(
        bank,
        "transactions",
        [
            _tx("T4", "2024-03-17T08:00:00Z", 55),  # a newer version
            _tx(
                "T1", "2024-03-15T10:00:00Z", 999, "USD", payment_method="cheque"
            ),  # newer but failed
        ],
        failed=1,
    )
    write(
        bank,
        "transactions",
        [_tx("T9", "2024-03-19T10:00:00Z", 1), _tx("T9", "2024-03-19T10:00:00Z", 2)],
    )
    ok(runner.run())

    got = rows(engine, TX, "transaction_id")
    assert sorted(got) == ["T1", "T2", "T3", "T4", "T5", "T6", "T7", "T9"]  # T8 failed
    # 100 USD on 2024-03-15: ECB 1.0892 USD per EUR, 100 / 1.0892 = 91.8105… → 91.81 (by hand too)
    assert ecb_rate("USD", date(2024, 3, 15)) == Decimal("1.0892")
    t1 = got["T1"]
    assert t1["amount"] == Decimal("91.81") == eur("100.00", "USD", date(2024, 3, 15))
    assert t1["discount_applied"] == eur("5", "USD", date(2024, 3, 15)) == Decimal("4.59")
    assert t1["tax_amount"] == eur("16.5", "USD", date(2024, 3, 15)) == Decimal("15.15")
    assert (
        t1["currency"],
        t1["channel"],
        t1["region"],
        t1["payment_method"],
        t1["campaign_id"],
    ) == ("EUR", "online", "north", "card", "K1")
    assert (t1["customer_id"], t1["product_id"], t1["transaction_date"]) == (
        "C1",
        "P1",
        date(2024, 3, 15),
    )
    assert t1["data_quality_score"] == Decimal(1)
    # refunds: by type (positive amount sent) or by sign; tax follows the sign
    assert (got["T2"]["amount"], got["T2"]["tax_amount"]) == (Decimal("-20.00"), Decimal("-3.80"))
    # -12.34 GBP at 0.8541 GBP per EUR (Friday 2024-03-15) = -14.4479… → -14.45
    assert got["T3"]["amount"] == eur("-12.34", "GBP", date(2024, 3, 15)) == Decimal("-14.45")
    assert all((r["amount"] or 0) < 0 for t, r in got.items() if t in ("T2", "T3"))
    assert all(r["amount"] > 0 for t, r in got.items() if t not in ("T2", "T3", "T7"))
    # latest passed version wins; in one batch the later record wins
    assert got["T4"]["amount"] == Decimal("55.00")
    assert got["T9"]["amount"] == Decimal("2.00")
    # a half-cent is rounded away from zero exactly (binary floating point would give 3.12)
    assert got["T5"]["amount"] == Decimal("3.13") == eur("3.63", "USD", date(2026, 9, 10))
    assert round(3.63 / 1.1616, 2) == 3.12
    # UTC date of the event time; a pseudonymised e-mail gives the person id
    assert got["T6"]["transaction_date"] == date(2024, 3, 16)
    assert got["T6"]["amount"] == eur("10", "PLN", date(2024, 3, 16))
    assert got["T6"]["customer_id"] == "cus_" + _token("bob@example.com")[4:]
    # no rate for the currency: money stays NULL (the not_null test warns)
    assert got["T7"]["amount"] is None
    # the winning bronze row is the source
    source = engine.fetch_value(
        "SELECT count(*) FROM silver.scout_clean_transactions AS t JOIN bronze.scout_raw_transactions AS b "
        "ON b.id = t.source_bronze_id WHERE b.validation_status = 'passed'"
    )
    assert source == len(got)


def test_the_sql_uses_the_reporting_currency() -> None:
    sql = (default_models_dir() / "silver" / "scout_clean_transactions.sql").read_text()
    assert REPORTING_CURRENCY == "EUR"
    assert f"'{REPORTING_CURRENCY}' AS currency" in sql


def test_quantity_is_carried_as_units(bank: Databank, engine: Engine, runner: Runner) -> None:
    """Migration 0008: silver keeps the line's units, |quantity|, 1 when the record has none."""
    refund = _tx("Q2", "2024-03-15T11:00:00Z", -20, quantity=-2)  # units sent negative
    sales = [
        _tx("Q1", "2024-03-15T10:00:00Z", 30, quantity=3),
        _tx("Q3", "2024-03-15T12:00:00Z", 10),
    ]
    write(bank, "transactions", [*sales, refund])
    ok(runner.run())
    got = rows(engine, TX, "transaction_id")
    assert {t: r["quantity"] for t, r in got.items()} == {"Q1": 3, "Q2": 2, "Q3": 1}


def test_a_replayed_record_reaches_silver_in_the_next_incremental_run(
    bank: Databank, engine: Engine, runner: Runner, tmp_path: Path
) -> None:
    """Failed at ingestion, passed after a contract fix and a replay: the next run has it."""
    contracts = tmp_path / "contracts"
    shutil.copytree(Path(ingestion.__file__).parent / "contracts", contracts)
    bank.bronze.contracts = ContractRegistry(contracts)
    write(
        bank,
        "transactions",
        [
            _tx("R1", "2024-03-15T10:00:00Z", 30),
            _tx("R2", "2024-03-15T11:00:00Z", 20, channel="kiosk"),  # not an allowed channel yet
        ],
        failed=1,
    )
    ok(runner.run())
    assert set(rows(engine, TX, "transaction_id")) == {"R1"}
    contract = contracts / "transactions" / "1.0.0.toml"
    contract.write_text(contract.read_text().replace('"marketplace"]', '"marketplace", "kiosk"]'))
    bank.bronze.contracts.reload()
    assert bank.bronze.replay_failed("transactions").now_passed == 1
    report = runner.run()
    ok(report)
    assert set(rows(engine, TX, "transaction_id")) == {"R1", "R2"}
