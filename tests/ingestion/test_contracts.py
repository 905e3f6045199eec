"""Contracts as data, compiled validators, the quality score (examples and properties)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.ingestion.conftest import VALID

from databank.ingestion.compiler import quality_score
from databank.ingestion.contract import ContractRegistry, parse_contract
from databank.ingestion.errors import ContractError, UnknownSchemaVersionError
from databank.ingestion.formats import code_list, event_date, is_datetime, is_email
from databank.ingestion.source_types import SOURCE_TYPES

REGISTRY = ContractRegistry()
TX = REGISTRY.get("transactions", "1.0.0")
DOC = Path(__file__).parents[2] / "docs" / "source-records.md"


def check(
    source_type: str, record: dict[str, Any]
) -> tuple[float, list[tuple[str, str, str, bool]]]:
    total, lost, errors, _n, _deep = REGISTRY.get(source_type, "1.0.0").validator(record)
    return quality_score(total, lost), errors


def test_every_source_type_has_contract_1_0_0_matching_the_doc() -> None:
    doc = DOC.read_text()
    for source_type in SOURCE_TYPES:
        contract = REGISTRY.get(source_type, "1.0.0")
        section = doc.split(f"## {source_type} ")[1].split("\n## ")[0]
        rows = [line.split("|") for line in section.splitlines() if line.startswith("| ")]
        documented = {n.strip() for r in rows[1:] for n in r[1].split(",")}
        required = {n.strip() for r in rows[1:] if "required" in r[2] for n in r[1].split(",")}
        declared = {f.name for f in contract.fields} - {"log_id"}  # log_id: the doc's natural key
        assert declared == documented, source_type
        assert {f.name for f in contract.fields if f.required} >= required, source_type
        assert contract.natural_key and f"natural key `{contract.natural_key}`" in section
    assert REGISTRY.versions("transactions") == ["1.0.0"]


@pytest.mark.parametrize("source_type", list(SOURCE_TYPES))
def test_valid_examples_pass_with_full_score(source_type: str) -> None:
    score, errors = check(source_type, VALID[source_type])
    assert errors == [] and score == 1.0


def test_reasons_name_field_and_check() -> None:
    record = dict(
        VALID["transactions"],
        amount=12.345,
        currency="eur",
        quantity="2",
        timestamp="2025-01-12 10:30:00",
        channel="fax",
        discount_applied=-1,
    )
    del record["customer_id"]
    _score, errors = check("transactions", record)
    found = {(f, k) for f, _r, k, _e in errors}
    assert found == {
        ("customer_id", "presence"),
        ("amount", "decimals"),
        ("currency", "format"),
        ("quantity", "type"),
        ("timestamp", "type"),
        ("channel", "enum"),
        ("discount_applied", "range"),
    }


def test_rules() -> None:
    _s, errors = check("campaigns", dict(VALID["campaigns"], end_date="2025-01-01"))
    assert [(f, k, e) for f, _r, k, e in errors] == [("end_date", "rule", True)]
    _s, errors = check("transactions", dict(VALID["transactions"], transaction_type="refund"))
    assert [(f, k, e) for f, _r, k, e in errors] == [("original_transaction_id", "rule", False)]


def test_nested_fields_and_formats() -> None:
    record = dict(VALID["customers"], address={"street": 5, "country": "Sweden"})
    _s, errors = check("customers", record)
    assert {(f, k) for f, _r, k, _e in errors} == {
        ("address.street", "type"),
        ("address.country", "format"),
    }
    assert is_email("a.b+c@example.co.uk") and not is_email("a@b") and not is_email("a b@c.de")
    assert is_datetime("2025-01-12T10:30:00.123+02:00") and not is_datetime("2025-01-12T10:30:00")
    assert not is_datetime("2025-02-30T10:30:00Z")
    assert (
        event_date("2025-01-12T23:30:00-05:00") == "2025-01-13" and event_date("2025-13-01") is None
    )
    assert {"EUR", "USD", "GBP", "SEK", "PLN"} <= code_list("iso4217")


def test_unknown_version_lists_known_ones() -> None:
    with pytest.raises(UnknownSchemaVersionError, match=r"1\.0\.0"):
        REGISTRY.get("transactions", "2.0.0")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('source_type = "x"\nversion = "1"\n[fields]\n', "version must look like"),
        ('source_type = "x"\nversion = "1.0.0"\n[fields]\na = { type = "uuid" }\n', "type must be"),
        (
            'source_type = "x"\nversion = "1.0.0"\n[fields]\na = { type = "string", colour = 1 }\n',
            "unknown keys",
        ),
        (
            'source_type = "x"\nversion = "1.0.0"\n[fields]\n"a b" = { type = "string" }\n',
            "not a plain name",
        ),
        (
            'source_type = "x"\nversion = "1.0.0"\n[fields]\na = { type = "string", format = "iban" }\n',
            "unknown format",
        ),
        ("not toml [", "not valid TOML"),
    ],
)
def test_malformed_contracts_are_refused(text: str, message: str) -> None:
    with pytest.raises(ContractError, match=message):
        parse_contract(text, "x/1.0.0.toml")


# -- properties -------------------------------------------------------------------------------
ident = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=20
).filter(lambda s: not s.isspace())
money = st.integers(-(10**9), 10**9).map(lambda c: c / 100)
times = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda d: d.replace(microsecond=0)
)
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@st.composite
def transactions(draw: st.DrawFn) -> dict[str, Any]:
    """Any record built from valid field values (required ones always, optional ones maybe)."""
    moment = draw(times).replace(tzinfo=draw(offsets))
    record: dict[str, Any] = {
        "transaction_id": draw(ident),
        "customer_id": draw(ident),
        "product_id": draw(ident),
        "timestamp": moment.isoformat()
        if draw(st.booleans())
        else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "amount": draw(money),
        "currency": draw(st.sampled_from(sorted(code_list("iso4217")))),
    }
    optional = {
        "quantity": st.integers(-1000, 1000),
        "transaction_type": st.just("sale"),
        "campaign_id": ident,
        "channel": st.sampled_from(["online", "store", "mobile_app", "marketplace"]),
        "region": ident,
        "payment_method": st.sampled_from(["card", "paypal", "bank_transfer", "cash", "voucher"]),
        "discount_applied": money.map(abs),
        "tax_amount": money,
        "session_id": ident,
        "customer_email": st.from_regex(r"[a-z0-9._]{1,10}@[a-z]{1,8}\.[a-z]{2,4}", fullmatch=True),
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            record[name] = draw(strategy)
    return record


REQUIRED = [f.name for f in TX.fields if f.required]
CORRUPT: dict[str, Any] = {
    "quantity": "many",
    "channel": "fax",
    "region": 7,
    "session_id": [],
    "tax_amount": "1",
    "discount_applied": -5,
    "campaign_id": {},
}


@settings(max_examples=300, deadline=None)
@given(transactions())
def test_any_valid_record_passes(record: dict[str, Any]) -> None:
    total, lost, errors, present, _deep = TX.validator(record)
    assert errors == [] and quality_score(total, lost) == 1.0 and present == len(record)


@settings(max_examples=200, deadline=None)
@given(transactions(), st.sampled_from(REQUIRED))
def test_removing_a_required_field_fails_naming_it(record: dict[str, Any], name: str) -> None:
    del record[name]
    _t, _l, errors, _n, _d = TX.validator(record)
    assert [(f, k, e) for f, _r, k, e in errors] == [(name, "presence", True)]


@settings(max_examples=200, deadline=None)
@given(transactions(), st.lists(st.sampled_from(sorted(CORRUPT)), unique=True, min_size=1))
def test_score_is_in_range_and_monotone_in_checks_passed(
    record: dict[str, Any], broken: list[str]
) -> None:
    for name in CORRUPT:
        record.setdefault(
            name,
            {
                "quantity": 1,
                "channel": "store",
                "region": "n",
                "session_id": "s",
                "tax_amount": 1.5,
                "discount_applied": 0,
                "campaign_id": "c",
            }[name],
        )
    scores = []
    for count in range(len(broken) + 1):
        total, lost, _e, _n, _d = TX.validator(
            {**record, **{n: CORRUPT[n] for n in broken[:count]}}
        )
        scores.append(quality_score(total, lost))
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores[0] == 1.0
    assert all(later < earlier for earlier, later in pairwise(scores))


def test_the_specs_example_request_passes() -> None:
    """The spec's own example record (no product_id) passes contract 1.0.0."""
    record = {
        "transaction_id": "txn_123",
        "customer_id": "cust_456",
        "amount": 99.99,
        "currency": "USD",
        "timestamp": "2025-01-12T10:30:00Z",
    }
    _score, errors = check("transactions", record)
    assert errors == []
