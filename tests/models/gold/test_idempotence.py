"""All six gold models together: incremental twice = once, full refresh = incremental over the
same data (whole tables compared), and the revenue table still equals plain Python."""

from __future__ import annotations

from datetime import UTC, datetime

from databank.engines import Engine
from databank.transform.runner import Runner
from models.gold import expected, scenario
from models.gold.check import GOLD, assert_rows, snapshot
from models.gold.world import World

AGENTS = "gold.neural_databank_agent_performance"


def _stable(engine: Engine) -> dict[str, list[tuple[str, ...]]]:
    """Every gold table, minus today's agent rows (each run logs itself: they grow by design)."""
    today = str(datetime.now(UTC).date())
    tables = snapshot(engine, GOLD)
    tables[AGENTS] = [row for row in tables[AGENTS] if row[0] != today]
    return tables


def test_incremental_twice_equals_once_and_equals_a_full_refresh(
    engine: Engine, world: World, runner: Runner
) -> None:
    """Two waves built incrementally, a no-op run, then a full refresh: the same tables."""
    first, second = scenario.waves()
    world.customers(scenario.customers())
    world.campaigns(scenario.CAMPAIGNS)
    scenario.load(world, first)
    built = runner.run()
    assert built.status == "success", built.to_dict()
    assert {m.mode for m in built.models} == {"full_refresh"}  # the first build
    scenario.load(world, second)
    report = runner.run()
    assert report.status == "success", report.to_dict()
    modes = {m.model: m.mode for m in report.models}
    assert modes.pop("gold.scout_kpi_customer_metrics") == "full_refresh"  # kind full
    assert set(modes.values()) == {"incremental"}
    once = _stable(engine)
    assert all(once[t] for t in GOLD), {t: len(v) for t, v in once.items()}

    again = runner.run()
    assert again.status == "success"
    assert _stable(engine) == once
    assert {m.mode for m in again.models if m.model != AGENTS} == {"up_to_date"}

    full = runner.run(full_refresh=True)
    assert full.status == "success"
    assert {m.mode for m in full.models} == {"full_refresh"}
    assert _stable(engine) == once

    sales = first.sales + second.sales
    assert_rows(
        engine,
        "gold.scout_kpi_revenue_daily",
        expected.revenue_daily(sales, first.events + second.events),
    )
