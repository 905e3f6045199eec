"""`databank keys create | list | revoke` as a user runs them (in-process CLI runner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from databank.auth import KeyStore
from databank.cli.main import app
from databank.engines import connect


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner on a DuckDB file in a temporary folder."""
    monkeypatch.setenv("DATABANK_ENGINE", f"duckdb:///{tmp_path / 'keys.duckdb'}")
    monkeypatch.setenv("DATABANK_DATA_DIR", str(tmp_path))
    return CliRunner()


def test_create_list_revoke(cli: CliRunner, tmp_path: Path) -> None:
    """The key is printed once, listed without its secret, and stops working when revoked."""
    missing = cli.invoke(app, ["keys", "list"])
    assert missing.exit_code != 0 and "databank init" in str(missing.exception or missing.output)
    assert cli.invoke(app, ["init"]).exit_code == 0

    created = cli.invoke(
        app, ["keys", "create", "--scope", "ingest", "--scope", "read", "--name", "shop", "--json"]
    )
    assert created.exit_code == 0, created.output
    key = json.loads(created.stdout)
    assert key["scopes"] == ["ingest", "read"] and key["name"] == "shop"
    assert key["key"].startswith(f"dbk_{key['id']}_")

    plain = cli.invoke(app, ["keys", "create", "--scope", "admin"])
    assert plain.exit_code == 0 and "only time the key is shown" in plain.output

    listed = cli.invoke(app, ["keys", "list", "--json"])
    rows = json.loads(listed.stdout)
    assert [r["name"] for r in rows] == ["shop", None]
    assert key["key"] not in listed.stdout and all("key" not in r for r in rows)
    table = cli.invoke(app, ["keys", "list"])
    assert "shop" in table.output and "ingest read" in table.output

    revoked = cli.invoke(app, ["keys", "revoke", key["id"]])
    assert revoked.exit_code == 0 and key["id"] in revoked.output
    with connect(f"duckdb:///{tmp_path / 'keys.duckdb'}") as engine:
        assert KeyStore(engine).authenticate(key["key"]) is None
    assert json.loads(cli.invoke(app, ["keys", "list", "--json"]).stdout)[0]["revoked"] is True


def test_bad_scope_and_unknown_id(cli: CliRunner) -> None:
    """Wrong input is refused with the reason and the allowed values."""
    assert cli.invoke(app, ["init"]).exit_code == 0
    bad = cli.invoke(app, ["keys", "create", "--scope", "root"])
    assert bad.exit_code != 0 and "unknown scope root" in str(bad.exception)
    unknown = cli.invoke(app, ["keys", "revoke", "feedfacecafe"])
    assert unknown.exit_code != 0 and "no API key" in str(unknown.exception)
