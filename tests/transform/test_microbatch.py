"""Freshness without a full run: a new bronze row reaches a gold model through the micro-batcher."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal

import pytest

from databank.engines import Engine
from databank.refresh import mark_refreshed
from databank.transform.microbatch import MicroBatcher
from databank.transform.runner import Runner
from transform.toy import BRONZE, GOLD, SILVER, Bronze


def _wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _revenue(engine: Engine) -> Decimal | None:
    value = engine.fetch_value(
        "SELECT total_revenue FROM gold.scout_kpi_revenue_daily "
        "WHERE date = DATE '2025-01-01' AND region = 'north' AND channel = 'online'"
    )
    return None if value is None else Decimal(value)


def test_a_new_bronze_row_reaches_gold_without_a_run(
    engine: Engine, runner: Runner, bronze: Bronze
) -> None:
    bronze.add("t1", "2025-01-01", "10.00")
    runner.run()
    batcher = MicroBatcher(runner, delay=0.2)
    batcher.start()
    try:
        bronze.add("t2", "2025-01-01", "5.00")
        batcher.notify(BRONZE)
        assert _wait_for(lambda: _revenue(engine) == Decimal("15.00"))
        assert batcher.wait_idle(20)
        assert batcher.runs == 1 and batcher.last_error is None
        assert batcher.last_report is not None and batcher.last_report.trigger == "microbatch"
        assert batcher.last_report.result(GOLD).mode == "incremental"

        bronze.add("t3", "2025-01-01", "1.00")
        mark_refreshed(engine, BRONZE)  # what a writer signals after it commits
        assert _wait_for(lambda: _revenue(engine) == Decimal("16.00"))
    finally:
        batcher.stop()
    assert not batcher.running


def test_notifications_within_the_delay_make_one_batch(
    engine: Engine, runner: Runner, bronze: Bronze
) -> None:
    bronze.add("t1", "2025-01-01", "10.00")
    runner.run()
    batcher = MicroBatcher(runner, delay=0.5, listen=False)
    batcher.start()
    try:
        for i in range(5):
            bronze.add(f"n{i}", "2025-01-01", "1.00")
            batcher.notify(BRONZE)
        assert batcher.wait_idle(30)
        assert batcher.runs == 1
        assert _revenue(engine) == Decimal("15.00")
        batcher.notify("bronze.scout_raw_events")  # no model reads it: nothing runs
        assert batcher.wait_idle(30) and batcher.runs == 1
    finally:
        batcher.stop()


def test_a_failed_batch_is_tried_again(engine: Engine, runner: Runner, bronze: Bronze) -> None:
    """An engine error in a batch (a write conflict, say) does not leave gold stale."""
    bronze.add("t1", "2025-01-01", "10.00")
    runner.run()
    calls: list[str] = []
    real_run = runner.run

    def flaky_run(*args: object, **options: object) -> object:
        calls.append("run")
        if len(calls) == 1:
            raise RuntimeError("transaction conflict")
        return real_run(*args, **options)  # type: ignore[arg-type]

    runner.run = flaky_run  # type: ignore[method-assign]
    batcher = MicroBatcher(lambda: runner, delay=0.1, listen=False)  # a factory: made on first use
    batcher.start()
    try:
        bronze.add("t2", "2025-01-01", "5.00")
        batcher.notify(BRONZE)
        assert _wait_for(lambda: _revenue(engine) == Decimal("15.00"))
        assert batcher.wait_idle(20)
        assert calls == ["run", "run"] and batcher.runs == 1 and batcher.last_error is None
    finally:
        batcher.stop()


def test_a_batch_brings_the_upstream_models_along(
    engine: Engine, runner: Runner, bronze: Bronze
) -> None:
    """A notified silver table runs gold, and gold's upstream (silver) first: gold is never built
    from a silver table that is behind its bronze rows."""
    bronze.add("t1", "2025-01-01", "10.00")
    runner.run()
    assert runner.with_upstream([GOLD]) == [SILVER, GOLD]
    batcher = MicroBatcher(runner, delay=0.2, listen=False)
    batcher.start()
    try:
        bronze.add("t2", "2025-01-01", "5.00")  # not announced: only silver's own run would see it
        batcher.notify(SILVER)
        assert batcher.wait_idle(30)
        assert batcher.last_report is not None
        ran = [m.model for m in batcher.last_report.models]
        assert ran[0] == SILVER and GOLD in ran
        assert _revenue(engine) == Decimal("15.00")
    finally:
        batcher.stop()


def test_storage_upkeep_runs_after_a_batch_not_inside_it(
    engine: Engine, runner: Runner, bronze: Bronze, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine's housekeeping (DuckDB: a checkpoint) runs once gold has the batch."""
    bronze.add("t1", "2025-01-01", "10.00")
    runner.run()
    seen: list[Decimal | None] = []
    monkeypatch.setattr(engine, "housekeep", lambda: seen.append(_revenue(engine)) or False)
    batcher = MicroBatcher(runner, delay=0.1, listen=False)
    batcher.start()
    try:
        bronze.add("t2", "2025-01-01", "5.00")
        batcher.notify(BRONZE)
        assert _wait_for(lambda: bool(seen))
        assert batcher.wait_idle(20)
    finally:
        batcher.stop()
    assert seen == [Decimal("15.00")]
