"""`databank serve`: the REST API (and, on DuckDB, the one process that writes the file)."""

from __future__ import annotations

import logging
import signal
from types import FrameType

import typer

from databank.cli.console import err, out


def serve(
    host: str | None = typer.Option(
        None, "--host", help="Interface to bind (default: settings.api_host)."
    ),
    port: int | None = typer.Option(None, "--port", help="Port (default: settings.api_port)."),
    no_auth: bool = typer.Option(
        False, "--no-auth", help="Accept requests without an API key. Local demos only!"
    ),
    no_worker: bool = typer.Option(
        False, "--no-worker", help="Do not process queued batches in this process."
    ),
    access_log: bool = typer.Option(False, "--access-log", help="Log every request."),
    log_level: str = typer.Option("info", "--log-level", help="debug, info, warning, error."),
) -> None:
    """Serve the REST API: ingestion, status, health, OpenAPI docs at /docs."""
    import uvicorn

    from databank.api.app import NO_AUTH_WARNING, create_app
    from databank.api.discovery import remove_server_file
    from databank.api.gc_policy import settle_after_startup
    from databank.cli.serving import AnnouncingServer
    from databank.context import Databank
    from databank.settings import load_settings

    overrides: dict[str, object] = {}
    if no_auth:
        overrides["api_auth"] = False
    if no_worker:
        overrides["api_queue_worker"] = False
    settings = load_settings(**overrides)
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    bank = Databank(settings)
    bank.engine  # noqa: B018 - open now: a locked DuckDB file is reported before binding the port
    if not settings.api_auth:
        err.print(f"[bold red]WARNING: {NO_AUTH_WARNING}[/]")
    bind_host = host or settings.api_host
    bind_port = port or settings.api_port
    out.print(
        f"serving Neural DataBank on http://{bind_host}:{bind_port} "
        f"({bank.engine.redacted_url()}); docs at /docs"
    )
    app = create_app(bank)
    settle_after_startup()  # after the app, its routes and the model catalog exist
    config = uvicorn.Config(
        app,
        host=bind_host,
        port=bind_port,
        log_level=log_level.lower(),
        access_log=access_log,
        timeout_graceful_shutdown=10,
    )
    # A DuckDB file has one writer: the other commands find this server and use its API.
    announce = not bank.engine.capabilities.concurrent_processes
    server = (
        AnnouncingServer(config, settings.data_dir, str(settings.engine_url))
        if announce
        else uvicorn.Server(config)
    )
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again; with the default
    # handler that killed the process before the `finally` below (no DuckDB checkpoint: the
    # write-ahead log stayed behind, replayed at the next open). Exit through the finally instead.
    signal.signal(signal.SIGTERM, _exit_quietly)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        if announce:
            remove_server_file(settings.data_dir)
        bank.close()
    if not server.started:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `serve` to the CLI."""
    app.command()(serve)


def _exit_quietly(signum: int, frame: FrameType | None) -> None:
    """SIGTERM after the graceful shutdown: leave through the cleanup, exit status 0."""
    raise SystemExit(0)
