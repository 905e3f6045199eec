"""gold.scout_kpi_product_performance against plain Python: units from bronze, stock snapshots,
returns, the 28-day forecast and its horizon."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from databank.engines import Engine
from databank.transform.runner import Runner
from models.gold import expected
from models.gold.check import actual, assert_rows
from models.gold.records import refund, sale, snapshot
from models.gold.world import World

TABLE = "gold.scout_kpi_product_performance"
SNAPSHOTS = [  # in time order, as the source sends them
    snapshot("P1", "2025-03-01T08:00:00Z", stock=10, status="in_stock"),
    snapshot(
        "P2",
        "2025-03-02T08:00:00Z",
        stock=3,
        status="low_stock",
        price=25.0,
        cost=15.0,
        category="Garden",
    ),
    snapshot("P1", "2025-03-03T21:00:00+02:00", stock=5, status="low_stock"),  # 19:00 UTC
    snapshot("P1", "2025-03-03T20:00:00Z", stock=0, status="out_of_stock"),  # the day's last
    snapshot("P1", "2025-03-10T10:00:00Z", stock=8, status="in_stock"),
]
SALES = [
    sale("T1", "C1", "2025-03-01T10:00:00Z", 40.00, quantity=2),
    sale("T2", "C2", "2025-03-02T10:00:00Z", 60.00, quantity=3),
    refund("R1", "T2", "C2", "2025-03-02T16:00:00Z", 20.00, quantity=1),
    sale("T3", "C3", "2025-03-02T11:00:00Z", 25.00, product_id="P2", quantity=None),  # 1 unit
    sale("T4", "C1", "2025-03-05T10:00:00Z", 20.00, quantity=1),
    sale("T5", "C4", "2025-04-10T10:00:00Z", 80.00, quantity=4),
]


def _build(world: World) -> None:
    world.products(SNAPSHOTS)
    world.transactions(SALES)


def test_product_performance_matches_python(engine: Engine, world: World, runner: Runner) -> None:
    """Every product-day of the table equals the independent computation."""
    _build(world)
    assert runner.run([TABLE]).status == "success"
    got = assert_rows(engine, TABLE, expected.product_performance(SALES, SNAPSHOTS))
    first = got[(date(2025, 3, 1), "P1")]
    assert (first["units_sold"], first["inventory_turnover"], first["demand_forecast"]) == (
        2, Decimal("0.2000"), Decimal("0.00"),
    )  # fmt: skip
    second = got[(date(2025, 3, 2), "P1")]
    assert second["revenue"] == Decimal("40.00") and second["return_rate"] == Decimal("0.3333")
    assert second["demand_forecast"] == Decimal("0.07")  # 2 units / 28 days
    quiet = got[(date(2025, 3, 4), "P1")]  # no sale, but in the forecast horizon: out of stock
    assert (quiet["revenue"], quiet["units_sold"], quiet["stock_out_days"]) == (
        Decimal("0.00"),
        0,
        1,
    )
    assert quiet["demand_forecast"] == Decimal("0.18")  # 5 units / 28 days
    assert got[(date(2025, 3, 10), "P1")]["stock_out_days"] == 0
    garden = got[(date(2025, 3, 2), "P2")]
    assert (garden["units_sold"], garden["margin_percentage"], garden["category_l1"]) == (
        1, Decimal("0.4000"), "Garden",
    )  # fmt: skip
    assert (date(2025, 4, 2), "P1") in got and (date(2025, 4, 3), "P1") not in got  # 28 days on
    assert (date(2025, 5, 8), "P1") in got and (date(2025, 5, 9), "P1") not in got


def test_a_late_sale_rebuilds_its_day_and_its_forecast_horizon(
    engine: Engine, world: World, runner: Runner
) -> None:
    """A late sale changes its own day and the 28 days whose forecast it feeds, nothing else."""
    _build(world)
    assert runner.run([TABLE]).status == "success"
    before = actual(engine, TABLE)
    late = sale("T6", "C5", "2025-03-06T09:00:00Z", 30.00, quantity=3)
    world.transactions([late])
    result = runner.run([TABLE]).models[0]
    horizon = [date(2025, 3, 6) + timedelta(days=i) for i in range(29)]
    assert result.mode == "incremental" and result.partition_values == horizon
    after = assert_rows(engine, TABLE, expected.product_performance([*SALES, late], SNAPSHOTS))
    changed = {k for k in after if after[k] != before.get(k)} | (set(before) - set(after))
    assert changed == {(d, "P1") for d in horizon}


def test_a_new_stock_snapshot_carries_forward(engine: Engine, world: World, runner: Runner) -> None:
    """A snapshot arriving later applies from its day on, until the next one."""
    _build(world)
    assert runner.run([TABLE]).status == "success"
    more = [snapshot("P1", "2025-03-06T07:00:00Z", stock=2, status="low_stock")]
    world.products(more)
    assert runner.run([TABLE]).status == "success"
    got = assert_rows(engine, TABLE, expected.product_performance(SALES, SNAPSHOTS + more))
    assert [got[(date(2025, 3, d), "P1")]["stock_out_days"] for d in (5, 6, 9, 10)] == [1, 0, 0, 0]
