"""Summary models: sums and counts kept by adding new rows and subtracting removed ones, equal to
a full rebuild after every kind of change; shapes that cannot be kept that way are refused."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from databank.engines import Engine
from databank.engines.base import quote_table
from databank.transform.errors import ModelDefinitionError
from databank.transform.runner import Runner
from transform.toy import (
    GOLD,
    SILVER,
    Bronze,
    assert_full_refresh_keeps,
    snapshot,
    with_lookback,
    write_model,
)

HEADER = """MODEL (
  kind summary,
  grain (date, region, channel),
  tests (not_null(date, region), unique(date, region, channel))
);
"""
REVENUE = (
    HEADER
    + """SELECT t.transaction_date AS date, t.region, t.channel,
  sum(t.amount) FILTER (WHERE t.amount > 0) AS total_revenue, count(*) AS total_transactions
FROM silver.scout_clean_transactions AS t
GROUP BY t.transaction_date, t.region, t.channel"""
)


@pytest.fixture
def summary_runner(engine: Engine, models_dir: Path) -> Runner:
    """Toy silver plus gold revenue as a summary of it."""
    (models_dir / "gold" / "scout_kpi_product_performance.sql").unlink()
    write_model(models_dir, GOLD, REVENUE)
    return Runner(engine, models_dir)


def _gold(engine: Engine) -> dict[tuple[date, str, str], tuple[Decimal, int]]:
    rows = engine.fetch_rows(
        f"SELECT date, region, channel, total_revenue, total_transactions FROM {quote_table(GOLD)}"
    )
    return {(r[0], r[1], r[2]): (Decimal(r[3]), int(r[4])) for r in rows}


def test_a_summary_adds_and_subtracts_what_changed(
    engine: Engine, summary_runner: Runner, bronze: Bronze
) -> None:
    runner = summary_runner
    bronze.add("a", "2025-01-01", "1.00")
    bronze.add("b", "2025-01-01", "2.00", region="south")
    bronze.add("c", "2025-01-02", "4.00")
    first = runner.run()
    assert first.result(GOLD).mode == "full_refresh"
    d1, d2 = date(2025, 1, 1), date(2025, 1, 2)
    assert _gold(engine) == {
        (d1, "north", "online"): (Decimal("1.00"), 1),
        (d1, "south", "online"): (Decimal("2.00"), 1),
        (d2, "north", "online"): (Decimal("4.00"), 1),
    }
    bronze.add("d", "2025-01-01", "8.00")  # a new row: one group grows
    bronze.add("b", "2025-01-01", "3.00", region="north")  # b moves south -> north, amount 3
    bronze.add("c", "2025-01-02", "-4.00")  # c becomes a refund: counted, no revenue
    report = runner.run()
    result = report.result(GOLD)
    assert (result.mode, result.rows) == ("summary", 3)
    assert _gold(engine) == {
        (d1, "north", "online"): (Decimal("12.00"), 3),
        (d2, "north", "online"): (Decimal("0"), 1),  # a sum over no values is 0
    }  # south emptied: deleted
    assert {m.mode for m in runner.run().models} == {"up_to_date"}
    assert_full_refresh_keeps(engine, runner, GOLD)


def test_a_summary_is_idempotent_over_a_lookback(
    engine: Engine, models_dir: Path, bronze: Bronze
) -> None:
    """Silver rebuilds the day before too (lookback): rows it reproduces add nothing twice."""
    with_lookback(models_dir, 2)
    (models_dir / "gold" / "scout_kpi_product_performance.sql").unlink()
    write_model(models_dir, GOLD, REVENUE)
    runner = Runner(engine, models_dir)
    for day in range(1, 6):
        bronze.add(f"t{day}", f"2025-01-0{day}", "1.00")
    runner.run()
    for wave in range(3):
        bronze.add(f"late{wave}", "2025-01-04", "2.00")
        assert runner.run().status == "success"
    assert _gold(engine)[(date(2025, 1, 4), "north", "online")] == (Decimal("7.00"), 4)
    assert_full_refresh_keeps(engine, runner, GOLD)


@pytest.mark.parametrize(
    ("select", "reason"),
    [
        (
            "SELECT t.transaction_date AS date, t.region, t.channel, count(*) AS total_transactions "
            "FROM silver.scout_clean_transactions AS t JOIN silver.scout_clean_products AS p "
            "ON p.product_id = t.product_id GROUP BY 1, 2, 3",
            "a JOIN",
        ),
        (
            "SELECT t.transaction_date AS date, t.region, t.channel, "
            "count(DISTINCT t.customer_id) AS total_transactions "
            "FROM silver.scout_clean_transactions AS t GROUP BY 1, 2, 3",
            "DISTINCT",
        ),
        (
            "SELECT t.transaction_date AS date, t.region, t.channel, max(t.amount) AS total_revenue, "
            "count(*) AS total_transactions FROM silver.scout_clean_transactions AS t GROUP BY 1, 2, 3",
            "only sum() and count() add up",
        ),
        (
            "SELECT t.transaction_date AS date, t.region, t.channel, sum(t.amount) AS total_revenue "
            "FROM silver.scout_clean_transactions AS t GROUP BY 1, 2, 3",
            "plain count(*)",
        ),
        (
            "SELECT t.transaction_date AS date, t.region, count(*) AS total_transactions "
            "FROM silver.scout_clean_transactions AS t GROUP BY 1, 2",
            "must be its group keys",
        ),
        (
            "SELECT t.transaction_date AS date, t.region, t.channel, count(*) AS total_transactions "
            "FROM silver.scout_clean_transactions AS t GROUP BY 1, 2, 3 HAVING count(*) > 1",
            "HAVING",
        ),
        (
            "SELECT t.transaction_date AS date, t.region, t.channel, count(*) AS total_transactions "
            "FROM silver.scout_clean_transactions AS t WHERE t.transaction_date > current_date - 30 "
            "GROUP BY 1, 2, 3",
            "the current date",
        ),
        (
            "SELECT t.transaction_date AS date, t.region, t.channel, count(*) AS total_transactions "
            "FROM silver.scout_clean_transactions AS t WHERE t.product_id IN "
            "(SELECT p.product_id FROM silver.scout_clean_products AS p) GROUP BY 1, 2, 3",
            "subquery",
        ),
    ],
)
def test_shapes_that_do_not_add_up_are_refused_at_load(
    engine: Engine, models_dir: Path, select: str, reason: str
) -> None:
    write_model(models_dir, GOLD, HEADER + select)
    with pytest.raises(ModelDefinitionError, match=re.escape(reason)):
        Runner(engine, models_dir)


def test_a_summary_out_of_step_with_its_upstream_fails_and_says_how_to_mend(
    engine: Engine, summary_runner: Runner, bronze: Bronze
) -> None:
    """A group that would count fewer than 0 rows means the table was changed behind the
    runner's back: the run fails, writes nothing, and names the full refresh that mends it."""
    runner = summary_runner
    bronze.add("a", "2025-01-01", "1.00")
    bronze.add("b", "2025-01-01", "2.00", region="south")
    assert runner.run().status == "success"
    engine.execute(f"DELETE FROM {quote_table(GOLD)} WHERE region = 'south'")  # behind its back
    before = snapshot(engine, GOLD)
    bronze.add("b", "2025-01-01", "2.00")  # b leaves south: -1 row there
    result = runner.run().result(GOLD)
    assert result.status == "failed"
    assert "--full-refresh" in (result.error or "")
    assert snapshot(engine, GOLD) == before
    assert runner.run([GOLD], full_refresh=True).status == "success"
    assert _gold(engine) == {(date(2025, 1, 1), "north", "online"): (Decimal("3.00"), 2)}


def test_a_summary_counts_rows_its_upstream_wrote_and_removed_between_its_runs_once(
    engine: Engine, summary_runner: Runner, bronze: Bronze
) -> None:
    """Silver runs twice before the summary does: a version written and replaced in between
    was never added, so it is not subtracted either; the old one is."""
    runner = summary_runner
    bronze.add("a", "2025-01-01", "1.00")
    assert runner.run().status == "success"
    bronze.add("a", "2025-01-01", "2.00")  # version 2, replacing 1
    assert runner.run([SILVER]).status == "success"
    bronze.add("a", "2025-01-01", "4.00")  # version 3, replacing 2 before gold saw it
    bronze.add("b", "2025-01-01", "8.00")
    assert runner.run([SILVER]).status == "success"
    assert runner.run().status == "success"
    assert _gold(engine) == {(date(2025, 1, 1), "north", "online"): (Decimal("12.00"), 2)}
    assert_full_refresh_keeps(engine, runner, GOLD)


def test_a_summary_starts_over_when_its_upstream_is_rebuilt_in_full(
    engine: Engine, summary_runner: Runner, bronze: Bronze
) -> None:
    """A full refresh restamps every upstream row and logs nothing: adding them again would
    count them twice, so the summary is rebuilt too."""
    runner = summary_runner
    bronze.add("a", "2025-01-01", "1.00")
    bronze.add("b", "2025-01-02", "2.00")
    assert runner.run().status == "success"
    assert runner.run([SILVER], full_refresh=True).status == "success"
    result = runner.run().result(GOLD)
    assert result.mode == "full_refresh"
    assert result.reason == f"its upstream {SILVER} was rebuilt in full"
    assert sum(n for _, n in _gold(engine).values()) == 2


def test_a_summary_of_a_table_that_rewrites_rows_in_place_is_refused(
    engine: Engine, models_dir: Path, bronze: Bronze
) -> None:
    """Sums can only subtract what a removal log keeps: a bronze table (or a full or merge
    model) gives no old values, so the run fails with the reason once it is incremental."""
    (models_dir / "gold" / "scout_kpi_product_performance.sql").unlink()
    write_model(
        models_dir,
        GOLD,
        HEADER
        + """SELECT b.partition_key AS date, b.source_system AS region, b.schema_version AS channel,
  count(*) AS total_transactions
FROM bronze.scout_raw_transactions AS b
GROUP BY b.partition_key, b.source_system, b.schema_version""",
    )
    runner = Runner(engine, models_dir)
    bronze.add("a", "2025-01-01", "1.00")
    assert runner.run().status == "success"  # the first build is a full one
    bronze.add("b", "2025-01-01", "1.00")
    result = runner.run().result(GOLD)
    assert result.status == "failed"
    assert "logs the rows it removes" in (result.error or "")
