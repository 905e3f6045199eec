"""0004: the model runner's tables in `meta`: watermarks, their history, model state and runs.

- `transform_watermarks`: per (model, upstream table) the newest ingestion time already processed.
- `transform_watermark_history`: every run's interval (low, high] per (model, upstream): coverage
  must be contiguous, a hole is a gap the runner reports (and re-processes).
- `transform_model_state`: what each model was last built from (fingerprint) and how it went.
- `transform_runs`: one row per run (trigger, status, the report as JSON) for the jobs API.

On PostgreSQL, the ingestion-time columns the runner filters on (`ingested_at`, `updated_at`) get a
btree index where the spec has none leading on them, so finding new rows is an index range scan.
"""

from __future__ import annotations

from databank.engines.base import Engine, quote_ident, quote_table
from databank.migrations.model import Change, Migration
from databank.schema.model import load_schema

WATERMARKS = "meta.transform_watermarks"
HISTORY = "meta.transform_watermark_history"
MODEL_STATE = "meta.transform_model_state"
RUNS = "meta.transform_runs"
_WATERMARK_COLUMNS = ("ingested_at", "updated_at")


def _tables(engine: Engine) -> dict[str, tuple[str, list[str]]]:
    t = engine.type_map
    text, ts, bigint, boolean = t["text"], t["timestamp"], t["bigint"], t["boolean"]
    return {
        WATERMARKS: (
            "per (model, upstream table): the newest ingestion time already processed",
            [
                f"CREATE TABLE IF NOT EXISTS {WATERMARKS} ("
                f"model {text} NOT NULL, source_table {text} NOT NULL, "
                f"watermark_column {text} NOT NULL, watermark {ts}, "
                f"updated_at {ts} DEFAULT {engine.now_sql}, PRIMARY KEY (model, source_table))",
            ],
        ),
        HISTORY: (
            "every run's watermark interval per (model, upstream): gaps are detected here",
            [
                f"CREATE TABLE IF NOT EXISTS {HISTORY} ("
                f"run_id {text} NOT NULL, model {text} NOT NULL, source_table {text} NOT NULL, "
                f"low_watermark {ts}, high_watermark {ts}, mode {text} NOT NULL, "
                f"rows_written {bigint}, partitions {bigint}, "
                f"recorded_at {ts} DEFAULT {engine.now_sql})",
                *_index(
                    engine,
                    "ix_transform_watermark_history_model",
                    HISTORY,
                    "model, source_table, recorded_at",
                ),
            ],
        ),
        MODEL_STATE: (
            "per model: the fingerprint it was built from and its last run",
            [
                f"CREATE TABLE IF NOT EXISTS {MODEL_STATE} ("
                f"model {text} PRIMARY KEY, fingerprint {text}, lineage_fingerprint {text}, "
                f"last_run_id {text}, last_status {text}, last_mode {text}, last_rows {bigint}, "
                f"last_success_at {ts}, last_full_refresh_at {ts}, updated_at {ts})",
            ],
        ),
        RUNS: (
            "one row per runner run: trigger, status and the report as JSON",
            [
                f"CREATE TABLE IF NOT EXISTS {RUNS} ("
                f"run_id {text} PRIMARY KEY, trigger {text}, status {text} NOT NULL, "
                f"full_refresh {boolean}, models {text}, report {text}, "
                f"started_at {ts}, finished_at {ts})",
                *_index(engine, "ix_transform_runs_started_at", RUNS, "started_at"),
            ],
        ),
    }


def _index(engine: Engine, name: str, table: str, columns: str) -> list[str]:
    if not engine.capabilities.indexes:
        return []
    return [f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})"]


def _watermark_indexes(engine: Engine) -> list[tuple[str, str]]:
    """(table, statement) for ingestion-time columns no spec index leads with."""
    if not engine.capabilities.indexes:
        return []
    found = []
    for table in load_schema().tables:
        if table.layer not in ("bronze", "silver", "gold"):
            continue
        names = {c.name for c in table.columns}
        leading = {index.columns[0] for index in table.indexes}
        for column in _WATERMARK_COLUMNS:
            if column in names and column not in leading:
                name = f"ix_{table.name}_{column}_watermark"[:63]
                found.append(
                    (
                        table.qualified,
                        f"CREATE INDEX IF NOT EXISTS {quote_ident(name)} ON "
                        f"{quote_table(table.qualified)} ({quote_ident(column)})",
                    )
                )
    return found


def apply(engine: Engine) -> list[Change]:
    """Create the runner's tables (and the watermark indexes) where missing."""
    changes = []
    for table, (description, statements) in _tables(engine).items():
        existed = engine.table_exists(table)
        for statement in statements:
            engine.execute(statement)
        if not existed:
            changes.append(
                Change(
                    table_name=table.split(".", 1)[1],
                    layer="meta",
                    change_type="create_table",
                    description=f"create {table}: {description}",
                    script=";\n".join(statements) + ";",
                )
            )
    for table, statement in _watermark_indexes(engine):
        if engine.table_exists(table):
            engine.execute(statement)
            layer, name = table.split(".", 1)
            changes.append(
                Change(
                    table_name=name,
                    layer=layer,
                    change_type="create_index",
                    description=f"btree index for the runner's watermark scans on {table}",
                    script=statement + ";",
                )
            )
    return changes


MIGRATION = Migration(version="0004", name="transform", apply=apply)
