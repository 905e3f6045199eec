"""0002: a uniform envelope on the eight bronze tables, and the meta tables the BronzeWriter needs.

Bronze: every table gets the same envelope columns (only those it lacks are added, as
backward-compatible `add_column` changes): source_system, ingested_at, validation_status,
quality_score, schema_version, partition_key, pii_masked, batch_id, record_key (the natural key),
payload_hash (SHA-256 of the record as received) and record_index (position in its batch).
`validation_status` defaults to 'pending', except on neural_databank_raw_logs where it defaults to
'passed': platform agents (the transformer, the writer itself) log there directly, not through a
contract, and silver reads only passed rows.

Meta: `ingestion_batches` (one row per committed batch: the idempotency ledger and its result),
`bronze_rejections` (why a record failed: record index, field, reason), `bronze_drift_fields`
(unknown fields seen per source type: drift is logged once per field) and `bronze_replay_staging`
(set-based updates during `replay_failed`). Duplicate detection needs no ledger of its own: a
bronze row's `id` is derived from (source type, source system, natural key, payload hash), so the
bronze primary key is the dedup ledger.
"""

from __future__ import annotations

from databank.engines.base import Engine, quote_ident, quote_table
from databank.migrations.model import Change, Migration
from databank.schema.model import Column, ColumnType, Default, Index, Table

BRONZE_TABLES = (
    "scout_raw_transactions",
    "scout_raw_customers",
    "scout_raw_products",
    "scout_raw_campaigns",
    "scout_raw_events",
    "ces_raw_feedback",
    "ces_raw_interactions",
    "neural_databank_raw_logs",
)


def _col(name: str, type_: str, default: Default | None = None, pk: bool = False) -> Column:
    return Column(name, ColumnType.parse(type_), primary_key=pk, default=default)


_NOW = Default("now()", is_expression=True)
ENVELOPE: tuple[Column, ...] = (
    _col("source_system", "varchar"),
    _col("ingested_at", "timestamp", _NOW),
    _col("validation_status", "varchar", Default("pending")),
    _col("quality_score", "numeric"),
    _col("schema_version", "varchar"),
    _col("partition_key", "date"),
    _col("pii_masked", "boolean", Default(False)),
    _col("batch_id", "varchar"),
    _col("record_key", "varchar"),
    _col("payload_hash", "varchar"),
    _col("record_index", "integer"),
)

META_TABLES: tuple[Table, ...] = (
    Table(
        "ingestion_batches",
        "meta",
        (
            _col("batch_id", "varchar", pk=True),
            _col("source_type", "varchar"),
            _col("source_system", "varchar"),
            _col("schema_version", "varchar"),
            _col("bronze_table", "varchar"),
            _col("records_received", "integer"),
            _col("passed", "integer"),
            _col("failed", "integer"),
            _col("pending", "integer"),
            _col("duplicates", "integer"),
            _col("quality_score", "numeric"),
            _col("validation_status", "varchar"),
            _col("processing_time_ms", "numeric"),
            _col("result", "jsonb"),
            _col("created_at", "timestamp", _NOW),
        ),
        (Index(("source_type", "created_at")),),
    ),
    Table(
        "bronze_rejections",
        "meta",
        (
            _col("bronze_id", "uuid"),
            _col("bronze_table", "varchar"),
            _col("source_type", "varchar"),
            _col("source_system", "varchar"),
            _col("schema_version", "varchar"),
            _col("batch_id", "varchar"),
            _col("record_index", "integer"),
            _col("field", "varchar"),
            _col("reason", "text"),
            _col("check_kind", "varchar"),
            _col("rejected_at", "timestamp", _NOW),
            _col("resolved_at", "timestamp"),
        ),
        (Index(("bronze_id",)), Index(("batch_id",)), Index(("source_type", "resolved_at"))),
    ),
    Table(
        "bronze_drift_fields",
        "meta",
        (
            _col("source_type", "varchar", pk=True),
            _col("field_name", "varchar", pk=True),
            _col("schema_version", "varchar"),
            _col("source_system", "varchar"),
            _col("first_batch_id", "varchar"),
            _col("first_seen_at", "timestamp", _NOW),
        ),
    ),
    Table(
        "bronze_replay_staging",
        "meta",
        (
            _col("replay_id", "varchar"),
            _col("bronze_id", "uuid"),
            _col("validation_status", "varchar"),
            _col("quality_score", "numeric"),
            _col("schema_version", "varchar"),
            _col("errors", "jsonb"),
            _col("flags", "varchar[]"),
        ),
    ),
)


def _add_columns(engine: Engine, name: str) -> list[Change]:
    qualified = f"bronze.{name}"
    existing = engine.column_types(qualified)
    changes = []
    for column in ENVELOPE:
        if column.name in existing:
            continue
        if name == "neural_databank_raw_logs" and column.name == "validation_status":
            # Platform agents (transformer, writer) log here directly, not through a contract.
            column = _col("validation_status", "varchar", Default("passed"))
        sql = f"ALTER TABLE {quote_table(qualified)} ADD COLUMN {quote_ident(column.name)} "
        sql += engine.render_type(column.type)
        default = engine.render_default(column)
        if default is not None:
            sql += f" DEFAULT {default}"
        engine.execute(sql)
        changes.append(
            Change(
                name,
                "bronze",
                "add_column",
                f"bronze envelope: add {column.name} {column.type} to {qualified}",
                sql + ";",
            )
        )
    if engine.capabilities.indexes and "batch_id" not in existing:  # indexes come with batch_id
        for index_name, sql in (
            (f"ix_{name}_batch_id", f"({quote_ident('batch_id')})"),
            (f"ix_{name}_not_passed", f"({quote_ident('id')}) WHERE validation_status <> 'passed'"),
        ):
            statement = (
                f"CREATE INDEX IF NOT EXISTS {quote_ident(index_name)} "
                f"ON {quote_table(qualified)} {sql}"
            )
            engine.execute(statement)
            changes.append(Change(name, "bronze", "create_index", f"index {index_name}", statement))
    return changes


def apply(engine: Engine) -> list[Change]:
    """Add the envelope to bronze and create the writer's meta tables (skipping what exists)."""
    changes = []
    for name in BRONZE_TABLES:
        changes += _add_columns(engine, name)
    for table in META_TABLES:
        if engine.table_exists(table.qualified):
            continue
        statements = engine.create_table_sql(table)
        for statement in statements:
            engine.execute(statement)
        changes.append(
            Change(
                table.name,
                "meta",
                "create_table",
                f"create {table.qualified} for the BronzeWriter",
                ";\n".join(statements) + ";",
            )
        )
    return changes


MIGRATION = Migration(version="0002", name="bronze_envelope", apply=apply)
