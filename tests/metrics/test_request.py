"""Filter and dimension parsing: any text survives exactly; order and repetition do not matter."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from databank.metrics import InvalidRequestError, default_catalog
from databank.metrics.request import parse_dimensions, parse_filters

METRIC = default_catalog().get("daily_revenue")
CAMPAIGN = default_catalog().get("clicks")
TEXT = st.text(max_size=100).filter(lambda t: "\x00" not in t)


@given(TEXT, TEXT)
def test_json_and_dict_filters_keep_values_exactly(first: str, second: str) -> None:
    """A JSON object or a dict carries any text; duplicates collapse; values are sorted."""
    expected = (("region", tuple(sorted({first, second}))),)
    assert parse_filters(orjson.dumps({"region": [first, second]}).decode(), METRIC) == expected
    assert parse_filters({"region": [second, first, first]}, METRIC) == expected


@given(TEXT.filter(lambda t: "," not in t))
def test_column_value_text_keeps_spaces_colons_and_equals(value: str) -> None:
    """In `column:value` the column ends at the first `:` or `=`; the value is kept as written."""
    assert parse_filters(f"region:{value}", METRIC) == (("region", (value,)),)
    assert parse_filters([f" region = {value}"], METRIC) == (("region", (f" {value}",)),)


def test_normal_form_and_default_filters() -> None:
    """Dimensions are sorted and unique; a default filter yields to the caller's filter or grouping."""
    assert parse_dimensions("channel, region,channel", METRIC) == ("channel", "region")
    assert parse_dimensions(["region,channel"], METRIC) == ("channel", "region")
    assert parse_filters(None, CAMPAIGN) == (("attribution_model", ("last_touch",)),)
    assert parse_filters("attribution_model:linear", CAMPAIGN) == (
        ("attribution_model", ("linear",)),
    )
    assert parse_filters(None, CAMPAIGN, ("attribution_model",)) == ()
    assert parse_filters("channel:a,campaign_id:b", CAMPAIGN) == (
        ("attribution_model", ("last_touch",)),
        ("campaign_id", ("b",)),
        ("channel", ("a",)),
    )


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"region": "a\x00b"}, "NUL"),
        ({"region": "x" * 1001}, "longer than 1000"),
        ({"region": "\ud800"}, "not valid Unicode"),
        ({"region": None}, "text or numbers"),
        ({"region": {"nested": 1}}, "text or numbers"),
        ({"region": []}, "lists no values"),
        ({"region; DROP TABLE x": "a"}, "cannot be filtered on"),
        ({"total_revenue": "1"}, "cannot be filtered on"),
        ("region", "has no column"),
        (":north", "has no column"),
        ("{not json", "do not parse"),
        ('["region", "north"]', "has no column"),
    ],
)
def test_bad_filters_are_refused(filters: object, message: str) -> None:
    """What cannot be a filter is a clear error before any SQL runs."""
    with pytest.raises(InvalidRequestError, match=message):
        parse_filters(filters, METRIC)  # type: ignore[arg-type]
