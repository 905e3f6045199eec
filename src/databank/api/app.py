"""Build the FastAPI application over one `Databank`."""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from databank import __version__
from databank.api import routes
from databank.api.errors import install_error_handlers
from databank.api.limits import BodyLimitMiddleware
from databank.api.service import IngestionService
from databank.api.transform_jobs import JobManager, app_runner
from databank.api.worker import QueueWorker
from databank.auth import KeyStore
from databank.context import Databank
from databank.transform.microbatch import MicroBatcher

logger = logging.getLogger(__name__)
NO_AUTH_WARNING = (
    "API authentication is OFF (--no-auth): anyone who can reach this port can read and write "
    "all data. Use this only for a local demo."
)


def _start(app: FastAPI) -> None:
    """Open the engine, bring the schema up to date, start the queue worker and micro-batcher."""
    bank: Databank = app.state.bank
    if app.state.migrate:
        applied = bank.init()
        if applied:
            logger.info("applied migrations %s", ", ".join(applied))
            if not bank.engine.capabilities.concurrent_processes:
                # DuckDB 1.5.5 cannot replay a WAL holding `ADD COLUMN … DEFAULT now()` (migration
                # 0002): after a crash the file would not open. Move the schema out of the WAL now.
                bank.engine.execute("CHECKPOINT")
    app.state.keys = KeyStore(bank.engine)
    serialize = bank.settings.api_serialize_writes
    if serialize is None:
        # One DuckDB file, one writer: concurrent batches carrying the same record would both
        # pass the duplicate check before either commits; one batch at a time keeps counts exact.
        serialize = not bank.engine.capabilities.concurrent_processes
    service = IngestionService(bank, serialize_writes=serialize)
    service.writer  # noqa: B018 - build the writer now, not racing in the first requests' threads
    app.state.ingestion = service
    if bank.settings.api_queue_worker:
        worker = QueueWorker(service, poll_seconds=bank.settings.api_queue_poll_seconds)
        service.on_enqueued = worker.notify
        app.state.worker = worker
        worker.start()
    delay = bank.settings.transform_microbatch_delay_seconds
    if delay > 0:
        # Gold follows bronze: the writer announces each commit, the batcher runs what depends
        # on it `delay` seconds later, on the runner the transformation API uses (one at a time).
        batcher = MicroBatcher(lambda: app_runner(app.state, bank), delay)
        app.state.microbatcher = batcher
        batcher.start()
    if not bank.settings.api_auth:
        logger.warning(NO_AUTH_WARNING)


def _stop(app: FastAPI) -> None:
    worker: QueueWorker | None = getattr(app.state, "worker", None)
    if worker is not None:
        worker.stop()
        app.state.worker = None
    batcher: MicroBatcher | None = getattr(app.state, "microbatcher", None)
    if batcher is not None:
        batcher.stop(timeout=300)
        app.state.microbatcher = None
    jobs: JobManager | None = getattr(app.state, "transform_jobs", None)
    if jobs is not None:
        jobs.close()
        app.state.transform_jobs = None
    if app.state.owns_bank:
        app.state.bank.close()


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    await run_in_threadpool(_start, app)
    try:
        yield
    finally:
        await run_in_threadpool(_stop, app)


def create_app(bank: Databank | None = None, *, migrate: bool = True) -> FastAPI:
    """The API application; every router in `databank.api.routes` is included.

    At start-up it migrates the schema (unless `migrate` is False), starts the worker that
    processes queued batches (unless `settings.api_queue_worker` is False), and the micro-batcher
    that keeps silver and gold fresh (unless `settings.transform_microbatch_delay_seconds` is 0).
    """
    app = FastAPI(
        title="Neural DataBank",
        version=__version__,
        description="Bronze ingestion, lineage, KPIs and predictions over one data platform.",
        docs_url=None,  # served from local assets by the docs router, never a CDN
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.owns_bank = bank is None
    app.state.bank = bank or Databank()
    app.state.migrate = migrate
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=app.state.bank.settings.api_max_body_bytes)
    for info in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{routes.__name__}.{info.name}")
        app.include_router(module.router)
    return app
