"""Build the FastAPI application over one `Databank`."""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import FastAPI

from databank import __version__
from databank.api import routes
from databank.context import Databank


def create_app(bank: Databank | None = None) -> FastAPI:
    """The API application; every router in `databank.api.routes` is included."""
    app = FastAPI(
        title="Neural DataBank",
        version=__version__,
        docs_url=None,  # served from local assets by the docs router, never a CDN
        redoc_url=None,
    )
    app.state.bank = bank or Databank()
    for info in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{routes.__name__}.{info.name}")
        app.include_router(module.router)
    return app
