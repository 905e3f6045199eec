"""`GET /api/v1/status`: what `databank status` reports — engine, version, rows per table."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Depends
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from databank.api.deps import get_bank, require_scope
from databank.auth import Principal
from databank.context import Databank

router = APIRouter(prefix="/api/v1", tags=["health"])


@router.get("/status", summary="Engine, version, row counts per table by layer, last migration")
async def status(
    bank: Databank = Depends(get_bank), _: Principal = Depends(require_scope("read"))
) -> Response:
    """The same report as `databank status --json` (row counts are exact: this scans tables)."""
    report = await run_in_threadpool(bank.status)
    return Response(orjson.dumps(report, default=str), media_type="application/json")
