"""`databank status` only looks: a DuckDB file that does not exist is reported, not created."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import cli_env, run_cli


def test_status_does_not_create_the_database(tmp_path: Path) -> None:
    """Text and JSON say `not initialised`; neither the file nor the data dir appears."""
    data = tmp_path / "data"
    env = cli_env(data)
    text = run_cli(["status"], env, tmp_path)
    assert text.returncode == 0, text.stderr
    assert "not initialised — run `databank init`" in text.stdout
    assert str(data / "databank.duckdb") in text.stdout
    report = json.loads(run_cli(["status", "--json"], env, tmp_path).stdout)
    assert report["initialised"] is False and report["last_migration"] is None
    assert report["engine"]["name"] == "duckdb"
    assert not data.exists()
    assert run_cli(["init"], env, tmp_path).returncode == 0
    after = json.loads(run_cli(["status", "--json"], env, tmp_path).stdout)
    assert after["initialised"] is True and after["tables"] >= 28
