"""Row provenance: a gold number back to its silver rows, bronze records and batches; totals add up."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from databank.cli.main import app
from databank.engines import Engine
from databank.lineage.provenance import ProvenanceError, explain
from databank.transform.runner import Runner
from transform.toy import BRONZE, GOLD, SILVER, Bronze

KEY = {"date": "2025-01-01", "region": "north", "channel": "online"}


@pytest.fixture
def ran(engine: Engine, runner: Runner, bronze: Bronze) -> dict[str, str]:
    """Six records: four behind the key (one re-delivered, one a refund), two elsewhere."""
    ids = {
        "a": bronze.add("a", "2025-01-01", "10.00", batch="batch-1"),
        "b": bronze.add("b", "2025-01-01", "20.25", batch="batch-1"),
        "c": bronze.add(
            "c", "2025-01-01", "-5.00", batch="batch-1"
        ),  # refund: filtered by the model
        "x": bronze.add("x", "2025-01-02", "99.00", batch="batch-1"),
        "y": bronze.add("y", "2025-01-01", "42.00", region="south", batch="batch-1"),
    }
    runner.run()
    ids["a2"] = bronze.add("a", "2025-01-01", "11.50", batch="batch-2")  # re-delivery of a
    ids["d"] = bronze.add("d", "2025-01-01", "3.30", batch="batch-2")
    assert runner.run().status == "success"
    return ids


def test_explain_totals_equal_the_gold_value(
    engine: Engine, runner: Runner, ran: dict[str, str]
) -> None:
    result = explain(engine, GOLD, KEY, runner.models)
    assert result["key"] == {"date": date(2025, 1, 1), "region": "north", "channel": "online"}
    assert result["row"]["total_revenue"] == Decimal("35.05")  # 11.50 + 20.25 + 3.30
    assert result["upstream_table"] == SILVER
    assert result["upstream_row_count"] == 3
    assert sorted(r["transaction_id"] for r in result["upstream_rows"]) == ["a", "b", "d"]
    assert sum(Decimal(r["__c_total_revenue"]) for r in result["upstream_rows"]) == Decimal("35.05")
    assert result["totals"]["total_revenue"] == {
        "stored": Decimal("35.05"),
        "from_rows": Decimal("35.05"),
        "matches": True,
    }
    assert result["totals"]["total_transactions"]["matches"] is True
    assert result["recomputed_matches"] is True
    assert result["bronze_table"] == BRONZE
    assert sorted(r["id"] for r in result["bronze_records"]) == sorted(
        [ran["a2"], ran["b"], ran["d"]]
    )
    assert result["batches"] == [
        {"batch_id": "batch-1", "records": 1},
        {"batch_id": "batch-2", "records": 2},
    ]
    assert sum(b["records"] for b in result["batches"]) == len(result["bronze_records"])


def test_explain_on_silver_reaches_bronze_directly(
    engine: Engine, runner: Runner, ran: dict[str, str]
) -> None:
    result = explain(engine, SILVER, {"transaction_id": "a"}, runner.models)
    assert result["upstream_table"] == BRONZE
    assert result["upstream_row_count"] == 2  # both deliveries of a; the model keeps the newest
    assert result["row"]["source_bronze_id"] is not None
    assert str(result["row"]["source_bronze_id"]) == ran["a2"]
    assert {r["batch_id"] for r in result["bronze_records"]} == {"batch-1", "batch-2"}


def test_explain_refuses_a_wrong_key(engine: Engine, runner: Runner, ran: dict[str, str]) -> None:
    with pytest.raises(ProvenanceError, match="date, region, channel"):
        explain(engine, GOLD, {"date": "2025-01-01"}, runner.models)
    with pytest.raises(ProvenanceError, match="no row"):
        explain(engine, GOLD, {**KEY, "region": "west"}, runner.models)
    with pytest.raises(ProvenanceError, match="not a valid"):
        explain(engine, GOLD, {**KEY, "date": "yesterday"}, runner.models)


def test_the_cli_explains_and_traces(
    engine: Engine,
    models_dir: Path,
    ran: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABANK_ENGINE", engine.url)
    monkeypatch.setenv("DATABANK_DATA_DIR", str(tmp_path / "data"))
    cli = CliRunner()
    key = ",".join(f"{k}={v}" for k, v in KEY.items())
    shown = cli.invoke(app, ["explain", GOLD, "--key", key, "--models-dir", str(models_dir)])
    assert shown.exit_code == 0, shown.output
    assert "35.05" in shown.output and "batch-2" in shown.output and "yes" in shown.output
    as_json = cli.invoke(
        app, ["explain", GOLD, "--key", key, "--json", "--models-dir", str(models_dir)]
    )
    assert json.loads(as_json.output)["totals"]["total_revenue"]["matches"] is True

    traced = cli.invoke(app, ["lineage", GOLD, "--json", "--models-dir", str(models_dir)])
    assert traced.exit_code == 0, traced.output
    upstream = [n["table_name"] for n in json.loads(traced.output)["upstream_dependencies"]]
    assert upstream == [SILVER, BRONZE, "source:pos"]
    column = cli.invoke(
        app, ["lineage", GOLD, "--column", "total_revenue", "--models-dir", str(models_dir)]
    )
    assert column.exit_code == 0, column.output
    assert "bronze.scout_raw_transactions.transaction_data" in column.output
    assert "silver.scout_clean_transactions.amount" in column.output


CTE_GOLD = """
MODEL (kind incremental, partition_by date, grain (date, region, channel));
WITH first_sale AS (
  SELECT f.customer_id, min(f.transaction_date) AS first_date
  FROM silver.scout_clean_transactions AS f GROUP BY f.customer_id
),
daily AS (
  SELECT t.transaction_date AS date, coalesce(t.region, 'unknown') AS region, t.channel,
    sum(t.amount) AS net_amount,
    count(*) FILTER (WHERE t.amount > 0) AS sales,
    count(DISTINCT CASE WHEN s.first_date = t.transaction_date THEN t.customer_id END) AS fresh
  FROM silver.scout_clean_transactions AS t
  LEFT JOIN first_sale AS s ON s.customer_id = t.customer_id
  WHERE t.amount IS NOT NULL
  GROUP BY t.transaction_date, coalesce(t.region, 'unknown'), t.channel
)
SELECT d.date, d.region, d.channel, d.net_amount AS total_revenue, d.sales AS total_transactions,
  d.fresh AS new_customers
FROM daily AS d
"""


def test_explain_follows_ctes_down_to_the_rows(
    engine: Engine, models_dir: Path, bronze: Bronze
) -> None:
    (models_dir / "gold" / "scout_kpi_revenue_daily.sql").write_text(CTE_GOLD)
    runner = Runner(engine, models_dir)
    bronze.add("a", "2025-01-01", "10.00", batch="b1")
    bronze.add("b", "2025-01-01", "-2.50", batch="b1")  # a refund: in the net, not a sale
    bronze.add("c", "2025-01-01", "4.00", batch="b2")
    bronze.add("d", "2025-01-02", "8.00", batch="b2")
    assert runner.run().status == "success"
    result = explain(engine, GOLD, KEY, runner.models)
    assert result["upstream_table"] == SILVER
    assert "coalesce(t.region, 'unknown')" in result["filter"].lower()
    assert result["upstream_row_count"] == 3
    assert result["totals"]["total_revenue"] == {
        "stored": Decimal("11.50"),
        "from_rows": Decimal("11.50"),
        "matches": True,
    }
    assert result["totals"]["total_transactions"]["from_rows"] == 2  # count(*) FILTER (amount > 0)
    assert result["totals"]["total_transactions"]["matches"] is True
    assert "new_customers" not in result["totals"]  # count(DISTINCT …): no per-row share
    assert result["recomputed_matches"] is True
    assert result["batches"] == [
        {"batch_id": "b1", "records": 2},
        {"batch_id": "b2", "records": 1},
    ]
