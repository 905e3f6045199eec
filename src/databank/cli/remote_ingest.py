"""`databank ingest FILE` in client mode: the file's batches go to the ingestion API of a server.

`ingest_file` reads, maps and batches the file exactly as in-process; this writer stands in for the
`BronzeWriter` and posts each batch to `POST /api/v1/ingestion/bronze/{source_type}`. The batch's
id, derived from its content, is its `Idempotency-Key`: a retry after a lost answer, or the same
file sent again, gets the first answer back and stores nothing twice.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from databank.cli.remote import Remote, RemoteUnavailableError
from databank.ingestion.results import BatchResult, RecordError

if TYPE_CHECKING:
    import httpx

    from databank.ingestion.contract import ContractRegistry

ATTEMPTS = 4
BACKOFF_SECONDS = 0.5
_RETRY_STATUS = frozenset({429, 502, 503, 504})
NOT_SENT = "not sent: the ingestion API accepts JSON objects only"


class RemoteWriter:
    """The part of `BronzeWriter` that `ingest_file` uses, over HTTP."""

    def __init__(self, remote: Remote, http: httpx.Client) -> None:
        from databank.ingestion.contract import ContractRegistry

        self.remote = remote
        self.http = http
        self.contracts: ContractRegistry = ContractRegistry()  # CSV typing needs the contract
        self.requests = 0

    def batch_result(self, batch_id: str) -> BatchResult | None:
        """Always None: a batch sent before is recognised by its idempotency key instead."""
        return None

    def write_batch(
        self,
        source_type: str,
        records: Sequence[Any],
        *,
        source_system: str,
        schema_version: str = "1.0.0",
        batch_id: str | None = None,
    ) -> BatchResult:
        """Post one batch; records the API cannot carry are counted as failed, not sent."""
        sendable = [
            i
            for i, record in enumerate(records)
            if isinstance(record, Mapping) and _encodable(record)
        ]
        chosen = set(sendable)
        unsent = [RecordError(i, None, NOT_SENT) for i in range(len(records)) if i not in chosen]
        if not sendable:
            return _result(
                batch_id or "", source_type, source_system, schema_version, records, unsent
            )
        body = orjson.dumps(
            {
                "source_system": source_system,
                "schema_version": schema_version,
                "data_batch": [records[i] for i in sendable],
            }
        )
        reply, replayed = self._post(source_type, body, batch_id)
        if replayed:  # sent before (same content, same key): nothing new was stored
            return BatchResult(
                batch_id=str(reply["batch_id"]),
                source_type=source_type,
                source_system=source_system,
                schema_version=schema_version,
                records_received=len(records),
                passed=0,
                failed=0,
                pending=0,
                duplicates=len(records),
                quality_score=None,
                validation_status=str(reply["validation_status"]),
                processing_time_ms=float(reply["processing_time_ms"]),
            )
        errors = [
            RecordError(sendable[e["index"]], e.get("field"), str(e["reason"]))
            for e in reply.get("errors", ())
            if 0 <= int(e["index"]) < len(sendable)
        ]
        return BatchResult(
            batch_id=str(reply["batch_id"]),
            source_type=source_type,
            source_system=source_system,
            schema_version=schema_version,
            records_received=len(records),
            passed=int(reply["passed"]),
            failed=int(reply["failed"]) + len(unsent),
            pending=int(reply["pending"]),
            duplicates=int(reply["duplicates"]),
            quality_score=reply.get("quality_score"),
            validation_status="failed" if unsent else str(reply["validation_status"]),
            processing_time_ms=float(reply["processing_time_ms"]),
            errors=tuple(sorted([*errors, *unsent], key=lambda e: e.index)),
        )

    def _post(self, source_type: str, body: bytes, key: str | None) -> tuple[dict[str, Any], bool]:
        """POST with retries on transient failures (safe: the same idempotency key each time)."""
        import httpx

        headers = {"Content-Type": "application/json"}
        if key:
            headers["Idempotency-Key"] = key
        path = f"/api/v1/ingestion/bronze/{source_type}"
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = self.http.post(path, content=body, headers=headers)
            except httpx.TransportError as exc:
                if attempt == ATTEMPTS or not key:
                    raise self.remote.unreachable(exc) from None
            else:
                self.requests += 1
                if response.status_code not in _RETRY_STATUS or attempt == ATTEMPTS or not key:
                    break
            time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        reply: dict[str, Any] = self.remote.json(response, "ingest")
        if response.status_code == 202:  # queued by the server: the counts are not known yet
            raise RemoteUnavailableError(
                f"{self.remote.describe()} queued batch {reply.get('batch_id')} instead of "
                "processing it",
                "its status is at /api/v1/ingestion/status/<batch_id>",
            )
        return reply, response.headers.get("Idempotent-Replayed") == "true"


def _encodable(record: Mapping[str, Any]) -> bool:
    try:
        orjson.dumps(record)
    except (orjson.JSONEncodeError, TypeError):
        return False
    return True


def _result(
    batch_id: str,
    source_type: str,
    source_system: str,
    schema_version: str,
    records: Sequence[Any],
    errors: list[RecordError],
) -> BatchResult:
    """A batch none of whose records could be sent: all failed, nothing stored."""
    return BatchResult(
        batch_id=batch_id,
        source_type=source_type,
        source_system=source_system,
        schema_version=schema_version,
        records_received=len(records),
        passed=0,
        failed=len(records),
        pending=0,
        duplicates=0,
        quality_score=None,
        validation_status="failed",
        processing_time_ms=0.0,
        errors=tuple(errors),
    )
