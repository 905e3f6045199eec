"""`/docs` (Swagger UI) and `/redoc` served from files shipped by the `fastapi-offline` package.

No CDN: the browser loads every asset from this server, so the docs work offline.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from databank.api.errors import ApiError

router = APIRouter(include_in_schema=False)
ASSETS_URL = "/docs/assets"
_MEDIA = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
_ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")


def _asset_dir() -> Path:
    return Path(str(resources.files("fastapi_offline") / "static"))


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    """Swagger UI over `/openapi.json`."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Neural DataBank API",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
    )


@router.get("/redoc")
def redoc() -> HTMLResponse:
    """ReDoc over `/openapi.json`."""
    return get_redoc_html(
        openapi_url="/openapi.json",
        title="Neural DataBank API",
        redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
        redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
        with_google_fonts=False,
    )


@router.get(ASSETS_URL + "/{name}")
def asset(name: str) -> FileResponse:
    """One of the allow-listed asset files (nothing else from the folder is reachable)."""
    if name not in _ASSETS:
        raise ApiError(404, "not_found", f"no docs asset {name!r}")
    return FileResponse(
        _asset_dir() / name,
        media_type=_MEDIA[Path(name).suffix],
        headers={"Cache-Control": "public, max-age=86400"},
    )
