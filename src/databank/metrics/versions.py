"""Gold-table refresh versions held in memory, so a cached KPI answer costs no database query.

`databank.refresh.mark_refreshed` announces a refresh to in-process listeners *inside* the
refreshing transaction, just before its commit: a version read from the database at the moment of
the announcement may still be the old one. So an announcement does not hand over a new version; it
opens a *settling window*. Until SETTLE_S seconds after the last announcement of a table, every
lookup reads `meta.table_versions` (and the answer is keyed by what it read, as before); after that,
the version of the newest read is trusted until the next announcement. A rolled-back refresh, or
one on another engine of this process, costs the window's reads and nothing else.

That is exact when this process is the only writer (DuckDB: `databank serve` owns the file). When
other processes write the same database (PostgreSQL with several API processes), nobody announces
their refreshes here, so a version is also re-read once it is older than `ttl` seconds: answers
follow another process's refresh within `ttl`.

Announcements are heard by one module-level listener, subscribed at import (before any service or
refresh of the process exists), so a service made later still knows about a refresh whose
transaction is open.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from databank.engines.base import Engine
from databank.refresh import on_refresh, table_versions

SETTLE_S = 10.0  # an announced refresh commits well within this (its announcement is its last step)
SHARED_TTL_S = 1.0  # engines other processes write: how stale a trusted version may get
NEVER = float("-inf")

_heard: dict[str, float] = {}
_heard_lock = threading.Lock()


def _hear(table: str) -> None:
    now = time.monotonic()
    with _heard_lock:
        _heard[table] = now


on_refresh(_hear)


def last_heard(table: str) -> float:
    """Monotonic time of the last in-process announcement of `table` (-inf: none)."""
    with _heard_lock:
        return _heard.get(table, NEVER)


def default_ttl(engine: Engine) -> float | None:
    """None (trust until announced) for DuckDB, whose file one process owns; else SHARED_TTL_S."""
    return None if engine.dialect == "duckdb" else SHARED_TTL_S


@dataclass(frozen=True)
class _Read:
    version: int
    started: float  # monotonic time the database read began


class VersionBook:
    """The versions of the tables one service reads, re-read from the database only when needed."""

    def __init__(
        self,
        ttl: float | None,
        *,
        settle: float = SETTLE_S,
        clock: Callable[[], float] = time.monotonic,
        heard: Callable[[str], float] = last_heard,
    ) -> None:
        self.ttl = ttl
        self.settle = settle
        self._clock = clock
        self._heard = heard
        self._reads: dict[str, _Read] = {}
        self._lock = threading.Lock()
        self.database_reads = 0  # how many lookups went to the database (tests, benchmarks)

    def version(self, engine: Engine, table: str) -> int:
        """The table's current refresh version: from memory when trusted, else from the database."""
        trusted = self.trusted_version(table)
        if trusted is not None:
            return trusted
        started = self._clock()
        version = table_versions(engine, [table])[table]
        with self._lock:
            self.database_reads += 1
            held = self._reads.get(table)
            # Keep the read that began last: it saw every commit an earlier one saw.
            if held is None or started >= held.started:
                self._reads[table] = _Read(version, started)
        return version

    def trusted_version(self, table: str) -> int | None:
        """The version held in memory if it can be used without asking the database, else None."""
        read = self._reads.get(table)  # a dict read is atomic; writes take the lock
        if read is None or read.started < self._heard(table) + self.settle:
            return None  # never read, or read before an announced refresh surely committed
        if self.ttl is not None and self._clock() - read.started >= self.ttl:
            return None
        return read.version
