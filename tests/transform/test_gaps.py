"""Watermark coverage: each run records its interval; holes are reported, and read rather than skipped."""

from __future__ import annotations

from datetime import timedelta

from databank.engines import Engine
from databank.transform.runner import Runner
from transform.toy import BRONZE, SILVER, Bronze


def test_a_moved_watermark_is_reported_and_the_gap_is_read(
    engine: Engine, runner: Runner, bronze: Bronze
) -> None:
    bronze.add("t1", "2025-01-01", "1.00")
    runner.run()
    (covered,) = engine.fetch_rows(
        "SELECT watermark FROM meta.transform_watermarks WHERE model = $m AND source_table = $s",
        {"m": SILVER, "s": BRONZE},
    )[0]
    bronze.add("t2", "2025-01-02", "2.00")
    skipped_to = bronze.tick() + timedelta(seconds=1)
    # Someone moves the watermark past t2: without gap detection, t2 would never reach silver.
    engine.execute(
        "UPDATE meta.transform_watermarks SET watermark = $w WHERE model = $m",
        {"w": skipped_to, "m": SILVER},
    )
    report = runner.run()
    gaps = report.result(SILVER).gaps
    assert [(g.source_table, g.after, g.before, g.found_in) for g in gaps] == [
        (BRONZE, covered, skipped_to, "watermark")
    ]
    assert report.gaps == gaps
    assert (
        engine.fetch_value(
            "SELECT count(*) FROM silver.scout_clean_transactions WHERE transaction_id = 't2'"
        )
        == 1
    )
    assert runner.watermark_gaps(SILVER) == []  # the history stays contiguous


def test_a_hole_in_the_history_is_found(engine: Engine, runner: Runner, bronze: Bronze) -> None:
    for i in range(3):
        bronze.add(f"t{i}", "2025-01-01", "1.00")
        runner.run()
    assert runner.watermark_gaps() == []
    history = engine.fetch_rows(
        "SELECT run_id, low_watermark, high_watermark FROM meta.transform_watermark_history "
        "WHERE model = $m ORDER BY recorded_at",
        {"m": SILVER},
    )
    assert len(history) == 3 and history[0][1] is None
    assert history[1][1] == history[0][2] and history[2][1] == history[1][2]  # contiguous
    engine.execute(
        "DELETE FROM meta.transform_watermark_history WHERE run_id = $r AND model = $m",
        {"r": history[1][0], "m": SILVER},
    )
    gaps = runner.watermark_gaps(SILVER)
    assert [(g.model, g.source_table, g.after, g.before, g.found_in) for g in gaps] == [
        (SILVER, BRONZE, history[0][2], history[2][1], "history")
    ]
    assert "never covered" in str(gaps[0])
