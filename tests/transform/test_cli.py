"""`databank run` as a user calls it (in-process: the test holds the DuckDB file open)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from databank.cli.main import app
from databank.engines import Engine
from databank.transform.errors import UnknownModelError
from transform.toy import GOLD, SILVER, Bronze


@pytest.fixture
def cli(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CLI runner whose settings point at the test engine and a data dir of its own."""
    monkeypatch.setenv("DATABANK_ENGINE", engine.url)
    monkeypatch.setenv("DATABANK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABANK_CONFIG", str(tmp_path / "absent.toml"))
    return CliRunner()


def test_run_plan_json_and_progress(
    cli: CliRunner, engine: Engine, models_dir: Path, bronze: Bronze, tmp_path: Path
) -> None:
    planned = cli.invoke(app, ["run", "--plan", "--json", "--models-dir", str(models_dir)])
    assert planned.exit_code == 0, planned.output
    assert json.loads(planned.output) == [SILVER, "gold.scout_kpi_product_performance", GOLD]

    bronze.add("t1", "2025-01-01", "10.00")
    shown = cli.invoke(app, ["run", "--models-dir", str(models_dir)])
    assert shown.exit_code == 0, shown.output
    assert "success" in shown.output and SILVER in shown.output and "full_refresh" in shown.output

    bronze.add("t2", "2025-01-02", "5.00")
    as_json = cli.invoke(
        app, ["run", "--json", "--select", "silver", "--models-dir", str(models_dir)]
    )
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.output)
    assert [m["model"] for m in report["models"]] == [SILVER]
    assert report["models"][0]["mode"] == "incremental" and report["models"][0]["partitions"] == 1
    events = (tmp_path / "data" / "openlineage" / "events.jsonl").read_text().splitlines()
    assert [json.loads(e)["eventType"] for e in events][-2:] == ["START", "COMPLETE"]


def test_run_reports_failures_and_unknown_models(
    cli: CliRunner, models_dir: Path, bronze: Bronze
) -> None:
    bronze.add("bad", "2025-01-01", "ten")
    failed = cli.invoke(app, ["run", "--models-dir", str(models_dir)])
    assert failed.exit_code == 1
    assert "failed" in failed.output and "skipped" in failed.output
    unknown = cli.invoke(app, ["run", "silver.nothing", "--models-dir", str(models_dir)])
    assert isinstance(unknown.exception, UnknownModelError)  # main() prints it, exit code 2
    assert unknown.exception.exit_code == 2
    assert "silver.nothing" in str(unknown.exception) and SILVER in str(unknown.exception)
