"""Merge models: upsert by unique key (ON CONFLICT where the engine has it, else delete + insert)."""

from __future__ import annotations

import dataclasses
import json
import uuid
from pathlib import Path

import pytest

from databank.engines import Engine
from databank.engines.base import quote_table
from databank.transform.runner import Runner
from transform.toy import copy_models, write_model

PRODUCTS = "silver.scout_clean_products"
MERGE_PRODUCTS = """
MODEL (kind merge, unique_key (product_id), grain (product_id), tests (not_null(product_id)));
SELECT p.product_data ->> 'product_id' AS product_id,
  p.product_data ->> 'product_name' AS product_name,
  p.product_data ->> 'category_l1' AS category_l1,
  CAST(p.product_data ->> 'price' AS DECIMAL(10, 2)) AS price,
  p.id AS source_bronze_id
FROM bronze.scout_raw_products AS p
QUALIFY row_number() OVER (PARTITION BY p.product_data ->> 'product_id' ORDER BY p.ingested_at DESC) = 1
"""


def _product(engine: Engine, pid: str, name: str, price: str, category: str = "toys") -> None:
    payload = {"product_id": pid, "product_name": name, "category_l1": category, "price": price}
    engine.execute(
        "INSERT INTO bronze.scout_raw_products (id, source_system, product_data, validation_status) "
        "VALUES ($id, 'catalog', $data, 'passed')",
        {"id": str(uuid.uuid4()), "data": json.dumps(payload)},
    )


@pytest.mark.parametrize("upsert", [True, False], ids=["on-conflict", "delete-insert"])
def test_merge_upserts_only_the_touched_keys(engine: Engine, tmp_path: Path, upsert: bool) -> None:
    if not upsert:  # the strategy of an engine without upsert (Spark), on this real engine
        engine.capabilities = dataclasses.replace(engine.capabilities, upsert=False)  # type: ignore[misc]
    models = copy_models(
        tmp_path / "models",
        "silver/scout_clean_transactions.sql",
        "gold/scout_kpi_product_performance.sql",
    )
    write_model(models, PRODUCTS, MERGE_PRODUCTS)
    runner = Runner(engine, models)
    for pid, name in (("p1", "ball"), ("p2", "kite"), ("p3", "yo-yo")):
        _product(engine, pid, name, "2.50")
    first = runner.run([PRODUCTS])
    assert first.result(PRODUCTS).mode == "full_refresh" and first.result(PRODUCTS).rows == 3
    before = {
        r[0]: r
        for r in engine.fetch_rows(
            f"SELECT product_id, price, created_at, updated_at FROM {quote_table(PRODUCTS)}"
        )
    }

    _product(engine, "p2", "kite", "3.75")  # a new version of p2
    _product(engine, "p4", "top", "1.00")  # a new product
    report = runner.run([PRODUCTS])
    result = report.result(PRODUCTS)
    assert (result.mode, result.rows, result.partitions) == ("merge", 2, 2)
    after = {
        r[0]: r
        for r in engine.fetch_rows(
            f"SELECT product_id, price, created_at, updated_at FROM {quote_table(PRODUCTS)}"
        )
    }
    assert set(after) == {"p1", "p2", "p3", "p4"}
    assert after["p1"] == before["p1"] and after["p3"] == before["p3"]  # untouched rows
    assert str(after["p2"][1]) == "3.75"
    assert after["p2"][3] > before["p2"][3]  # updated_at moved
    if upsert:
        assert after["p2"][2] == before["p2"][2]  # an upsert keeps created_at
    assert runner.run([PRODUCTS]).result(PRODUCTS).mode == "up_to_date"


def test_a_merge_needs_one_row_per_key(engine: Engine, tmp_path: Path) -> None:
    models = tmp_path / "models"
    write_model(
        models,
        PRODUCTS,
        "MODEL (kind merge, unique_key (product_id));\n"
        "SELECT p.product_data ->> 'product_id' AS product_id, p.product_data ->> 'product_name' AS product_name\n"
        "FROM bronze.scout_raw_products AS p",
    )
    runner = Runner(engine, models)
    _product(engine, "p1", "ball", "1.00")
    runner.run()
    _product(engine, "p1", "ball v2", "1.00")  # the SELECT does not deduplicate
    result = runner.run().result(PRODUCTS)
    assert result.status == "failed"
    assert "one row per key" in (result.error or "")
    assert engine.count_rows(PRODUCTS) == 1
