"""The BronzeWriter: the one road every record takes into bronze (docs/bronze.md).

`write_batch` validates each record against its contract, scores it, pseudonymises personal data,
drops exact re-deliveries, and stores the batch — passed and failed records, rejection reasons,
drift, the batch result and one raw_logs row — in ONE transaction: all of it or nothing. A batch id
that was committed before returns its stored result and writes nothing.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from databank import refresh
from databank.engines.base import Engine
from databank.ingestion import ledger
from databank.ingestion.contract import ContractRegistry
from databank.ingestion.dedup import SeenFilter, stored_ids
from databank.ingestion.errors import (
    BatchConflictError,
    InvalidBatchError,
    UnknownSourceTypeError,
)
from databank.ingestion.pii import Pseudonymiser, load_key
from databank.ingestion.prepare import Prepared
from databank.ingestion.results import BatchResult, RecordError, ReplayResult
from databank.ingestion.rows import BatchContext, prepare_batch, rejection_table
from databank.ingestion.source_types import LAYOUTS, SOURCE_TYPES, BronzeLayout
from databank.settings import Settings

__all__ = [
    "SOURCE_TYPES",
    "BatchResult",
    "BronzeWriter",
    "RecordError",
    "ReplayResult",
    "UnknownSourceTypeError",
]

log = logging.getLogger(__name__)
_ATTEMPTS = 3
_CONFLICTS = {
    "ConstraintException",  # DuckDB: primary key
    "TransactionException",  # DuckDB: write-write conflict
    "UniqueViolation",
    "SerializationFailure",
    "DeadlockDetected",
}


def _is_conflict(exc: BaseException) -> bool:
    return any(cls.__name__ in _CONFLICTS for cls in type(exc).__mro__)


def _check_name(what: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise InvalidBatchError(f"{what} must be a non-blank string of at most 200 characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in value) or not value.isprintable():
        raise InvalidBatchError(f"{what} must not contain control characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidBatchError(f"{what} is not valid Unicode") from None
    return value


def layout_of(source_type: str) -> BronzeLayout:
    """The bronze layout of a source type (UnknownSourceTypeError lists the known ones)."""
    layout = LAYOUTS.get(source_type) if isinstance(source_type, str) else None
    if layout is None:
        raise UnknownSourceTypeError(
            f"unknown source type {source_type!r}", f"use one of: {', '.join(SOURCE_TYPES)}"
        )
    return layout


@dataclass(eq=False)
class _Job:
    """One prepared batch on its way to a commit, and (once settled) its outcome."""

    prepared: Prepared
    data: pa.Table  # the bronze rows, in batch order
    layout: BronzeLayout
    ctx: BatchContext
    quality_checks: bool
    started: float
    in_transaction: Callable[[BatchResult], None] | None
    result: BatchResult | None = None
    error: BaseException | None = None

    @property
    def settled(self) -> bool:
        """True once a commit (or its failure) decided this batch."""
        return self.result is not None or self.error is not None

    def outcome(self) -> BatchResult:
        """The stored result, or the exception that stopped the batch."""
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


class BronzeWriter:
    """Writes batches of one source type into its bronze table (thread-safe, one per Databank)."""

    def __init__(
        self, engine: Engine, settings: Settings, *, contracts: ContractRegistry | None = None
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.contracts = contracts or ContractRegistry()
        self._pseudo: Pseudonymiser | None = None
        self._filters: dict[str, SeenFilter] = {}
        self._drift_seen: dict[str, set[str]] = {}
        self._lock = threading.Lock()
        self._commit_lock = threading.Lock()  # group commit: the leader of a group holds it
        self._queue_lock = threading.Lock()
        self._queue: list[_Job] = []

    @property
    def pseudonymiser(self) -> Pseudonymiser:
        """The PII pseudonymiser (its key is read, or generated once, on first use)."""
        if self._pseudo is None:
            self._pseudo = Pseudonymiser(load_key(self.settings))
        return self._pseudo

    # -- writing ---------------------------------------------------------------------------------
    def write_batch(
        self,
        source_type: str,
        records: Sequence[Mapping[str, Any]],
        *,
        source_system: str,
        schema_version: str = "1.0.0",
        quality_checks: bool = True,
        batch_id: str | None = None,
        in_transaction: Callable[[BatchResult], None] | None = None,
        fresh_batch_id: bool = False,
    ) -> BatchResult:
        """Store one batch whole (or not at all); see the module docstring and docs/bronze.md.

        `in_transaction(result)` runs inside the batch's transaction just before the commit (the
        API stores its idempotency record there, sources their cursor); it may run again if the
        transaction is retried. Records that are not JSON objects or cannot be stored become
        failed records; only a malformed batch raises. `fresh_batch_id` says the caller has just
        made `batch_id` up, so no earlier commit of it needs looking for.
        """
        started = time.perf_counter()
        layout = layout_of(source_type)
        contract = self.contracts.get(source_type, schema_version)
        _check_name("source_system", source_system)
        if isinstance(records, str | bytes | Mapping) or not isinstance(records, Sequence):
            raise InvalidBatchError("records must be a list of JSON objects")
        if batch_id is not None:
            _check_name("batch_id", batch_id)
            done = None if fresh_batch_id else self.batch_result(batch_id)
            if done is not None:
                return done
        batch_id = batch_id or str(uuid.uuid4())
        now = datetime.now(UTC).replace(tzinfo=None)
        ctx = BatchContext(
            batch_id, source_type, source_system, schema_version, now.isoformat(sep=" ")
        )
        prepared, data = prepare_batch(
            records,
            contract,
            self.pseudonymiser,
            layout,
            ctx,
            quality_checks=quality_checks,
            fallback_date=now.date().isoformat(),
        )
        job = _Job(prepared, data, layout, ctx, quality_checks, started, in_transaction)
        if self.engine.capabilities.concurrent_processes:
            return self._commit_alone(job)
        return self._commit_grouped(job)

    def _commit_alone(self, job: _Job) -> BatchResult:
        """One transaction for one batch, retried when it collides with a concurrent write."""
        batch_id = job.ctx.batch_id
        careful = False
        for attempt in range(_ATTEMPTS):
            try:
                with self.engine.transaction():
                    meta = ledger.PendingWrites()
                    result, keep = self._store(job, careful, set(), meta)
                    meta.write(self.engine)
                    if job.in_transaction is not None:
                        job.in_transaction(result)
            except Exception as exc:
                if _is_conflict(exc) and attempt + 1 < _ATTEMPTS:
                    log.info("batch %s collided with another write (%s); retrying", batch_id, exc)
                    done = self._committed_meanwhile(batch_id, exc)
                    if done is not None:
                        return done
                    careful = True  # ask the database about every id, not the filter
                    continue
                self._log_failure(job.ctx, job.prepared, job.started, exc)
                if _is_conflict(exc):
                    raise BatchConflictError(
                        f"batch {batch_id} kept colliding with concurrent writes",
                        "send it again: stored records are recognised and not written twice",
                    ) from exc
                raise
            self._committed(job, keep)
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _commit_grouped(self, job: _Job) -> BatchResult:
        """Group commit for a single-writer engine (DuckDB): one transaction for every batch
        that is waiting when the previous commit ends, so concurrent requests share the cost of
        a commit. Each batch is still stored whole or not at all: if the shared transaction
        fails, every batch of the group is committed on its own and gets its own outcome.
        """
        with self._queue_lock:
            self._queue.append(job)
        with self._commit_lock:
            if not job.settled:
                with self._queue_lock:
                    group, self._queue = self._queue, []
                self._commit_group(group)
        return job.outcome()

    def _commit_group(self, group: list[_Job]) -> None:
        if len(group) > 1:
            try:
                outcomes = []
                with self.engine.transaction():
                    stored: dict[str, set[str]] = {}
                    meta = ledger.PendingWrites()
                    for job in group:
                        outcomes.append(
                            self._store(
                                job, False, stored.setdefault(job.layout.table, set()), meta
                            )
                        )
                    meta.write(self.engine)  # every batch's rows are in before any callback runs
                    for job, (result, _keep) in zip(group, outcomes, strict=True):
                        if job.in_transaction is not None:
                            job.in_transaction(result)
            except Exception as exc:
                log.info("group of %d batches failed (%s); committing each alone", len(group), exc)
            else:
                for job, (result, keep) in zip(group, outcomes, strict=True):
                    self._committed(job, keep)
                    job.result = result
                return
        for job in group:
            try:
                job.result = self._commit_alone(job)
            except BaseException as exc:  # handed to the waiting caller, who raises it
                job.error = exc

    def batch_result(self, batch_id: str) -> BatchResult | None:
        """The stored result of a committed batch, or None when no such batch was committed."""
        return ledger.load_batch(self.engine, batch_id)

    def replay_failed(self, source_type: str, *, schema_version: str | None = None) -> ReplayResult:
        """Re-validate the stored failed records of `source_type` against the current contracts.

        Records that pass now become `passed` (their rejection reasons are marked resolved); the
        others get their current reasons. `schema_version` re-validates against that contract
        version instead of each record's own. Records stored in safe form (unstorable as sent) are
        never re-validated: they count as still failed.
        """
        from databank.ingestion.replay import replay_failed

        layout = layout_of(source_type)
        if schema_version is not None:
            self.contracts.get(source_type, schema_version)
        return replay_failed(self, layout, schema_version)

    # -- inside the transaction -------------------------------------------------------------------
    def _store(
        self, job: _Job, careful: bool, group_stored: set[str], meta: ledger.PendingWrites
    ) -> tuple[BatchResult, list[bool]]:
        """Write one batch inside the open transaction; `group_stored` holds the ids stored by
        earlier batches of the same transaction (and gets this batch's); its rows go to `meta`,
        which the caller writes before committing."""
        engine, prepared, layout, ctx = self.engine, job.prepared, job.layout, job.ctx
        table = layout.table
        existing = self._existing(table, prepared, careful)
        keep = [i not in existing and i not in group_stored for i in prepared.ids]
        stored = sum(keep)
        if stored:
            data = job.data if stored == len(keep) else job.data.filter(pa.array(keep))
            meta.add_table(table, data)
            group_stored.update(i for i, k in zip(prepared.ids, keep, strict=True) if k)
            rejections = rejection_table(prepared, keep, table, ctx)
            if rejections.num_rows:
                meta.add_table(ledger.REJECTIONS, rejections)
        drift = [n for n in prepared.drift if n not in self._drift_seen.get(ctx.source_type, ())]
        if drift:
            drift = ledger.new_drift_fields(engine, ctx.source_type, drift)
            ledger.record_drift(
                engine,
                names=drift,
                source_type=ctx.source_type,
                table=table,
                schema_version=ctx.schema_version,
                source_system=ctx.source_system,
                batch_id=ctx.batch_id,
            )
        result = _result(prepared, keep, ctx, job.quality_checks, job.started)
        meta.add_row(ledger.BATCHES, ledger.batch_row(result, table))
        payload = {**result.to_dict(), "bronze_table": table, "drift_fields": drift}
        del payload["errors"]
        failures = Counter(f"{e.field or '(record)'}: {e.reason}" for e in result.errors)
        meta.add_row(
            ledger.RAW_LOGS,
            ledger.run_row(
                operation=f"ingest:{ctx.source_type}",
                payload=payload,
                seconds=result.processing_time_ms / 1000,
                status="success",
                error_details={
                    "failed_records": result.failed,
                    "reasons": dict(failures.most_common(20)),
                }
                if result.failed
                else None,
                batch_id=ctx.batch_id,
            ),
        )
        return result, keep

    def _existing(self, table: str, prepared: Prepared, careful: bool) -> set[str]:
        if not prepared.ids:
            return set()
        seen = None if self.engine.capabilities.concurrent_processes else self._filter(table)
        if careful or seen is None or not seen.loaded:
            return stored_ids(self.engine, table, prepared.ids)
        maybe = seen.maybe_stored(prepared.prefixes)
        candidates = [i for i, hit in zip(prepared.ids, maybe, strict=True) if hit]
        return stored_ids(self.engine, table, candidates)

    def _filter(self, table: str) -> SeenFilter:
        """The table's filter, loading in the background from its first use."""
        with self._lock:
            seen = self._filters.get(table)
            if seen is None:
                seen = self._filters[table] = SeenFilter()
        if not seen.loaded:
            seen.start_loading(self.engine, table)
        return seen

    # -- after the transaction --------------------------------------------------------------------
    def _committed(self, job: _Job, keep: list[bool]) -> None:
        """Remember what a committed batch stored, and announce new rows."""
        table, prepared, source_type = job.layout.table, job.prepared, job.ctx.source_type
        seen = self._filters.get(table)
        if seen is not None:  # loaded or loading: a loading filter keeps these beside its snapshot
            seen.add([p for p, k in zip(prepared.prefixes, keep, strict=True) if k])
        if prepared.drift:
            with self._lock:
                self._drift_seen.setdefault(source_type, set()).update(
                    n[:200] for n in prepared.drift
                )
        if any(keep):
            refresh.announce(table)

    def _committed_meanwhile(self, batch_id: str, exc: BaseException) -> BatchResult | None:
        try:
            return self.batch_result(batch_id)
        except Exception:  # an enclosing transaction is aborted: report the conflict itself
            raise exc from None

    def _log_failure(
        self, ctx: BatchContext, prepared: Prepared, started: float, exc: BaseException
    ) -> None:
        """A raw_logs row for a batch that was not stored (best effort, its own transaction)."""
        try:
            with self.engine.transaction():
                ledger.log_run(
                    self.engine,
                    operation=f"ingest:{ctx.source_type}",
                    payload={
                        "batch_id": ctx.batch_id,
                        "source_type": ctx.source_type,
                        "source_system": ctx.source_system,
                        "records_received": prepared.received,
                        "stored": 0,
                    },
                    seconds=time.perf_counter() - started,
                    status="failed",
                    error_details={"error": type(exc).__name__, "message": str(exc)[:500]},
                    batch_id=ctx.batch_id,
                )
        except Exception as log_exc:  # the database itself may be what failed
            log.warning("could not log the failed batch %s: %s", ctx.batch_id, log_exc)


def _result(
    prepared: Prepared, keep: list[bool], ctx: BatchContext, quality_checks: bool, started: float
) -> BatchResult:
    counts: Counter[str] = Counter(s for s, k in zip(prepared.statuses, keep, strict=True) if k)
    scores = [s for s, k in zip(prepared.scores, keep, strict=True) if k and s is not None]
    errors = tuple(
        RecordError(prepared.index[i], None if field == "(record)" else field, reason)
        for i, errs in enumerate(prepared.errors)
        if keep[i] and prepared.statuses[i] == "failed"
        for field, reason, _kind, is_error in errs
        if is_error
    )
    failed = counts["failed"]
    status = "failed" if failed else ("passed" if quality_checks else "pending")
    return BatchResult(
        batch_id=ctx.batch_id,
        source_type=ctx.source_type,
        source_system=ctx.source_system,
        schema_version=ctx.schema_version,
        records_received=prepared.received,
        passed=counts["passed"],
        failed=failed,
        pending=counts["pending"],
        duplicates=prepared.in_batch_duplicates + len(keep) - sum(keep),
        quality_score=round(sum(scores) / len(scores), 6) if scores else None,
        validation_status=status,
        processing_time_ms=round((time.perf_counter() - started) * 1000, 3),
        errors=errors,
    )
