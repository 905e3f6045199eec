"""The batch-wide clean proof (vector.py) never disagrees with the exact per-record validator."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.ingestion.conftest import VALID, transaction

from databank.ingestion.contract import ContractRegistry
from databank.ingestion.pii import Pseudonymiser
from databank.ingestion.prepare import prepare
from databank.ingestion.safety import find_hazards
from databank.ingestion.source_types import SOURCE_TYPES
from databank.ingestion.vector import clean_mask

REGISTRY = ContractRegistry()


# Values that sit on or near every edge the validator draws (types, blanks, formats, ranges,
# decimals, calendar dates, offsets), mixed with ordinary ones.
def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"k": value}
    return value


# Containers the hazard scan must look into: values JSON cannot hold, or hides (NaN → null).
_CONTAINERS = [
    ["summer", "winter"],
    ["summer", "spring"],
    ["a", 1],
    [1.5, 2],
    [True],
    [float("nan")],
    {"a": float("inf")},
    {"when": datetime(2025, 1, 1)},
    {"t": (1, 2)},
    {1: "non-string key"},
    {"big": 2**70},
    {"s": "\ud800"},
    {"ok": {"nested": [1, "x", None]}},
    _nested(70),
    _nested(20),
]
_NEAR_DECIMALS = st.sampled_from(
    [0.1, 19.99, 12.345, 1e15, 1e-7, 0.005, 2.0, -0.0, 3.19, 100.004999, 19.99001, 3.1900001]
)
_EDGE_VALUES = st.one_of(
    _NEAR_DECIMALS,
    _NEAR_DECIMALS,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, -1, 2**53 - 1, 2**53, 10**15, 10**15 + 1, -(10**15)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            "\u2003",
            "\x00",
            "EUR",
            "eur",
            "XXX",
            "sale",
            "refund",
            "online",
            "card",
            "a@b.co",
            " a@b.co ",
            "a@b",
            "2025-01-12T10:30:00Z",
            "2025-01-12T10:30Z",
            "2025-01-12T10:30:00.123456Z",
            "2025-01-12T10:30:00.1234567Z",
            "2025-01-12 10:30:00Z",
            "2025-01-12T10:30:00",
            "2025-01-12T10:30:00+02:00",
            "2025-01-12T10:30:00+0200",
            "2025-01-12T10:30:00+24:00",
            "2025-02-29T10:30:00Z",
            "2024-02-29T10:30:00Z",
            "2025-04-31T10:30:00Z",
            "2025-13-01T10:30:00Z",
            "2025-01-12T24:00:00Z",
            "2025-01-12T23:59:60Z",
            "２０２５-01-12T10:30:00Z",
            "2025-01-12",
            "2025-02-30",
            "2025-03-01",
            "2024-12-31",
            "+46 70 123 45 67",
            "SE",
            "en",
        ]
    ),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.sampled_from(_CONTAINERS),
)


@st.composite
def mutated(draw: st.DrawFn, source_type: str) -> dict[str, Any]:
    """A valid record of `source_type` with some fields replaced, removed or added."""
    record = dict(VALID[source_type])
    contract = REGISTRY.get(source_type, "1.0.0")
    names = sorted({f.name for f in contract.fields} | set(record))
    for name in draw(st.lists(st.sampled_from(names), max_size=4, unique=True)):
        action = draw(st.sampled_from(["replace", "replace", "drop"]))
        if action == "drop":
            record.pop(name, None)
        else:
            record[name] = draw(_EDGE_VALUES)
    if draw(st.integers(0, 9)) == 0:
        record[draw(st.sampled_from(["new_field", "Amount", "x"]))] = draw(_EDGE_VALUES)
    return record


def _storable(record: dict[str, Any]) -> bool:
    try:
        return b"\\u0000" not in orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return False


@pytest.mark.parametrize("source_type", list(SOURCE_TYPES))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_clean_implies_the_validator_finds_nothing(source_type: str, data: st.DataObject) -> None:
    contract = REGISTRY.get(source_type, "1.0.0")
    batch = data.draw(st.lists(mutated(source_type), min_size=1, max_size=6))
    for record, clean in zip(batch, clean_mask(batch, contract), strict=True):
        if clean and _storable(record):  # prepare() screens NULs and lone surrogates first
            _total, lost, errors, _present, deep = contract.validator(record)
            assert (lost, errors) == (0.0, []), record
            # containers make the validator ask for the hazard scan: it must find nothing
            assert not deep or find_hazards(record) == [], record
            assert set(record) <= contract.known_fields, record


@pytest.mark.parametrize("source_type", list(SOURCE_TYPES))
def test_the_documented_valid_record_is_proven_clean(source_type: str) -> None:
    contract = REGISTRY.get(source_type, "1.0.0")
    record = VALID[source_type]
    declared_inside = any(f.fields and record.get(f.name) is not None for f in contract.fields)
    # Objects with declared sub-fields take the exact path; every other valid record the fast one.
    assert clean_mask([record], contract) == [not declared_inside]


def test_a_clean_batch_takes_the_fast_path_and_scores_like_the_validator() -> None:
    contract = REGISTRY.get("transactions", "1.0.0")
    batch = [transaction(i) for i in range(200)]
    batch[7] = transaction(7, amount=12.345)  # decimals: failed
    batch[8] = transaction(8, transaction_type="refund")  # warn rule: passed, lower score
    batch[9] = transaction(9, extra_field=1)  # drift: passed
    mask = clean_mask(batch, contract)
    assert [i for i, m in enumerate(mask) if not m] == [7, 8, 9]
    fast = prepare(
        batch,
        contract,
        Pseudonymiser(b"k"),
        source_system="s",
        quality_checks=True,
        fallback_date="2025-01-01",
    )
    assert fast.statuses[7] == "failed" and fast.statuses[8] == "passed"
    assert fast.scores[8] is not None and fast.scores[8] < 1.0
    assert fast.drift == {"extra_field": 9}
    assert all(s == 1.0 for i, s in enumerate(fast.scores) if i not in (7, 8))


def test_non_objects_and_empty_batches() -> None:
    contract = REGISTRY.get("transactions", "1.0.0")
    assert clean_mask([], contract) == []
    assert clean_mask([[1], "x", None, transaction(1)], contract) == [False, False, False, True]


@pytest.mark.parametrize("value", _CONTAINERS, ids=range(len(_CONTAINERS)))
@pytest.mark.parametrize("field", ["attributes", "seasonal_flags"])
def test_containers_agree_with_the_validator_and_the_hazard_scan(field: str, value: Any) -> None:
    contract = REGISTRY.get("products", "1.0.0")
    record = dict(VALID["products"], **{field: value})
    [clean] = clean_mask([record], contract)
    clean = clean and _storable(record)
    _total, lost, errors, _present, deep = contract.validator(record)
    exact = lost == 0.0 and errors == [] and (not deep or find_hazards(record) == [])
    assert clean <= exact, (field, value)  # never clean where the exact path finds something
    if exact and not any(isinstance(v, tuple) for v in getattr(value, "values", list)()):
        assert clean, (field, value)  # and every plain JSON container takes the fast path


@pytest.mark.parametrize(
    ("start", "end", "clean"),
    [
        ("2025-01-10", "2025-01-31", True),
        ("2025-01-10", "2025-01-10", True),
        ("2025-01-10", "2024-12-31", False),  # ends before it starts: the rule fails
        ("2025-01-10", "2025-02-30", False),  # not a date: the field check fails
    ],
)
def test_not_before_on_plain_dates(start: str, end: str, clean: bool) -> None:
    contract = REGISTRY.get("campaigns", "1.0.0")
    record = dict(VALID["campaigns"], start_date=start, end_date=end)
    assert clean_mask([record], contract) == [clean]
