"""`replay_failed` re-validates stored failed records against the current contracts."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.ingestion.conftest import VALID, transaction

from databank.engines import Engine
from databank.ingestion.errors import UnknownSchemaVersionError
from databank.ingestion.writer import BronzeWriter, UnknownSourceTypeError


def statuses(engine: Engine, table: str) -> dict[str, str]:
    return dict(engine.fetch_rows(f"SELECT record_key, validation_status FROM {table}"))


def test_replay_after_a_contract_fix(
    writer: BronzeWriter, engine: Engine, contracts_dir: Path
) -> None:
    records = [
        transaction(1, channel="kiosk"),  # fails now, passes after the fix
        transaction(2, channel="kiosk", currency="XXXX"),  # still fails after the fix
        transaction(3),
        transaction(4, amount=float("nan")),  # unstorable as sent: never replayed
    ]
    result = writer.write_batch("transactions", records, source_system="pos")
    assert (result.passed, result.failed) == (1, 3)
    arrived = dict(
        engine.fetch_rows("SELECT record_key, ingested_at FROM bronze.scout_raw_transactions")
    )
    contract = contracts_dir / "transactions" / "1.0.0.toml"
    contract.write_text(contract.read_text().replace('"marketplace"]', '"marketplace", "kiosk"]'))
    writer.contracts.reload()
    replay = writer.replay_failed("transactions")
    assert (replay.examined, replay.now_passed, replay.still_failed, replay.not_replayable) == (
        3,
        1,
        2,
        1,
    )
    assert statuses(engine, "bronze.scout_raw_transactions") == {
        "txn_1": "passed",
        "txn_2": "failed",
        "txn_3": "passed",
        "txn_4": "failed",
    }
    # Only the record that now passes counts as arriving again (incremental silver picks it up).
    replayed = dict(
        engine.fetch_rows("SELECT record_key, ingested_at FROM bronze.scout_raw_transactions")
    )
    assert replayed["txn_1"] > arrived["txn_1"]
    assert {k: v for k, v in replayed.items() if k != "txn_1"} == {
        k: v for k, v in arrived.items() if k != "txn_1"
    }
    score = engine.fetch_value(
        "SELECT quality_score FROM bronze.scout_raw_transactions WHERE record_key = 'txn_1'"
    )
    assert float(score) == 1.0
    open_reasons = engine.fetch_rows(
        "SELECT record_index, field, check_kind FROM meta.bronze_rejections WHERE resolved_at IS NULL "
        "ORDER BY record_index, field"
    )
    assert open_reasons == [(1, "currency", "format"), (3, "amount", "storage")]
    resolved = engine.fetch_value(
        "SELECT count(*) FROM meta.bronze_rejections WHERE resolved_at IS NOT NULL"
    )
    assert resolved == 3  # txn_1's channel, txn_2's channel and currency (re-recorded as current)
    again = writer.replay_failed("transactions")
    assert (again.examined, again.now_passed, again.still_failed) == (2, 0, 2)
    assert engine.fetch_value("SELECT count(*) FROM meta.bronze_replay_staging") == 0
    logs = engine.fetch_value(
        "SELECT count(*) FROM bronze.neural_databank_raw_logs WHERE operation = 'replay:transactions'"
    )
    assert logs == 2


def test_replay_keeps_the_verdict_of_pseudonymised_fields(
    writer: BronzeWriter, engine: Engine, contracts_dir: Path
) -> None:
    bad_email = dict(VALID["customers"], customer_id="c1", email="no-at-sign", gender="x")
    fixable = dict(VALID["customers"], customer_id="c2", gender="x")
    result = writer.write_batch("customers", [bad_email, fixable], source_system="crm")
    assert result.failed == 2
    contract = contracts_dir / "customers" / "1.0.0.toml"
    contract.write_text(contract.read_text().replace('"unknown"]', '"unknown", "x"]'))
    writer.contracts.reload()
    replay = writer.replay_failed("customers")
    assert (replay.now_passed, replay.still_failed) == (1, 1)
    assert statuses(engine, "bronze.scout_raw_customers") == {"c1": "failed", "c2": "passed"}
    flags = engine.fetch_value(
        "SELECT quality_flags FROM bronze.scout_raw_customers WHERE record_key = 'c1'"
    )
    assert list(flags) == ["email:format"]


def test_replay_to_a_new_contract_version(
    writer: BronzeWriter, engine: Engine, contracts_dir: Path
) -> None:
    writer.write_batch("feedback", [dict(VALID["feedback"], rating=7)], source_system="survey")
    old = (contracts_dir / "feedback" / "1.0.0.toml").read_text()
    (contracts_dir / "feedback" / "1.1.0.toml").write_text(
        old.replace('version = "1.0.0"', 'version = "1.1.0"').replace("max = 5", "max = 10")
    )
    writer.contracts.reload()
    assert writer.replay_failed("feedback").now_passed == 0  # its own version still refuses 7
    replay = writer.replay_failed("feedback", schema_version="1.1.0")
    assert replay.now_passed == 1
    row = engine.fetch_rows("SELECT validation_status, schema_version FROM bronze.ces_raw_feedback")
    assert row == [("passed", "1.1.0")]


def test_replay_rejects_unknown_names(writer: BronzeWriter) -> None:
    with pytest.raises(UnknownSourceTypeError):
        writer.replay_failed("orders")
    with pytest.raises(UnknownSchemaVersionError):
        writer.replay_failed("transactions", schema_version="3.0.0")
