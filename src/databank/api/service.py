"""What the ingestion endpoints do, apart from HTTP: idempotency, processing now or queueing,
and the status of a batch. One instance per API process, over the `Databank`'s engine and writer.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson

from databank.api.envelope import Envelope, body_signature, parse_envelope
from databank.api.errors import ApiError
from databank.api.idempotency import IdempotencyStore, StoredResponse, utcnow
from databank.api.queue import DONE, FAILED, IngestionQueue
from databank.auth import Principal
from databank.context import Databank
from databank.errors import DatabankError
from databank.ingestion.errors import IngestionError

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, JSON body (already encoded) and extra headers."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def source_types() -> tuple[str, ...]:
    """The source types the bronze writer knows (the `{source_type}` of the ingestion path)."""
    from databank.ingestion.writer import SOURCE_TYPES

    return tuple(SOURCE_TYPES)


def batch_response(result: Any) -> dict[str, Any]:
    """The spec's IngestionResponse for a writer `BatchResult`, with the counts added."""
    return {
        "batch_id": str(result.batch_id),
        "records_received": result.records_received,
        "validation_status": result.validation_status,
        "processing_time_ms": result.processing_time_ms,
        "quality_score": result.quality_score,
        "errors": [{"index": e.index, "field": e.field, "reason": e.reason} for e in result.errors],
        "passed": result.passed,
        "failed": result.failed,
        "pending": result.pending,
        "duplicates": result.duplicates,
    }


class IngestionService:
    """Accept batches for bronze: at once through the writer, or durably queued for the worker."""

    def __init__(self, bank: Databank, *, serialize_writes: bool = False) -> None:
        self.bank = bank
        settings = bank.settings
        engine = bank.engine
        self.idempotency = IdempotencyStore(
            engine, timedelta(hours=settings.api_idempotency_retention_hours)
        )
        self.queue = IngestionQueue(engine)
        # Optional: one write transaction at a time. Measured slower on both engines (the
        # writer's CPU work then cannot overlap another batch's commit), and not needed for
        # correctness: the writer retries conflicting transactions and dedups by primary key.
        self._gate: threading.Lock | None = threading.Lock() if serialize_writes else None
        # Several processes may drain one queue (PostgreSQL): lock the batch for the whole write.
        self._lock_queued = engine.capabilities.concurrent_processes
        self.on_enqueued: Callable[[], None] = lambda: None

    @property
    def writer(self) -> Any:
        """The bronze writer (one per `Databank`)."""
        return self.bank.bronze

    @contextmanager
    def write_gate(self) -> Iterator[None]:
        """Serialise writes when configured to."""
        with self._gate if self._gate is not None else nullcontext():
            yield

    # -- submitting ----------------------------------------------------------------------------
    def submit(self, principal: Principal, source_type: str, raw: bytes, key: str | None) -> Reply:
        """Handle one POST: parse, then replay, process now, or queue."""
        envelope = parse_envelope(raw, self.bank.settings.api_max_records)
        if key is None:
            return self._accept(principal, source_type, envelope, None, "")
        signature = body_signature(source_type, envelope.body)
        with self.idempotency.single_flight(principal.key_id, key):
            stored = self.idempotency.lookup(principal.key_id, key)
            if stored is not None:
                return _replay(stored, signature, key)
            try:
                return self._accept(principal, source_type, envelope, key, signature)
            except Exception:
                # Another API process may have committed the same key first: answer as it did.
                stored = self.idempotency.lookup(principal.key_id, key)
                if stored is None:
                    raise
                return _replay(stored, signature, key)

    def _accept(
        self,
        principal: Principal,
        source_type: str,
        envelope: Envelope,
        key: str | None,
        signature: str,
    ) -> Reply:
        batch_id = str(uuid.uuid4())
        received = utcnow()
        if envelope.async_processing:
            # Refuse now what the worker would refuse later: the client is still listening.
            self.writer.contracts.get(source_type, envelope.schema_version)
            return self._enqueue(
                principal, source_type, envelope, key, signature, batch_id, received
            )
        body: list[bytes] = []

        def commit_with(result: Any) -> None:
            encoded = orjson.dumps(batch_response(result))
            self.queue.add(
                batch_id,
                source_type,
                envelope.source_system,
                envelope.schema_version,
                envelope.quality_checks,
                None,
                result.records_received,
                principal.key_id,
                received,
            )
            if key is not None:
                self.idempotency.record(principal.key_id, key, signature, batch_id, 200, encoded)
            body[:] = [encoded]  # a retried transaction runs this again: answer as it stored

        # Not behind the write gate: the writer checks and hashes the batch first (CPU work that
        # must overlap other batches' commits) and serialises its own commits on DuckDB.
        result = self.writer.write_batch(
            source_type,
            envelope.records,
            source_system=envelope.source_system,
            schema_version=envelope.schema_version,
            quality_checks=envelope.quality_checks,
            batch_id=batch_id,
            in_transaction=commit_with,
            fresh_batch_id=True,
        )
        return Reply(200, body[0] if body else orjson.dumps(batch_response(result)))

    def _enqueue(
        self,
        principal: Principal,
        source_type: str,
        envelope: Envelope,
        key: str | None,
        signature: str,
        batch_id: str,
        received: Any,
    ) -> Reply:
        response = {
            "batch_id": batch_id,
            "records_received": len(envelope.records),
            "validation_status": "pending",
            "processing_time_ms": round((utcnow() - received).total_seconds() * 1000, 3),
            "quality_score": None,
            "errors": [],
            "passed": 0,
            "failed": 0,
            "pending": len(envelope.records),
            "duplicates": 0,
        }
        encoded = orjson.dumps(response)
        engine = self.bank.engine
        with self.write_gate(), engine.transaction():
            self.queue.add(
                batch_id,
                source_type,
                envelope.source_system,
                envelope.schema_version,
                envelope.quality_checks,
                envelope.records,
                len(envelope.records),
                principal.key_id,
                received,
            )
            if key is not None:
                self.idempotency.record(principal.key_id, key, signature, batch_id, 202, encoded)
        self.on_enqueued()
        return Reply(202, encoded, {"Location": f"/api/v1/ingestion/status/{batch_id}"})

    # -- the queue worker's step ---------------------------------------------------------------
    def process_next(self) -> bool:
        """Process the oldest queued batch; False when there was none.

        The batch is marked done in the writer's own transaction, together with its bronze rows.
        On engines with several writer processes the queue row stays locked (`FOR UPDATE SKIP
        LOCKED`) in an enclosing transaction, so no other process takes it meanwhile; the
        writer's transaction is then a savepoint inside it.
        """
        taken: list[str] = []
        try:
            with (
                self.write_gate(),
                self.bank.engine.transaction() if self._lock_queued else nullcontext(),
            ):
                found = self.queue.take()
                if found is None:
                    return False
                item, records = found
                taken.append(item.batch_id)
                started = utcnow()
                self.writer.write_batch(
                    item.source_type,
                    records,
                    source_system=item.source_system,
                    schema_version=item.schema_version,
                    quality_checks=item.quality_checks,
                    batch_id=item.batch_id,
                    in_transaction=lambda _result: self.queue.finish(item.batch_id, started),
                )
            return True
        except DatabankError as exc:
            if not taken or exc.retryable:
                raise
            # A batch the writer refuses as a whole will be refused again: give up at once.
            self._count_failure(taken[0], exc, give_up=isinstance(exc, IngestionError))
            return True
        except Exception as exc:
            if not taken:
                raise
            logger.exception("queued batch %s failed", taken[0])
            self._count_failure(taken[0], exc)
            return True

    def _count_failure(self, batch_id: str, exc: Exception, give_up: bool = False) -> None:
        with self.write_gate(), self.bank.engine.transaction():
            final = self.queue.fail_attempt(
                batch_id, f"{type(exc).__name__}: {exc}", 1 if give_up else MAX_ATTEMPTS
            )
        if final:
            logger.error("queued batch %s marked failed: %s", batch_id, exc)

    def purge(self) -> dict[str, int]:
        """Forget expired idempotency records and old processed queue entries."""
        retention = self.idempotency.retention
        with self.write_gate():
            return {
                "idempotency_keys": self.idempotency.purge(),
                "queue": self.queue.purge(retention),
            }

    # -- status ----------------------------------------------------------------------------------
    def status(self, batch_id: str) -> dict[str, Any]:
        """Where a batch stands: counts, errors and times; 404 when unknown."""
        item = self.queue.get(batch_id)
        result = self.writer.batch_result(batch_id) if _is_uuid(batch_id) else None
        if item is None and result is None:
            raise ApiError(404, "batch_not_found", f"no ingestion batch {batch_id!r}")
        report: dict[str, Any] = {"batch_id": batch_id}
        if result is not None:
            report.update(batch_response(result))
            report["status"] = result.validation_status
            report["source_type"] = result.source_type
            report["source_system"] = result.source_system
            report["schema_version"] = result.schema_version
        else:
            assert item is not None
            report.update(
                {
                    "status": "failed" if item.status == FAILED else "queued",
                    "validation_status": "failed" if item.status == FAILED else "pending",
                    "records_received": item.records_received,
                    "source_type": item.source_type,
                    "source_system": item.source_system,
                    "schema_version": item.schema_version,
                    "quality_score": None,
                    "errors": [],
                }
            )
        if item is not None:
            report.update(item.times())
            report["attempts"] = item.attempts
            report["last_error"] = item.last_error
            report["processed"] = item.status == DONE or result is not None
        return report


def _replay(stored: StoredResponse, signature: str, key: str) -> Reply:
    if stored.request_hash != signature:
        raise ApiError(
            409,
            "idempotency_key_reused",
            f"Idempotency-Key {key!r} was already used with a different request body; "
            "use a new key for a new request",
            details={"batch_id": stored.batch_id},
        )
    return Reply(stored.status_code, stored.body, {"Idempotent-Replayed": "true"})


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
