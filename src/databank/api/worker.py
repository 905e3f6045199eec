"""The background worker of one API process: drains the ingestion queue and purges old records.

It runs in its own thread (the writer is synchronous) and wakes up when a batch is queued, or every
`poll_seconds` to pick up batches queued by other processes or left from before a restart.
"""

from __future__ import annotations

import logging
import threading
import time

from databank.api.service import IngestionService

logger = logging.getLogger(__name__)


class QueueWorker:
    """A daemon thread around `IngestionService.process_next` and `purge`."""

    def __init__(
        self, service: IngestionService, *, poll_seconds: float = 1.0, purge_seconds: float = 3600.0
    ) -> None:
        self.service = service
        self.poll_seconds = poll_seconds
        self.purge_seconds = purge_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_purge = 0.0  # purge once right at start: expired keys from a long shutdown

    def start(self) -> None:
        """Start the thread; queued batches left from an earlier run are processed first."""
        self._thread = threading.Thread(target=self._run, name="databank-queue-worker", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """A batch was queued: look now instead of at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the batch in hand, then stop."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        backoff = self.poll_seconds
        while not self._stop.is_set():
            try:
                if time.monotonic() >= self._next_purge:
                    purged = self.service.purge()
                    if any(purged.values()):
                        logger.info("purged expired records: %s", purged)
                    self._next_purge = time.monotonic() + self.purge_seconds
                while not self._stop.is_set() and self.service.process_next():
                    pass
                backoff = self.poll_seconds
            except Exception:
                # The engine may be down for a while: keep the batches and try again later.
                logger.exception("queue worker step failed; retrying in %.1f s", backoff)
                backoff = min(backoff * 2, 30.0)
            self._wake.wait(backoff)
            self._wake.clear()
