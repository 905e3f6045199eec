"""`POST /api/v1/ingestion/bronze/{source_type}` and `GET /api/v1/ingestion/status/{batch_id}`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from databank.api.deps import get_ingestion, require_scope
from databank.api.envelope import check_idempotency_key
from databank.api.errors import ApiError, json_response
from databank.api.models import ERRORS, IngestionRequest, IngestionResponse, IngestionStatus
from databank.api.service import IngestionService, source_types
from databank.auth import Principal

router = APIRouter(prefix="/api/v1/ingestion", tags=["ingestion"])

_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": IngestionRequest.model_json_schema(
                    ref_template="#/components/schemas/{model}"
                )
            }
        },
    }
}


@router.post(
    "/bronze/{source_type}",
    summary="Ingest a batch of raw records into bronze",
    responses={
        200: {"model": IngestionResponse, "description": "Processed now"},
        202: {"model": IngestionResponse, "description": "Queued (async_processing)"},
        **ERRORS,
    },
    openapi_extra=_REQUEST_BODY,
)
async def ingest(
    source_type: str,
    request: Request,
    idempotency_key: str | None = Header(
        None, description="Retry-safe key: the same key and body return the first response."
    ),
    caller: Principal = Depends(require_scope("ingest")),
    service: IngestionService = Depends(get_ingestion),
) -> Response:
    """Validate, score and store a batch (or queue it with `async_processing`).

    The body is the spec's `IngestionRequest`; the answer its `IngestionResponse` plus counts.
    """
    valid = source_types()
    if source_type not in valid:
        raise ApiError(
            404,
            "unknown_source_type",
            f"unknown source type {source_type!r}; valid: {', '.join(valid)}",
            details={"valid": list(valid)},
        )
    key = check_idempotency_key(idempotency_key)
    raw = await request.body()
    reply = await run_in_threadpool(service.submit, caller, source_type, raw, key)
    return json_response(reply.status, reply.body, reply.headers)


@router.get(
    "/status/{batch_id}",
    summary="Where a batch stands",
    response_model=IngestionStatus,
    responses={k: v for k, v in ERRORS.items() if k in (401, 403, 404)},
)
def ingestion_status(
    batch_id: str,
    caller: Principal = Depends(require_scope("read", "ingest")),
    service: IngestionService = Depends(get_ingestion),
) -> Response:
    """Status, counts, validation errors and timestamps of one batch; 404 if unknown."""
    if len(batch_id) > 100:
        raise ApiError(404, "batch_not_found", "no such ingestion batch")
    return json_response(200, service.status(batch_id))
