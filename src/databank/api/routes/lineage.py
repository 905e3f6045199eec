"""`GET /api/v1/lineage/explain/{table_name}`: the rows, records and batches behind one row.

Read-only. The answer is `databank explain --json`'s: the same function, the same JSON encoding,
so the CLI prints the same thing whether it opens the database or asks a running server.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from databank.api.deps import get_bank, require_scope
from databank.api.errors import ApiError
from databank.api.routes.transformation import get_runner
from databank.auth import Principal
from databank.errors import DatabankError, UnknownTableError
from databank.transform.runner import Runner

router = APIRouter(prefix="/api/v1/lineage", tags=["lineage"])
MAX_LIMIT = 10_000


def encode(data: Any) -> bytes:
    """JSON as the CLI prints it: dates ISO, decimals and other values as their text."""
    return orjson.dumps(data, default=str)


def _grain(text: str) -> dict[str, str]:
    try:
        key = orjson.loads(text)
    except orjson.JSONDecodeError:
        key = None
    if not isinstance(key, dict) or not key or not all(isinstance(v, str) for v in key.values()):
        raise ApiError(
            400,
            "invalid_key",
            'key must be a JSON object of column to text value, e.g. {"date": "2024-12-30"}',
        )
    return key


@router.get(
    "/explain/{table_name}",
    summary="Explain one row: the upstream rows, bronze records and batches behind it",
)
async def explain_row(
    request: Request,
    table_name: str = Path(..., description="A model's table, e.g. gold.scout_kpi_revenue_daily."),
    key: str = Query(..., description='The row\'s grain as JSON: {"date": "2024-12-30", …}'),
    limit: int = Query(50, ge=1, le=MAX_LIMIT, description="Rows and records to list."),
    runner: Runner = Depends(get_runner),
    _: Principal = Depends(require_scope("read")),
) -> Response:
    """Totals checked against the stored row; 404 for an unknown table, 422 for a bad key or row."""
    from databank.lineage.provenance import explain

    grain = _grain(key)
    engine = get_bank(request).engine
    try:
        data = await run_in_threadpool(
            explain, engine, table_name, grain, runner.models, limit=limit
        )
    except UnknownTableError as exc:
        raise ApiError(404, "unknown_table", exc.cause, details={"fix": exc.fix}) from None
    except DatabankError as exc:
        if exc.retryable:
            raise
        raise ApiError(422, "cannot_explain", exc.cause, details={"fix": exc.fix}) from None
    return Response(encode(data), media_type="application/json")
