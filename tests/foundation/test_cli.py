"""`databank init / status / schema / --version` as a user runs them, in a subprocess."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

DATABANK = [sys.executable, "-m", "databank.cli.main"]


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with a clean DATABANK_* environment plus `env`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DATABANK_")}
    return subprocess.run(
        [*DATABANK, *args],
        cwd=cwd,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_version(tmp_path: Path) -> None:
    """`--version` prints the distribution version."""
    result = run(["--version"], tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("neural-databank ")


def test_init_twice_and_status_on_default_engine(tmp_path: Path) -> None:
    """init creates 28 tables in 5 layers under ./.databank; a second init changes nothing."""
    first = run(["init"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert "applied migrations 0001" in first.stdout
    assert (tmp_path / ".databank" / "databank.duckdb").exists()
    second = run(["init"], tmp_path)
    assert second.returncode == 0 and "up to date" in second.stdout
    report = json.loads(run(["status", "--json"], tmp_path).stdout)
    assert report["engine"]["name"] == "duckdb"
    assert report["tables"] >= 28
    assert sum(len(t) for t in report["layers"].values()) == 28
    assert {k: len(v) for k, v in report["layers"].items()} == {
        "bronze": 8,
        "silver": 6,
        "gold": 6,
        "platinum": 5,
        "meta": 3,
    }
    assert report["last_migration"]["version"] >= "0001"
    text = run(["status"], tmp_path)
    assert "28 tables across 5 layers" in text.stdout
    assert "scout_kpi_revenue_daily" in text.stdout


def test_schema_command(tmp_path: Path) -> None:
    """`schema TABLE --json` lists the DBML columns with the engine's types."""
    run(["init"], tmp_path)
    result = run(["schema", "gold.scout_kpi_revenue_daily", "--json"], tmp_path)
    assert result.returncode == 0, result.stderr
    columns = {c["column"]: c for c in json.loads(result.stdout)["columns"]}
    assert columns["total_revenue"]["type"] == "numeric(15,2)"
    assert columns["total_revenue"]["engine_type"] == "DECIMAL(15,2)"
    assert columns["date"]["primary_key"] is True
    unknown = run(["schema", "no_such_table"], tmp_path)
    assert unknown.returncode != 0
    assert "unknown table 'no_such_table'" in unknown.stderr


@pytest.mark.postgres
def test_init_on_postgres(tmp_path: Path, pg_server: str) -> None:
    """DATABANK_ENGINE=postgresql://… creates the same 28 tables; status --json reports them."""
    from tests.conftest import drop_pg, fresh_pg_url

    url, name = fresh_pg_url(pg_server)
    try:
        assert run(["init"], tmp_path, DATABANK_ENGINE=url).returncode == 0
        report = json.loads(run(["status", "--json"], tmp_path, DATABANK_ENGINE=url).stdout)
        assert report["engine"]["name"] == "postgresql"
        counts = [rows for t in report["layers"].values() for rows in t.values()]
        assert len(counts) == 28 and None not in counts
        assert report["layers"]["meta"]["neural_schema_evolution"] >= 28
    finally:
        drop_pg(name)


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_unknown_scheme_error(tmp_path: Path) -> None:
    """An unknown scheme: one line naming the cause and the fix."""
    line = _one_line_error(run(["status"], tmp_path, DATABANK_ENGINE="mysql://root@127.0.0.1/test"))
    assert "unknown engine URL scheme mysql://" in line and "DATABANK_ENGINE" in line


def test_unreachable_postgres_error(tmp_path: Path) -> None:
    """Nothing listens on port 1: one line, cause and fix."""
    line = _one_line_error(
        run(["init"], tmp_path, DATABANK_ENGINE="postgresql://postgres@127.0.0.1:1/x")
    )
    assert "cannot reach PostgreSQL at postgresql://postgres@127.0.0.1:1/x" in line
    assert "start the server" in line


def test_password_never_printed(tmp_path: Path) -> None:
    """The engine URL's password is masked in errors."""
    line = _one_line_error(
        run(["init"], tmp_path, DATABANK_ENGINE="postgresql://postgres:hunter2@127.0.0.1:1/x")
    )
    assert "hunter2" not in line and "***" in line


def test_locked_duckdb_error(tmp_path: Path) -> None:
    """A DuckDB file held by another process: one line naming the holder and the fix."""
    run(["init"], tmp_path)
    db = tmp_path / ".databank" / "databank.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(db)!r})
            print("ready", flush=True)
            sys.stdin.read()
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        line = _one_line_error(run(["status"], tmp_path))
        assert "is in use by" in line and f"PID {holder.pid}" in line
        assert "databank serve" in line
    finally:
        holder.kill()
        holder.wait()


@contextlib.contextmanager
def read_only_dir(path: Path) -> Iterator[Path]:
    """A directory nobody can write: chmod for ordinary users, a read-only mount for root."""
    path.mkdir()
    if os.geteuid() != 0:
        path.chmod(0o555)
        try:
            yield path
        finally:
            path.chmod(0o755)
        return
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(path)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"root cannot make a read-only directory here: {mounted.stderr!r}")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=False)


def test_read_only_data_dir_error(tmp_path: Path) -> None:
    """A read-only data directory: one line naming it and the fix."""
    with read_only_dir(tmp_path / "ro") as ro:
        line = _one_line_error(run(["init"], tmp_path, DATABANK_DATA_DIR=str(ro / "data")))
    assert "not writable" in line and "DATABANK_DATA_DIR" in line
