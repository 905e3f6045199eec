"""silver.scout_clean_customers: one row per person across sources, LTV, tier, channel, no raw PII."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from decimal import Decimal

from databank.context import Databank
from databank.engines import Engine
from databank.transform.runner import Runner
from models.silver.conftest import PII_KEY
from models.silver.helpers import ok, rows, write

CUSTOMERS = "silver.scout_clean_customers"
RAW_PII = (
    "ann@example.com",
    "annie",
    "lee",
    "33 1 23",
    "1 main st",
    "bob@example.com",
    "cy@example.com",
)


def _token(value: str) -> str:
    """The BronzeWriter's pseudonym (e-mail and names: trimmed and case-folded), computed here."""
    text = " ".join(value.split()).casefold()
    return "pii_" + hmac.new(PII_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()[:32]


def _person(email: str) -> str:
    return "cus_" + _token(email)[4:]


def _tx(tid: str, customer: str, amount: float, channel: str, **extra: object) -> dict:
    return {
        "transaction_id": tid,
        "customer_id": customer,
        "product_id": "P1",
        "amount": amount,
        "timestamp": "2024-03-15T10:00:00Z",
        "currency": "EUR",
        "channel": channel,
        **extra,
    }


def _write_people(bank: Databank) -> None:
    write(
        bank,
        "customers",
        [
            {
                "customer_id": "C1",
                "email": "ann@example.com",
                "first_name": "Ann",
                "last_name": "Lee",
                "phone": "+33 1 23 45 67 89",
                "registration_date": "2024-01-05",
                "gender": "female",
                "updated_at": "2024-02-01T10:00:00Z",
                "marketing_consent": True,
                "preferred_channel": "store",
                "address": {"street": "1 Main St", "city": "Paris", "country": "FR"},
            },
            {
                "customer_id": "C2",
                "email": "bob@example.com",
                "registration_date": "2024-02-02",
                "preferred_channel": "mobile_app",
            },
            {"customer_id": "C4", "email": "cy@example.com", "registration_date": "2024-02-03"},
            {"customer_id": "C3", "registration_date": "2024-02-02"},  # no e-mail: fails
        ],
        source_system="shop",
        failed=1,
    )
    write(
        bank,
        "customers",
        [
            {
                "customer_id": "CRM-9",
                "email": "Ann@Example.COM",
                "first_name": "Annie",
                "registration_date": "2023-06-01",
                "updated_at": "2024-05-01T00:00:00+02:00",
                "marketing_consent": False,
            },
        ],
        source_system="crm",
    )


def test_one_person_across_sources(bank: Databank, engine: Engine, runner: Runner) -> None:
    _write_people(bank)
    write(
        bank,
        "transactions",
        [
            _tx("T1", "C1", 100, "online"),
            _tx("T2", "CRM-9", 300, "store"),
            _tx("T3", "CRM-9", -50, "store", transaction_type="refund"),
            _tx("T4", "C1", 200, "online"),
            _tx("T5", "C4", 3000, "store"),
            _tx("T6", "C4", 3000, "mobile_app"),
        ],
    )
    ok(runner.run())

    ann, bob, cy = _person("ann@example.com"), _person("bob@example.com"), _person("cy@example.com")
    got = rows(engine, CUSTOMERS, "customer_id")
    assert sorted(got) == sorted([ann, bob, cy])  # C1 and CRM-9 are one person, C3 failed
    a = got[ann]
    assert a["email"] == _token("ann@example.com")
    assert a["first_name"] == _token("Annie")  # the most recently updated record (CRM) gives them
    assert a["last_name"] is None and a["marketing_consent"] is False
    assert a["registration_date"] == date(2023, 6, 1)  # the earliest registration
    crm_row = engine.fetch_value(
        "SELECT id FROM bronze.scout_raw_customers WHERE record_key = 'CRM-9'"
    )
    assert a["source_bronze_id"] == str(crm_row)
    # LTV: 100 + 300 - 50 + 200, refunds netted; sales by channel online 2, store 1
    assert (a["lifetime_value"], a["customer_tier"], a["preferred_channel"]) == (
        Decimal("550.00"),
        "silver",
        "online",
    )
    # no transactions: LTV 0, bronze tier, the channel the record declares
    assert (
        got[bob]["lifetime_value"],
        got[bob]["customer_tier"],
        got[bob]["preferred_channel"],
    ) == (Decimal(0), "bronze", "mobile_app")
    # a tie in sales per channel goes to the first channel name; 6000 EUR is platinum
    assert (got[cy]["lifetime_value"], got[cy]["customer_tier"], got[cy]["preferred_channel"]) == (
        Decimal("6000.00"),
        "platinum",
        "mobile_app",
    )
    # transactions from either source attach to the person
    people = {
        t: r["customer_id"]
        for t, r in rows(engine, "silver.scout_clean_transactions", "transaction_id").items()
    }
    assert people == {"T1": ann, "T2": ann, "T3": ann, "T4": ann, "T5": cy, "T6": cy}
    mapping = rows(engine, "meta.customer_id_map", "source_customer_id")
    assert {k: v["customer_id"] for k, v in mapping.items()} == {
        "C1": ann,
        "CRM-9": ann,
        "C2": bob,
        "C4": cy,
    }
    assert (mapping["C1"]["source_system"], mapping["CRM-9"]["source_system"]) == ("shop", "crm")


def test_no_clear_text_pii(bank: Databank, engine: Engine, runner: Runner) -> None:
    _write_people(bank)
    write(bank, "transactions", [_tx("T1", "C1", 10, "online", customer_email="ann@example.com")])
    ok(runner.run())

    for name in (CUSTOMERS, "meta.customer_id_map", "silver.scout_clean_transactions"):
        dumped = repr(engine.fetch_rows(f"SELECT * FROM {name}")).casefold()
        assert not [raw for raw in RAW_PII if raw in dumped], name
    for row in rows(engine, CUSTOMERS, "customer_id").values():
        for column in ("email", "first_name", "last_name", "phone"):
            assert row[column] is None or (
                row[column].startswith("pii_") and len(row[column]) == 36
            )
        assert (
            '"street":"pii_' in str(row["address"]).replace(" ", "").replace("'", '"')
            or row["address"] is None
        )
