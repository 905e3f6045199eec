"""Column lineage from the models' SQL into `meta.neural_data_lineage`, and reading it back."""

from __future__ import annotations

from pathlib import Path

import pytest

from databank.engines import Engine
from databank.errors import UnknownTableError
from databank.lineage.store import ml_edges, register_provider
from databank.lineage.trace import column_lineage, trace
from databank.transform.runner import Runner
from transform.toy import BRONZE, GOLD, PRODUCTS, SILVER, Bronze

LINEAGE = "meta.neural_data_lineage"


def _edges(engine: Engine) -> set[tuple]:
    return set(
        engine.fetch_rows(
            "SELECT source_table, source_column, target_table, target_column, layer_transition, "
            f"transformation_type FROM {LINEAGE}"
        )
    )


@pytest.fixture
def ran(engine: Engine, runner: Runner, bronze: Bronze) -> Runner:
    bronze.add("t1", "2025-01-01", "10.00")
    assert runner.run().status == "success"
    return runner


def test_a_run_writes_the_lineage_of_its_models(engine: Engine, ran: Runner) -> None:
    edges = _edges(engine)
    assert (BRONZE, "transaction_data", SILVER, "amount", "bronze->silver", "direct") in edges
    assert (SILVER, "amount", GOLD, "total_revenue", "silver->gold", "aggregated") in edges
    assert (SILVER, "amount", GOLD, None, "silver->gold", "filtered") in edges  # WHERE t.amount > 0
    assert (BRONZE, "validation_status", SILVER, None, "bronze->silver", "filtered") in edges
    assert (
        "silver.scout_clean_products",
        "category_l1",
        PRODUCTS,
        "category_l1",
        "silver->gold",
        "joined",
    ) in edges
    assert (
        "silver.scout_clean_products",
        "product_id",
        PRODUCTS,
        None,
        "silver->gold",
        "joined",
    ) in edges
    assert ("source:pos", None, BRONZE, None, "source->bronze", "direct") in edges
    logic = engine.fetch_value(
        f"SELECT transformation_logic FROM {LINEAGE} WHERE target_table = $t AND target_column = $c",
        {"t": GOLD, "c": "total_revenue"},
    )
    assert logic == "SUM(t.amount) AS total_revenue"


def test_total_revenue_traces_back_to_the_bronze_payload(engine: Engine, ran: Runner) -> None:
    walk = column_lineage(engine, GOLD, "total_revenue")
    (silver,) = walk["sources"]
    assert (silver["table"], silver["column"], silver["transformation_type"]) == (
        SILVER,
        "amount",
        "aggregated",
    )
    (bronze,) = silver["sources"]
    assert (bronze["table"], bronze["column"]) == (BRONZE, "transaction_data")
    assert "amount" in bronze["transformation_logic"]
    assert walk["origins"] == [{"table": BRONZE, "column": "transaction_data", "layer": "bronze"}]
    assert walk["source_systems"] == ["source:pos"]


def test_trace_gives_the_lineage_response(engine: Engine, ran: Runner) -> None:
    response = trace(engine, "scout_clean_transactions", models=ran.models)
    assert set(response) == {
        "table_name",
        "layer",
        "upstream_dependencies",
        "downstream_dependencies",
        "transformation_logic",
        "last_updated",
    }
    assert (response["table_name"], response["layer"]) == (SILVER, "silver")
    assert response["transformation_logic"] == ran.models[SILVER].sql
    assert response["last_updated"] is not None
    upstream = [
        (n["table_name"], n["layer"], n["relationship_type"], n["depth"])
        for n in response["upstream_dependencies"]
    ]
    assert upstream == [(BRONZE, "bronze", "derived", 1), ("source:pos", "source", "source", 2)]
    downstream = {n["table_name"]: n for n in response["downstream_dependencies"]}
    assert set(downstream) == {GOLD, PRODUCTS}
    assert downstream[GOLD]["relationship_type"] == "aggregated"
    assert "SUM(t.amount)" in downstream[GOLD]["transformation_applied"]

    gold = trace(engine, GOLD, layer="gold")
    assert [n["table_name"] for n in gold["upstream_dependencies"]] == [
        SILVER,
        BRONZE,
        "source:pos",
    ]
    assert gold["downstream_dependencies"] == []
    with pytest.raises(UnknownTableError, match="not in layer silver"):
        trace(engine, GOLD, layer="silver")
    with pytest.raises(UnknownTableError, match="unknown table"):
        trace(engine, "gold.nothing")


def test_providers_add_edges_no_sql_shows(engine: Engine, ran: Runner) -> None:
    unregister = register_provider(
        lambda _engine: ml_edges(
            "revenue_forecast", [GOLD], ["platinum.neural_predictions_revenue"]
        )
    )
    try:
        written = ran.sync_lineage()
    finally:
        unregister()
    assert written == len(_edges(engine))
    downstream = trace(engine, GOLD)["downstream_dependencies"]
    assert [(n["table_name"], n["layer"]) for n in downstream] == [
        ("ml:revenue_forecast", "ml"),
        ("platinum.neural_predictions_revenue", "platinum"),
    ]


def test_lineage_follows_a_changed_model(
    engine: Engine, ran: Runner, models_dir: Path, bronze: Bronze
) -> None:
    path = models_dir / "gold" / "scout_kpi_revenue_daily.sql"
    path.write_text(
        path.read_text().replace(
            "sum(t.amount) AS total_revenue", "sum(t.amount + 0) AS total_revenue"
        )
    )
    Runner(engine, models_dir).run()
    logic = engine.fetch_value(
        f"SELECT transformation_logic FROM {LINEAGE} WHERE target_table = $t AND target_column = $c",
        {"t": GOLD, "c": "total_revenue"},
    )
    assert logic == "SUM(t.amount + 0) AS total_revenue"
