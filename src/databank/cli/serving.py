"""A uvicorn server that announces itself in `<data_dir>/server.json` while it accepts requests."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import uvicorn

from databank.api.discovery import remove_server_file, write_server_file


def listen_url(host: str, sock: socket.socket | None, port: int) -> str:
    """The URL a local client should use: wildcard binds are reached over loopback."""
    if sock is not None:
        port = int(sock.getsockname()[1])
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


class AnnouncingServer(uvicorn.Server):
    """Writes the discovery file once the port is bound; removes it before shutting down."""

    def __init__(self, config: uvicorn.Config, data_dir: Path, engine: str) -> None:
        super().__init__(config)
        self.data_dir = data_dir
        self.engine = engine
        self.url: str | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start as uvicorn does, then tell clients where this server listens."""
        await super().startup(sockets)
        if not self.started:
            return
        listening: list[Any] = [
            s for server in getattr(self, "servers", []) for s in server.sockets
        ]
        self.url = listen_url(
            self.config.host, listening[0] if listening else None, self.config.port
        )
        write_server_file(self.data_dir, self.url, self.engine)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Stop announcing first, so that no new client picks a server that is going away."""
        remove_server_file(self.data_dir)
        await super().shutdown(sockets)
