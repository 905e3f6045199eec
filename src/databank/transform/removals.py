"""Removal logs: the rows a partition replace took out of a model's table, for the models downstream.

A downstream model finds its work through the upstream rows stamped after its watermark. A row
that a rebuild removes or changes leaves no stamp behind: if it was the last row of its day, the
day's gold row stayed as it was; if a transaction moved to another customer, the old customer's
totals did. So every incremental model that other incremental models read keeps a removal log,
`meta.<layer>__<table>__removed`: the table's columns, one row per removed row (the old version of
a changed row included) as it was stored, its `updated_at` included, plus `removed_at`, the
removing transaction's time. Downstream probes read the log like the table, by `removed_at`, so
the partitions those rows fed are rebuilt too; a summary subtracts the logged rows it had added
(`updated_at` at or before its watermark). Rows every reader has passed are purged after a run.

The log has no keys: the same row may be removed, come back and be removed again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta

from databank.engines.base import Engine, quote_ident, quote_table
from databank.transform.watermarks import WATERMARKS, Interval

STAMP = "updated_at"  # the upstream's watermark column: a row's stamp when it was written
REMOVED = "removed_at"  # the log's watermark column: when the row was removed


def log_name(model: str) -> str:
    """`silver.scout_clean_transactions` → `meta.silver__scout_clean_transactions__removed`."""
    layer, table = model.split(".", 1)
    return f"meta.{layer}__{table}__removed"


def ensure(engine: Engine, model: str) -> bool:
    """Create the model's log if it is missing or its columns no longer match the table's
    (a migration changed the table: the old log's rows could not be read the same way).
    False when the table has no `updated_at` to stamp removals with, or does not exist."""
    if not engine.table_exists(model):
        return False
    columns = engine.column_types(model)
    if STAMP not in columns:
        return False
    log = log_name(model)
    if engine.table_exists(log):
        if engine.column_types(log) == {**columns, REMOVED: columns[STAMP]}:
            return True
        engine.execute(f"DROP TABLE {quote_table(log)}")
    engine.execute(
        f"CREATE TABLE {quote_table(log)} AS SELECT *, {quote_ident(STAMP)} AS {REMOVED} "
        f"FROM {quote_table(model)} WHERE FALSE"
    )
    return True


def remove(engine: Engine, model: str, columns: Iterable[str], where: str, params: dict) -> int:
    """Delete the rows of `model` (alias `_t`) matching `where` and log them, removed now, in
    the caller's transaction. `columns`: every column of the table. Returns the rows removed.

    Copied, then deleted: DuckDB's one-pass `DELETE … RETURNING` took 0.52 s where the two
    statements took 0.11 s (1,000 customers' activity rows at 10 M transactions)."""
    names = ", ".join(quote_ident(c) for c in columns)
    table = quote_table(model)
    copied = engine.write(
        f"INSERT INTO {quote_table(log_name(model))} ({names}, {REMOVED}) "
        f"SELECT {names}, {engine.now_sql} FROM {table} AS _t WHERE {where}",
        params or None,
    )
    if copied:
        engine.execute(f"DELETE FROM {table} AS _t WHERE {where}", params or None)
    return copied


def removed_in(interval: Interval) -> Interval:
    """The same interval read from the upstream's log: by removal time."""
    return replace(interval, column=REMOVED)


def newest(engine: Engine, model: str) -> object:
    """The newest removal time in the model's log (None: empty)."""
    return engine.fetch_value(f"SELECT max({REMOVED}) FROM {quote_table(log_name(model))}")


def purge(engine: Engine, model: str, readers: Iterable[str], margin: timedelta) -> int:
    """Forget removals every reader with a watermark on `model` has read past, less `margin`
    (the runner's watermark overlap: a reader re-reads that much before its watermark)."""
    names = sorted(readers)
    if not names:
        return 0
    marks = ", ".join(f"$r{i}" for i in range(len(names)))
    params: dict = {f"r{i}": name for i, name in enumerate(names)}
    read = engine.fetch_value(
        f"SELECT min(watermark) FROM {WATERMARKS} WHERE source_table = $m "
        f"AND watermark_column = '{STAMP}' AND model IN ({marks})",
        params | {"m": model},
    )
    if read is None:
        return 0
    return engine.write(
        f"DELETE FROM {quote_table(log_name(model))} WHERE {REMOVED} <= $cut",
        {"cut": read - margin},
    )
