"""Watermarks: per (model, upstream table) the newest ingestion time a model has processed.

Every run records the interval it covered, (low, high], in `meta.transform_watermark_history`.
Coverage must be contiguous: a run whose low is above everything covered before leaves rows that
no run ever read. Such gaps are found in two places: in the history (`find_gaps`), and at run time
when the stored watermark is ahead of the history (someone moved it): then the runner reports the
gap and reads from the last covered point, so the gap is processed rather than skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from databank.engines.base import Engine, quote_ident, quote_table

WATERMARKS = "meta.transform_watermarks"
HISTORY = "meta.transform_watermark_history"


@dataclass(frozen=True)
class Interval:
    """What one run read from one upstream table: rows with low < column <= high."""

    source_table: str
    column: str
    low: datetime | None  # None: from the beginning
    high: datetime | None  # None: the table had no rows


@dataclass(frozen=True)
class Gap:
    """Rows of `source_table` with `after < column <= before` that `model` may never have read."""

    model: str
    source_table: str
    after: datetime | None
    before: datetime | None
    found_in: str  # "history" or "watermark"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "model": self.model,
            "source_table": self.source_table,
            "after": self.after.isoformat() if self.after else None,
            "before": self.before.isoformat() if self.before else None,
            "found_in": self.found_in,
        }

    def __str__(self) -> str:
        return (
            f"watermark gap for {self.model} on {self.source_table}: "
            f"({self.after}, {self.before}] was never covered ({self.found_in})"
        )


def newest(engine: Engine, table: str, column: str) -> datetime | None:
    """The newest value of `table.column` (the upper bound of what a run reads)."""
    return engine.fetch_value(f"SELECT max({quote_ident(column)}) FROM {quote_table(table)}")


def load_all(engine: Engine) -> dict[str, dict[str, tuple[str, datetime | None]]]:
    """Stored watermarks of every model: model → upstream table → (column, value).

    Read once per run: one query instead of one per model (a micro-batch runs 14 models)."""
    found: dict[str, dict[str, tuple[str, datetime | None]]] = {}
    for model, table, column, value in engine.fetch_rows(
        f"SELECT model, source_table, watermark_column, watermark FROM {WATERMARKS}"
    ):
        found.setdefault(model, {})[table] = (column, value)
    return found


def history_high_all(engine: Engine) -> dict[str, dict[str, datetime | None]]:
    """Per model, the highest watermark each upstream's history reaches (what runs covered)."""
    found: dict[str, dict[str, datetime | None]] = {}
    for model, table, high in engine.fetch_rows(
        f"SELECT model, source_table, max(high_watermark) FROM {HISTORY} "
        "GROUP BY model, source_table"
    ):
        found.setdefault(model, {})[table] = high
    return found


def save(
    engine: Engine,
    run_id: str,
    model: str,
    intervals: Sequence[Interval],
    mode: str,
    rows: int,
    partitions: int,
) -> None:
    """Store the new watermarks and the intervals just covered (inside the model's transaction):
    three statements whatever the number of upstreams."""
    if not intervals:
        return
    now = engine.now_sql
    keys: dict[str, Any] = {"m": model}
    marks: dict[str, Any] = {"m": model}
    covered: dict[str, Any] = {"m": model, "r": run_id, "mode": mode, "rows": rows}
    covered["parts"] = partitions
    tables, stored, history = [], [], []
    for i, interval in enumerate(intervals):
        keys[f"s{i}"] = marks[f"s{i}"] = covered[f"s{i}"] = interval.source_table
        marks[f"w{i}"] = covered[f"w{i}"] = interval.high
        marks[f"c{i}"] = interval.column
        covered[f"lo{i}"] = interval.low
        tables.append(f"$s{i}")
        stored.append(f"($m, $s{i}, $c{i}, $w{i}, {now})")
        history.append(f"($r, $m, $s{i}, $lo{i}, $w{i}, $mode, $rows, $parts, {now})")
    engine.execute(
        f"DELETE FROM {WATERMARKS} WHERE model = $m AND source_table IN ({', '.join(tables)})",
        keys,
    )
    engine.execute(
        f"INSERT INTO {WATERMARKS} (model, source_table, watermark_column, watermark, updated_at) "
        f"VALUES {', '.join(stored)}",
        marks,
    )
    engine.execute(
        f"INSERT INTO {HISTORY} (run_id, model, source_table, low_watermark, high_watermark, "
        f"mode, rows_written, partitions, recorded_at) VALUES {', '.join(history)}",
        covered,
    )


def forget(engine: Engine, model: str) -> None:
    """Drop a model's watermarks (its next run rebuilds it in full)."""
    engine.execute(f"DELETE FROM {WATERMARKS} WHERE model = $m", {"m": model})


def find_gaps(engine: Engine, model: str | None = None) -> list[Gap]:
    """Holes in the recorded coverage: a run that starts above everything covered before it."""
    where = "WHERE model = $m" if model else ""
    rows = engine.fetch_rows(
        "SELECT model, source_table, covered, low_watermark FROM ("
        "SELECT model, source_table, low_watermark, recorded_at, "
        "max(high_watermark) OVER (PARTITION BY model, source_table ORDER BY recorded_at, run_id "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS covered "
        f"FROM {HISTORY} {where}) AS h "
        "WHERE low_watermark IS NOT NULL AND covered IS NOT NULL AND low_watermark > covered "
        "ORDER BY model, source_table, recorded_at",
        {"m": model} if model else None,
    )
    return [Gap(r[0], r[1], r[2], r[3], "history") for r in rows]
