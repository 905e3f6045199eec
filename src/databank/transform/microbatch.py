"""Freshness without a full run: new rows in a source table trigger the models downstream of it.

    batcher = MicroBatcher(runner, delay=2.0)
    batcher.start()              # `databank serve` does this
    batcher.notify("bronze.scout_raw_transactions")   # or: the writer calls refresh.mark_refreshed
    ...
    batcher.stop()

Notifications are coalesced: the first one opens a batch, which runs `delay` seconds later with
every table notified meanwhile; notifications during a run open the next batch. A batch runs the
affected models incrementally (`Runner.run(..., trigger="microbatch")`) in a background thread.
When started with `listen=True`, tables refreshed through `databank.refresh.mark_refreshed` that no
model writes (the sources) notify the batcher by themselves.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from databank import refresh
from databank.transform.report import RunReport
from databank.transform.runner import Runner

log = logging.getLogger(__name__)


class MicroBatcher:
    """Runs the models downstream of notified tables, a short delay after the first notification."""

    def __init__(self, runner: Runner, delay: float = 2.0, *, listen: bool = True) -> None:
        if delay < 0:
            raise ValueError("delay must be 0 or more seconds")
        self.runner = runner
        self.delay = delay
        self.listen = listen
        self.runs = 0
        self.last_report: RunReport | None = None
        self.last_error: str | None = None
        self._pending: set[str] = set()
        self._opened_at: float | None = None
        self._running = False
        self._stopping = False
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def notify(self, table: str) -> None:
        """Table `table` (layer.name) got new rows: run what depends on it in the next batch."""
        with self._cond:
            if not self._pending:
                self._opened_at = time.monotonic()
            self._pending.add(table)
            self._cond.notify_all()

    def start(self) -> None:
        """Start the background thread (idempotent)."""
        with self._cond:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping = False
            self._thread = threading.Thread(
                target=self._loop, name="databank-microbatch", daemon=True
            )
            self._thread.start()
        if self.listen and self._unsubscribe is None:
            self._unsubscribe = refresh.on_refresh(self._heard)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the batch in progress (pending notifications are dropped)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        self._thread = None

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until nothing is pending or running; False if `timeout` passed first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending or self._running:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    @property
    def running(self) -> bool:
        """True while the background thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def _heard(self, table: str) -> None:
        if table not in self.runner.models:
            self.notify(table)

    def _next_batch(self) -> set[str] | None:
        with self._cond:
            while not self._pending and not self._stopping:
                self._cond.wait()
            while not self._stopping:
                remaining = (self._opened_at or 0) + self.delay - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            if self._stopping:
                return None
            tables, self._pending = self._pending, set()
            self._running = True
            return tables

    def _loop(self) -> None:
        while True:
            tables = self._next_batch()
            if tables is None:
                return
            try:
                models = self.runner.downstream(tables)
                if models:
                    self.last_report = self.runner.run(models, trigger="microbatch")
                    self.runs += 1
                    if self.last_report.status != "success":
                        failed = [m.model for m in self.last_report.models if not m.ok]
                        log.warning(
                            "micro-batch run %s: failed models %s", self.last_report.run_id, failed
                        )
                self.last_error = None
            except Exception as exc:  # keep serving: the next notification retries
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("micro-batch for %s failed", sorted(tables))
            finally:
                with self._cond:
                    self._running = False
                    self._cond.notify_all()
