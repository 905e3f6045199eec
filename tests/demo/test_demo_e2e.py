"""End to end: `databank demo --no-serve` on 30 days, checked against the generator's truth."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from databank.engines import connect

pytestmark = pytest.mark.slow


def _demo(folder: Path, *, as_json: bool = True) -> subprocess.CompletedProcess[str]:
    """`databank demo --no-serve --days 30 [--json]` into `folder`, with no DATABANK_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABANK_")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "databank.cli.main",
            "demo",
            "--no-serve",
            "--days",
            "30",
            *(["--json"] if as_json else []),
            "--dir",
            str(folder),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the demo once for the module; returns its JSON report and folder."""
    folder = tmp_path_factory.mktemp("demo") / "run"
    result = _demo(folder)
    assert result.returncode == 0, (
        result.stderr[-3000:] + (folder / "server.log").read_text(errors="replace")[-3000:]
    )
    report = json.loads(result.stdout)
    return {"report": report, "folder": folder}


def test_counts_equal_the_truth(demo_run: dict[str, Any]) -> None:
    """Every source the demo feeds: duplicates and failed records equal what the generator injected."""
    truth = json.loads((demo_run["folder"] / "truth.json").read_text())
    sources = demo_run["report"]["report"]["sources"]
    assert set(sources) == set(truth["sources"])
    for source, expected in truth["sources"].items():
        got = sources[source]
        assert got["records"] == expected["emitted"], source
        assert got["duplicates"] == expected["duplicates"], source
        assert got["failed"] == expected["invalid"], source
        assert got["passed"] == expected["valid"], source
        # full batches of the API's limit, one request per started 10,000 records
        assert got["batches"] == -(-expected["emitted"] // 10_000), source
    report = demo_run["report"]["report"]
    assert 0 < report["generate_seconds"] < report["ingest_seconds"]
    assert report["server_seconds"] > 0


def test_layers_are_filled_and_reconcile(demo_run: dict[str, Any]) -> None:
    """Bronze tables fed, silver and gold non-empty; gold revenue = silver revenue, to the cent."""
    folder: Path = demo_run["folder"]
    assert demo_run["report"]["report"]["transform"]["status"] == "completed"
    with connect(f"duckdb:///{folder / 'db' / 'databank.duckdb'}") as engine:
        for table in (
            "bronze.scout_raw_customers",
            "bronze.scout_raw_products",
            "bronze.scout_raw_campaigns",
            "bronze.scout_raw_transactions",
            "bronze.scout_raw_events",
            "bronze.ces_raw_feedback",
            "bronze.ces_raw_interactions",
        ):
            assert engine.count_rows(table) > 0, table
        for table in (
            "silver.scout_clean_transactions",
            "silver.scout_clean_customers",
            "silver.scout_clean_products",
            "silver.ces_clean_feedback",
            "gold.scout_kpi_revenue_daily",
            "gold.scout_kpi_customer_metrics",
            "gold.scout_kpi_product_performance",
            "gold.ces_kpi_satisfaction_scores",
        ):
            assert engine.count_rows(table) > 0, table
        silver = Decimal(
            str(engine.fetch_value("SELECT sum(amount) FROM silver.scout_clean_transactions"))
        )
        gold = Decimal(
            str(engine.fetch_value("SELECT sum(total_revenue) FROM gold.scout_kpi_revenue_daily"))
        )
        assert gold == silver
        silver_count = engine.fetch_value("SELECT count(*) FROM silver.scout_clean_transactions")
        truth = json.loads((folder / "truth.json").read_text())
        assert silver_count == truth["sources"]["transactions"]["valid"]


def test_a_kpi_answered_through_the_api(demo_run: dict[str, Any]) -> None:
    """The demo's headline KPIs came from the running API; daily_revenue is among them."""
    kpis = {k["metric_name"]: k for k in demo_run["report"]["kpis"]}
    assert "daily_revenue" in kpis
    assert Decimal(str(kpis["daily_revenue"]["current_value"])) > 0
    assert len(kpis["daily_revenue"]["time_series"]) == 30


def test_second_run_resumes_without_mixing(demo_run: dict[str, Any]) -> None:
    """The same command again resumes the completed run: no second copy of the data."""
    folder: Path = demo_run["folder"]
    with connect(f"duckdb:///{folder / 'db' / 'databank.duckdb'}") as engine:
        before = engine.count_rows("bronze.scout_raw_transactions")
    result = _demo(folder)
    assert result.returncode == 0, result.stderr[-2000:]
    with connect(f"duckdb:///{folder / 'db' / 'databank.duckdb'}") as engine:
        assert engine.count_rows("bronze.scout_raw_transactions") == before


def test_the_tour_without_a_server_offers_only_what_works(demo_run: dict[str, Any]) -> None:
    """With --no-serve the tour prints no URL of the stopped server, and the CLI commands it
    suggests work on the database file."""
    folder: Path = demo_run["folder"]
    result = _demo(folder, as_json=False)
    assert result.returncode == 0, result.stderr[-2000:]
    text = " ".join(result.stdout.split())  # Rich wraps long lines
    assert "the server has stopped" in text
    assert "/docs" not in text and "curl" not in text
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABANK_")}
    env["DATABANK_DATA_DIR"] = str(folder / "db")
    status = subprocess.run(
        [sys.executable, "-m", "databank.cli.main", "status", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert status.returncode == 0, status.stderr[-2000:]
    assert json.loads(status.stdout)
