"""gold.ces_kpi_satisfaction_scores: feedback, NPS at its extremes, and support contacts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from databank.engines import Engine
from databank.transform.runner import Runner
from models.gold import expected_engagement as expected
from models.gold.check import assert_rows
from models.gold.records import contact, feedback
from models.gold.world import World

TABLE = "gold.ces_kpi_satisfaction_scores"
COUNTS = (
    "support_contacts",
    "responded_contacts",
    "resolved_contacts",
    "escalated_contacts",
    "timed_contacts",
    "resolution_seconds",
)
D1, D2, D3 = date(2025, 3, 1), date(2025, 3, 2), date(2025, 3, 3)
FEEDBACK = [
    feedback("F1", "2025-03-01T09:00:00Z", rating=5, nps=9, sentiment="0.5"),
    feedback("F2", "2025-03-01T10:00:00Z", rating=4, nps=10, sentiment="0.25"),
    feedback("F3", "2025-03-01T11:00:00+01:00", rating=5, nps=10, sentiment="-0.1"),
    feedback(
        "F4",
        "2025-03-01T12:00:00Z",
        rating=1,
        nps=0,
        sentiment="-0.9",
        channel="app_review",
        kind="delivery",
    ),
    feedback(
        "F5",
        "2025-03-01T13:00:00Z",
        rating=2,
        nps=6,
        sentiment="-0.45",
        channel="app_review",
        kind="delivery",
    ),
    feedback("F6", "2025-03-02T09:00:00Z", rating=3, nps=7, sentiment="0.05"),
    feedback("F7", "2025-03-02T10:00:00Z", rating=4.5, nps=9),
    feedback("F8", "2025-03-02T11:00:00Z", rating=4),  # no NPS answer
    feedback("F9", "2025-03-02T23:30:00-02:00", nps=3, sentiment="-0.2"),  # 2025-03-03 in UTC
]
CONTACTS = [
    contact("X1", "2025-03-01T09:00:00Z", resolved_at="2025-03-01T11:30:00Z", responded=True, resolution_status="resolved"),
    contact("X2", "2025-03-01T10:00:00Z", responded=False, resolution_status="open"),
    contact("X3", "2025-03-01T12:00:00Z", resolved_at="2025-03-02T12:00:00Z", responded=True,
            escalated=True, resolution_status="escalated"),
    contact("X4", "2025-03-01T13:00:00Z", "chat", "chat", resolved_at="2025-03-01T13:10:00Z",
            responded=True, resolution_status="resolved", escalated=False),
    contact("X5", "2025-03-02T23:30:00-01:00", "call", "phone", responded=True, resolution_status="open"),
]  # fmt: skip
UPDATED = [  # X2 delivered again once solved: the latest delivery counts
    contact(
        "X2",
        "2025-03-01T10:00:00Z",
        resolved_at="2025-03-01T10:20:00Z",
        responded=True,
        resolution_status="resolved",
    ),
]


def _build(world: World) -> None:
    world.feedback(FEEDBACK)
    world.bronze("interactions", CONTACTS)
    world.bronze("interactions", UPDATED)


def test_satisfaction_matches_python(engine: Engine, world: World, runner: Runner) -> None:
    """Every group equals the independent computation; NPS reaches both ends of its range."""
    _build(world)
    assert runner.run([TABLE]).status == "success"
    got = assert_rows(engine, TABLE, expected.satisfaction(FEEDBACK, CONTACTS + UPDATED))
    promoters = got[(D1, "survey", "purchase")]
    assert promoters["nps_score"] == Decimal("100.00")  # 9, 10, 10: all promoters
    assert promoters["avg_rating"] == Decimal("4.67") and promoters[
        "avg_sentiment_score"
    ] == Decimal("0.2167")
    assert promoters["response_rate"] is None  # feedback only: no support contacts
    detractors = got[(D1, "app_review", "delivery")]
    assert detractors["nps_score"] == Decimal("-100.00")  # 0 and 6: all detractors
    assert detractors["avg_sentiment_score"] == Decimal("-0.6750")
    assert got[(D2, "survey", "purchase")]["nps_score"] == Decimal("50.00")  # 7 passive, 9 promoter
    assert got[(D3, "survey", "purchase")]["nps_score"] == Decimal("-100.00")  # F9, by its UTC day
    tickets = got[(D1, "email", "support_ticket")]
    assert tickets["total_interactions"] == 3 and tickets["avg_rating"] is None
    assert (tickets["response_rate"], tickets["resolution_rate"], tickets["escalation_rate"]) == (
        Decimal("1.0000"), Decimal("0.6667"), Decimal("0.3333"),
    )  # fmt: skip
    assert tickets["avg_resolution_time"] == Decimal("8.94")  # (2.5 h + 20 min + 24 h) / 3
    assert got[(D3, "phone", "call")]["avg_resolution_time"] is None
    # the counts behind the rates (0009): X1, X2 (updated) and X3, all answered, two resolved
    assert [tickets[c] for c in COUNTS] == [3, 3, 2, 1, 3, 9000 + 1200 + 86400]
    assert (promoters["nps_responses"], promoters["nps_net_promoters"]) == (3, 3)
    assert (detractors["nps_responses"], detractors["nps_net_promoters"]) == (2, -2)
    assert (promoters["rating_count"], promoters["rating_sum"]) == (3, Decimal("14.00"))
    assert promoters["sentiment_sum"] == Decimal("0.650000") and promoters["support_contacts"] == 0
    assert (tickets["rating_count"], tickets["nps_responses"]) == (0, 0)  # no feedback: 0, not null


def test_nps_column_holds_both_extremes(engine: Engine) -> None:
    """Migration 0007 widened nps_score: 100.00 and -100.00 are stored as they are."""
    for channel, score in (("a", "100.00"), ("b", "-100.00"), ("c", "99.99")):
        engine.execute(
            f"INSERT INTO {TABLE} (date, channel, interaction_type, nps_score) "
            "VALUES (DATE '2025-03-01', $c, 'survey', $s)",
            {"c": channel, "s": Decimal(score)},
        )
    rows = dict(engine.fetch_rows(f"SELECT channel, nps_score FROM {TABLE}"))
    assert rows == {"a": Decimal("100.00"), "b": Decimal("-100.00"), "c": Decimal("99.99")}
    evolution = engine.fetch_rows(
        "SELECT change_type, backward_compatible FROM meta.neural_schema_evolution "
        "WHERE schema_version = '0007' AND table_name = 'ces_kpi_satisfaction_scores'"
    )
    assert evolution == [("alter_type", True)]


def test_late_feedback_updates_its_day(engine: Engine, world: World, runner: Runner) -> None:
    """Feedback arriving later rewrites its own day only."""
    _build(world)
    assert runner.run([TABLE]).status == "success"
    late = [feedback("F10", "2025-03-02T15:00:00Z", rating=1, nps=1, sentiment="-0.8")]
    world.feedback(late)
    result = runner.run([TABLE]).models[0]
    assert result.mode == "incremental" and result.partition_values == [D2]
    got = assert_rows(engine, TABLE, expected.satisfaction(FEEDBACK + late, CONTACTS + UPDATED))
    assert got[(D2, "survey", "purchase")]["nps_score"] == Decimal("0.00")  # 9 vs 1; 7 passive
