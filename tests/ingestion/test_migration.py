"""Migration 0002: the uniform bronze envelope and the writer's meta tables, on every engine."""

from __future__ import annotations

from databank.engines import Engine
from databank.migrations.versions import v0002_bronze_envelope as m0002

ENVELOPE = {c.name for c in m0002.ENVELOPE}


def test_every_bronze_table_has_the_envelope(engine: Engine) -> None:
    assert len(m0002.BRONZE_TABLES) == 8
    for name in m0002.BRONZE_TABLES:
        columns = engine.column_types(f"bronze.{name}")
        assert set(columns) >= ENVELOPE, name
    for table in m0002.META_TABLES:
        assert engine.table_exists(table.qualified)
    _check_changes_recorded(engine)


def _check_changes_recorded(engine: Engine) -> None:
    rows = engine.fetch_rows(
        "SELECT table_name, change_type, backward_compatible FROM meta.neural_schema_evolution "
        "WHERE schema_version = '0002' AND change_type = 'add_column'"
    )
    by_table: dict[str, int] = {}
    for table, _kind, compatible in rows:
        assert compatible is True
        by_table[table] = by_table.get(table, 0) + 1
    # scout_raw_transactions had 6 envelope columns from the spec; the others fewer.
    assert by_table["scout_raw_transactions"] == len(ENVELOPE) - 6
    assert by_table["scout_raw_events"] == len(ENVELOPE) - 1  # only ingested_at existed
    assert set(by_table) == set(m0002.BRONZE_TABLES)


def test_defaults_and_idempotence(engine: Engine) -> None:
    engine.execute(
        "INSERT INTO bronze.scout_raw_events (id, event_type) VALUES "
        "('00000000-0000-0000-0000-000000000001', 'x')"
    )
    assert engine.fetch_rows(
        "SELECT validation_status, pii_masked FROM bronze.scout_raw_events"
    ) == [("pending", False)]
    engine.execute(
        "INSERT INTO bronze.neural_databank_raw_logs (id, agent_id) VALUES "
        "('00000000-0000-0000-0000-000000000002', 'transformer')"
    )
    assert (
        engine.fetch_value("SELECT validation_status FROM bronze.neural_databank_raw_logs")
        == "passed"
    )
    with engine.transaction():
        assert m0002.apply(engine) == []  # a second run changes nothing
