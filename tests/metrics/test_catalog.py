"""The catalog loads and checks itself: a broken entry is a clear error when it is read."""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from databank.metrics import CatalogError, default_catalog, load_catalog
from databank.metrics.catalog import parse_catalog
from databank.schema.model import load_schema

GOOD: dict[str, Any] = {
    "description": "Revenue.",
    "table": "gold.scout_kpi_revenue_daily",
    "expression": "sum(total_revenue)",
    "time_column": "date",
    "dimensions": ["region", "channel"],
    "unit": "currency",
    "higher_is_better": True,
}


def _load(**changes: Any) -> None:
    entry = {**copy.deepcopy(GOOD), **changes}
    parse_catalog(
        {"metric": {"broken_kpi": {k: v for k, v in entry.items() if v is not None}}}, load_schema()
    )


def test_packaged_catalog_loads_and_lists_what_the_api_shows() -> None:
    """The shipped file is valid; each entry describes itself with its granularities and unit."""
    catalog = default_catalog()
    shipped = tomllib.loads(
        resources.files("databank.metrics").joinpath("catalog.toml").read_text()
    )
    assert catalog.names == list(shipped["metric"])
    revenue = catalog.get("daily_revenue").describe()
    assert revenue["expression"] == "sum(total_revenue)"
    assert revenue["granularities"] == ["day", "week", "month"]
    assert revenue["empty_bucket"] == 0
    assert catalog.get("average_order_value").describe()["empty_bucket"] is None
    assert catalog.get("agent_success_rate").benchmark == pytest.approx(0.994)
    assert catalog.get("total_customers").time_aggregation == "last"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"expression": "sum(no_such_column)"}, "unknown column 'no_such_column'"),
        ({"expression": "sum(total_revenue) / (select 1)"}, "subqueries are not allowed"),
        ({"expression": "sum(ln(total_revenue))"}, "function ln() is not allowed"),
        ({"expression": "my_udf(total_revenue)"}, "function my_udf() is not allowed"),
        ({"expression": "sum(total_revenue) over ()"}, "window functions are not allowed"),
        ({"expression": "total_revenue"}, "must be inside an aggregate"),
        ({"expression": "sum(total_revenue) + total_transactions"}, "must be inside an aggregate"),
        ({"expression": "sum(distinct total_revenue)"}, "DISTINCT"),
        ({"expression": "sum(sum(total_revenue))"}, "aggregate inside sum()"),
        ({"expression": "sum(region)"}, "needs a number"),
        ({"expression": "sum(x.total_revenue)"}, "bare column names"),
        ({"expression": "sum(total_revenue) + 'a'"}, "string literal"),
        ({"expression": "sum(total_revenue"}, "does not parse"),
        (
            {"expression": "select sum(total_revenue) from gold.scout_kpi_revenue_daily"},
            "not a query",
        ),
        ({"expression": "1 + 2"}, "has no aggregate"),
        (
            {"expression": "sum(total_revenue / total_transactions)"},
            "currency metric may not divide",
        ),
        (
            {"expression": "sum(case when total_transactions = 'x' then total_revenue end)"},
            "string literal",
        ),
        ({"expression": "sum(case region when 'x' then total_revenue end)"}, "CASE WHEN"),
        ({"expression": "sum(case when total_revenue then 1 end)"}, "condition"),
        ({"expression": "sum(case when total_revenue > 0 then region end)"}, "needs a number"),
        ({"table": "gold.nope"}, "not in the schema"),
        ({"table": "silver.scout_clean_transactions"}, "must be a gold table"),
        ({"time_column": "region"}, "not a date or timestamp column"),
        ({"dimensions": ["total_revenue"]}, "must be a text column"),
        ({"dimensions": ["nope"]}, "is not a column"),
        ({"dimensions": ["region", "region"]}, "twice"),
        ({"unit": "dollars"}, "unit 'dollars'"),
        ({"higher_is_better": "yes"}, "true or false"),
        ({"benchmark": "high"}, "benchmark must be a number"),
        ({"time_aggregation": "median"}, "time_aggregation"),
        ({"default_filters": {"campaign_id": "x"}}, "default_filters"),
        ({"colour": "red"}, "unknown fields ['colour']"),
        ({"description": None}, "missing fields ['description']"),
    ],
)
def test_broken_entry_is_a_clear_error(changes: dict[str, Any], message: str) -> None:
    """Each mistake names the metric and says what is wrong."""
    with pytest.raises(CatalogError) as caught:
        _load(**changes)
    assert "metric 'broken_kpi'" in str(caught.value)
    assert message in str(caught.value)


def test_a_broken_file_stops_loading(tmp_path: Path) -> None:
    """Bad TOML, a bad metric name or an empty catalog fail with the file named."""
    bad = tmp_path / "catalog.toml"
    bad.write_text("[metric.x\n")
    with pytest.raises(CatalogError, match="not valid TOML"):
        load_catalog(bad)
    bad.write_text('[metric.Bad-Name]\ndescription = "x"\n')
    with pytest.raises(CatalogError, match="lower_snake_case"):
        load_catalog(bad)
    bad.write_text("")
    with pytest.raises(CatalogError, match="defines no metrics"):
        load_catalog(bad)
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "missing.toml")


def test_a_valid_custom_file_loads(tmp_path: Path) -> None:
    """A catalog file of one's own, with a timestamp time column, offers hour granularity."""
    path = tmp_path / "catalog.toml"
    path.write_text(
        '[metric.hourly_revenue]\ndescription = "Revenue by load hour."\n'
        'table = "gold.scout_kpi_revenue_daily"\nexpression = "avg(total_revenue) * 2"\n'
        'time_column = "updated_at"\nunit = "currency"\nhigher_is_better = true\n'
    )
    metric = load_catalog(path).get("hourly_revenue")
    assert metric.granularities == ("hour", "day", "week", "month")
    assert [c.sql("duckdb") for c in metric.expression.components] == [
        'SUM("total_revenue")',
        'COUNT("total_revenue")',
    ]
    assert not metric.fills_with_zero


def test_case_conditions_are_accepted() -> None:
    """A weight counted only where the rate is present, and a compound condition, both load."""
    _load(
        expression="sum(refund_rate * total_transactions) / "
        "sum(case when refund_rate is not null and (total_transactions > 0 or not region is null) "
        "then total_transactions else 0 end)",
        unit="percent",
    )
