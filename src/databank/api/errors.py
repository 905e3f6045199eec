"""Every API error is JSON: `{"error": {"code": ..., "message": ...}}` (plus `details` at times).

Bad input gets a 4xx with a code a client can branch on; only a real bug reaches the catch-all,
which logs the traceback and answers a JSON 500 without internals.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from databank.errors import DatabankError, EngineError, EngineLockedError, EngineUnavailableError
from databank.ingestion.errors import (
    IngestionError,
    InvalidBatchError,
    UnknownSchemaVersionError,
    UnknownSourceTypeError,
)

logger = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    411: "length_required",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    503: "unavailable",
}


class ApiError(StarletteHTTPException):
    """An error the API answers on purpose, with a stable machine-readable `code`.

    It derives from Starlette's HTTPException so that FastAPI passes it through untouched even
    when it is raised while FastAPI itself reads the body (FastAPI turns other errors into 400).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status, detail=message, headers=dict(headers or {}))
        self.code = code
        self.message = message
        self.details = details


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The JSON error shape every endpoint uses."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


def json_response(status: int, content: Any, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response serialised by orjson (bytes are passed through as already-encoded JSON)."""
    body = content if isinstance(content, bytes) else orjson.dumps(content)
    return Response(body, status_code=status, media_type="application/json", headers=headers)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc, ApiError):
        body = error_body(exc.code, exc.message, exc.details)
    elif isinstance(exc.detail, dict) and "code" in exc.detail:
        body = error_body(str(exc.detail["code"]), str(exc.detail.get("message", "")))
    else:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        body = error_body(code, str(exc.detail))
    return json_response(exc.status_code, body, exc.headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"loc": list(e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    return json_response(
        422, error_body("invalid_request", "the request does not have the expected shape", details)
    )


def _ingestion_refusal(exc: IngestionError) -> tuple[int, str]:
    """The status and code for a batch the writer refused as a whole (nothing was stored)."""
    if isinstance(exc, UnknownSourceTypeError):
        return 404, "unknown_source_type"
    if isinstance(exc, UnknownSchemaVersionError):
        return 422, "unknown_schema_version"
    if isinstance(exc, InvalidBatchError):
        return 422, "invalid_batch"
    return 422, "batch_refused"


async def _databank_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DatabankError)
    if isinstance(exc, IngestionError) and not exc.retryable:
        status, code = _ingestion_refusal(exc)
        return json_response(status, error_body(code, str(exc)))
    if exc.retryable and not isinstance(exc, EngineError):
        logger.warning("%s %s: transient failure: %s", request.method, request.url.path, exc)
        return json_response(503, error_body("try_again", str(exc)), {"Retry-After": "1"})
    if isinstance(exc, EngineUnavailableError | EngineLockedError):
        logger.warning("engine unavailable during %s %s: %s", request.method, request.url.path, exc)
        return json_response(503, error_body("engine_unavailable", str(exc)), {"Retry-After": "5"})
    logger.error("%s %s failed: %s", request.method, request.url.path, exc, exc_info=exc)
    status = 503 if exc.retryable else 500
    return json_response(status, error_body("server_error", str(exc)))


async def _unexpected(request: Request, exc: Exception) -> Response:
    logger.error("unexpected error in %s %s", request.method, request.url.path, exc_info=exc)
    return json_response(
        500, error_body("internal_error", "an unexpected error occurred; it has been logged")
    )


def install_error_handlers(app: FastAPI) -> None:
    """Make every error, expected or not, answer with the JSON error shape."""
    app.add_exception_handler(StarletteHTTPException, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DatabankError, _databank_error)
    app.add_exception_handler(Exception, _unexpected)
