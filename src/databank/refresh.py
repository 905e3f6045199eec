"""Table refresh signals: who changed which table when, so caches know when to drop an answer.

The model runner calls `mark_refreshed` after a model's table changed (in the same transaction
where it can). Readers call `table_versions` for the tables behind a cached answer: a different
version means the answer is stale. Versions live in `meta.table_versions`, so several API processes
on one PostgreSQL database see each other's refreshes; in-process listeners hear them at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from databank.engines.base import Engine

log = logging.getLogger(__name__)
_listeners: list[Callable[[str], None]] = []
_lock = threading.Lock()


def mark_refreshed(engine: Engine, table: str) -> None:
    """Record that `table` (layer.name) changed, and tell in-process listeners."""
    updated = engine.fetch_value(
        "UPDATE meta.table_versions SET version = version + 1, refreshed_at = "
        f"{engine.now_sql} WHERE table_name = $t RETURNING version",
        {"t": table},
    )
    if updated is None:
        engine.execute(
            "INSERT INTO meta.table_versions (table_name, version) VALUES ($t, 1) "
            "ON CONFLICT (table_name) DO UPDATE SET version = meta.table_versions.version + 1",
            {"t": table},
        )
    announce(table)


def announce(table: str) -> None:
    """Tell in-process listeners that `table` got new rows (no database write).

    The bronze writer calls this after each commit that stored rows: bronze tables carry no
    version (nothing caches them), but the micro-batcher must hear of them.
    """
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        try:
            listener(table)
        except Exception:  # a broken listener must not fail the write that succeeded
            log.exception("refresh listener failed for %s", table)


def table_versions(engine: Engine, tables: Iterable[str]) -> dict[str, int]:
    """The current version of each table (0 for one never refreshed)."""
    wanted = sorted(set(tables))
    if not wanted:
        return {}
    marks = ", ".join(f"$t{i}" for i in range(len(wanted)))
    rows = engine.fetch_rows(
        f"SELECT table_name, version FROM meta.table_versions WHERE table_name IN ({marks})",
        {f"t{i}": name for i, name in enumerate(wanted)},
    )
    found = {name: int(version) for name, version in rows}
    return {name: found.get(name, 0) for name in wanted}


def on_refresh(listener: Callable[[str], None]) -> Callable[[], None]:
    """Call `listener(table)` after each refresh in this process; returns an unsubscribe function."""
    with _lock:
        _listeners.append(listener)

    def unsubscribe() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return unsubscribe
