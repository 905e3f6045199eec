"""What a batch write and a replay report: plain frozen dataclasses, JSON-able."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RecordError:
    """Why one record failed: its index in the batch, the field (None: the whole record), why."""

    index: int
    field: str | None
    reason: str


@dataclass(frozen=True)
class BatchResult:
    """The outcome of one `write_batch`; stored with the batch, so a retry gets the same answer."""

    batch_id: str
    source_type: str
    source_system: str
    schema_version: str
    records_received: int
    passed: int
    failed: int
    pending: int
    duplicates: int
    quality_score: float | None  # mean over stored records, None when nothing validated
    validation_status: str  # passed (no record failed) | failed (one or more) | pending (unchecked)
    processing_time_ms: float
    errors: tuple[RecordError, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (errors as objects with index, field, reason)."""
        return {
            "batch_id": self.batch_id,
            "source_type": self.source_type,
            "source_system": self.source_system,
            "schema_version": self.schema_version,
            "records_received": self.records_received,
            "passed": self.passed,
            "failed": self.failed,
            "pending": self.pending,
            "duplicates": self.duplicates,
            "quality_score": self.quality_score,
            "validation_status": self.validation_status,
            "processing_time_ms": self.processing_time_ms,
            "errors": [
                {"index": e.index, "field": e.field, "reason": e.reason} for e in self.errors
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BatchResult:
        """Rebuild a result from `to_dict` output (the stored form)."""
        fields = {k: v for k, v in data.items() if k != "errors"}
        errors = tuple(
            RecordError(e["index"], e["field"], e["reason"]) for e in data.get("errors", ())
        )
        return cls(**fields, errors=errors)


@dataclass(frozen=True)
class ReplayResult:
    """The outcome of `replay_failed`: failed records examined, now passing, still failing."""

    source_type: str
    examined: int
    now_passed: int
    still_failed: int
    not_replayable: int = 0  # of still_failed: unstorable as received, so never re-validated

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "source_type": self.source_type,
            "examined": self.examined,
            "now_passed": self.now_passed,
            "still_failed": self.still_failed,
            "not_replayable": self.not_replayable,
        }
