"""What a run reports: per model its status, rows, partitions, time and test results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from databank.transform.checks import CheckResult
from databank.transform.watermarks import Gap, Interval

SUCCESS, FAILED, SKIPPED = "success", "failed", "skipped"


@dataclass
class ModelResult:
    """The outcome of one model in one run."""

    model: str
    kind: str
    status: str = SUCCESS  # success | failed | skipped
    mode: str = ""  # full_refresh | incremental | merge | up_to_date | skipped
    rows: int = 0  # rows written (the whole table for a full refresh)
    partitions: int = 0  # partitions (or keys, for merge) replaced
    partition_values: list[Any] = field(default_factory=list)  # the first of them, for logs
    seconds: float = 0.0
    checks: list[CheckResult] = field(default_factory=list)
    intervals: list[Interval] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    error: str | None = None
    reason: str | None = None  # why it was skipped, or why a full refresh happened

    @property
    def ok(self) -> bool:
        """True unless the model failed."""
        return self.status != FAILED

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "model": self.model,
            "kind": self.kind,
            "status": self.status,
            "mode": self.mode,
            "rows": self.rows,
            "partitions": self.partitions,
            "partition_values": [_plain(v) for v in self.partition_values],
            "seconds": round(self.seconds, 4),
            "tests": [c.to_dict() for c in self.checks],
            "watermarks": {
                i.source_table: {"column": i.column, "low": _plain(i.low), "high": _plain(i.high)}
                for i in self.intervals
            },
            "gaps": [g.to_dict() for g in self.gaps],
            "error": self.error,
            "reason": self.reason,
        }


@dataclass
class RunReport:
    """One run of the runner over some models, in dependency order."""

    run_id: str
    started_at: datetime
    full_refresh: bool
    trigger: str
    models: list[ModelResult] = field(default_factory=list)
    finished_at: datetime | None = None

    @property
    def status(self) -> str:
        """`success` when no model failed, else `failed`."""
        return SUCCESS if all(m.ok for m in self.models) else FAILED

    @property
    def seconds(self) -> float:
        """Wall time of the run."""
        end = self.finished_at or self.started_at
        return (end - self.started_at).total_seconds()

    @property
    def rows(self) -> int:
        """Rows written by all models."""
        return sum(m.rows for m in self.models)

    @property
    def gaps(self) -> list[Gap]:
        """Watermark gaps any model reported."""
        return [g for m in self.models for g in m.gaps]

    def result(self, model: str) -> ModelResult:
        """The result of one model (KeyError if it was not in the run)."""
        for item in self.models:
            if item.model == model:
                return item
        raise KeyError(model)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (also stored in `meta.transform_runs.report`)."""
        return {
            "run_id": self.run_id,
            "status": self.status,
            "trigger": self.trigger,
            "full_refresh": self.full_refresh,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "seconds": round(self.seconds, 4),
            "rows": self.rows,
            "models": [m.to_dict() for m in self.models],
            "gaps": [g.to_dict() for g in self.gaps],
        }


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, int | float | str | bool):
        return value
    return str(value)
