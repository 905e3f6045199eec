"""What a run writes about itself: raw logs, quality metrics, the run row and each model's state.

- `bronze.neural_databank_raw_logs`: one row per model run, agent `transformer`, operation
  `run:<model>`, `execution_time` in seconds, the details in `payload`.
- `silver.neural_databank_quality_metrics`: one row per declared test per run.
- `meta.transform_runs` and `meta.transform_model_state`: for the jobs API and for deciding when a
  model must be rebuilt in full (its fingerprint changed).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from databank.engines.base import Engine
from databank.transform.model import Model
from databank.transform.report import FAILED, SUCCESS, ModelResult, RunReport

AGENT_ID = "transformer"
RAW_LOGS = "bronze.neural_databank_raw_logs"
QUALITY_METRICS = "silver.neural_databank_quality_metrics"
RUNS = "meta.transform_runs"
MODEL_STATE = "meta.transform_model_state"


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def log_model(engine: Engine, run_id: str, model: Model, result: ModelResult) -> None:
    """One `neural_databank_raw_logs` row for this model's run."""
    payload = {
        "run_id": run_id,
        "model": model.name,
        "kind": model.kind.value,
        "mode": result.mode,
        "rows": result.rows,
        "partitions": result.partitions,
        "partition_values": result.to_dict()["partition_values"],
        "watermark": result.to_dict()["watermarks"],
        "tests": {c.name: c.status for c in result.checks},
        "gaps": [g.to_dict() for g in result.gaps],
        "reason": result.reason,
    }
    error = {"message": result.error, "reason": result.reason} if result.status == FAILED else None
    engine.execute(
        f"INSERT INTO {RAW_LOGS} (id, agent_id, layer, operation, payload, execution_time, status, "
        f"error_details, created_at) VALUES ($id, $agent, $layer, $op, $payload, $secs, $status, "
        f"$error, {engine.now_sql})",
        {
            "id": str(uuid.uuid4()),
            "agent": AGENT_ID,
            "layer": model.layer,
            "op": f"run:{model.name}",
            "payload": _json(payload),
            "secs": round(result.seconds, 6),
            "status": result.status,
            "error": _json(error) if error else None,
        },
    )


def record_checks(engine: Engine, model: Model, result: ModelResult) -> None:
    """One `neural_databank_quality_metrics` row per test the model ran (one INSERT)."""
    if not result.checks:
        return
    today = datetime.now(UTC).date()
    rows, params = [], {"layer": model.layer, "table": model.table, "day": today}
    for i, check in enumerate(result.checks):
        rows.append(
            f"($id{i}, $layer, $table, $metric{i}, $value{i}, 0, $max{i}, $status{i}, $day, "
            f"{engine.now_sql})"
        )
        params.update(
            {
                f"id{i}": str(uuid.uuid4()),
                f"metric{i}": check.name,
                f"value{i}": check.metric_value,
                f"max{i}": check.threshold_max,
                f"status{i}": check.status,
            }
        )
    engine.execute(
        f"INSERT INTO {QUALITY_METRICS} (id, layer, table_name, metric_name, metric_value, "
        "threshold_min, threshold_max, status, measurement_date, created_at) VALUES "
        + ", ".join(rows),
        params,
    )


def run_started(engine: Engine, report: RunReport, models: list[str]) -> None:
    """The run's row, status `running`."""
    engine.execute(
        f"INSERT INTO {RUNS} (run_id, trigger, status, full_refresh, models, report, started_at) "
        "VALUES ($id, $trigger, 'running', $full, $models, NULL, $started)",
        {
            "id": report.run_id,
            "trigger": report.trigger,
            "full": report.full_refresh,
            "models": _json(models),
            "started": report.started_at.replace(tzinfo=None),
        },
    )


def run_finished(engine: Engine, report: RunReport) -> None:
    """Close the run's row with its status and report."""
    engine.execute(
        f"UPDATE {RUNS} SET status = $status, report = $report, finished_at = $finished "
        "WHERE run_id = $id",
        {
            "id": report.run_id,
            "status": report.status,
            "report": _json(report.to_dict()),
            "finished": (report.finished_at or report.started_at).replace(tzinfo=None),
        },
    )


_STATE_KEYS = (
    "fingerprint",
    "lineage_fingerprint",
    "last_status",
    "last_success_at",
    "last_full_refresh_at",
)


def load_states(engine: Engine) -> dict[str, dict[str, Any]]:
    """Every model's stored state (fingerprint, last run), by model; a model that never ran has
    none. One query for a run instead of one per model."""
    rows = engine.fetch_rows(f"SELECT model, {', '.join(_STATE_KEYS)} FROM {MODEL_STATE}")
    return {r[0]: dict(zip(_STATE_KEYS, r[1:], strict=True)) for r in rows}


def save_state(engine: Engine, run_id: str, model: Model, result: ModelResult) -> None:
    """Remember how the model's last run went (and, on success, what it was built from)."""
    success = result.status == SUCCESS and result.mode != "up_to_date"
    params = {
        "m": model.name,
        "run": run_id,
        "status": result.status,
        "mode": result.mode,
        "rows": result.rows,
        "ok": success,
        "fp": model.fingerprint,
        "full": success and result.mode == "full_refresh",
    }
    if not _update_state(engine, params):
        engine.execute(f"INSERT INTO {MODEL_STATE} (model) VALUES ($m)", {"m": model.name})
        _update_state(engine, params)


def _update_state(engine: Engine, params: dict[str, Any]) -> int:
    now = engine.now_sql
    return engine.write(
        f"UPDATE {MODEL_STATE} SET last_run_id = $run, last_status = $status, last_mode = $mode, "
        f"last_rows = $rows, updated_at = {now}, "
        f"fingerprint = CASE WHEN $ok THEN $fp ELSE fingerprint END, "
        f"last_success_at = CASE WHEN $ok THEN {now} ELSE last_success_at END, "
        f"last_full_refresh_at = CASE WHEN $full THEN {now} ELSE last_full_refresh_at END "
        "WHERE model = $m",
        params,
    )


def save_lineage_fingerprint(engine: Engine, model: str, fingerprint: str) -> None:
    """Remember which SQL the model's lineage rows were derived from."""
    exists = engine.fetch_value(
        f"SELECT count(*) FROM {MODEL_STATE} WHERE model = $m", {"m": model}
    )
    if not exists:
        engine.execute(f"INSERT INTO {MODEL_STATE} (model) VALUES ($m)", {"m": model})
    engine.execute(
        f"UPDATE {MODEL_STATE} SET lineage_fingerprint = $fp WHERE model = $m",
        {"m": model, "fp": fingerprint},
    )
