"""Run `databank serve` as its own process for the demo, and wait until it answers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from databank.errors import DatabankError


class DemoServerError(DatabankError):
    """The API server of the demo did not start or stopped."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """`databank serve` in a child process, with its log in the demo folder."""

    def __init__(self, data_dir: Path, port: int, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = data_dir.parent / "server.log"
        self._env = env or {}
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and wait for `/health` to answer."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATABANK_")}
        env.update(self._env)
        env["DATABANK_DATA_DIR"] = str(self.data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "databank.cli.main", "serve", "--port", str(self.port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in the terminal reaches us; we stop the server cleanly
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                tail = self.log_path.read_text(errors="replace").strip().splitlines()[-1:]
                raise DemoServerError(
                    f"the API server exited at start-up: {tail[0] if tail else 'no output'}",
                    f"see {self.log_path}",
                )
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise DemoServerError(
            f"the API server did not answer within {timeout:.0f}s", f"see {self.log_path}"
        )

    @property
    def running(self) -> bool:
        """True while the child process lives."""
        return self._process is not None and self._process.poll() is None

    def wait(self) -> int:
        """Block until the server exits; returns its exit code."""
        return self._process.wait() if self._process else 0

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (graceful: the server finishes its requests), then SIGKILL after `timeout`."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
