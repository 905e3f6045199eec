"""Declared tests: results in the quality metrics, `error` stops the model and what is downstream."""

from __future__ import annotations

import json
from pathlib import Path

from databank.engines import Engine
from databank.engines.base import quote_table
from databank.transform.runner import Runner
from transform.toy import GOLD, PRODUCTS, SILVER, Bronze

METRICS = "silver.neural_databank_quality_metrics"
LOGS = "bronze.neural_databank_raw_logs"


def _runner(engine: Engine, models_dir: Path, test: str) -> Runner:
    path = models_dir / "silver" / "scout_clean_transactions.sql"
    path.write_text(
        path.read_text().replace("unique(transaction_id),", f"unique(transaction_id),\n    {test},")
    )
    return Runner(engine, models_dir)


def _metrics(engine: Engine, name: str) -> list[tuple]:
    return engine.fetch_rows(
        f"SELECT layer, table_name, metric_value, threshold_max, status FROM {quote_table(METRICS)} "
        "WHERE metric_name = $m ORDER BY created_at",
        {"m": name},
    )


def test_an_error_test_rolls_back_and_skips_downstream(
    engine: Engine, models_dir: Path, bronze: Bronze
) -> None:
    runner = _runner(engine, models_dir, "range(amount, min := 0)")
    bronze.add("t1", "2025-01-01", "10.00")
    assert runner.run().status == "success"
    before = {t: engine.count_rows(t) for t in (SILVER, GOLD, PRODUCTS)}
    bronze.add("t2", "2025-01-01", "-4.00")
    report = runner.run()
    assert report.status == "failed"
    silver = report.result(SILVER)
    assert (silver.status, silver.mode) == ("failed", "rolled_back")
    assert "range:amount" in (silver.error or "")
    assert [(c.name, c.status, c.metric_value) for c in silver.checks if c.status != "pass"] == [
        ("range:amount", "fail", 1.0)
    ]
    for downstream in (GOLD, PRODUCTS):
        assert report.result(downstream).status == "skipped"
        assert SILVER in (report.result(downstream).reason or "")
    assert {t: engine.count_rows(t) for t in (SILVER, GOLD, PRODUCTS)} == before
    assert _metrics(engine, "range:amount")[-1] == (
        "silver",
        "scout_clean_transactions",
        1,
        0,
        "fail",
    )
    assert runner.run().result(SILVER).status == "failed"  # not skipped over: read again
    logs = engine.fetch_rows(
        f"SELECT operation, status, payload, error_details FROM {quote_table(LOGS)} "
        "WHERE agent_id = 'transformer' ORDER BY created_at"
    )
    statuses = [(op, status) for op, status, _, _ in logs]
    assert ("run:silver.scout_clean_transactions", "failed") in statuses
    assert ("run:gold.scout_kpi_revenue_daily", "skipped") in statuses
    last_failed = [row for row in logs if row[1] == "failed"][-1]
    payload = last_failed[2] if isinstance(last_failed[2], dict) else json.loads(last_failed[2])
    assert payload["model"] == SILVER and payload["tests"]["range:amount"] == "fail"
    assert last_failed[3] is not None


def test_a_warn_test_is_recorded_and_does_not_stop(
    engine: Engine, models_dir: Path, bronze: Bronze
) -> None:
    runner = Runner(engine, models_dir)
    bronze.add("t1", "2025-01-01", "10.00", channel="online")
    bronze.add("t2", "2025-01-01", "5.00", channel="fax")  # not an accepted channel: severity warn
    report = runner.run()
    assert report.status == "success"
    assert report.result(GOLD).status == "success"
    checks = {c.name: c for c in report.result(SILVER).checks}
    assert checks["accepted_values:channel"].status == "warn"
    assert checks["accepted_values:channel"].metric_value == 1.0
    assert checks["not_null:amount"].status == "pass"
    assert _metrics(engine, "accepted_values:channel") == [
        ("silver", "scout_clean_transactions", 1, 0, "warn")
    ]
    assert _metrics(engine, "unique:date,region,channel") == [
        ("gold", "scout_kpi_revenue_daily", 0, 0, "pass")
    ]
    assert engine.count_rows(SILVER) == 2


def test_tests_on_an_incremental_run_look_at_the_new_partitions(
    engine: Engine, models_dir: Path, bronze: Bronze
) -> None:
    runner = _runner(engine, models_dir, "range(amount, max := 100, severity := 'warn')")
    bronze.add("big", "2025-01-01", "500.00")
    first = {c.name: c for c in runner.run().result(SILVER).checks}
    assert (first["range:amount"].status, first["range:amount"].metric_value) == ("warn", 1.0)
    bronze.add("small", "2025-01-02", "5.00")
    report = runner.run()
    assert report.result(SILVER).partition_values != []
    ranged = next(c for c in report.result(SILVER).checks if c.name == "range:amount")
    assert (ranged.status, ranged.metric_value) == ("pass", 0.0)  # 2025-01-01 was not rewritten


def test_a_failure_rate_can_be_allowed(engine: Engine, models_dir: Path, bronze: Bronze) -> None:
    runner = _runner(engine, models_dir, "range(amount, max := 100, max_rate := 0.5)")
    bronze.add("a", "2025-01-01", "500.00")
    bronze.add("b", "2025-01-01", "5.00")
    bronze.add("c", "2025-01-01", "6.00")
    check = next(c for c in runner.run().result(SILVER).checks if c.name == "range:amount")
    assert (
        check.status == "pass"
        and abs(check.metric_value - 1 / 3) < 1e-9
        and check.threshold_max == 0.5
    )


def test_a_repeated_grain_never_reaches_the_table(
    engine: Engine, models_dir: Path, bronze: Bronze
) -> None:
    """Two rows for one transaction_id are refused on every engine: by the table's UNIQUE
    constraint where the model layers keep keys (PostgreSQL), by the `unique` test inside the
    writing transaction where they do not (DuckDB); either way the write rolls back."""
    path = models_dir / "silver" / "scout_clean_transactions.sql"
    path.write_text(path.read_text().split("QUALIFY")[0])  # keep every delivery
    runner = Runner(engine, models_dir)
    bronze.add("t1", "2025-01-01", "10.00")
    assert runner.run().status == "success"
    before = engine.fetch_rows(f"SELECT id, transaction_id, amount FROM {quote_table(SILVER)}")
    bronze.add("t1", "2025-01-01", "12.00")  # a second version of t1
    report = runner.run()
    assert report.result(SILVER).status == "failed"
    assert report.result(GOLD).status == "skipped"
    after = engine.fetch_rows(f"SELECT id, transaction_id, amount FROM {quote_table(SILVER)}")
    assert after == before
    if not engine.unique_keys(SILVER):
        unique = next(c for c in report.result(SILVER).checks if c.name == "unique:transaction_id")
        assert (unique.status, unique.metric_value) == ("fail", 2.0)  # both rows of the key
