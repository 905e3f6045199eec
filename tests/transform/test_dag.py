"""The dependency graph: order from the SQL's table references, cycles, selections, downstream."""

from __future__ import annotations

import pytest

from databank.transform.dag import Dag
from databank.transform.errors import DependencyCycleError, UnknownModelError
from databank.transform.header import parse_model


def _models(**sql: str) -> Dag:
    models = {}
    for key, text in sql.items():
        name = key.replace("__", ".")
        models[name] = parse_model(text, name)
    return Dag(models)


def test_models_run_after_what_they_read() -> None:
    dag = _models(
        gold__revenue="SELECT * FROM silver.tx JOIN silver.customers USING (c)",
        silver__customers="SELECT * FROM bronze.customers",
        silver__tx="SELECT * FROM bronze.tx",
        gold__summary="SELECT * FROM gold.revenue",
    )
    order = dag.plan()
    assert order.index("silver.tx") < order.index("gold.revenue")
    assert order.index("silver.customers") < order.index("gold.revenue")
    assert order.index("gold.revenue") < order.index("gold.summary")
    assert order == ["silver.customers", "silver.tx", "gold.revenue", "gold.summary"]  # stable
    assert dag.plan(layer="silver") == ["silver.customers", "silver.tx"]
    assert dag.plan(["summary", "silver.tx"]) == ["silver.tx", "gold.summary"]
    assert dag.downstream(["bronze.tx"]) == ["silver.tx", "gold.revenue", "gold.summary"]
    assert dag.downstream(["silver.customers"]) == ["gold.revenue", "gold.summary"]
    assert dag.upstream_closure("gold.summary") == ["silver.customers", "silver.tx", "gold.revenue"]


def test_a_cycle_is_named() -> None:
    with pytest.raises(DependencyCycleError) as caught:
        _models(
            silver__a="SELECT * FROM silver.c",
            silver__b="SELECT * FROM silver.a",
            silver__c="SELECT * FROM silver.b",
            gold__d="SELECT * FROM silver.a",
        )
    assert set(caught.value.cycle) == {"silver.a", "silver.b", "silver.c"}
    assert caught.value.cycle[0] == caught.value.cycle[-1]
    assert "cycle" in str(caught.value)


def test_unknown_names_list_the_valid_ones() -> None:
    dag = _models(silver__tx="SELECT * FROM bronze.tx")
    with pytest.raises(UnknownModelError) as caught:
        dag.plan(["silver.nope"])
    assert caught.value.valid == ["silver.tx"]
    assert "silver.nope" in str(caught.value) and "silver.tx" in str(caught.value)
    with pytest.raises(UnknownModelError):
        dag.plan(layer="platinum")
