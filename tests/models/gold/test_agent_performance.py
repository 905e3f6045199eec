"""gold.neural_databank_agent_performance from raw logs, against plain Python."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from databank.engines import Engine
from databank.transform.runner import Runner
from models.gold import expected_engagement as expected
from models.gold.check import assert_rows
from models.gold.records import log
from models.gold.world import World

TABLE = "gold.neural_databank_agent_performance"
LOGS = [
    log("transformer", "silver", "2025-03-01T10:05:00Z", "success", 2.0),
    log("transformer", "silver", "2025-03-01T10:40:00Z", "failed", 1.0),
    log("transformer", "silver", "2025-03-01T14:00:00Z", "skipped", None),
    log("ingestion", "bronze", "2025-03-01T10:00:00Z", "success", 43_200),
    log("ingestion", "bronze", "2025-03-01T11:00:00Z", "error", 30_000.25),
    log("crawler", "bronze", "2025-03-01T12:00:00Z", "success", 900_000),  # ten workers' worth
    log("transformer", "gold", "2025-03-01T23:30:00-01:00", "success", 0.1234567),  # 03-02 in UTC
    log("transformer", "gold", "2025-03-02T08:00:00Z", "success", 0.5),
]


def _past(key: tuple[object, ...]) -> bool:
    """The fixture's days (today's rows come from the writer's and the runner's own logs)."""
    return key[0] < datetime.now(UTC).date()  # type: ignore[operator]


def test_agent_performance_matches_python(engine: Engine, world: World, runner: Runner) -> None:
    """Every (day, agent, layer) of the fixture equals the independent computation."""
    world.bronze("logs", LOGS)
    assert runner.run([TABLE]).status == "success"
    got = assert_rows(engine, TABLE, expected.agent_performance(LOGS), where=_past)
    silver = got[(date(2025, 3, 1), "transformer", "silver")]
    assert (silver["total_operations"], silver["successful_operations"], silver["error_count"]) == (
        3,
        1,
        1,
    )
    assert silver["success_rate"] == Decimal("0.3333") and silver["avg_execution_time"] == Decimal(
        "1.50"
    )
    assert silver["throughput_per_hour"] == Decimal("1.50")  # 3 operations in hours 10 and 14
    assert (silver["timed_operations"], silver["busy_seconds"]) == (2, Decimal("3"))  # 'skipped'
    gold = got[(date(2025, 3, 2), "transformer", "gold")]
    assert gold["busy_seconds"] == Decimal("0.623457")  # 0.1234567 s kept to the microsecond
    assert got[(date(2025, 3, 1), "ingestion", "bronze")]["resource_utilization"] == Decimal(
        "0.8472"
    )
    assert got[(date(2025, 3, 1), "crawler", "bronze")]["resource_utilization"] == Decimal("9.9999")
    assert got[(date(2025, 3, 2), "transformer", "gold")]["total_operations"] == 2


def test_the_runners_own_runs_are_counted(engine: Engine, world: World, runner: Runner) -> None:
    """The runner logs each model run (agent `transformer`): a later run counts the earlier ones."""
    world.bronze("logs", LOGS[:1])
    assert runner.run([TABLE]).status == "success"
    assert runner.run([TABLE]).status == "success"
    today = datetime.now(UTC).date()
    row = engine.fetch_rows(
        f"SELECT total_operations, successful_operations FROM {TABLE} "
        "WHERE date = $d AND agent_id = 'transformer' AND layer = 'gold'",
        {"d": today},
    )
    assert row and row[0][0] >= 1 and row[0][0] == row[0][1]
