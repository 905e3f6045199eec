"""Column mappings: renames, constants, formats, value maps, nested targets and return rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from databank.ingestion.files import MappingError, load_mapping, mapping_from_dict, parse_map_flags
from databank.ingestion.files.convert import to_boolean, to_date, to_datetime, to_integer, to_number

ORDER_MAPPING = {
    "decimal": ",",
    "timezone": "Europe/Amsterdam",
    "columns": {
        "transaction_id": "Order No",
        "timestamp": {"column": "Order Date", "format": "%d/%m/%Y %H:%M"},
        "amount": {"column": "Total", "type": "number"},
        "quantity": {"column": "Qty", "type": "integer"},
        "address.city": "City",
        "customer.email": "buyer.email",
        "channel": {"column": "Shop", "values": {"Webwinkel": "online"}},
    },
    "constants": {"currency": "EUR"},
    "rules": [
        {"when_negative": "quantity", "set": {"transaction_type": "refund"}, "negate": ["amount"]}
    ],
}


def test_mapping_applies_every_kind_of_rule() -> None:
    """One foreign row becomes a contract record; unmapped columns stay as extra fields."""
    mapping = mapping_from_dict(ORDER_MAPPING)
    row = {
        "Order No": "A-1",
        "Order Date": "31/01/2025 23:30",
        "Total": "1.234,56",
        "Qty": "-2",
        "City": "Utrecht",
        "Shop": "Webwinkel",
        "Note": "gift",
        "buyer": {"email": "a@example.com", "name": "An"},
    }
    record, errors = mapping.apply(row)
    assert errors == []
    assert record == {
        "transaction_id": "A-1",
        "timestamp": "2025-01-31T23:30:00+01:00",
        "amount": -1234.56,
        "quantity": -2,
        "address": {"city": "Utrecht"},
        "customer": {"email": "a@example.com"},
        "channel": "online",
        "currency": "EUR",
        "transaction_type": "refund",
        "Note": "gift",
        "buyer": {"name": "An"},
    }
    assert row["buyer"] == {"email": "a@example.com", "name": "An"}  # the row is not mutated


def test_drop_unmapped_and_conversion_errors() -> None:
    """drop_unmapped removes extras; a value that cannot convert is a reason, not an exception."""
    mapping = mapping_from_dict({**ORDER_MAPPING, "drop_unmapped": True})
    record, errors = mapping.apply(
        {"Order No": "A-2", "Total": "12.50", "Order Date": "2025-01-31", "X": "1"}
    )
    assert "X" not in record and record["transaction_id"] == "A-2"
    # Values that do not convert are kept as sent, so the contract rejects them: nothing lost.
    assert (record["timestamp"], record["amount"]) == ("2025-01-31", "12.50")
    assert errors == [
        "column 'Order Date' → timestamp: '2025-01-31' does not match format '%d/%m/%Y %H:%M'",
        "column 'Total' → amount: '12.50' does not group digits by three around '.'",
    ]


def test_positive_quantity_keeps_sale() -> None:
    """The return rule fires only on negative values."""
    mapping = mapping_from_dict(ORDER_MAPPING)
    record, _ = mapping.apply({"Qty": "3", "Total": "10,00"})
    assert record["amount"] == 10.0 and "transaction_type" not in record


def test_source_column_named_like_a_target_is_kept_beside_it() -> None:
    """An unmapped column whose name a target already uses is kept under '<name> (source)'."""
    mapping = parse_map_flags(["amount=Total"])
    record, _ = mapping.apply({"Total": "5", "amount": "old"})
    assert record == {"amount": "5", "amount (source)": "old"}


def test_map_flags() -> None:
    """--map target=Column renames; --map 'x="TEXT"' sets a constant; bad flags are refused."""
    mapping = parse_map_flags(["customer_id=Client No", 'currency="EUR"', " region = Area "])
    record, _ = mapping.apply({"Client No": "C1", "Area": "north"})
    assert record == {"customer_id": "C1", "region": "north", "currency": "EUR"}
    with pytest.raises(MappingError, match="not target=source"):
        parse_map_flags(["customer_id"])
    with pytest.raises(MappingError, match="is not a field name"):
        parse_map_flags(["cust id=X"])


def test_merged_flags_override_file() -> None:
    """Flags given with --mapping replace the file's rule for the same target."""
    base = mapping_from_dict(ORDER_MAPPING)
    merged = base.merged(parse_map_flags(["transaction_id=Line Id", 'currency="USD"']))
    record, _ = merged.apply({"Line Id": "L1", "Order No": "A-1"})
    assert record["transaction_id"] == "L1" and record["currency"] == "USD"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"colums": {}}, "unknown keys"),
        ({"columns": {"ts": {"column": "D", "format": "%d/%m/%Y %H:%M"}}}, "has no offset"),
        ({"columns": {"ts": {"column": "D", "timezone": "Mars/Olympus"}}}, "unknown time zone"),
        ({"columns": {"a": {"column": "A", "type": "money"}}}, "unknown type"),
        ({"columns": {"a": {"type": "number"}}}, "needs column"),
        ({"columns": {"a": "A"}, "constants": {"a": 1}}, "both mapped"),
        ({"decimal": ";"}, "decimal must be"),
        ({"csv": {"delimiter": ";;"}}, "one character"),
        ({"rules": [{"set": {}}]}, "needs when_negative"),
    ],
)
def test_bad_mappings_are_refused(data: dict, message: str) -> None:
    """Mistakes in a mapping are found when it loads, not row by row."""
    with pytest.raises(MappingError, match=message):
        mapping_from_dict(data)


def test_load_mapping_file_errors(tmp_path: Path) -> None:
    """A missing or invalid TOML file is one clear line."""
    with pytest.raises(MappingError, match="no such mapping file"):
        load_mapping(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("columns = {", "utf-8")
    with pytest.raises(MappingError, match="not valid TOML"):
        load_mapping(bad)


def test_converters() -> None:
    """Local number, date and flag formats."""
    assert to_number("1.234.567,89", ",", ".") == 1234567.89
    assert to_number("(12.50)") == -12.5
    assert to_number("12,50-", ",", ".") == -12.5
    assert to_number("\u20ac\u00a01\u202f234,00", ",", None) == 1234.0
    assert to_integer("3,0", ",", ".") == 3
    with pytest.raises(ValueError, match="whole number"):
        to_integer("2,5", ",", ".")
    with pytest.raises(ValueError, match="more digits"):
        to_number("9" * 5000)
    assert to_boolean("Ja") is True and to_boolean("0") is False
    assert to_date("31.01.2025", "%d.%m.%Y") == "2025-01-31"
    assert (
        to_datetime("2025-07-01 12:00", "%Y-%m-%d %H:%M", "Europe/Amsterdam")
        == "2025-07-01T12:00:00+02:00"
    )
    assert to_datetime("2025-07-01T12:00:00Z", None, None) == "2025-07-01T12:00:00+00:00"


@given(
    st.decimals(
        min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False
    )
)
def test_decimal_comma_round_trip(value: object) -> None:
    """Any amount written the Dutch way (1.234,56) reads back as the same number."""
    whole, _, cents = f"{abs(value):.2f}".partition(".")  # type: ignore[arg-type]
    groups = f"{int(whole):,}".replace(",", ".")
    text = f"{'-' if value < 0 else ''}{groups},{cents}"  # type: ignore[operator]
    assert to_number(text, ",", ".") == pytest.approx(float(value), abs=1e-9)  # type: ignore[arg-type]


@given(st.text(max_size=40))
def test_number_parser_never_crashes(text: str) -> None:
    """Arbitrary text gives a number or a ValueError, nothing else."""
    try:
        result = to_number(text, ",", ".")
    except ValueError:
        return
    assert isinstance(result, int | float)


def test_csv_text_is_typed_by_the_contract() -> None:
    """Number, integer and boolean contract fields are converted from text; others stay text."""
    from databank.ingestion.contract import ContractRegistry
    from databank.ingestion.files.coerce import contract_coercer

    contracts = ContractRegistry()
    coerce = contract_coercer(contracts.get("transactions", "1.0.0"), ",", ".")
    record = coerce(
        {"amount": "1.234,50", "quantity": "2", "tax_amount": "abc", "customer_id": "007", "x": "5"}
    )
    assert record == {
        "amount": 1234.5,
        "quantity": 2,
        "tax_amount": "abc",
        "customer_id": "007",
        "x": "5",
    }
    customers = contract_coercer(contracts.get("customers", "1.0.0"))
    assert customers({"marketing_consent": "yes", "address": {"city": "1"}}) == {
        "marketing_consent": True,
        "address": {"city": "1"},
    }
