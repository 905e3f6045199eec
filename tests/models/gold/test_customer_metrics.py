"""gold.scout_kpi_customer_metrics against a day-by-day Python computation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from databank.engines import Engine
from databank.transform.runner import Runner
from models.gold import expected
from models.gold.check import assert_rows
from models.gold.records import refund, sale
from models.gold.world import World

TABLE = "gold.scout_kpi_customer_metrics"
ACTIVITY = "meta.customer_activity"  # its per-customer half (migration 0013)
CUSTOMERS = [
    {"customer_id": "A", "customer_tier": "gold", "registration_date": date(2025, 1, 1)},
    {"customer_id": "B", "customer_tier": "gold", "registration_date": date(2024, 12, 20)},
    {"customer_id": "C", "customer_tier": "silver", "registration_date": date(2025, 1, 5)},
    {"customer_id": "D", "customer_tier": "silver", "registration_date": None},
    {"customer_id": "G", "customer_tier": "gold", "registration_date": date(2025, 6, 1)},
    {
        "customer_id": "H",
        "customer_tier": "bronze",
        "registration_date": date(2025, 2, 1),
    },  # never buys
]


def _day(text: str) -> str:
    return f"{text}T12:00:00Z"


SALES = [
    sale("A1", "A", _day("2025-01-10"), 100.00),
    sale("A2", "A", _day("2025-02-15"), 40.00),
    sale("A3", "A", _day("2025-03-01"), 10.00),  # A's last: churns on 2025-05-30
    sale("B1", "B", _day("2025-01-10"), 25.00),  # churns on 2025-04-10
    sale("C1", "C", _day("2025-04-20"), 80.00),  # registered in January, first purchase in April
    refund("CR", "C1", "C", _day("2025-04-25"), 30.00),
    sale("D1", "D", _day("2025-01-20"), 5.00),
    sale("D2", "D", _day("2025-04-20"), 5.00),  # exactly 90 days later: no churn in between
    sale("E1", "E", _day("2025-02-01"), 12.00),  # E and F have no silver customer row: 'unknown'
    sale("E2", "E", _day("2025-05-02"), 12.00),  # 90 days: still active
    sale("F1", "F", _day("2025-02-01"), 7.00),
    sale("F2", "F", _day("2025-05-03"), 7.00),  # 91 days: churned on 2025-05-02, back on 05-03
    sale("F3", "F", _day("2025-05-03"), 1.00),  # a second purchase the same day is one purchase day
    sale("G1", "G", _day("2025-06-15"), 60.00),
]


def test_customer_metrics_match_python(engine: Engine, world: World, runner: Runner) -> None:
    """Every day of every tier equals the day-by-day computation of the written definitions."""
    world.customers(CUSTOMERS)
    world.transactions(SALES)
    assert runner.run([ACTIVITY, TABLE]).status == "success"
    got = assert_rows(engine, TABLE, expected.customer_metrics(SALES, CUSTOMERS))
    assert min(k[0] for k in got) == date(2024, 12, 20) and max(k[0] for k in got) == date(
        2025, 6, 15
    )
    assert got[(date(2025, 4, 10), "gold")]["churn_count"] == 1  # B, 90 days after 2025-01-10
    assert got[(date(2025, 5, 30), "gold")]["churn_count"] == 1  # A
    assert got[(date(2025, 4, 20), "silver")]["churn_count"] == 0  # D came back on day 90
    assert got[(date(2025, 5, 2), "unknown")]["churn_count"] == 1  # F (E bought that day)
    assert got[(date(2025, 5, 2), "unknown")]["churn_rate"] == Decimal("0.5000")  # F of E, F
    assert got[(date(2025, 1, 10), "gold")]["new_acquisitions"] == 2
    assert got[(date(2025, 2, 15), "gold")]["active_customers"] == 2
    assert got[(date(2025, 2, 15), "gold")]["avg_engagement_score"] == Decimal("1.50")  # A 2, B 1
    # Active on 2025-02-28: A and B. On 2025-05-29 A still is (no break since January), B churned.
    assert got[(date(2025, 5, 29), "gold")]["retention_rate"] == Decimal("0.5000")
    # the rates' counts (0010): F churns of the two active on 05-01; A of A and B is retained
    assert got[(date(2025, 5, 2), "unknown")]["churn_base"] == 2
    may29 = got[(date(2025, 5, 29), "gold")]
    assert (may29["retention_base"], may29["retained"]) == (2, 1)
    assert got[(date(2024, 12, 20), "gold")]["churn_base"] == 0  # the first day: none before
    assert got[(date(2025, 3, 1), "gold")]["retention_base"] == 0  # 90 days before: none yet
    assert got[(date(2025, 4, 25), "silver")]["avg_lifetime_value"] == Decimal(
        "30.00"
    )  # (80-30+10)/2
    assert got[(date(2025, 3, 1), "bronze")]["total_customers"] == 1
    assert got[(date(2025, 3, 1), "bronze")]["active_customers"] == 0


def test_a_tier_change_moves_the_customer_in_every_past_day(
    engine: Engine, world: World, runner: Runner
) -> None:
    """Full rebuild: tiers are today's, so a tier change rewrites the history of both tiers."""
    world.customers(CUSTOMERS)
    world.transactions(SALES)
    assert runner.run([ACTIVITY, TABLE]).status == "success"
    engine.execute(
        "UPDATE silver.scout_clean_customers SET customer_tier = 'silver', updated_at = now() "
        "WHERE customer_id = 'A'"
    )
    report = runner.run([ACTIVITY, TABLE])
    modes = {m.model: m.mode for m in report.models}
    assert modes == {ACTIVITY: "incremental", TABLE: "full_refresh"}
    moved = [{**c, "customer_tier": "silver"} if c["customer_id"] == "A" else c for c in CUSTOMERS]
    got = assert_rows(engine, TABLE, expected.customer_metrics(SALES, moved))
    assert got[(date(2025, 1, 10), "gold")]["new_acquisitions"] == 1  # B only, now


def _activity(engine: Engine) -> list[tuple[str, ...]]:
    columns = "customer_id, day, customer_tier, net_cents, purchase, next_purchase, spell_start, known, acquired"
    rows = engine.fetch_rows(
        f"SELECT {columns} FROM meta.customer_activity ORDER BY customer_id, day"
    )
    return [tuple(str(v) for v in row) for row in rows]


def test_activity_rederives_only_the_customers_a_run_touches(
    engine: Engine, world: World, runner: Runner
) -> None:
    """New sales of one customer and a tier change of another re-derive exactly those two, and
    the result equals a full refresh; the gold table still equals the Python computation."""
    world.customers(CUSTOMERS)
    early = [s for s in SALES if s["transaction_id"] != "A3"]
    world.transactions(early)
    assert runner.run([ACTIVITY, TABLE]).status == "success"
    world.transactions([s for s in SALES if s["transaction_id"] == "A3"])
    engine.execute(
        "UPDATE silver.scout_clean_customers SET customer_tier = 'gold', updated_at = now() "
        "WHERE customer_id = 'C'"
    )
    report = runner.run([ACTIVITY, TABLE])
    assert report.status == "success", report.to_dict()
    touched = report.result(ACTIVITY)
    assert (touched.mode, touched.partitions) == ("incremental", 2)  # A and C
    incremental = _activity(engine)
    # C became known on its registration day, bought on 04-20 and refunded on 04-25 (no purchase)
    c_rows = [r for r in incremental if r[0] == "C"]
    assert [(r[1], r[2], r[4], r[7], r[8]) for r in c_rows] == [
        ("2025-01-05", "gold", "False", "True", "False"),
        ("2025-04-20", "gold", "True", "False", "True"),
        ("2025-04-25", "gold", "False", "False", "False"),
    ]
    assert [r[3] for r in c_rows] == ["0", "8000", "-3000"]
    a_rows = [r for r in incremental if r[0] == "A"]
    assert [(r[1], r[5], r[6]) for r in a_rows][-2:] == [
        ("2025-02-15", "2025-03-01", "2025-01-10"),
        ("2025-03-01", "None", "2025-01-10"),
    ]
    assert runner.run([ACTIVITY, TABLE], full_refresh=True).status == "success"
    assert _activity(engine) == incremental
    moved = [{**c, "customer_tier": "gold"} if c["customer_id"] == "C" else c for c in CUSTOMERS]
    assert_rows(engine, TABLE, expected.customer_metrics(SALES, moved))
