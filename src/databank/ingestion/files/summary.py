"""What one file ingestion did: counts, quality, batches, speed and the first failures by position."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from databank.ingestion.results import BatchResult

MAX_ERRORS_KEPT = 100


@dataclass
class FileIngestSummary:
    """What one file ingestion did, for people (CLI table) and scripts (`--json`)."""

    file: str
    format: str
    source_type: str
    source_system: str
    schema_version: str
    bytes: int
    sha256: str = ""
    records: int = 0
    passed: int = 0
    failed: int = 0
    pending: int = 0
    duplicates: int = 0
    mean_quality_score: float | None = None
    batches: int = 0
    already_ingested: int = 0  # batches whose id was committed before: nothing written again
    seconds: float = 0.0
    complete: bool = True
    stopped_reason: str | None = None
    batch_ids: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)  # the first MAX_ERRORS_KEPT
    _score_sum: float = 0.0
    _score_weight: int = 0

    @property
    def records_per_second(self) -> float:
        """Records read per second of wall time."""
        return self.records / self.seconds if self.seconds > 0 else 0.0

    def add(self, result: BatchResult, positions: list[str], problems: dict[int, str]) -> None:
        """Count one written batch; failures are named by file position, with the file's own
        reason (unreadable row, value that did not convert) ahead of the contract's."""
        self.batches += 1
        self.batch_ids.append(str(result.batch_id))
        self.passed += result.passed
        self.failed += result.failed
        self.pending += result.pending
        self.duplicates += result.duplicates
        if result.quality_score is not None:
            weight = max(result.records_received - result.duplicates, 1)
            self._score_sum += float(result.quality_score) * weight
            self._score_weight += weight
            self.mean_quality_score = round(self._score_sum / self._score_weight, 4)
        shown: set[int] = set()
        for error in result.errors:
            index = error.index
            if index in problems and index not in shown:
                shown.add(index)
                self._error(positions[index], None, problems[index])
            if index not in problems:
                where = positions[index] if 0 <= index < len(positions) else None
                self._error(where, error.field, error.reason)

    def skip(self, result: BatchResult) -> None:
        """Count a batch that was already ingested (same id): its records are all duplicates."""
        self.batches += 1
        self.already_ingested += 1
        self.batch_ids.append(str(result.batch_id))
        self.duplicates += result.records_received

    def _error(self, where: str | None, field: str | None, reason: str) -> None:
        if len(self.errors) < MAX_ERRORS_KEPT:
            if where and reason.startswith(where + ": "):
                reason = reason[len(where) + 2 :]
            self.errors.append({"where": where, "field": field, "reason": reason})

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready data."""
        return {
            "file": self.file,
            "format": self.format,
            "source_type": self.source_type,
            "source_system": self.source_system,
            "schema_version": self.schema_version,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "records": self.records,
            "passed": self.passed,
            "failed": self.failed,
            "pending": self.pending,
            "duplicates": self.duplicates,
            "mean_quality_score": self.mean_quality_score,
            "batches": self.batches,
            "already_ingested_batches": self.already_ingested,
            "seconds": round(self.seconds, 3),
            "records_per_second": round(self.records_per_second, 1),
            "complete": self.complete,
            "stopped_reason": self.stopped_reason,
            "batch_ids": self.batch_ids,
            "errors": self.errors,
        }
