"""`Idempotency-Key` records: the first response to a (caller, key) pair, kept for a retention
period, so that a retried request gets that same response and stores nothing new.

The record is written in the same transaction as the bronze rows it stands for: either both are
committed or neither is, so a crash can never leave stored rows without their record (a retry would
store them twice) nor a record without its rows (the batch would be lost).
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from databank.engines.base import Engine

TABLE = "meta.idempotency_keys"
_STRIPES = 256


def utcnow() -> datetime:
    """Now as naive UTC wall time, the way timestamps are stored."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class StoredResponse:
    """The first response given for an idempotency key."""

    request_hash: str
    batch_id: str
    status_code: int
    body: bytes


class IdempotencyStore:
    """Look up, record and purge idempotency records."""

    def __init__(self, engine: Engine, retention: timedelta) -> None:
        self.engine = engine
        self.retention = retention
        # Striped locks: two requests with the same key in this process run one after the other.
        self._locks = [threading.Lock() for _ in range(_STRIPES)]

    @contextmanager
    def single_flight(self, principal: str, key: str) -> Iterator[None]:
        """Hold the lock for this (caller, key) so concurrent duplicates wait for the first."""
        lock = self._locks[zlib.crc32(f"{principal}\0{key}".encode()) % _STRIPES]
        with lock:
            yield

    def lookup(self, principal: str, key: str) -> StoredResponse | None:
        """The live record for this key, or None (absent or expired)."""
        rows = self.engine.fetch_rows(
            f"SELECT request_hash, batch_id, status_code, response FROM {TABLE} "
            "WHERE principal = $p AND idempotency_key = $k AND expires_at > $now",
            {"p": principal, "k": key, "now": utcnow()},
        )
        if not rows:
            return None
        request_hash, batch_id, status_code, response = rows[0]
        return StoredResponse(request_hash, batch_id, int(status_code), response.encode())

    def record(
        self,
        principal: str,
        key: str,
        request_hash: str,
        batch_id: str,
        status_code: int,
        body: bytes,
    ) -> None:
        """Store the first response; call inside the transaction that stores the batch."""
        now = utcnow()
        self.engine.execute(
            f"DELETE FROM {TABLE} WHERE principal = $p AND idempotency_key = $k AND expires_at <= $now",
            {"p": principal, "k": key, "now": now},
        )
        self.engine.execute(
            f"INSERT INTO {TABLE} (principal, idempotency_key, request_hash, batch_id, status_code, "
            "response, created_at, expires_at) VALUES ($p, $k, $h, $b, $s, $r, $now, $exp)",
            {
                "p": principal,
                "k": key,
                "h": request_hash,
                "b": batch_id,
                "s": status_code,
                "r": body.decode(),
                "now": now,
                "exp": now + self.retention,
            },
        )

    def purge(self) -> int:
        """Delete expired records; returns how many."""
        now = utcnow()
        expired = int(
            self.engine.fetch_value(
                f"SELECT count(*) FROM {TABLE} WHERE expires_at <= $now", {"now": now}
            )
            or 0
        )
        if expired:
            self.engine.execute(f"DELETE FROM {TABLE} WHERE expires_at <= $now", {"now": now})
        return expired
