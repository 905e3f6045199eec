"""The JSON path (`iter_json`, `jsonify`): the same records as the dict path, as JSON text."""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa
import pytest

from databank.demo.generator.jsonify import array_json, json_rows


def _typed(value: Any) -> Any:
    """`value` with the type of every leaf kept, so that 5 and 5.0 compare different."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, value)


@pytest.mark.parametrize(
    "source",
    ["customers", "products", "campaigns", "transactions", "events", "feedback", "interactions"],
)
def test_json_batches_parse_to_the_dict_batches(
    business: Any, records: dict[str, list[dict[str, Any]]], source: str
) -> None:
    sent = []
    for count, array in business.iter_json(source, 7_000):
        batch = orjson.loads(array)
        assert len(batch) == count and 0 < count <= 7_000
        sent.extend(batch)
    assert len(sent) == len(records[source])
    assert _typed(sent) == _typed(records[source])


def test_batch_sizes_are_exact_across_generated_chunks(business: Any) -> None:
    counts = [count for count, _ in business.iter_json("transactions", 3_333)]
    assert all(c == 3_333 for c in counts[:-1]) and 0 < counts[-1] <= 3_333
    assert sum(counts) == business.truth()["sources"]["transactions"]["emitted"]


def test_values_that_need_care() -> None:
    table = pa.table(
        {
            "text": ["plain", 'quote " and \\ back', "line\nbreak", None, "ünïcode €"],
            "money": [5.0, 12.5, -0.0, None, 1e-7],
            "count": [1, None, -3, 0, 2**40],
            "flag": [True, False, None, True, False],
            "tags": [["a", None], [], None, ["b"], ["c", "d"]],
            "nested": [
                {"x": 1, "y": None},
                {"x": None, "y": None},
                None,
                {"x": 2, "y": "z"},
                {"x": None, "y": "w"},
            ],
            "code": pa.array(["EUR", "GBP", None, "EUR", "SEK"]).dictionary_encode(),
        }
    )
    patches = [(1, "money", "12,50"), (3, "extra", {"k": [1, None]})]
    expected = []
    for row in table.to_pylist():
        record = {k: v for k, v in row.items() if v is not None}
        if isinstance(record.get("nested"), dict):
            record["nested"] = {k: v for k, v in record["nested"].items() if v is not None}
        expected.append(record)
    expected[1]["money"] = "12,50"
    expected[3]["extra"] = {"k": [1, None]}
    text = array_json(table, patches)
    assert _typed(orjson.loads(text)) == _typed(expected)
    assert b'"money":5.0' in text and b'"nested":{}' in text


def test_a_row_without_any_field_is_an_empty_object() -> None:
    table = pa.table({"a": pa.array([None, 1, None], pa.int64())})
    assert orjson.loads(array_json(table)) == [{}, {"a": 1}, {}]
    rows = json_rows(table)
    assert len(rows) == 3 and rows.array(1, 2) == b'[{"a":1}]' and rows.array(2, 2) == b"[]"
    assert array_json(table.slice(0, 0)) == b"[]"
