"""The generator's contract: determinism, valid records, a truth file that matches the stream."""

from __future__ import annotations

import hashlib
import io
import json
from collections import Counter
from datetime import date
from typing import Any

import pyarrow as pa
import pytest
from tests.demo.contract import FIELDS, violations
from tests.demo.shared import CONFIG, KEYS

from databank.demo.generator import BusinessConfig, generate_business
from databank.errors import ConfigError

SMALL = BusinessConfig(seed=5, days=45, scale=0.1)


def _digest(business: Any, batch_size: int) -> str:
    sha = hashlib.sha256()
    for source in business.source_types:
        for batch in business.iter_batches(source, batch_size):
            for record in batch:
                sha.update(json.dumps(record, ensure_ascii=False).encode())
                sha.update(b"\n")
    return sha.hexdigest()


def _arrow_bytes(business: Any, source: str) -> bytes:
    sink = io.BytesIO()
    for table in business.iter_tables(source, 3_000):
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
    return sink.getvalue()


def test_same_config_gives_byte_identical_output() -> None:
    first, second = generate_business(SMALL), generate_business(SMALL)
    assert _digest(first, 1_000) == _digest(second, 1_000)
    assert _arrow_bytes(first, "transactions") == _arrow_bytes(second, "transactions")
    assert json.dumps(first.truth()) == json.dumps(second.truth())


def test_output_does_not_depend_on_batch_size_but_on_seed() -> None:
    business = generate_business(SMALL)
    assert _digest(business, 1_000) == _digest(business, 7_777)
    other = generate_business(BusinessConfig(seed=6, days=45, scale=0.1))
    assert _digest(other, 1_000) != _digest(business, 1_000)


def test_batches_have_the_requested_size(business: Any) -> None:
    sizes = [t.num_rows for t in business.iter_tables("transactions", 10_000)]
    assert all(s == 10_000 for s in sizes[:-1]) and 0 < sizes[-1] <= 10_000
    assert sum(sizes) == business.truth()["sources"]["transactions"]["emitted"]


def test_every_valid_record_satisfies_the_contract(
    records: dict[str, list[dict]], truth: dict[str, Any]
) -> None:
    for source, rows in records.items():
        invalid = {r["id"]: r for r in truth["sources"][source]["invalid_records"]}
        broken = Counter()
        for row in rows:
            bad = violations(source, row)
            key = row[KEYS[source]]
            if key in invalid:
                # the injected defect is the one the truth names, and the only one
                assert bad == {invalid[key]["field"]}, (source, row, invalid[key])
                broken[key] += 1
            else:
                assert not bad, (source, bad, row)
        assert set(broken) == set(invalid), source
        assert all(n == 1 for n in broken.values()), f"{source}: an invalid record was re-delivered"


def test_valid_records_carry_only_documented_fields(
    valid: dict[str, list[dict]], truth: dict[str, Any]
) -> None:
    drift = truth["schema_drift"][0]
    for source, rows in valid.items():
        allowed = set(FIELDS[source])
        extra = {f for row in rows for f in row} - allowed
        assert extra == ({drift["field"]} if source == "transactions" else set()), source


def test_duplicates_are_exact_redeliveries_and_match_the_truth(
    records: dict[str, list[dict]], truth: dict[str, Any]
) -> None:
    for source, rows in records.items():
        keys = [row[KEYS[source]] for row in rows]
        counts = Counter(keys)
        repeated = {k for k, n in counts.items() if n > 1}
        first: dict[str, str] = {}
        duplicates = []
        for key, row in zip(keys, rows, strict=True):
            if key not in repeated:
                continue
            body = json.dumps(row, sort_keys=True)
            if key in first:
                assert first[key] == body, f"{source}: same key, different record {key}"
                duplicates.append(key)
            else:
                first[key] = body
        facts = truth["sources"][source]
        assert sorted(duplicates) == facts["duplicate_ids"], source
        assert len(rows) == facts["emitted"] == facts["originals"] + facts["duplicates"]
        assert len(counts) == facts["originals"]
        assert facts["valid"] == facts["originals"] - facts["invalid"]


@pytest.mark.parametrize("source", ["transactions", "events", "interactions", "customers"])
def test_fault_shares_are_as_configured(source: str, truth: dict[str, Any]) -> None:
    facts = truth["sources"][source]
    n = facts["originals"]
    tolerance = 4 * (CONFIG.duplicate_share / n) ** 0.5  # four standard deviations
    assert abs(facts["duplicates"] / n - CONFIG.duplicate_share) < tolerance
    tolerance = 4 * (CONFIG.invalid_share / n) ** 0.5
    assert abs(facts["invalid"] / n - CONFIG.invalid_share) < tolerance
    assert abs(facts["late"] / n - CONFIG.late_share) < 4 * (CONFIG.late_share / n) ** 0.5
    assert len(facts["invalid_by_reason"]) == len({r["reason"] for r in facts["invalid_records"]})
    assert min(facts["invalid_by_reason"].values()) > 0


def test_late_records_arrive_in_a_later_delivery(business: Any, truth: dict[str, Any]) -> None:
    facts = truth["sources"]["transactions"]
    late = {r["id"]: r for r in facts["late_records"]}
    invalid = {r["id"] for r in facts["invalid_records"]}
    first_seen: dict[str, tuple[str, str]] = {}
    previous = date.min
    for delivery in business.iter_deliveries("transactions"):
        assert delivery.date > previous
        previous = delivery.date
        columns = delivery.table.select(["transaction_id", "timestamp"]).to_pydict()
        for key, stamp in zip(columns["transaction_id"], columns["timestamp"], strict=True):
            first_seen.setdefault(key, (stamp[:10], delivery.date.isoformat()))
    assert len(late) > 0
    for key, (event_date, delivered) in first_seen.items():
        if key in late:
            assert (event_date, delivered) == (late[key]["event_date"], late[key]["delivery_date"])
            assert (date.fromisoformat(delivered) - date.fromisoformat(event_date)).days >= 2
        elif key not in invalid:
            assert delivered == event_date, key


def test_truth_totals_equal_the_emitted_valid_sales(
    valid: dict[str, list[dict]], truth: dict[str, Any]
) -> None:
    cents: Counter[str] = Counter()
    refunds: Counter[str] = Counter()
    for row in valid["transactions"]:
        target = cents if row["transaction_type"] == "sale" else refunds
        target[row["currency"]] += round(row["amount"] * 100)
    totals = truth["totals"]["transactions"]
    assert dict(cents) == totals["sale_cents"]
    assert dict(refunds) == totals["refund_cents"]
    for code, value in totals["valid_sale_amount_by_currency"].items():
        assert round(cents[code] / 100, 2) == value
    shares = {c: v / sum(totals["sale_count"].values()) for c, v in totals["sale_count"].items()}
    assert set(shares) == {"EUR", "USD", "GBP", "SEK", "PLN"}
    assert shares["EUR"] > 0.6 and all(v > 0.02 for v in shares.values())


def test_columnar_path_matches_the_dict_path(
    business: Any, records: dict[str, list[dict]], truth: dict[str, Any]
) -> None:
    odd = {
        r["id"]
        for r in truth["sources"]["transactions"]["invalid_records"]
        if r["reason"] == "non_numeric_amount"
    }
    dicts = iter(records["transactions"])
    for table in business.iter_tables("transactions", 50_000):
        for row in table.to_pylist():
            expected = dict(next(dicts))
            row = {k: v for k, v in row.items() if v is not None}
            if row["transaction_id"] in odd:
                assert isinstance(expected.pop("amount"), str) and "amount" not in row
            assert row == expected
    assert next(dicts, None) is None


def test_schema_drift_starts_on_the_drift_day(
    valid: dict[str, list[dict]], truth: dict[str, Any]
) -> None:
    drift = truth["schema_drift"][0]
    first = drift["first_date"]
    before = [r for r in valid["transactions"] if r["timestamp"][:10] < first]
    after = [r for r in valid["transactions"] if r["timestamp"][:10] >= first]
    assert before and after
    assert not any(drift["field"] in r for r in before)
    assert all(isinstance(r[drift["field"]], int) for r in after)


def test_bad_config_is_refused() -> None:
    with pytest.raises(ConfigError):
        BusinessConfig(days=3)
    with pytest.raises(ConfigError):
        BusinessConfig(duplicate_share=0.7)
    with pytest.raises(ValueError):
        next(generate_business(SMALL).iter_batches("nope"))
