"""`<data_dir>/server.json`: how CLI commands find the `databank serve` that owns a DuckDB file.

A DuckDB file has one writer process. While `databank serve` holds it, the other commands talk to
that server through its API instead; this file tells them where it listens. It is written once the
port is bound (mode 0600), removed when the server stops cleanly, and ignored when the process it
names is gone (a crash leaves a stale file behind, never a wrong answer).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FILE_NAME = "server.json"


@dataclass(frozen=True)
class ServerInfo:
    """A running server: where it listens, its process, when it started, which engine it serves."""

    url: str
    pid: int
    started_at: str
    engine: str

    def describe(self) -> str:
        """`the server at http://… (pid 4242)` for messages."""
        return f"the server at {self.url} (pid {self.pid})"


def server_file(data_dir: Path) -> Path:
    """The discovery file of a data directory."""
    return Path(data_dir) / FILE_NAME


def pid_alive(pid: int) -> bool:
    """True if a process with this id exists (it may belong to another user)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def runs_databank(pid: int) -> bool:
    """False if the process is known not to be a databank server (its id was reused).

    Linux tells through /proc; elsewhere a live process is taken at its word.
    """
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return not Path("/proc/self").exists()
    except OSError:
        return True
    return b"databank" in command


def write_server_file(data_dir: Path, url: str, engine: str, pid: int | None = None) -> Path:
    """Record a running server; replaces the file atomically, readable by its owner only."""
    info = ServerInfo(
        url=url.rstrip("/"),
        pid=os.getpid() if pid is None else pid,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        engine=engine,
    )
    path = server_file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".server-", suffix=".json", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(info), handle, indent=2)
            handle.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_server_file(data_dir: Path) -> ServerInfo | None:
    """The recorded server, live or not; None when there is no readable, well-formed file."""
    try:
        data: Any = json.loads(server_file(data_dir).read_text(encoding="utf-8"))
        info = ServerInfo(
            url=str(data["url"]),
            pid=int(data["pid"]),
            started_at=str(data.get("started_at", "")),
            engine=str(data.get("engine", "")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info


def find_server(data_dir: Path, engine: str | None = None) -> ServerInfo | None:
    """The live server of `data_dir` (serving `engine`, when given); stale files are ignored."""
    info = read_server_file(data_dir)
    if info is None or not pid_alive(info.pid) or not runs_databank(info.pid):
        return None
    if engine is not None and info.engine and info.engine != engine:
        return None
    return info


def remove_server_file(data_dir: Path, pid: int | None = None) -> bool:
    """Delete the file if it names `pid` (default: this process); another server's is kept."""
    info = read_server_file(data_dir)
    if info is None or info.pid != (os.getpid() if pid is None else pid):
        return False
    server_file(data_dir).unlink(missing_ok=True)
    return True
