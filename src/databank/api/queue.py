"""The durable ingestion queue (`meta.ingestion_queue`): batches accepted for later processing.

A batch accepted with `async_processing` is committed here before the client gets its 202, so a
restart loses nothing. A worker takes the oldest queued batch and writes it inside one transaction
that also marks it done: a crash mid-way rolls both back and the batch is simply taken again.
Batches processed at once are recorded here too (already done), so that every batch the API
accepted has its received/started/completed times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from databank.api.idempotency import utcnow
from databank.engines.base import Engine

TABLE = "meta.ingestion_queue"
QUEUED, DONE, FAILED = "queued", "done", "failed"
_COLUMNS = (
    "batch_id, source_type, source_system, schema_version, quality_checks, records_received, "
    "status, attempts, last_error, principal, enqueued_at, started_at, finished_at"
)


@dataclass(frozen=True)
class QueueItem:
    """One accepted batch and where it stands."""

    batch_id: str
    source_type: str
    source_system: str
    schema_version: str
    quality_checks: bool
    records_received: int
    status: str
    attempts: int
    last_error: str | None
    principal: str | None
    enqueued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    def times(self) -> dict[str, Any]:
        """The item's timestamps as ISO strings (UTC)."""

        def iso(value: datetime | None) -> str | None:
            return value.isoformat() + "Z" if value else None

        return {
            "received_at": iso(self.enqueued_at),
            "started_at": iso(self.started_at),
            "completed_at": iso(self.finished_at),
        }


class IngestionQueue:
    """Enqueue, take, finish and inspect accepted batches."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Several API processes on one PostgreSQL must not take the same batch.
        self._skip_locked = (
            " FOR UPDATE SKIP LOCKED" if engine.capabilities.concurrent_processes else ""
        )

    def add(
        self,
        batch_id: str,
        source_type: str,
        source_system: str,
        schema_version: str,
        quality_checks: bool,
        records: list[dict[str, Any]] | None,
        records_received: int,
        principal: str,
        received_at: datetime,
    ) -> None:
        """Record a batch: queued with its records, or (records None) already processed now."""
        done = records is None
        now = utcnow()
        self.engine.execute(
            f"INSERT INTO {TABLE} (batch_id, source_type, source_system, schema_version, "
            "quality_checks, records, records_received, status, attempts, principal, enqueued_at, "
            "started_at, finished_at) VALUES ($b, $t, $s, $v, $q, $r, $n, $st, $a, $p, $e, $sa, $f)",
            {
                "b": batch_id,
                "t": source_type,
                "s": source_system,
                "v": schema_version,
                "q": quality_checks,
                "r": "" if done else orjson.dumps(records).decode(),
                "n": records_received,
                "st": DONE if done else QUEUED,
                "a": 1 if done else 0,
                "p": principal,
                "e": received_at,
                "sa": received_at if done else None,
                "f": now if done else None,
            },
        )

    def take(self) -> tuple[QueueItem, list[dict[str, Any]]] | None:
        """The oldest queued batch and its records, locked for this transaction; None if empty.

        Call inside a transaction and finish the batch in that same transaction.
        """
        rows = self.engine.fetch_rows(
            f"SELECT {_COLUMNS}, records FROM {TABLE} WHERE status = $q "
            f"ORDER BY enqueued_at, batch_id LIMIT 1{self._skip_locked}",
            {"q": QUEUED},
        )
        if not rows:
            return None
        *fields, records = rows[0]
        return QueueItem(*fields), orjson.loads(records)

    def finish(self, batch_id: str, started_at: datetime) -> None:
        """Mark a batch processed and drop its copy of the records (bronze holds them now)."""
        self.engine.execute(
            f"UPDATE {TABLE} SET status = $d, records = '', attempts = attempts + 1, "
            "started_at = $s, finished_at = $f WHERE batch_id = $b AND status = $q",
            {"d": DONE, "s": started_at, "f": utcnow(), "b": batch_id, "q": QUEUED},
        )

    def fail_attempt(self, batch_id: str, error: str, max_attempts: int) -> bool:
        """Count a failed attempt; after `max_attempts` the batch is marked failed (returns True)."""
        attempts = (
            int(
                self.engine.fetch_value(
                    f"SELECT attempts FROM {TABLE} WHERE batch_id = $b", {"b": batch_id}
                )
                or 0
            )
            + 1
        )
        final = attempts >= max_attempts
        self.engine.execute(
            f"UPDATE {TABLE} SET attempts = $a, last_error = $e, status = $st, finished_at = $f "
            "WHERE batch_id = $b",
            {
                "a": attempts,
                "e": error[:2000],
                "st": FAILED if final else QUEUED,
                "f": utcnow() if final else None,
                "b": batch_id,
            },
        )
        return final

    def get(self, batch_id: str) -> QueueItem | None:
        """One batch's entry, or None."""
        rows = self.engine.fetch_rows(
            f"SELECT {_COLUMNS} FROM {TABLE} WHERE batch_id = $b", {"b": batch_id}
        )
        return QueueItem(*rows[0]) if rows else None

    def depth(self) -> dict[str, int]:
        """How many batches wait, and how many gave up."""
        rows = self.engine.fetch_rows(
            f"SELECT status, count(*) FROM {TABLE} WHERE status IN ($q, $f) GROUP BY status",
            {"q": QUEUED, "f": FAILED},
        )
        counts = {status: int(n) for status, n in rows}
        return {"queued": counts.get(QUEUED, 0), "failed": counts.get(FAILED, 0)}

    def purge(self, retention: timedelta) -> int:
        """Forget processed batches older than `retention` (queued ones are never purged)."""
        cutoff = utcnow() - retention
        params = {"d": DONE, "c": cutoff}
        old = int(
            self.engine.fetch_value(
                f"SELECT count(*) FROM {TABLE} WHERE status = $d AND finished_at < $c", params
            )
            or 0
        )
        if old:
            self.engine.execute(
                f"DELETE FROM {TABLE} WHERE status = $d AND finished_at < $c", params
            )
        return old
