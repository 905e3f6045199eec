"""BronzeWriter on every engine: envelope, spec columns, failures kept, dedup, drift, logs, batch ids."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from tests.ingestion.conftest import VALID, stored, transaction

from databank.engines import Engine
from databank.ingestion.errors import InvalidBatchError, UnknownSchemaVersionError
from databank.ingestion.results import BatchResult
from databank.ingestion.source_types import LAYOUTS
from databank.ingestion.writer import SOURCE_TYPES, BronzeWriter, UnknownSourceTypeError


def count(engine: Engine, table: str, where: str = "1=1") -> int:
    return int(engine.fetch_value(f"SELECT count(*) FROM {table} WHERE {where}"))


def test_source_types_are_the_spec_bronze_tables() -> None:
    assert SOURCE_TYPES == {
        "transactions": "bronze.scout_raw_transactions",
        "customers": "bronze.scout_raw_customers",
        "products": "bronze.scout_raw_products",
        "campaigns": "bronze.scout_raw_campaigns",
        "events": "bronze.scout_raw_events",
        "feedback": "bronze.ces_raw_feedback",
        "interactions": "bronze.ces_raw_interactions",
        "logs": "bronze.neural_databank_raw_logs",
    }


def test_valid_record_of_each_type_passes_with_envelope(
    writer: BronzeWriter, engine: Engine
) -> None:
    natural = {
        "transactions": "transaction_id",
        "customers": "customer_id",
        "products": "product_id",
        "campaigns": "campaign_id",
        "events": "event_id",
        "feedback": "feedback_id",
        "interactions": "interaction_id",
        "logs": "log_id",
    }
    for source_type, record in VALID.items():
        layout = LAYOUTS[source_type]
        result = writer.write_batch(source_type, [record], source_system="demo")
        assert (result.passed, result.failed, result.duplicates) == (1, 0, 0), result.errors
        assert result.validation_status == "passed" and result.quality_score == 1.0
        where = "source_system = 'demo'"
        [row] = stored(engine, layout.table, layout.payload_column, where)
        assert row["validation_status"] == "passed" and float(row["quality_score"]) == 1.0
        assert row["batch_id"] == result.batch_id and row["record_index"] == 0
        assert row["record_key"] == record[natural[source_type]]
        assert len(row["payload_hash"]) == 64
        version = engine.fetch_value(f"SELECT schema_version FROM {layout.table} WHERE {where}")
        assert version == "1.0.0", source_type
        # Everything the record had is in the payload (PII fields as tokens).
        for key, value in record.items():
            got = row["payload"][key]
            if key == "address":
                assert got["street"].startswith("pii_") and got["city"] == value["city"]
            else:
                assert got == value or (isinstance(got, str) and got.startswith("pii_")), key


def test_partition_key_is_the_utc_date_of_the_event_time(
    writer: BronzeWriter, engine: Engine
) -> None:
    writer.write_batch("events", [VALID["events"]], source_system="web")
    # 23:30 at -05:00 is the next day in UTC.
    row = engine.fetch_rows(
        "SELECT CAST(partition_key AS VARCHAR), CAST(timestamp AS VARCHAR), event_type, user_agent, "
        "session_id FROM bronze.scout_raw_events"
    )[0]
    assert row[0] == "2025-01-13"
    assert row[1].startswith("2025-01-13 04:30:00")
    assert row[2:] == ("page_view", "Mozilla/5.0", "sess_1")


def test_spec_columns_are_filled_from_the_record(writer: BronzeWriter, engine: Engine) -> None:
    for source_type in ("products", "campaigns", "feedback", "interactions", "logs", "customers"):
        writer.write_batch(source_type, [VALID[source_type]], source_system="crm")
    hierarchy, enrichment = engine.fetch_rows(
        "SELECT CAST(category_hierarchy AS VARCHAR), enrichment_status FROM bronze.scout_raw_products"
    )[0]
    assert json.loads(hierarchy) == {"l1": "footwear", "l2": "running"} and enrichment == "pending"
    channels, budget, metrics, model = engine.fetch_rows(
        "SELECT media_channels, CAST(budget_data AS VARCHAR), CAST(performance_metrics AS VARCHAR), "
        "attribution_model FROM bronze.scout_raw_campaigns"
    )[0]
    assert list(channels) == ["email", "social"]
    assert json.loads(budget) == {"budget": 5000, "spent": 1250.5, "currency": "EUR"}
    assert json.loads(metrics)["clicks"] == 40 and model == "last_touch"
    text, rating, channel, customer = engine.fetch_rows(
        "SELECT feedback_text, rating, channel, customer_id FROM bronze.ces_raw_feedback"
    )[0]
    assert (text, float(rating), channel, customer) == (
        "Great shoes, slow delivery",
        4.0,
        "survey",
        "cust_1",
    )
    kind, stage, touchpoint, attribution = engine.fetch_rows(
        "SELECT interaction_type, customer_journey_stage, CAST(touchpoint_data AS VARCHAR), "
        "CAST(attribution_data AS VARCHAR) FROM bronze.ces_raw_interactions"
    )[0]
    assert (kind, stage) == ("ad_click", "consideration")
    assert json.loads(touchpoint) == {"placement": "feed"}
    assert json.loads(attribution) == {"campaign_id": "camp_1", "channel": "social"}
    agent, layer, op, secs, status = engine.fetch_rows(
        "SELECT agent_id, layer, operation, execution_time, status FROM bronze.neural_databank_raw_logs "
        "WHERE agent_id = 'weather_loader'"
    )[0]
    assert (agent, layer, op, float(secs), status) == (
        "weather_loader",
        "bronze",
        "fetch",
        0.25,
        "success",
    )
    masked, lineage, flags = engine.fetch_rows(
        "SELECT pii_masked, data_lineage, quality_flags FROM bronze.scout_raw_customers"
    )[0]
    assert masked is True and lineage.startswith("crm/") and flags is None


def test_failed_record_is_stored_with_its_reasons(writer: BronzeWriter, engine: Engine) -> None:
    bad = transaction(2, currency="EURO", amount="12")
    del bad["customer_id"]
    result = writer.write_batch("transactions", [transaction(1), bad], source_system="pos")
    assert (result.passed, result.failed, result.validation_status) == (1, 1, "failed")
    assert {(e.index, e.field) for e in result.errors} == {
        (1, "customer_id"),
        (1, "currency"),
        (1, "amount"),
    }
    reasons = {e.field: e.reason for e in result.errors}
    assert "ISO 4217" in reasons["currency"] and "missing" in reasons["customer_id"]
    rows = stored(engine, "bronze.scout_raw_transactions", "transaction_data")
    assert [r["validation_status"] for r in rows] == ["passed", "failed"]
    assert rows[1]["payload"]["currency"] == "EURO"  # kept as received
    assert 0 < float(rows[1]["quality_score"]) < 1
    kept = engine.fetch_rows(
        "SELECT record_index, field, reason, check_kind, batch_id FROM meta.bronze_rejections "
        "ORDER BY field"
    )
    assert [(r[0], r[1], r[3]) for r in kept] == [
        (1, "amount", "type"),
        (1, "currency", "format"),
        (1, "customer_id", "presence"),
    ]
    assert all(r[4] == result.batch_id for r in kept)
    assert float(result.quality_score or 0) == pytest.approx(
        (1 + float(rows[1]["quality_score"])) / 2
    )


def test_warnings_lower_the_score_but_do_not_fail(writer: BronzeWriter) -> None:
    refund = transaction(3, transaction_type="refund", amount=-19.99, quantity=-1)
    result = writer.write_batch("transactions", [refund], source_system="pos")
    assert result.passed == 1 and result.errors == ()
    assert result.quality_score is not None and result.quality_score < 1


def test_duplicates_within_and_across_batches(writer: BronzeWriter, engine: Engine) -> None:
    first = writer.write_batch(
        "transactions", [transaction(1), transaction(2), transaction(1)], source_system="pos"
    )
    assert (first.passed, first.duplicates) == (2, 1)
    # Key order does not matter; a re-delivery is a duplicate.
    reordered = dict(reversed(list(transaction(2).items())))
    second = writer.write_batch("transactions", [reordered, transaction(3)], source_system="pos")
    assert (second.passed, second.duplicates) == (1, 1)
    # The same record from another source system is a different delivery.
    third = writer.write_batch("transactions", [transaction(1)], source_system="web")
    assert (third.passed, third.duplicates) == (1, 0)
    assert count(engine, "bronze.scout_raw_transactions") == 4


def test_changed_payload_under_the_same_key_is_a_new_version(
    writer: BronzeWriter, engine: Engine
) -> None:
    writer.write_batch("transactions", [transaction(1)], source_system="pos")
    result = writer.write_batch("transactions", [transaction(1, amount=25.0)], source_system="pos")
    assert (result.passed, result.duplicates) == (1, 0)
    rows = stored(engine, "bronze.scout_raw_transactions", "transaction_data")
    assert [r["record_key"] for r in rows] == ["txn_1", "txn_1"]
    assert {r["payload"]["amount"] for r in rows} == {19.99, 25.0}
    assert rows[0]["payload_hash"] != rows[1]["payload_hash"]


def test_records_without_natural_key_use_the_payload_hash(
    writer: BronzeWriter, engine: Engine
) -> None:
    record = {k: v for k, v in VALID["logs"].items() if k != "log_id"}
    first = writer.write_batch("logs", [record, record], source_system="agents")
    assert (first.passed, first.duplicates) == (1, 1)
    [row] = stored(engine, "bronze.neural_databank_raw_logs", "payload", "source_system = 'agents'")
    assert row["record_key"] == row["payload_hash"]


def test_drift_is_logged_once_per_field(writer: BronzeWriter, engine: Engine) -> None:
    records = [transaction(i, loyalty_tier="gold", device="ios") for i in range(5)]
    result = writer.write_batch("transactions", records, source_system="pos")
    assert result.passed == 5  # unknown fields are kept, not failed
    writer.write_batch("transactions", [transaction(9, loyalty_tier="silver")], source_system="web")
    fresh = BronzeWriter(writer.engine, writer.settings, contracts=writer.contracts)  # no cache
    fresh.write_batch("transactions", [transaction(10, device="android")], source_system="pos")
    rows = engine.fetch_rows(
        "SELECT table_name, layer, change_type, change_description, backward_compatible "
        "FROM meta.neural_schema_evolution WHERE change_type = 'field_added' ORDER BY change_description"
    )
    assert len(rows) == 2
    assert all(r[:3] == ("scout_raw_transactions", "bronze", "field_added") and r[4] for r in rows)
    assert "'device'" in rows[0][3] and "'loyalty_tier'" in rows[1][3]
    payloads = stored(
        engine,
        "bronze.scout_raw_transactions",
        "transaction_data",
        f"batch_id = '{result.batch_id}'",
    )
    assert [p["payload"]["loyalty_tier"] for p in payloads] == ["gold"] * 5
    assert count(engine, "meta.bronze_drift_fields") == 2


def test_one_raw_logs_row_per_batch(writer: BronzeWriter, engine: Engine) -> None:
    a = writer.write_batch("transactions", [transaction(1)], source_system="pos")
    b = writer.write_batch(
        "feedback", [VALID["feedback"], {"feedback_id": "x"}], source_system="survey"
    )
    rows = engine.fetch_rows(
        "SELECT operation, CAST(payload AS VARCHAR), execution_time, status, "
        "CAST(error_details AS VARCHAR), layer, batch_id FROM bronze.neural_databank_raw_logs "
        "WHERE agent_id = 'bronze_writer' ORDER BY operation"
    )
    assert [(r[0], r[3], r[5]) for r in rows] == [
        ("ingest:feedback", "success", "bronze"),
        ("ingest:transactions", "success", "bronze"),
    ]
    payload = json.loads(rows[1][1])
    assert payload["batch_id"] == a.batch_id and payload["passed"] == 1
    assert payload["source_type"] == "transactions" and payload["source_system"] == "pos"
    assert float(rows[1][2]) >= 0 and rows[1][4] is None
    assert json.loads(rows[0][4])["failed_records"] == 1 and rows[0][6] == b.batch_id


def test_batch_id_is_idempotent(writer: BronzeWriter, engine: Engine) -> None:
    first = writer.write_batch(
        "transactions", [transaction(1), {"bad": 1}], source_system="pos", batch_id="batch-42"
    )
    again = writer.write_batch(
        "transactions", [transaction(5)], source_system="pos", batch_id="batch-42"
    )
    assert again == first
    assert writer.batch_result("batch-42") == first
    assert writer.batch_result("no-such-batch") is None
    assert count(engine, "bronze.scout_raw_transactions") == 2
    assert count(engine, "bronze.neural_databank_raw_logs", "agent_id = 'bronze_writer'") == 1
    assert json.loads(orjson.dumps(first.to_dict())) == first.to_dict()
    assert BatchResult.from_dict(first.to_dict()) == first


def test_in_transaction_sees_the_result_before_commit(writer: BronzeWriter, engine: Engine) -> None:
    seen: list[tuple[BatchResult, int]] = []

    def hook(result: BatchResult) -> None:
        seen.append((result, count(engine, "bronze.scout_raw_transactions")))

    result = writer.write_batch(
        "transactions", [transaction(1)], source_system="pos", in_transaction=hook
    )
    assert seen == [(result, 1)]


def test_quality_checks_off_stores_pending(writer: BronzeWriter, engine: Engine) -> None:
    result = writer.write_batch(
        "transactions", [{"anything": 1}, transaction(2)], source_system="pos", quality_checks=False
    )
    assert (result.pending, result.passed, result.failed) == (2, 0, 0)
    assert result.validation_status == "pending" and result.quality_score is None
    rows = stored(engine, "bronze.scout_raw_transactions", "transaction_data")
    assert [(r["validation_status"], r["quality_score"]) for r in rows] == [("pending", None)] * 2


def test_empty_batch(writer: BronzeWriter, engine: Engine) -> None:
    result = writer.write_batch("transactions", [], source_system="pos")
    assert (result.records_received, result.passed, result.quality_score) == (0, 0, None)
    assert result.validation_status == "passed"
    assert writer.batch_result(result.batch_id) == result


def test_bad_calls_raise_clear_errors(writer: BronzeWriter, engine: Engine) -> None:
    with pytest.raises(UnknownSourceTypeError, match="transactions"):
        writer.write_batch("orders", [transaction(1)], source_system="pos")
    with pytest.raises(UnknownSchemaVersionError, match=r"known versions: 1\.0\.0"):
        writer.write_batch(
            "transactions", [transaction(1)], source_system="pos", schema_version="9.9.9"
        )
    with pytest.raises(InvalidBatchError, match="source_system"):
        writer.write_batch("transactions", [transaction(1)], source_system="")
    with pytest.raises(InvalidBatchError, match="control"):
        writer.write_batch("transactions", [transaction(1)], source_system="a\x00b")
    with pytest.raises(InvalidBatchError, match="list"):
        writer.write_batch("transactions", transaction(1), source_system="pos")  # type: ignore[arg-type]
    assert count(engine, "bronze.scout_raw_transactions") == 0


def test_schema_version_in_envelope_and_new_contract_version(
    writer: BronzeWriter, engine: Engine, contracts_dir: Any
) -> None:
    text = (contracts_dir / "transactions" / "1.0.0.toml").read_text()
    (contracts_dir / "transactions" / "1.1.0.toml").write_text(
        text.replace('version = "1.0.0"', 'version = "1.1.0"')
        + '\n[fields.loyalty_tier]\ntype = "string"\n'
    )
    writer.contracts.reload()
    result = writer.write_batch(
        "transactions",
        [transaction(1, loyalty_tier="gold")],
        source_system="pos",
        schema_version="1.1.0",
    )
    assert result.passed == 1 and result.schema_version == "1.1.0"
    assert engine.fetch_value("SELECT schema_version FROM bronze.scout_raw_transactions") == "1.1.0"
    assert count(engine, "meta.bronze_drift_fields") == 0


def test_databank_bronze_is_one_cached_writer(engine: Engine, settings: Any) -> None:
    from databank.context import Databank

    bank = Databank(settings, engine)
    assert bank.bronze is bank.bronze and bank.bronze.engine is engine
    result = bank.bronze.write_batch("transactions", [transaction(1)], source_system="pos")
    assert result.passed == 1


def test_ingested_at_is_now_in_utc(writer: BronzeWriter, engine: Engine) -> None:
    before = datetime.now(UTC).replace(tzinfo=None)
    writer.write_batch("transactions", [transaction(1)], source_system="pos")
    value = engine.fetch_value("SELECT ingested_at FROM bronze.scout_raw_transactions")
    assert abs((value - before).total_seconds()) < 60


def test_writers_that_do_not_know_each_other_never_store_twice(
    writer: BronzeWriter, engine: Engine
) -> None:
    other = BronzeWriter(engine, writer.settings, contracts=writer.contracts)
    other.write_batch(
        "transactions", [transaction(100)], source_system="pos"
    )  # its view is now set
    writer.write_batch("transactions", [transaction(1)], source_system="pos")
    result = other.write_batch(
        "transactions", [transaction(1), transaction(2)], source_system="pos"
    )
    assert (result.passed, result.duplicates) == (1, 1)
    assert count(engine, "bronze.scout_raw_transactions") == 3


def test_concurrent_writers_store_each_record_once(writer: BronzeWriter, engine: Engine) -> None:
    import threading

    records = [transaction(i) for i in range(300)]
    writers = [writer, BronzeWriter(engine, writer.settings, contracts=writer.contracts)]
    barrier = threading.Barrier(2)
    results: list[BatchResult] = []
    failures: list[BaseException] = []

    def run(w: BronzeWriter) -> None:
        try:
            barrier.wait(timeout=30)
            results.append(w.write_batch("transactions", records, source_system="pos"))
        except BaseException as exc:  # reported below: a thread's exception would be lost
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in writers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert failures == [] and len(results) == 2
    assert sum(r.passed for r in results) == 300 and sum(r.duplicates for r in results) == 300
    assert count(engine, "bronze.scout_raw_transactions") == 300
