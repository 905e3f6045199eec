"""The spec's 28 tables exist on every engine with every column, the right type family and keys."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from databank.engines import Engine, quote_table
from databank.migrations import runner
from databank.migrations.model import Change, Migration
from databank.schema.model import LAYERS, load_schema

SPEC = "/work/shared/spec/neural_databank_etl_architecture.md"

# Engine type name (lower case) → the DBML type family it implements.
FAMILY_PATTERNS = {
    "uuid": r"^uuid$",
    "text": r"^(varchar|character varying|text)(\(\d+\))?$",
    "json": r"^(json|jsonb)$",
    "timestamp": r"^timestamp( without time zone)?$",
    "date": r"^date$",
    "numeric": r"^(numeric|decimal)(\(\d+,\d+\))?$",
    "integer": r"^(integer|bigint)$",
    "boolean": r"^boolean$",
    "array": r"^(varchar\[\]|character varying\[\])$",
}


def test_dbml_has_the_spec_tables() -> None:
    """28 tables: 8 bronze, 6 silver, 6 gold, 5 platinum, 3 meta; 13 refs."""
    schema = load_schema()
    counts = {layer: len(schema.layer(layer)) for layer in LAYERS}
    assert counts == {"bronze": 8, "silver": 6, "gold": 6, "platinum": 5, "meta": 3}
    assert len(schema.refs) == 13
    assert schema.table("gold.scout_kpi_revenue_daily").primary_key == ("date", "region", "channel")


def test_dbml_matches_the_spec_document() -> None:
    """Every `Table x {` and every column line of the spec is in the package's DBML."""
    try:
        spec = Path(SPEC).read_text(encoding="utf-8")
    except FileNotFoundError:
        pytest.skip("the shared spec is not next to this checkout")
    schema = load_schema()
    for match in re.finditer(r"^Table (\w+) \{(.*?)^\}", spec, re.S | re.M):
        table = schema.table(match[1])
        body = match[2].split("indexes {")[0]
        spec_columns = [
            line.split()[0]
            for line in body.strip().splitlines()
            if line.strip() and not line.strip().startswith("//")
        ]
        assert [c.name for c in table.columns] == spec_columns, table.name


def test_every_table_and_column_exists_with_its_type_family(engine: Engine) -> None:
    """After `init`, each DBML column exists with a type of the right family."""
    for table in load_schema().tables:
        actual = engine.column_types(table.qualified)
        # Later migrations may add columns (the bronze envelope); the spec's come first, in order.
        assert list(actual)[: len(table.columns)] == [c.name for c in table.columns], (
            table.qualified
        )
        for column in table.columns:
            engine_type = actual[column.name].lower()
            if column.type.is_array:
                assert engine_type in ("varchar[]", "character varying[]"), (
                    table.name,
                    column.name,
                )
                continue
            assert re.match(FAMILY_PATTERNS[column.type.family], engine_type), (
                table.qualified,
                column.name,
                engine_type,
            )
            if column.type.base == "numeric" and column.type.args:
                precision, scale = column.type.args
                got = re.search(r"\((\d+),(\d+)\)$", engine_type)
                assert got, (column.name, engine_type)
                # same scale; a precision may only have been widened by a recorded migration
                assert int(got[2]) == scale, (column.name, engine_type)
                assert int(got[1]) >= precision, (column.name, engine_type)
                if int(got[1]) > precision:
                    widened = engine.fetch_value(
                        "SELECT count(*) FROM meta.neural_schema_evolution "
                        "WHERE table_name = $t AND change_type <> 'create_table'",
                        {"t": table.name},
                    )
                    assert widened, (
                        f"{table.qualified}.{column.name} widened without a migration record"
                    )


def _insert_customer(engine: Engine, customer_id: str, email: str) -> None:
    engine.execute(
        "INSERT INTO silver.scout_clean_customers (customer_id, email) VALUES ($c, $e)",
        {"c": customer_id, "e": email},
    )


def test_primary_keys_reject_duplicates(engine: Engine) -> None:
    """A single-column and a composite primary key each refuse a second identical key."""
    row_id = str(uuid.uuid4())
    engine.execute("INSERT INTO bronze.scout_raw_transactions (id) VALUES ($i)", {"i": row_id})
    with pytest.raises(Exception, match=r"(?i)(duplicate|constraint|unique)"):
        engine.execute("INSERT INTO bronze.scout_raw_transactions (id) VALUES ($i)", {"i": row_id})
    insert = (
        "INSERT INTO meta.transform_watermarks (model, source_table, watermark_column) "
        "VALUES ('gold.x', $t, 'ingested_at')"
    )
    engine.execute(insert, {"t": "bronze.a"})
    engine.execute(insert, {"t": "bronze.b"})  # a different key is fine
    with pytest.raises(Exception, match=r"(?i)(duplicate|constraint|unique)"):
        engine.execute(insert, {"t": "bronze.a"})
    assert engine.count_rows("meta.transform_watermarks") == 2


def test_model_layers_keep_their_keys_where_the_engine_does(engine: Engine) -> None:
    """PostgreSQL keeps the spec's keys on silver and gold (composite, primary and unique);
    DuckDB leaves them off, in new databases and, through migration 0011, in old ones: the
    runner's unique tests prove the grain instead (tests/transform/test_checks.py)."""
    tables = (
        "gold.scout_kpi_revenue_daily",
        "silver.scout_clean_transactions",
        "meta.customer_id_map",  # written by a model too
        "meta.customer_activity",  # created by migration 0013 for a model
        "meta.campaign_touches",  # created by migration 0015 for a model
    )
    keys = {t: engine.unique_keys(t) for t in tables}
    # meta tables no model writes keep their keys everywhere
    assert engine.unique_keys("meta.exchange_rates") == (("currency", "rate_date"),)
    if not engine.capabilities.model_keys:
        assert keys == dict.fromkeys(tables, ())
        return
    assert keys == {
        "gold.scout_kpi_revenue_daily": (("date", "region", "channel"),),
        "silver.scout_clean_transactions": (("id",), ("transaction_id",)),
        "meta.customer_id_map": (("source_customer_id", "customer_id"),),
        "meta.customer_activity": (("customer_id", "day"),),
        "meta.campaign_touches": (("interaction_id",),),
    }
    insert = (
        "INSERT INTO gold.scout_kpi_revenue_daily (date, region, channel, total_revenue) "
        "VALUES (DATE '2025-01-01', 'north', $c, 10)"
    )
    engine.execute(insert, {"c": "online"})
    engine.execute(insert, {"c": "store"})  # a different key is fine
    with pytest.raises(Exception, match=r"(?i)(duplicate|constraint|unique)"):
        engine.execute(insert, {"c": "online"})
    _insert_customer(engine, "c1", "tok_a")
    with pytest.raises(Exception, match=r"(?i)(duplicate|constraint|unique)"):
        _insert_customer(engine, "c2", "tok_a")  # email [unique]


def test_defaults_work(engine: Engine) -> None:
    """`now()`, 'pending', false and 1.0 defaults from the DBML apply on insert."""
    row_id = str(uuid.uuid4())
    engine.execute("INSERT INTO bronze.scout_raw_transactions (id) VALUES ($i)", {"i": row_id})
    status, ingested = engine.fetch_rows(
        "SELECT validation_status, ingested_at FROM bronze.scout_raw_transactions WHERE id = $i",
        {"i": row_id},
    )[0]
    assert status == "pending"
    assert ingested is not None
    engine.execute("INSERT INTO bronze.scout_raw_customers (id) VALUES ($i)", {"i": row_id})
    assert engine.fetch_value("SELECT pii_masked FROM bronze.scout_raw_customers") is False
    engine.execute(
        "INSERT INTO silver.scout_clean_transactions (id, transaction_id) VALUES ($i, 'x')",
        {"i": row_id},
    )
    assert (
        float(engine.fetch_value("SELECT data_quality_score FROM silver.scout_clean_transactions"))
        == 1.0
    )
    engine.execute("INSERT INTO platinum.neural_anomalies (anomaly_id) VALUES ($i)", {"i": row_id})
    assert engine.fetch_value("SELECT status FROM platinum.neural_anomalies") == "new"


def test_init_is_idempotent(engine: Engine) -> None:
    """A second migrate applies nothing and adds no evolution rows."""
    before = engine.count_rows("meta.neural_schema_evolution")
    assert before >= 28
    assert runner.migrate(engine) == []
    assert engine.count_rows("meta.neural_schema_evolution") == before


def test_new_migration_applies_once_and_is_logged(engine: Engine) -> None:
    """A migration added later runs once, leaves one evolution row per change, and not again."""
    calls = []

    def add_column(eng: Engine) -> list[Change]:
        calls.append(1)
        eng.execute(
            f"ALTER TABLE {quote_table('gold.ces_kpi_satisfaction_scores')} ADD COLUMN IF NOT EXISTS nps_note VARCHAR"
        )
        return [
            Change("ces_kpi_satisfaction_scores", "gold", "add_column", "add nps_note", "ALTER …")
        ]

    extra = Migration(version="9001", name="test_add_column", apply=add_column)
    all_migrations = [*runner.discover(), extra]
    assert [m.version for m in runner.migrate(engine, all_migrations)] == ["9001"]
    assert runner.migrate(engine, all_migrations) == []
    assert calls == [1]
    rows = engine.fetch_rows(
        "SELECT table_name, layer, change_type, backward_compatible FROM meta.neural_schema_evolution "
        "WHERE schema_version = '9001'"
    )
    assert rows == [("ces_kpi_satisfaction_scores", "gold", "add_column", True)]
    assert "nps_note" in engine.column_types("gold.ces_kpi_satisfaction_scores")


def test_failed_migration_leaves_nothing(engine: Engine) -> None:
    """A migration that fails midway is rolled back and not recorded."""

    def broken(eng: Engine) -> list[Change]:
        eng.execute("CREATE TABLE meta.half_done (x INTEGER)")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        runner.migrate(engine, [*runner.discover(), Migration("9002", "broken", broken)])
    assert not engine.table_exists("meta.half_done")
    assert "9002" not in [m.version for m in runner.applied(engine)]


@pytest.mark.postgres
def test_postgres_has_the_spec_indexes(pg_database: str) -> None:
    """btree, GIN and GiST (pg_trgm) indexes of the DBML exist on PostgreSQL."""
    from databank.engines import connect

    with connect(pg_database) as pg:
        runner.migrate(pg)
        rows = pg.fetch_rows(
            "SELECT schemaname, tablename, indexdef FROM pg_indexes "
            "WHERE schemaname IN ('bronze','silver','gold','platinum','meta')"
        )
    defs = [r[2] for r in rows]
    expected = sum(1 for t in load_schema().tables for i in t.indexes)
    # every declared index (unique ones are constraints) plus one primary key per table
    assert len(defs) >= expected + 28
    assert any("USING gist (feedback_text gist_trgm_ops)" in d for d in defs)
    assert any("USING gin (transaction_data)" in d for d in defs)
    assert any("USING gin (media_channels)" in d for d in defs)
    assert any("scout_kpi_revenue_daily_pkey" in d and "(date, region, channel)" in d for d in defs)


def test_migrating_an_empty_database(raw_engine: Engine) -> None:
    """From nothing, migrate creates the 28 tables and records each one."""
    assert runner.applied(raw_engine) == []
    applied = runner.migrate(raw_engine)
    assert applied and applied[0].version == "0001"
    for table in load_schema().tables:
        assert raw_engine.table_exists(table.qualified), table.qualified
    created = raw_engine.fetch_value(
        "SELECT count(*) FROM meta.neural_schema_evolution WHERE schema_version = '0001'"
    )
    assert created == 28


def test_dropping_keys_keeps_columns_rows_defaults_and_not_nulls(engine: Engine) -> None:
    """`engine.drop_keys` on each engine (DuckDB rebuilds the table, PostgreSQL drops the
    constraints): the keys go, everything else stays."""
    table = "meta.exchange_rates"
    columns = list(engine.column_types(table))
    engine.execute(
        f"INSERT INTO {table} (currency, rate_date, rate_per_eur, published_date, source) "
        "VALUES ('XTS', DATE '2025-01-02', 1.5, DATE '2025-01-02', 'test')"
    )
    before = engine.count_rows(table)
    engine.drop_keys(table)
    assert engine.unique_keys(table) == ()
    assert list(engine.column_types(table)) == columns
    assert engine.count_rows(table) == before
    engine.execute(  # a key value twice is now accepted; the default still fills updated_at
        f"INSERT INTO {table} (currency, rate_date, rate_per_eur, published_date, source) "
        "VALUES ('XTS', DATE '2025-01-02', 1.6, DATE '2025-01-02', 'test')"
    )
    assert engine.fetch_value(f"SELECT count(updated_at) FROM {table} WHERE currency = 'XTS'") == 2
    with pytest.raises(Exception, match=r"(?i)not.null"):
        engine.execute(
            f"INSERT INTO {table} (currency, rate_date, published_date, source) "
            "VALUES ('XTS', DATE '2025-01-03', DATE '2025-01-03', 'test')"
        )
