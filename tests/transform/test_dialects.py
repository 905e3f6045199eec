"""The dialect fixes: each construct sqlglot transpiles wrongly, run on every engine with known answers.

The model SQL is DuckDB-flavoured; `transpile(sql, engine.dialect)` must give the same rows on each
engine. Spark has no engine here yet, so its fixes are checked on the generated text.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from databank.engines import Engine
from databank.engines.dialects import (
    UnsupportedError,
    expand_stars,
    needs_schema,
    parse,
    transpile,
)
from transform.toy import Bronze


def _rows(engine: Engine, sql: str) -> list[tuple]:
    return engine.fetch_rows(transpile(sql, engine.dialect))


@pytest.fixture
def data(bronze: Bronze) -> Bronze:
    bronze.add("t1", "2025-01-06", "10.50", region="north", channel="online")  # a Monday
    bronze.add("t1", "2025-01-06", "11.00", region="north", channel="online")  # re-delivery
    bronze.add("t2", "2025-01-07", "-3.25", region="south", channel="store")
    bronze.add("t3", "2025-01-12", "abc", region="south", channel="store")  # a Sunday
    return bronze


def test_qualify_keeps_the_newest_delivery(engine: Engine, data: Bronze) -> None:
    rows = _rows(
        engine,
        "SELECT b.transaction_data ->> 'transaction_id' AS tid, b.transaction_data ->> 'amount' AS amount "
        "FROM bronze.scout_raw_transactions AS b "
        "QUALIFY row_number() OVER (PARTITION BY tid ORDER BY b.ingested_at DESC) = 1 ORDER BY tid",
    )
    assert rows == [("t1", "11.00"), ("t2", "-3.25"), ("t3", "abc")]


def test_qualify_over_star_is_expanded_from_the_schema(engine: Engine, data: Bronze) -> None:
    sql = (
        "SELECT * FROM bronze.scout_raw_transactions QUALIFY row_number() OVER "
        "(PARTITION BY transaction_data ->> 'transaction_id' ORDER BY ingested_at DESC) = 1"
    )
    tree = parse(sql)
    assert needs_schema(tree)
    if engine.dialect != "duckdb":
        with pytest.raises(UnsupportedError, match="QUALIFY over SELECT"):
            transpile(tree, engine.dialect)  # the silent bug: `_w` would leak as a column
    columns = engine.column_types("bronze.scout_raw_transactions")
    expanded = expand_stars(tree, {"bronze": {"scout_raw_transactions": columns}})
    result = engine.fetch_arrow(transpile(expanded, engine.dialect))
    assert result.column_names == list(columns)  # no helper column leaks
    assert result.num_rows == 3


def test_qualify_with_a_column_condition_reads_the_same_rows(engine: Engine, data: Bronze) -> None:
    """A QUALIFY that also tests a table column (projected or not): on engines without QUALIFY
    the rewrite used to keep `b.partition_key` outside the subquery that holds it."""
    newest = "row_number() OVER (PARTITION BY tid ORDER BY b.ingested_at DESC) = 1"
    projected = _rows(
        engine,
        "SELECT b.transaction_data ->> 'transaction_id' AS tid, b.partition_key "
        f"FROM bronze.scout_raw_transactions AS b QUALIFY {newest} "
        "AND b.partition_key > DATE '2025-01-06' ORDER BY tid",
    )
    assert projected == [("t2", date(2025, 1, 7)), ("t3", date(2025, 1, 12))]
    hidden = _rows(
        engine,
        "SELECT b.transaction_data ->> 'transaction_id' AS tid "
        f"FROM bronze.scout_raw_transactions AS b QUALIFY {newest} "
        "AND b.partition_key > DATE '2025-01-06' ORDER BY tid",
    )
    assert hidden == [("t2",), ("t3",)]
    if engine.dialect != "duckdb":
        with pytest.raises(UnsupportedError, match=r"QUALIFY reads b\.partition_key"):
            transpile(
                "SELECT b.id AS partition_key FROM bronze.scout_raw_transactions AS b "
                "QUALIFY row_number() OVER (ORDER BY b.id) = 1 AND b.partition_key > DATE '2025-01-06'",
                engine.dialect,
            )


def test_group_by_all_and_json_on_jsonb(engine: Engine, data: Bronze) -> None:
    rows = _rows(
        engine,
        "SELECT b.transaction_data ->> 'region' AS region, count(*) AS n, "
        "json_extract_string(b.transaction_data, '$.channel') AS channel "
        "FROM bronze.scout_raw_transactions AS b GROUP BY ALL ORDER BY region",
    )
    assert rows == [("north", 2, "online"), ("south", 2, "store")]


def test_any_value_arg_max_and_day_of_week(engine: Engine, data: Bronze) -> None:
    rows = _rows(
        engine,
        "SELECT b.transaction_data ->> 'region' AS region, "
        "any_value(b.transaction_data ->> 'channel') AS channel, "
        "arg_max(b.transaction_data ->> 'amount', b.ingested_at) AS newest, "
        "max(dayofweek(CAST(b.transaction_data ->> 'timestamp' AS DATE))) AS dow "
        "FROM bronze.scout_raw_transactions AS b GROUP BY ALL ORDER BY region",
    )
    assert rows == [("north", "online", "11.00", 1), ("south", "store", "abc", 2)]


def test_try_cast_gives_null_instead_of_an_error(engine: Engine, data: Bronze) -> None:
    rows = _rows(
        engine,
        "SELECT b.transaction_data ->> 'transaction_id' AS tid, "
        "TRY_CAST(b.transaction_data ->> 'amount' AS DECIMAL(12, 2)) AS amount, "
        "TRY_CAST(b.transaction_data ->> 'timestamp' AS TIMESTAMP) AS at, "
        "TRY_CAST(b.transaction_data ->> 'region' AS DATE) AS not_a_date "
        "FROM bronze.scout_raw_transactions AS b "
        "QUALIFY row_number() OVER (PARTITION BY tid ORDER BY b.ingested_at DESC) = 1 ORDER BY tid",
    )
    assert rows == [
        ("t1", Decimal("11.00"), datetime(2025, 1, 6, 10), None),
        ("t2", Decimal("-3.25"), datetime(2025, 1, 7, 10), None),
        ("t3", None, datetime(2025, 1, 12, 10), None),
    ]


def test_epoch_ms_is_read_by_its_argument(engine: Engine) -> None:
    rows = _rows(
        engine,
        "SELECT CAST(epoch_ms(1736158800000) AS DATE) AS day, "
        "epoch_ms(CAST('2025-01-06 10:20:00' AS TIMESTAMP)) AS millis",
    )
    assert rows == [(date(2025, 1, 6), 1736158800000)]
    if engine.dialect != "duckdb":
        with pytest.raises(UnsupportedError, match="EPOCH_MS"):
            transpile("SELECT epoch_ms(x) FROM silver.t", engine.dialect)


def test_named_parameters_stay_in_the_engines_style(engine: Engine, data: Bronze) -> None:
    sql = transpile(
        "SELECT count(*) FROM bronze.scout_raw_transactions WHERE validation_status = $status",
        engine.dialect,
    )
    assert "$status" in sql
    assert engine.fetch_value(sql, {"status": "passed"}) == 4


def test_spark_fixes() -> None:
    assert transpile("SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY x) FROM t", "spark") == (
        "SELECT PERCENTILE(x, 0.9) FROM t"
    )
    assert transpile("SELECT median(x) FROM t", "spark") == "SELECT PERCENTILE(x, 0.5) FROM t"
    with pytest.raises(UnsupportedError, match="ON CONFLICT"):
        transpile("INSERT INTO t SELECT * FROM s ON CONFLICT (k) DO NOTHING", "spark")
