"""Build the Arrow tables a batch appends: its bronze rows and its rejection reasons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import pyarrow as pa

from databank.ingestion.contract import Contract
from databank.ingestion.formats import utc_timestamp_text
from databank.ingestion.pii import Pseudonymiser
from databank.ingestion.prepare import Prepared, prepare
from databank.ingestion.source_types import BronzeLayout

_S = pa.string()


@dataclass(frozen=True)
class BatchContext:
    """What every row of one batch shares."""

    batch_id: str
    source_type: str
    source_system: str
    schema_version: str
    ingested_at: str  # naive UTC text


def _const(value: Any, n: int, type_: pa.DataType = _S) -> pa.Array:
    return pa.repeat(pa.scalar(value, type_), n)


def bronze_table(prepared: Prepared, layout: BronzeLayout, ctx: BatchContext) -> pa.Table:
    """Every prepared row as the bronze table's columns (spec columns filled from the record)."""
    n = len(prepared.ids)
    records = prepared.records
    columns: dict[str, pa.Array] = {
        "id": pa.array(prepared.ids, _S),
        "source_system": _const(ctx.source_system, n),
        layout.payload_column: pa.array(prepared.payloads, _S),
        "ingested_at": _const(ctx.ingested_at, n),
        "validation_status": pa.array(prepared.statuses, _S),
        "quality_score": pa.array(prepared.scores, pa.float64()),
        "schema_version": _const(ctx.schema_version, n),
        "partition_key": pa.array(prepared.partitions, _S),
        "pii_masked": pa.array(prepared.masked, pa.bool_()),
        "batch_id": _const(ctx.batch_id, n),
        "record_key": pa.array(prepared.keys, _S),
        "payload_hash": pa.array(prepared.hashes, _S),
        "record_index": pa.array(prepared.index, pa.int32()),
    }
    for column in layout.columns:
        extract = column.extract
        columns[column.name] = pa.array([extract(r) for r in records], column.type)
    if layout.flags_column:
        flags = [[f"{e[0]}:{e[2]}" for e in errs] or None for errs in prepared.errors]
        columns[layout.flags_column] = pa.array(flags, pa.list_(_S))
    if layout.errors_column:
        details = [
            orjson.dumps(
                [
                    {"field": f, "reason": r, "check": k, "severity": "error" if e else "warn"}
                    for f, r, k, e in errs
                ]
            ).decode()
            if errs
            else None
            for errs in prepared.errors
        ]
        columns[layout.errors_column] = pa.array(details, _S)
    if layout.lineage_column:
        columns[layout.lineage_column] = _const(f"{ctx.source_system}/{ctx.batch_id}", n)
    for name, value in layout.constants:
        columns[name] = _const(value, n)
    if layout.time_column:
        times = [utc_timestamp_text(r.get(layout.time_column)) or ctx.ingested_at for r in records]
        columns[layout.time_column] = pa.array(times, _S)
    return pa.table(columns)


def prepare_batch(
    records: Sequence[Any],
    contract: Contract,
    pseudo: Pseudonymiser,
    layout: BronzeLayout,
    ctx: BatchContext,
    *,
    quality_checks: bool,
    fallback_date: str,
) -> tuple[Prepared, pa.Table]:
    """`prepare` a batch and build its bronze rows; the records themselves are then dropped."""
    prepared = prepare(
        records,
        contract,
        pseudo,
        source_system=ctx.source_system,
        quality_checks=quality_checks,
        fallback_date=fallback_date,
    )
    data = bronze_table(prepared, layout, ctx)
    prepared.records = []  # everything the commit needs is in the table now
    return prepared, data


def rejection_table(
    prepared: Prepared, keep: Sequence[bool], table: str, ctx: BatchContext
) -> pa.Table:
    """One row per failed error-level check of each stored failed record."""
    ids, index, fields, reasons, kinds = [], [], [], [], []
    for i, errs in enumerate(prepared.errors):
        if not keep[i] or prepared.statuses[i] != "failed":
            continue
        for field, reason, kind, is_error in errs:
            if is_error:
                ids.append(prepared.ids[i])
                index.append(prepared.index[i])
                fields.append(None if field == "(record)" else field)
                reasons.append(reason)
                kinds.append(kind)
    n = len(ids)
    return pa.table(
        {
            "bronze_id": pa.array(ids, _S),
            "bronze_table": _const(table, n),
            "source_type": _const(ctx.source_type, n),
            "source_system": _const(ctx.source_system, n),
            "schema_version": _const(ctx.schema_version, n),
            "batch_id": _const(ctx.batch_id, n),
            "record_index": pa.array(index, pa.int32()),
            "field": pa.array(fields, _S),
            "reason": pa.array(reasons, _S),
            "check_kind": pa.array(kinds, _S),
        }
    )
