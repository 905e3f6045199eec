"""Transformation jobs for the API: queued, run one at a time in a background thread.

A job is one `Runner.run` over a set of models. The API answers at once with a job id; clients poll
`GET /api/v1/transformation/jobs/{job_id}`. Finished jobs also live in the runner's run log
(`meta.transform_runs`), so a job id stays answerable after a restart.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson

from databank.engines.base import Engine
from databank.transform.report import RunReport
from databank.transform.runner import Runner

if TYPE_CHECKING:
    from databank.context import Databank

log = logging.getLogger(__name__)
_KEEP = 1000  # finished jobs kept in memory; older ones are read back from the run log
_state_lock = threading.Lock()


def app_runner(state: Any, bank: Databank) -> Runner:
    """The application's one model runner (made on first use), shared by jobs and micro-batches.

    One runner per application, and runs serialised per engine inside it: an explicit trigger
    while a micro-batch runs waits for it, then finds its models up to date or continues them.
    """
    with _state_lock:
        runner: Runner | None = getattr(state, "runner", None)
        if runner is None:
            runner = state.runner = Runner.from_bank(
                bank, watermark_overlap=watermark_overlap(bank)
            )
        return runner


def app_jobs(state: Any, runner: Runner) -> JobManager:
    """The application's job manager (made on first use)."""
    with _state_lock:
        jobs: JobManager | None = getattr(state, "transform_jobs", None)
        if jobs is None:
            jobs = state.transform_jobs = JobManager(runner, runner.engine)
        return jobs


def watermark_overlap(bank: Databank) -> float:
    """Seconds incremental runs re-read below their watermark in this server.

    Bronze batches stamp `ingested_at` before they commit; without one write at a time a batch
    stamped earlier can commit after a later one that a run already read past.
    """
    settings = bank.settings
    if settings.transform_watermark_overlap_seconds is not None:
        return settings.transform_watermark_overlap_seconds
    serialized = settings.api_serialize_writes
    if serialized is None:
        serialized = not bank.engine.capabilities.concurrent_processes
    return 0.0 if serialized else 30.0


@dataclass
class Job:
    """One transformation job and what became of it."""

    job_id: str
    models: list[str]
    full_refresh: bool
    transformation_type: str
    status: str = "queued"  # queued | running | completed | failed
    submitted_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    estimated_seconds: float = 1.0
    report: dict[str, Any] | None = None
    error: str | None = None

    @property
    def estimated_completion(self) -> str:
        """When the job should be done (submission + the models' last durations)."""
        return (self.submitted_at + timedelta(seconds=self.estimated_seconds)).isoformat()

    def to_response(self) -> dict[str, Any]:
        """The spec's `TransformationResponse`, plus the run report when finished."""
        processed = None
        if self.report is not None:
            processed = sum(int(m.get("rows") or 0) for m in self.report.get("models", []))
        body: dict[str, Any] = {
            "job_id": self.job_id,
            "status": self.status,
            "estimated_completion": self.estimated_completion,
            "records_processed": processed,
            "transformations_applied": self.models,
            "transformation_type": self.transformation_type,
        }
        if self.report is not None:
            body["report"] = self.report
        if self.error:
            body["error"] = self.error
        return body


class JobManager:
    """Runs queued jobs one after another on one runner (the runner serialises runs anyway)."""

    def __init__(self, runner: Runner, engine: Engine) -> None:
        self.runner = runner
        self.engine = engine
        self._jobs: dict[str, Job] = {}
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="transform-jobs", daemon=True)
        self._thread.start()

    def submit(self, models: list[str], *, full_refresh: bool, transformation_type: str) -> Job:
        """Queue a run of `models` (already validated and ordered)."""
        job = Job(str(uuid.uuid4()), models, full_refresh, transformation_type)
        job.estimated_seconds = max(1.0, self._typical_seconds(models))
        with self._lock:
            self._jobs[job.job_id] = job
            while len(self._jobs) > _KEEP:
                oldest = next(iter(self._jobs))
                if self._jobs[oldest].status in ("queued", "running"):
                    break
                del self._jobs[oldest]
        self._queue.put(job)
        return job

    def get(self, job_id: str) -> Job | None:
        """A job by id: in memory, else rebuilt from the run log."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is not None:
            return job
        return self._from_run_log(job_id)

    def wait(self, job_id: str, timeout: float = 60.0) -> Job | None:
        """Block until the job has finished (for the CLI and tests)."""
        deadline = datetime.now(UTC) + timedelta(seconds=timeout)
        while datetime.now(UTC) < deadline:
            job = self.get(job_id)
            if job is None or job.status in ("completed", "failed"):
                return job
            threading.Event().wait(0.05)
        return self.get(job_id)

    def close(self) -> None:
        """Stop the worker after the running job."""
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            job.status = "running"
            try:
                report: RunReport = self.runner.run(
                    job.models, full_refresh=job.full_refresh, trigger=f"api:{job.job_id}"
                )
                job.report = report.to_dict()
                job.status = "completed" if report.status == "success" else "failed"
                if job.status == "failed":
                    failed = [m.model for m in report.models if m.status == "failed"]
                    job.error = f"model(s) failed: {', '.join(failed)}"
            except Exception as exc:  # the job fails; the API stays up
                log.exception("transformation job %s failed", job.job_id)
                job.status = "failed"
                job.error = f"{type(exc).__name__}: {exc}"

    def _typical_seconds(self, models: list[str]) -> float:
        try:
            rows = self.engine.fetch_rows(
                "SELECT report FROM meta.transform_runs WHERE status = 'success' "
                "ORDER BY started_at DESC LIMIT 1"
            )
        except Exception:  # no run log yet: a plain guess is fine for an estimate
            return 1.0
        if not rows or not rows[0][0]:
            return 1.0
        report = orjson.loads(rows[0][0])
        seconds = {m["model"]: float(m.get("seconds") or 0) for m in report.get("models", [])}
        return sum(seconds.get(name, 0.5) for name in models)

    def _from_run_log(self, job_id: str) -> Job | None:
        rows = self.engine.fetch_rows(
            "SELECT status, full_refresh, models, report, started_at FROM meta.transform_runs "
            "WHERE trigger = $t",
            {"t": f"api:{job_id}"},
        )
        if not rows:
            return None
        status, full_refresh, models, report, started_at = rows[0]
        job = Job(job_id, orjson.loads(models) if models else [], bool(full_refresh), "unknown")
        job.status = {"success": "completed", "running": "running"}.get(status, "failed")
        job.report = orjson.loads(report) if report else None
        if isinstance(started_at, datetime):
            job.submitted_at = started_at.replace(tzinfo=UTC)
        return job
