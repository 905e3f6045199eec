"""Request and response shapes for the OpenAPI document (the spec's IngestionRequest/Response).

The ingestion endpoint parses its body itself (orjson, envelope only) for speed; these models
describe the same shapes so that `/docs` and `/openapi.json` show them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class IngestionRequest(BaseModel):
    """A batch of raw records for one bronze source type."""

    source_system: str = Field(examples=["ecommerce_platform"], max_length=200)
    data_batch: list[dict[str, Any]] = Field(
        min_length=1, description="The records, as JSON objects."
    )
    schema_version: str = Field(examples=["1.0.0"], max_length=200)
    quality_checks: bool = Field(
        True, description="False stores without validation (status pending)."
    )
    async_processing: bool = Field(False, description="True answers 202 at once; poll the status.")


class ValidationError(BaseModel):
    """Why one record failed validation."""

    index: int = Field(description="Position of the record in data_batch.")
    field: str | None
    reason: str


class IngestionResponse(BaseModel):
    """What happened to a batch (for async requests: that it was accepted)."""

    batch_id: str
    records_received: int
    validation_status: Literal["passed", "failed", "pending"]
    processing_time_ms: float
    quality_score: float | None = None
    errors: list[ValidationError] = []
    passed: int
    failed: int
    pending: int
    duplicates: int


class IngestionStatus(BaseModel):
    """A batch's state, counts, errors and times (`getIngestionStatus`)."""

    batch_id: str
    status: Literal["queued", "passed", "failed", "pending"]
    validation_status: Literal["passed", "failed", "pending"]
    source_type: str
    source_system: str
    schema_version: str
    records_received: int
    passed: int | None = None
    failed: int | None = None
    pending: int | None = None
    duplicates: int | None = None
    quality_score: float | None = None
    processing_time_ms: float | None = None
    errors: list[ValidationError] = []
    received_at: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    attempts: int | None = None
    last_error: str | None = None
    processed: bool | None = None


class ErrorDetail(BaseModel):
    """A machine-readable code and a sentence for people."""

    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    """Every error the API returns."""

    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in {
        400: "Malformed JSON or a bad header",
        401: "Missing, invalid or revoked API key",
        403: "The API key lacks the scope",
        404: "Unknown source type or batch",
        409: "Idempotency-Key reused with a different body",
        413: "Body or batch over the limit",
        422: "The request does not have the expected shape",
    }.items()
}
