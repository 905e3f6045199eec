"""`<data_dir>/server.json`: written private, read back, stale and foreign files ignored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from databank.api.discovery import (
    find_server,
    pid_alive,
    read_server_file,
    remove_server_file,
    server_file,
    write_server_file,
)
from databank.cli.serving import listen_url

ENGINE = "duckdb:////srv/data/databank.duckdb"


def _dead_pid() -> int:
    """The id of a process that has ended."""
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return int(child.stdout)


@pytest.fixture
def server_like() -> Iterator[subprocess.Popen[bytes]]:
    """A live process whose command line names databank, standing in for `databank serve`."""
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()", "databank", "serve"],
        stdin=subprocess.PIPE,
    )
    # Until its exec completes the child still shows pytest's command line: wait for ours.
    cmdline = Path(f"/proc/{process.pid}/cmdline")
    deadline = time.monotonic() + 30
    while b"databank" not in cmdline.read_bytes() and time.monotonic() < deadline:
        time.sleep(0.01)
    yield process
    process.kill()
    process.wait(timeout=30)


def test_written_owner_only_and_found(tmp_path: Path, server_like: subprocess.Popen[bytes]) -> None:
    """The file is 0600, names the process, and is found for its engine only."""
    path = write_server_file(tmp_path, "http://127.0.0.1:8321/", ENGINE)
    assert path == server_file(tmp_path)
    assert path.stat().st_mode & 0o777 == 0o600
    data = json.loads(path.read_text())
    assert data["url"] == "http://127.0.0.1:8321" and data["pid"] == os.getpid()
    assert data["started_at"].endswith("+00:00")
    assert [p.name for p in tmp_path.iterdir()] == ["server.json"]  # no temporary file left
    write_server_file(tmp_path, "http://127.0.0.1:8321/", ENGINE, pid=server_like.pid)
    found = find_server(tmp_path, ENGINE)
    assert found is not None and found.url == "http://127.0.0.1:8321"
    assert f"(pid {server_like.pid})" in found.describe()
    assert find_server(tmp_path, "duckdb:////elsewhere/databank.duckdb") is None


def test_stale_and_broken_files_are_ignored(tmp_path: Path) -> None:
    """A file naming a dead process, or not JSON, means: no server."""
    dead = _dead_pid()
    assert not pid_alive(dead)
    write_server_file(tmp_path, "http://127.0.0.1:9", ENGINE, pid=dead)
    assert read_server_file(tmp_path) is not None
    assert find_server(tmp_path, ENGINE) is None
    server_file(tmp_path).write_text("{not json")
    assert read_server_file(tmp_path) is None and find_server(tmp_path) is None
    assert find_server(tmp_path / "missing") is None


def test_only_the_owner_removes_it(tmp_path: Path) -> None:
    """A stopping server removes its own file, never one another server wrote since."""
    write_server_file(tmp_path, "http://127.0.0.1:8321", ENGINE, pid=os.getppid())
    assert remove_server_file(tmp_path) is False and server_file(tmp_path).exists()
    write_server_file(tmp_path, "http://127.0.0.1:8321", ENGINE)
    assert remove_server_file(tmp_path) is True and not server_file(tmp_path).exists()


def test_listen_url_for_wildcard_binds() -> None:
    """Clients reach a wildcard bind over loopback; IPv6 hosts get brackets."""
    assert listen_url("0.0.0.0", None, 8321) == "http://127.0.0.1:8321"
    assert listen_url("::", None, 8321) == "http://[::1]:8321"
    assert listen_url("localhost", None, 80) == "http://localhost:80"


def test_a_reused_pid_is_not_a_server(tmp_path: Path) -> None:
    """A live process that is not databank (its pid was reused after a crash) is ignored."""
    other = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        write_server_file(tmp_path, "http://127.0.0.1:9", ENGINE, pid=other.pid)
        assert pid_alive(other.pid)
        assert find_server(tmp_path, ENGINE) is None
    finally:
        other.kill()
        other.wait(timeout=30)
