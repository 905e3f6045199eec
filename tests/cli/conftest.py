"""Helpers for the CLI tests: the `databank` command in a subprocess, and a real server process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DATABANK = [sys.executable, "-m", "databank.cli.main"]
COMMAND_SECONDS = 300  # a hung command fails the test instead of hanging the suite
START_SECONDS = 90


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """A clean DATABANK_* environment on an embedded DuckDB file in `data_dir`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABANK_")}
    env.update(
        DATABANK_DATA_DIR=str(data_dir),
        DATABANK_PII_KEY="cli-client-test-key",
        COLUMNS="160",  # Rich wraps to this width: the same for every run being compared
        NO_COLOR="1",
    )
    env.update(extra)
    return env


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`databank ARGS` as a user runs it, time-bounded."""
    return subprocess.run(
        [*DATABANK, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(data_dir: Path, env: dict[str, str], cwd: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`databank serve` on 127.0.0.1 until the block ends; ready once it wrote server.json."""
    log = (cwd / "server.log").open("ab")
    process = subprocess.Popen(
        [*DATABANK, "serve", "--host", "127.0.0.1", "--port", str(free_port())],
        cwd=cwd,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    log.close()
    try:
        deadline = time.monotonic() + START_SECONDS
        announced = data_dir / "server.json"
        while True:
            if process.poll() is not None:
                raise AssertionError(f"serve exited: {(cwd / 'server.log').read_text()[-2000:]}")
            if announced.exists() and json.loads(announced.read_text())["pid"] == process.pid:
                break
            if time.monotonic() > deadline:
                raise AssertionError("serve did not announce itself in time")
            time.sleep(0.2)
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> int:
    """Stop the server the way Ctrl-C does; kill it if it does not end in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            return process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait(timeout=30)
