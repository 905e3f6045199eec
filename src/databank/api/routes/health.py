"""`GET /health`: is the engine reachable, which version runs, how deep is the ingestion queue."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from databank import __version__
from databank.api.deps import get_bank, get_ingestion
from databank.api.errors import json_response
from databank.context import Databank

router = APIRouter(tags=["health"])
logger = logging.getLogger(__name__)


@router.get("/health", summary="Liveness and readiness")
def health(request: Request, bank: Databank = Depends(get_bank)) -> Response:
    """200 with details when the engine answers, 503 when it does not (no key needed)."""
    report: dict[str, Any] = {
        "status": "ok",
        "version": __version__,
        "auth": bank.settings.api_auth,
        "engine": {"name": bank.settings.engine_url.split(":", 1)[0], "reachable": True},
    }
    try:
        bank.engine.fetch_value("SELECT 1")
        report["queue"] = get_ingestion(request).queue.depth()
    except Exception as exc:  # any failure here means "not ready", which is what we report
        logger.warning("health check failed: %s", exc)
        report["status"] = "unavailable"
        report["engine"].update(
            reachable=False, error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        )
        return json_response(503, report)
    worker = getattr(request.app.state, "worker", None)
    report["queue"]["worker"] = worker is not None
    return json_response(200, report)
