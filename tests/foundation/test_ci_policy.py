"""In CI a missing PostgreSQL fails the run; on a developer machine it skips with the reason."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = "tests/foundation/test_engines.py::test_transaction_rolls_back"


def _pytest_with_dead_postgres(ci: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(CI=ci, DATABANK_TEST_PG="postgresql://postgres@127.0.0.1:1/postgres")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_postgres_fails_in_ci() -> None:
    """CI=true: the PostgreSQL half of an engine test errors out instead of skipping."""
    result = _pytest_with_dead_postgres("true")
    assert result.returncode != 0
    assert "PostgreSQL not reachable" in result.stdout
    assert "1 passed" in result.stdout  # the DuckDB half still ran


def test_missing_postgres_skips_elsewhere() -> None:
    """Without CI the same test is skipped, and the reason is shown."""
    result = _pytest_with_dead_postgres("")
    assert result.returncode == 0, result.stdout
    assert "1 passed, 1 skipped" in result.stdout
    assert "PostgreSQL not reachable at postgresql://postgres@127.0.0.1:1/postgres" in result.stdout
