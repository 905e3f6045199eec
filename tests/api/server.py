"""A real `databank serve` in a subprocess on 127.0.0.1 and a free port, for HTTP-level tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

SERVE = [sys.executable, "-m", "databank.cli.main", "serve"]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """Start, SIGKILL and restart `databank serve` against one engine URL."""

    def __init__(self, engine_url: str, data_dir: Path, *extra: str, **env: str) -> None:
        self.engine_url = engine_url
        self.data_dir = data_dir
        self.extra = list(extra)
        self.env = env
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "serve.log"

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, *extra: str, timeout: float = 180.0) -> Server:
        """Start the server and wait until /health answers 200."""
        # Without bytecode caching every restart compiles sqlglot, FastAPI & co. anew (~20 s here).
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("DATABANK_") and k != "PYTHONDONTWRITEBYTECODE"
        }
        env = {
            **base,
            "DATABANK_ENGINE": self.engine_url,
            "DATABANK_DATA_DIR": str(self.data_dir),
            "DATABANK_PII_KEY": "test-pseudonymisation-key",
            **self.env,
        }
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*SERVE, "--host", "127.0.0.1", "--port", str(self.port), *self.extra, *extra],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"databank serve exited with {self.process.returncode}:\n{self.output()}"
                )
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"databank serve did not become healthy in {timeout}s:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(30)
        self.process = None

    def stop(self) -> None:
        """SIGTERM and wait (graceful shutdown), else kill."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def output(self) -> str:
        """What the server printed so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()
