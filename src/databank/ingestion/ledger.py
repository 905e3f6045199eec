"""The writer's records in `meta` and its run log in bronze: batches, drift, raw_logs rows."""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from databank.engines.base import Engine
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


def load_batch(engine: Engine, batch_id: str) -> BatchResult | None:
    """The stored result of a committed batch, or None."""
    text = engine.fetch_value(
        f"SELECT CAST(result AS VARCHAR) FROM {BATCHES} WHERE batch_id = $b", {"b": batch_id}
    )
    return None if text is None else BatchResult.from_dict(orjson.loads(text))


def save_batch(engine: Engine, result: BatchResult, table: str) -> None:
    """Record a batch and its result (the primary key makes a second commit of it fail)."""
    engine.execute(
        f"INSERT INTO {BATCHES} (batch_id, source_type, source_system, schema_version, "
        "bronze_table, records_received, passed, failed, pending, duplicates, quality_score, "
        "validation_status, processing_time_ms, result) VALUES ($batch_id, $source_type, "
        "$source_system, $schema_version, $table, $records_received, $passed, $failed, $pending, "
        "$duplicates, $quality_score, $validation_status, $processing_time_ms, $result)",
        {
            "batch_id": result.batch_id,
            "source_type": result.source_type,
            "source_system": result.source_system,
            "schema_version": result.schema_version,
            "table": table,
            "records_received": result.records_received,
            "passed": result.passed,
            "failed": result.failed,
            "pending": result.pending,
            "duplicates": result.duplicates,
            "quality_score": result.quality_score,
            "validation_status": result.validation_status,
            "processing_time_ms": result.processing_time_ms,
            "result": orjson.dumps(result.to_dict()).decode(),
        },
    )


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


def log_run(
    engine: Engine,
    *,
    operation: str,
    payload: dict[str, Any],
    seconds: float,
    status: str,
    error_details: dict[str, Any] | None,
    batch_id: str | None,
) -> None:
    """One `bronze.neural_databank_raw_logs` row for a run of the writer (agent bronze_writer)."""
    engine.execute(
        f"INSERT INTO {RAW_LOGS} (id, agent_id, layer, operation, payload, execution_time, status, "
        "error_details, source_system, validation_status, batch_id, record_key, partition_key, "
        f"created_at, ingested_at) VALUES ($id, $agent, 'bronze', $op, $payload, $secs, $status, "
        f"$error, $system, 'passed', $batch, $key, CAST({engine.now_sql} AS DATE), "
        f"{engine.now_sql}, {engine.now_sql})",
        {
            "id": str(uuid.uuid4()),
            "agent": AGENT_ID,
            "op": operation,
            "payload": orjson.dumps(payload).decode(),
            "secs": round(seconds, 6),
            "status": status,
            "error": orjson.dumps(error_details).decode() if error_details else None,
            "system": OWN_SOURCE_SYSTEM,
            "batch": batch_id,
            "key": f"{operation}:{batch_id}" if batch_id else None,
        },
    )
