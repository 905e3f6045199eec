"""The writer's records in `meta` and its run log in bronze: batches, drift, raw_logs rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa

from databank.engines.base import Engine, quote_ident, quote_table
from databank.ingestion.results import BatchResult

BATCHES = "meta.ingestion_batches"
REJECTIONS = "meta.bronze_rejections"
DRIFT = "meta.bronze_drift_fields"
EVOLUTION = "meta.neural_schema_evolution"
REPLAY_STAGING = "meta.bronze_replay_staging"
RAW_LOGS = "bronze.neural_databank_raw_logs"
AGENT_ID = "bronze_writer"
OWN_SOURCE_SYSTEM = "neural_databank"  # source_system of the writer's own raw_logs rows
_FIELD_NAME_LIMIT = 200
_SMALL = 50  # fewer rows than this go in as one INSERT … VALUES rather than an Arrow append


def load_batch(engine: Engine, batch_id: str) -> BatchResult | None:
    """The stored result of a committed batch, or None."""
    text = engine.fetch_value(
        f"SELECT CAST(result AS VARCHAR) FROM {BATCHES} WHERE batch_id = $b", {"b": batch_id}
    )
    return None if text is None else BatchResult.from_dict(orjson.loads(text))


class PendingWrites:
    """What one transaction of the writer appends, written table by table just before it commits.

    A group commit stores several batches in one transaction: their bronze rows go in as one
    Arrow append per table (DuckDB spends a few milliseconds per append whatever its size), and
    their ledger and run-log rows — and bronze rows of small batches — as one multi-row INSERT
    per table (about a millisecond per statement: cheaper than an Arrow append for a few rows).
    """

    def __init__(self) -> None:
        self._tables: dict[str, list[pa.Table]] = {}
        self._rows: dict[str, list[dict[str, Any]]] = {}

    def add_table(self, table: str, data: pa.Table) -> None:
        """Hold Arrow rows for `table` until `write`."""
        self._tables.setdefault(table, []).append(data)

    def add_row(self, table: str, row: dict[str, Any]) -> None:
        """Hold one row for `table` until `write` (rows of one table have the same keys)."""
        self._rows.setdefault(table, []).append(row)

    def write(self, engine: Engine) -> None:
        """Write everything held (inside the caller's transaction): Arrow rows first, by table."""
        for table, parts in self._tables.items():
            data = pa.concat_tables(parts, promote_options="default")
            if data.num_rows < _SMALL:
                _insert_rows(engine, table, data.to_pylist())
            else:
                engine.append_arrow(table, data)
        for table, rows in self._rows.items():
            _insert_rows(engine, table, rows)
        self._tables.clear()
        self._rows.clear()


def _insert_rows(engine: Engine, table: str, rows: list[dict[str, Any]]) -> None:
    """One INSERT … VALUES statement for rows that all have the same keys."""
    columns = list(rows[0])
    values = ", ".join(
        "(" + ", ".join(f"$r{i}c{j}" for j in range(len(columns))) + ")" for i in range(len(rows))
    )
    engine.execute(
        f"INSERT INTO {quote_table(table)} ({', '.join(map(quote_ident, columns))}) "
        f"VALUES {values}",
        {f"r{i}c{j}": row[c] for i, row in enumerate(rows) for j, c in enumerate(columns)},
    )


def batch_row(result: BatchResult, table: str) -> dict[str, Any]:
    """The `meta.ingestion_batches` row of a batch (its primary key makes a second commit fail)."""
    return {
        "batch_id": result.batch_id,
        "source_type": result.source_type,
        "source_system": result.source_system,
        "schema_version": result.schema_version,
        "bronze_table": table,
        "records_received": result.records_received,
        "passed": result.passed,
        "failed": result.failed,
        "pending": result.pending,
        "duplicates": result.duplicates,
        "quality_score": result.quality_score,
        "validation_status": result.validation_status,
        "processing_time_ms": result.processing_time_ms,
        "result": orjson.dumps(result.to_dict()).decode(),
    }


def new_drift_fields(engine: Engine, source_type: str, names: list[str]) -> list[str]:
    """Of `names`, those not yet in the drift ledger for `source_type`."""
    clipped = [n[:_FIELD_NAME_LIMIT] for n in names]
    marks = ", ".join(f"$f{i}" for i in range(len(clipped)))
    rows = engine.fetch_rows(
        f"SELECT field_name FROM {DRIFT} WHERE source_type = $t AND field_name IN ({marks})",
        {"t": source_type, **{f"f{i}": n for i, n in enumerate(clipped)}},
    )
    known = {r[0] for r in rows}
    return [n for n in dict.fromkeys(clipped) if n not in known]


def record_drift(
    engine: Engine,
    *,
    names: list[str],
    source_type: str,
    table: str,
    schema_version: str,
    source_system: str,
    batch_id: str,
) -> None:
    """One drift-ledger row and one `neural_schema_evolution` row (field_added) per new field."""
    layer, table_name = table.split(".", 1)
    for name in names:
        engine.execute(
            f"INSERT INTO {DRIFT} (source_type, field_name, schema_version, source_system, "
            "first_batch_id) VALUES ($t, $f, $v, $s, $b)",
            {"t": source_type, "f": name, "v": schema_version, "s": source_system, "b": batch_id},
        )
        engine.execute(
            f"INSERT INTO {EVOLUTION} (evolution_id, table_name, layer, schema_version, change_type, "
            "change_description, migration_script, backward_compatible) VALUES ($id, $table, "
            "$layer, $v, 'field_added', $d, NULL, TRUE)",
            {
                "id": str(uuid.uuid4()),
                "table": table_name,
                "layer": layer,
                "v": schema_version,
                "d": f"new field {name!r} in {source_type} records (source_system "
                f"{source_system!r}, batch {batch_id}); not in contract {schema_version}, kept in "
                "the payload JSON",
            },
        )


def run_row(
    *,
    operation: str,
    payload: dict[str, Any],
    seconds: float,
    status: str,
    error_details: dict[str, Any] | None,
    batch_id: str | None,
) -> dict[str, Any]:
    """One `bronze.neural_databank_raw_logs` row for a run of the writer (agent bronze_writer)."""
    now = datetime.now(UTC).replace(tzinfo=None)  # stored as UTC wall time, like now() there
    return {
        "id": str(uuid.uuid4()),
        "agent_id": AGENT_ID,
        "layer": "bronze",
        "operation": operation,
        "payload": orjson.dumps(payload).decode(),
        "execution_time": round(seconds, 6),
        "status": status,
        "error_details": orjson.dumps(error_details).decode() if error_details else None,
        "source_system": OWN_SOURCE_SYSTEM,
        "validation_status": "passed",
        "batch_id": batch_id,
        "record_key": f"{operation}:{batch_id}" if batch_id else None,
        "partition_key": now.date(),
        "created_at": now,
        "ingested_at": now,
    }


def log_run(engine: Engine, **fields: Any) -> None:
    """Append one raw_logs row now (see `run_row` for the fields)."""
    pending = PendingWrites()
    pending.add_row(RAW_LOGS, run_row(**fields))
    pending.write(engine)
