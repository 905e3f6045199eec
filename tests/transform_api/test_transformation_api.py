"""Trigger models, follow jobs, refresh gold in dependency order, trace lineage — over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from databank.api.app import create_app
from databank.auth import KeyStore
from databank.context import Databank
from databank.dal.silver import InvalidFilterError, SilverDataAccess
from databank.engines import Engine
from databank.errors import UnknownTableError
from databank.settings import load_settings
from databank.transform.runner import Runner
from transform.toy import GOLD, SILVER, Bronze


@pytest.fixture
def bank(engine: Engine, tmp_path: Path) -> Databank:
    """A Databank over the toy engine, authentication on."""
    settings = load_settings(data_dir=tmp_path, engine=engine.url, pii_key="k")
    return Databank(settings, engine=engine)


@pytest.fixture
def client(bank: Databank, runner: Runner) -> Iterator[TestClient]:
    """The API with the toy runner in place of the packaged models."""
    app = create_app(bank)
    app.state.runner = runner
    with TestClient(app) as test_client:
        yield test_client
    jobs = getattr(app.state, "transform_jobs", None)
    if jobs is not None:
        jobs.close()


def _key(bank: Databank, *scopes: str) -> dict[str, str]:
    _, plaintext = KeyStore(bank.engine).create(list(scopes))
    return {"Authorization": f"Bearer {plaintext}"}


def _wait(client: TestClient, job_id: str, headers: dict[str, str]) -> dict[str, Any]:
    for _ in range(400):
        body = client.get(f"/api/v1/transformation/jobs/{job_id}", headers=headers).json()
        if body["status"] in ("completed", "failed"):
            return body
        import time

        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {body}")


def test_trigger_runs_the_model_and_the_job_reports_it(
    client: TestClient, bank: Databank, bronze: Bronze
) -> None:
    """202 with a job id; the job completes and silver holds the bronze rows."""
    bronze.add("t1", "2025-01-01", "10.50")
    bronze.add("t2", "2025-01-02", "4.25")
    headers = _key(bank, "transform", "read")
    response = client.post(
        "/api/v1/transformation/silver/trigger",
        json={
            "source_tables": ["bronze.scout_raw_transactions"],
            "target_table": "scout_clean_transactions",
            "transformation_type": "incremental",
        },
        headers=headers,
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert set(body) >= {"job_id", "status", "estimated_completion", "transformations_applied"}
    assert body["transformations_applied"] == [SILVER]
    done = _wait(client, body["job_id"], headers)
    assert done["status"] == "completed", done
    assert done["records_processed"] == 2
    total = bank.engine.fetch_value(f"SELECT sum(amount) FROM {SILVER}")
    assert Decimal(str(total)) == Decimal("14.75")


def test_unknown_model_and_table_are_404_with_valid_names(
    client: TestClient, bank: Databank
) -> None:
    """Unknown target model or source table: 404 listing what exists."""
    headers = _key(bank, "transform")
    unknown_target = client.post(
        "/api/v1/transformation/silver/trigger",
        json={"source_tables": [], "target_table": "nope", "transformation_type": "full_refresh"},
        headers=headers,
    )
    assert unknown_target.status_code == 404
    assert SILVER in unknown_target.json()["error"]["details"]["valid_models"]
    unknown_source = client.post(
        "/api/v1/transformation/silver/trigger",
        json={
            "source_tables": ["bronze.nope"],
            "target_table": SILVER,
            "transformation_type": "full_refresh",
        },
        headers=headers,
    )
    assert unknown_source.status_code == 404
    assert (
        "bronze.scout_raw_transactions" in unknown_source.json()["error"]["details"]["valid_tables"]
    )
    assert (
        client.get("/api/v1/transformation/jobs/does-not-exist", headers=headers).status_code == 404
    )


def test_kind_mismatch_and_bad_type_are_422(
    client: TestClient, bank: Databank, runner: Runner
) -> None:
    """Asking for `merge` on an incremental model, or an unknown type, is refused."""
    headers = _key(bank, "transform")
    declared = runner.models[SILVER].kind.value
    other = "merge" if declared != "merge" else "incremental"
    response = client.post(
        "/api/v1/transformation/silver/trigger",
        json={"source_tables": [], "target_table": SILVER, "transformation_type": other},
        headers=headers,
    )
    assert response.status_code == 422
    assert declared in response.json()["error"]["message"]
    bad = client.post(
        "/api/v1/transformation/silver/trigger",
        json={"source_tables": [], "target_table": SILVER, "transformation_type": "sometimes"},
        headers=headers,
    )
    assert bad.status_code == 422


def test_scopes_are_enforced(client: TestClient, bank: Databank) -> None:
    """No key → 401; a read-only key cannot trigger → 403."""
    body = {"source_tables": [], "target_table": SILVER, "transformation_type": "full_refresh"}
    assert client.post("/api/v1/transformation/silver/trigger", json=body).status_code == 401
    read_only = _key(bank, "read")
    assert (
        client.post(
            "/api/v1/transformation/silver/trigger", json=body, headers=read_only
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/gold/views/refresh", json={"view_names": [GOLD]}, headers=read_only
        ).status_code
        == 403
    )


def test_view_refresh_orders_by_dependencies(
    client: TestClient, bank: Databank, bronze: Bronze
) -> None:
    """Refreshing gold and silver together runs silver first; gold then holds the day's revenue."""
    bronze.add("t1", "2025-03-01", "7.00", region="south", channel="store")
    bronze.add("t2", "2025-03-01", "3.00", region="south", channel="store")
    headers = _key(bank, "transform", "read")
    response = client.post(
        "/api/v1/gold/views/refresh",
        json={"view_names": [GOLD, SILVER], "refresh_mode": "sequential"},
        headers=headers,
    )
    assert response.status_code == 202, response.text
    body = response.json()
    order = body["refresh_order"]
    assert order.index(SILVER) < order.index(GOLD)
    assert body["views_scheduled"] == len(order)
    assert _wait(client, body["refresh_job_id"], headers)["status"] == "completed"
    revenue = bank.engine.fetch_value(
        f"SELECT total_revenue FROM {GOLD} WHERE region = 'south' AND channel = 'store'"
    )
    assert Decimal(str(revenue)) == Decimal("10.00")


def test_lineage_trace_endpoint(
    client: TestClient, bank: Databank, bronze: Bronze, runner: Runner
) -> None:
    """After a run, gold's upstream reaches bronze; an unknown table is a JSON 404."""
    bronze.add("t1", "2025-01-01", "1.00")
    runner.run()
    headers = _key(bank, "read")
    response = client.get(f"/api/v1/lineage/trace/{GOLD.split('.')[1]}?layer=gold", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["table_name"] == GOLD
    upstream = {node["table_name"] for node in body["upstream_dependencies"]}
    assert {SILVER, "bronze.scout_raw_transactions"} <= upstream
    with_column = client.get(
        f"/api/v1/lineage/trace/{GOLD}?column=total_revenue", headers=headers
    ).json()
    assert "column_lineage" in with_column
    missing = client.get("/api/v1/lineage/trace/no_such_table", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "unknown_table"


def test_silver_dal(bank: Databank, bronze: Bronze, runner: Runner) -> None:
    """get_clean_data filters on known columns with bound values; lineage rows; trigger runs."""
    bronze.add("t1", "2025-01-01", "5.00", region="north")
    bronze.add("t2", "2025-01-01", "6.00", region="o'hara; DROP TABLE x; --")
    silver = SilverDataAccess(bank, runner=runner)
    report = silver.trigger_transformation("bronze.scout_raw_transactions", SILVER, "incremental")
    assert report.status == "success"
    north = silver.get_clean_data("transactions", {"region": "north"})
    assert [r["transaction_id"] for r in north] == ["t1"]
    hostile = silver.get_clean_data(
        "scout_clean_transactions", {"region": "o'hara; DROP TABLE x; --"}
    )
    assert [r["transaction_id"] for r in hostile] == ["t2"]
    both = silver.get_clean_data(
        "transactions", {"transaction_id": ["t1", "t2"]}, limit=1, order_by="transaction_id"
    )
    assert [r["transaction_id"] for r in both] == ["t1"]
    with pytest.raises(InvalidFilterError, match="no column 'password'"):
        silver.get_clean_data("transactions", {"password": "x"})
    with pytest.raises(UnknownTableError):
        silver.get_clean_data("nope")
    with pytest.raises(UnknownTableError, match="does not read"):
        silver.trigger_transformation("bronze.scout_raw_events", SILVER)
    runner.sync_lineage()
    lineage = silver.get_data_lineage("scout_clean_transactions")
    assert any(
        row["target_table"] == SILVER and row["source_table"] == "bronze.scout_raw_transactions"
        for row in lineage
    )
