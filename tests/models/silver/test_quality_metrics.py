"""The silver models' declared tests feed silver.neural_databank_quality_metrics on every run."""

from __future__ import annotations

from databank.context import Databank
from databank.engines import Engine
from databank.transform.runner import Runner
from models.silver.helpers import ok, write


def test_declared_tests_are_measured(bank: Databank, engine: Engine, runner: Runner) -> None:
    write(
        bank,
        "transactions",
        [
            {
                "transaction_id": "T1",
                "customer_id": "C1",
                "product_id": "P1",
                "amount": 10,
                "currency": "EUR",
                "timestamp": "2024-03-15T10:00:00Z",
                "channel": "online",
            },
            {
                "transaction_id": "T2",
                "customer_id": "C1",
                "product_id": "P1",
                "amount": 10,
                "currency": "ARS",
                "timestamp": "2024-03-15T11:00:00Z",
                "channel": "online",
            },
        ],
    )
    ok(runner.run())

    found = engine.fetch_rows(
        "SELECT table_name, metric_name, metric_value, status FROM silver.neural_databank_quality_metrics "
        "WHERE layer = 'silver'"
    )
    metrics = {(r[0], r[1]): (float(r[2]), r[3]) for r in found}
    tx = "scout_clean_transactions"
    assert metrics[(tx, "unique:transaction_id")] == (0.0, "pass")
    assert metrics[(tx, "not_null:amount")] == (1.0, "warn")  # ARS has no ECB rate
    assert metrics[(tx, "relationships:customer_id")] == (2.0, "warn")  # no customer record yet
    assert metrics[(tx, "relationships:product_id")] == (2.0, "warn")
    tables = {t for t, _ in metrics}
    assert {
        "scout_clean_transactions",
        "scout_clean_customers",
        "scout_clean_products",
        "scout_clean_campaigns",
        "ces_clean_feedback",
    } <= tables
    assert all(status in ("pass", "warn") for _, status in metrics.values())
