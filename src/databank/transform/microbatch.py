"""Freshness without a full run: new rows in a source table trigger the models downstream of it.

    batcher = MicroBatcher(runner, delay=2.0)   # or a function making the runner on first use
    batcher.start()              # `databank serve` does this (api/app.py)
    batcher.notify("bronze.scout_raw_transactions")   # or: the writer calls refresh.announce
    ...
    batcher.stop()

Notifications are coalesced: the first one opens a batch, which runs `delay` seconds later with
every table notified meanwhile; notifications during a run open the next batch, which then starts
no sooner than the last batch's duration after its end (at most half the time busy). A batch runs the
affected models incrementally (`Runner.run(..., trigger="microbatch")`) in a background thread;
a batch that fails (an engine error, a failing model) is tried again a few times, backing off.
After each batch the engine's storage upkeep runs (`Engine.housekeep`; DuckDB checkpoints once its
write-ahead log passes 128 MB), so it is not paid inside the next batch's commit.
When started with `listen=True`, tables announced through `databank.refresh` (`announce` by the
bronze writer, `mark_refreshed`) that no model writes (the sources) notify the batcher by themselves.
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

    def __init__(
        self,
        runner: Runner | Callable[[], Runner],
        delay: float = 2.0,
        *,
        listen: bool = True,
        retries: int = 3,
    ) -> None:
        if delay < 0:
            raise ValueError("delay must be 0 or more seconds")
        # A factory defers loading the models (seconds) to the first batch, off the caller's path.
        self._runner = runner if isinstance(runner, Runner) else None
        self._make_runner = None if isinstance(runner, Runner) else runner
        self.delay = delay
        self.listen = listen
        self.retries = retries
        self._failures = 0
        self.runs = 0
        self.last_report: RunReport | None = None
        self.last_error: str | None = None
        self._pending: set[str] = set()
        self._heard_only: set[str] = set()  # heard from refresh signals, never notified directly
        self._opened_at: float | None = None
        self._finished_at = 0.0  # when the last batch ended (monotonic)
        self._rested_at = 0.0  # a batch opened before that end starts no sooner than this
        self._running = False
        self._stopping = False
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None

    @property
    def runner(self) -> Runner:
        """The runner the batches use (made by the factory on first use)."""
        if self._runner is None:
            assert self._make_runner is not None
            self._runner = self._make_runner()
        return self._runner

    def notify(self, table: str) -> None:
        """Table `table` (layer.name) got new rows: run what depends on it in the next batch."""
        self._add(table, heard=False)

    def _add(self, table: str, *, heard: bool) -> None:
        with self._cond:
            if not self._pending:
                self._opened_at = time.monotonic()
            if heard and table not in self._pending:
                self._heard_only.add(table)
            elif not heard:
                self._heard_only.discard(table)
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
        # A model's own refresh is the runner's doing, not new data: only sources start a batch.
        if self._runner is None or table not in self._runner.models:
            self._add(table, heard=True)

    def _next_batch(self) -> dict[str, bool] | None:
        with self._cond:
            while not self._pending and not self._stopping:
                self._cond.wait()
            while not self._stopping:
                # At most half the time busy: under a steady stream of writes (the batch opened
                # while the last one ran), a batch that took t seconds is followed by t idle
                # seconds, so ingestion keeps its share. A write after a quiet spell waits `delay`.
                opened = self._opened_at or 0.0
                due = opened + self.delay
                if opened < self._finished_at:
                    due = max(due, self._rested_at)
                remaining = due - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            if self._stopping:
                return None
            tables, self._pending = self._pending, set()
            heard, self._heard_only = self._heard_only, set()
            self._running = True
            return {t: t in heard for t in tables}

    def _loop(self) -> None:
        try:
            self.runner  # noqa: B018 - load the models now, not when the first rows are waiting
        except Exception:  # the first batch tries again and reports it
            log.exception("could not prepare the micro-batch runner")
        while True:
            tables = self._next_batch()
            if tables is None:
                return
            ok = False
            started = time.monotonic()
            try:
                written = set(self.runner.models)
                # with their upstream models: silver feedback (downstream of customers) must not
                # read feedback the analysis model has not seen yet (up-to-date models cost ms)
                models = self.runner.with_upstream(
                    self.runner.downstream(
                        t for t, heard in tables.items() if not (heard and t in written)
                    )
                )
                if models:
                    self.last_report = self.runner.run(models, trigger="microbatch")
                    self.runs += 1
                    ok = self.last_report.status == "success"
                    if not ok:
                        failed = [m.model for m in self.last_report.models if not m.ok]
                        log.warning(
                            "micro-batch run %s: failed models %s", self.last_report.run_id, failed
                        )
                else:
                    ok = True
                self.last_error = None
                # gold has the batch now: pay for storage upkeep here, not inside the next batch
                self.runner.engine.housekeep()
            except Exception as exc:  # keep serving: retried below, and by the next notification
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("micro-batch for %s failed", sorted(tables))
            finally:
                with self._cond:
                    self._running = False
                    self._finished_at = time.monotonic()
                    self._rested_at = self._finished_at + (self._finished_at - started)
                    self._retry(tables, ok)
                    self._cond.notify_all()

    def _retry(self, tables: dict[str, bool], ok: bool) -> None:
        """After a failed batch, run its tables again later (a few times, backing off)."""
        if ok or self._stopping:
            self._failures = 0
            return
        self._failures += 1
        if self._failures > self.retries:
            log.warning("micro-batch for %s gave up after %d tries", sorted(tables), self.retries)
            self._failures = 0
            return
        backoff = min(60.0, self.delay * 2**self._failures)
        if not self._pending:
            self._opened_at = time.monotonic() + backoff
        for table, heard in tables.items():
            if table not in self._pending:
                if heard:
                    self._heard_only.add(table)
                self._pending.add(table)
