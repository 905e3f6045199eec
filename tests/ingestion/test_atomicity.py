"""A batch is stored whole or not at all, on every engine; a failed batch can be sent again."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from tests.ingestion.conftest import transaction

from databank.engines import Engine
from databank.ingestion.writer import BronzeWriter

TABLES = (
    "bronze.scout_raw_transactions",
    "meta.bronze_rejections",
    "meta.ingestion_batches",
    "meta.bronze_drift_fields",
)


class Boom(RuntimeError):
    """The injected failure."""


def counts(engine: Engine) -> dict[str, int]:
    found = {t: int(engine.fetch_value(f"SELECT count(*) FROM {t}")) for t in TABLES}
    found["writer_success_logs"] = int(
        engine.fetch_value(
            "SELECT count(*) FROM bronze.neural_databank_raw_logs "
            "WHERE agent_id = 'bronze_writer' AND status = 'success'"
        )
    )
    found["drift_evolution"] = int(
        engine.fetch_value(
            "SELECT count(*) FROM meta.neural_schema_evolution WHERE change_type = 'field_added'"
        )
    )
    return found


def batch() -> list[dict[str, Any]]:
    # Passed, failed (so rejections are written) and drifting records in one batch.
    return [transaction(1), transaction(2, currency="XXXX"), transaction(3, coupon="WINTER")]


@pytest.mark.parametrize("size", [3, 120], ids=["small-batch-insert", "arrow-append"])
def test_append_failing_midway_leaves_nothing(
    writer: BronzeWriter, engine: Engine, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    before = counts(engine)
    real_append, real_execute = engine.append_arrow, engine.execute
    appended: list[str] = []

    def failing_append(table: str, data: pa.Table) -> int:
        appended.append(table)
        if table == "meta.bronze_rejections":  # after the bronze rows went in
            raise Boom("disk full")
        return real_append(table, data)

    def failing_execute(sql: str, params: Any = None) -> None:
        if sql.startswith("INSERT INTO"):
            table = sql.split()[2].replace('"', "")
            appended.append(table)
            if table == "meta.bronze_rejections":
                raise Boom("disk full")
        real_execute(sql, params)

    monkeypatch.setattr(engine, "append_arrow", failing_append)
    monkeypatch.setattr(engine, "execute", failing_execute)
    records = batch() + [transaction(100 + i) for i in range(size - 3)]
    with pytest.raises(Boom):
        writer.write_batch("transactions", records, source_system="pos", batch_id="atomic-1")
    monkeypatch.setattr(engine, "execute", real_execute)
    watched = ["bronze.scout_raw_transactions", "meta.bronze_rejections"]
    assert [t for t in appended if t in watched] == watched  # the fault came after the rows
    assert counts(engine) == before
    assert writer.batch_result("atomic-1") is None
    failure = engine.fetch_rows(
        "SELECT status, CAST(error_details AS VARCHAR) FROM bronze.neural_databank_raw_logs "
        "WHERE agent_id = 'bronze_writer' AND batch_id = 'atomic-1'"
    )
    assert len(failure) == 1 and failure[0][0] == "failed" and "Boom" in failure[0][1]
    # The same batch id goes through once the fault is gone.
    monkeypatch.setattr(engine, "append_arrow", real_append)
    result = writer.write_batch("transactions", records, source_system="pos", batch_id="atomic-1")
    assert (result.passed, result.failed, result.duplicates) == (size - 1, 1, 0)
    after = counts(engine)
    assert after["bronze.scout_raw_transactions"] == size
    assert after["meta.ingestion_batches"] == 1


def test_in_transaction_failure_rolls_the_batch_back(writer: BronzeWriter, engine: Engine) -> None:
    before = counts(engine)

    def hook(_result: Any) -> None:
        raise Boom("cursor commit failed")

    with pytest.raises(Boom):
        writer.write_batch("transactions", batch(), source_system="pos", in_transaction=hook)
    assert counts(engine) == before
    # Nothing was remembered as stored: the same records go in on the next try.
    result = writer.write_batch("transactions", batch(), source_system="pos")
    assert result.duplicates == 0 and result.passed == 2


def test_a_statement_failing_after_the_rows_leaves_nothing(
    writer: BronzeWriter, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = counts(engine)
    real_execute = engine.execute

    def failing_execute(sql: str, params: Any = None) -> None:
        if sql.startswith("INSERT INTO") and "ingestion_batches" in sql:
            raise Boom("lost connection")
        real_execute(sql, params)

    monkeypatch.setattr(engine, "execute", failing_execute)
    with pytest.raises(Boom):
        writer.write_batch("transactions", batch(), source_system="pos")
    monkeypatch.setattr(engine, "execute", real_execute)
    assert counts(engine) == before
