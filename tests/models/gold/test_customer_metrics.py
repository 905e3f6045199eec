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
    assert runner.run([TABLE]).status == "success"
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
    assert runner.run([TABLE]).status == "success"
    engine.execute(
        "UPDATE silver.scout_clean_customers SET customer_tier = 'silver', updated_at = now() "
        "WHERE customer_id = 'A'"
    )
    report = runner.run([TABLE])
    assert report.models[0].mode == "full_refresh"
    moved = [{**c, "customer_tier": "silver"} if c["customer_id"] == "A" else c for c in CUSTOMERS]
    got = assert_rows(engine, TABLE, expected.customer_metrics(SALES, moved))
    assert got[(date(2025, 1, 10), "gold")]["new_acquisitions"] == 1  # B only, now
