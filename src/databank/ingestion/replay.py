"""Re-validate stored failed records after a contract fix (`databank replay --source TYPE`).

Failed rows are read in keyset-paged chunks; each chunk is re-validated in memory and written back
in one transaction with set-based statements: the new verdicts go through a staging table and one
`UPDATE … FROM`, the old reasons are marked resolved and the current ones inserted. PII fields hold
tokens by now, so they keep the verdict recorded at ingestion (see `compiler.pii_verdicts`).
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

import orjson
import pyarrow as pa

from databank.engines.base import quote_ident, quote_table
from databank.ingestion import ledger
from databank.ingestion.compiler import pii_verdicts, quality_score
from databank.ingestion.prepare import UNREPLAYABLE
from databank.ingestion.results import ReplayResult
from databank.ingestion.source_types import BronzeLayout

if TYPE_CHECKING:
    from databank.ingestion.writer import BronzeWriter

CHUNK = 1000
_S = pa.string()


def _failed_chunk(writer: BronzeWriter, layout: BronzeLayout, after: str) -> list[tuple[Any, ...]]:
    return writer.engine.fetch_rows(
        f"SELECT CAST(id AS VARCHAR), CAST({quote_ident(layout.payload_column)} AS VARCHAR), "
        f"schema_version, batch_id, record_index, source_system FROM {quote_table(layout.table)} "
        f"WHERE validation_status = 'failed' AND id > CAST($after AS UUID) ORDER BY id LIMIT {CHUNK}",
        {"after": after},
    )


def _stored_reasons(writer: BronzeWriter, ids: list[str]) -> dict[str, list[tuple[str, str, str]]]:
    marks = ", ".join(f"CAST($p{i} AS UUID)" for i in range(len(ids)))
    rows = writer.engine.fetch_rows(
        f"SELECT CAST(bronze_id AS VARCHAR), field, reason, check_kind FROM {ledger.REJECTIONS} "
        f"WHERE resolved_at IS NULL AND bronze_id IN ({marks})",
        {f"p{i}": v for i, v in enumerate(ids)},
    )
    found: dict[str, list[tuple[str, str, str]]] = {}
    for bronze_id, field, reason, kind in rows:
        found.setdefault(str(bronze_id), []).append((field, reason, kind))
    return found


def replay_failed(
    writer: BronzeWriter, layout: BronzeLayout, schema_version: str | None
) -> ReplayResult:
    """See `BronzeWriter.replay_failed`."""
    started = time.perf_counter()
    examined = now_passed = still_failed = not_replayable = 0
    after = "00000000-0000-0000-0000-000000000000"
    while True:
        rows = _failed_chunk(writer, layout, after)
        if not rows:
            break
        after = str(rows[-1][0])
        reasons = _stored_reasons(writer, [str(r[0]) for r in rows])
        staged: dict[str, list[Any]] = {
            k: [] for k in ("id", "status", "score", "version", "errors", "flags")
        }
        rejections: dict[str, list[Any]] = {
            k: [] for k in ("id", "index", "field", "reason", "kind", "version", "batch", "system")
        }
        for bronze_id, payload, stored_version, batch_id, record_index, system in rows:
            examined += 1
            stored = reasons.get(str(bronze_id), [])
            if any(kind in UNREPLAYABLE for _, _, kind in stored):
                still_failed += 1
                not_replayable += 1
                continue
            version = schema_version or stored_version
            contract = writer.contracts.get(layout.source_type, version)
            record = orjson.loads(payload)
            total, lost, errs, _present, _deep = contract.validator(
                record, pii_verdicts(contract, stored)
            )
            failed = any(e[3] for e in errs)
            now_passed += not failed
            still_failed += failed
            staged["id"].append(str(bronze_id))
            staged["status"].append("failed" if failed else "passed")
            staged["score"].append(round(quality_score(total, lost), 6))
            staged["version"].append(version)
            staged["errors"].append(
                orjson.dumps(
                    [
                        {"field": f, "reason": r, "check": k, "severity": "error" if e else "warn"}
                        for f, r, k, e in errs
                    ]
                ).decode()
                if errs
                else None
            )
            staged["flags"].append([f"{f}:{k}" for f, _, k, _ in errs] or None)
            for field, reason, kind, is_error in errs:
                if is_error:
                    for key, value in (
                        ("id", str(bronze_id)),
                        ("index", record_index),
                        ("field", field),
                        ("reason", reason),
                        ("kind", kind),
                        ("version", version),
                        ("batch", batch_id),
                        ("system", system),
                    ):
                        rejections[key].append(value)
        if staged["id"]:
            _write_back(writer, layout, staged, rejections)
    result = ReplayResult(layout.source_type, examined, now_passed, still_failed, not_replayable)
    with writer.engine.transaction():
        ledger.log_run(
            writer.engine,
            operation=f"replay:{layout.source_type}",
            payload=result.to_dict(),
            seconds=time.perf_counter() - started,
            status="success",
            error_details=None,
            batch_id=None,
        )
    return result


def _write_back(
    writer: BronzeWriter,
    layout: BronzeLayout,
    staged: dict[str, list[Any]],
    rejections: dict[str, list[Any]],
) -> None:
    engine = writer.engine
    replay_id = str(uuid.uuid4())
    n = len(staged["id"])
    stage = pa.table(
        {
            "replay_id": pa.repeat(pa.scalar(replay_id, _S), n),
            "bronze_id": pa.array(staged["id"], _S),
            "validation_status": pa.array(staged["status"], _S),
            "quality_score": pa.array(staged["score"], pa.float64()),
            "schema_version": pa.array(staged["version"], _S),
            "errors": pa.array(staged["errors"], _S),
            "flags": pa.array(staged["flags"], pa.list_(_S)),
        }
    )
    extra = ""
    if layout.errors_column:
        extra += f", {quote_ident(layout.errors_column)} = s.errors"
    if layout.flags_column:
        extra += f", {quote_ident(layout.flags_column)} = s.flags"
    m = len(rejections["id"])
    new_reasons = pa.table(
        {
            "bronze_id": pa.array(rejections["id"], _S),
            "bronze_table": pa.repeat(pa.scalar(layout.table, _S), m),
            "source_type": pa.repeat(pa.scalar(layout.source_type, _S), m),
            "source_system": pa.array(rejections["system"], _S),
            "schema_version": pa.array(rejections["version"], _S),
            "batch_id": pa.array(rejections["batch"], _S),
            "record_index": pa.array(rejections["index"], pa.int32()),
            "field": pa.array(rejections["field"], _S),
            "reason": pa.array(rejections["reason"], _S),
            "check_kind": pa.array(rejections["kind"], _S),
        }
    )
    with engine.transaction():
        engine.append_arrow(ledger.REPLAY_STAGING, stage)
        engine.execute(
            # A record that changes status changes what silver reads: it counts as arriving now,
            # so incremental models (watermark on ingested_at) pick it up in their next run.
            f"UPDATE {quote_table(layout.table)} AS t SET validation_status = s.validation_status, "
            f"quality_score = s.quality_score, schema_version = s.schema_version{extra}, "
            f"ingested_at = CASE WHEN t.validation_status <> s.validation_status "
            f"THEN {engine.now_sql} ELSE t.ingested_at END "
            f"FROM {ledger.REPLAY_STAGING} AS s WHERE s.replay_id = $r AND t.id = s.bronze_id",
            {"r": replay_id},
        )
        engine.execute(
            f"UPDATE {ledger.REJECTIONS} SET resolved_at = {engine.now_sql} WHERE resolved_at IS NULL "
            f"AND bronze_id IN (SELECT bronze_id FROM {ledger.REPLAY_STAGING} WHERE replay_id = $r)",
            {"r": replay_id},
        )
        if m:
            engine.append_arrow(ledger.REJECTIONS, new_reasons)
        engine.execute(
            f"DELETE FROM {ledger.REPLAY_STAGING} WHERE replay_id = $r", {"r": replay_id}
        )
