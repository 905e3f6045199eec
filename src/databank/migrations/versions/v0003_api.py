"""0003: the REST API's own tables in `meta`: API keys, idempotency records, the ingestion queue.

The spec does not list these tables, so they are declared here rather than in the DBML. Types come
from the engine's own type map so the same statements run on DuckDB and PostgreSQL.
"""

from __future__ import annotations

from databank.engines.base import Engine
from databank.migrations.model import Change, Migration

API_KEYS = "meta.api_keys"
IDEMPOTENCY_KEYS = "meta.idempotency_keys"
INGESTION_QUEUE = "meta.ingestion_queue"


def _index(engine: Engine, name: str, table: str, columns: str) -> list[str]:
    """A btree index where the engine keeps secondary indexes (DuckDB scans without them)."""
    if not engine.capabilities.indexes:
        return []
    return [f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})"]


def _tables(engine: Engine) -> dict[str, tuple[str, list[str]]]:
    t = engine.type_map
    text, ts, integer, boolean = t["text"], t["timestamp"], t["integer"], t["boolean"]
    return {
        API_KEYS: (
            "bearer API keys: only a SHA-256 hash of each key is kept",
            [
                f"CREATE TABLE IF NOT EXISTS {API_KEYS} ("
                f"key_id {text} PRIMARY KEY, name {text}, key_hash {text} NOT NULL, "
                f"scopes {text} NOT NULL, created_at {ts} NOT NULL, last_used_at {ts}, "
                f"revoked_at {ts})",
            ],
        ),
        IDEMPOTENCY_KEYS: (
            "Idempotency-Key records: the first response per (API key, idempotency key)",
            [
                f"CREATE TABLE IF NOT EXISTS {IDEMPOTENCY_KEYS} ("
                f"principal {text} NOT NULL, idempotency_key {text} NOT NULL, "
                f"request_hash {text} NOT NULL, batch_id {text} NOT NULL, "
                f"status_code {integer} NOT NULL, response {text} NOT NULL, "
                f"created_at {ts} NOT NULL, expires_at {ts} NOT NULL, "
                "PRIMARY KEY (principal, idempotency_key))",
                *_index(engine, "ix_idempotency_keys_expires_at", IDEMPOTENCY_KEYS, "expires_at"),
            ],
        ),
        INGESTION_QUEUE: (
            "batches accepted with async_processing, kept until processed (survives restarts)",
            [
                f"CREATE TABLE IF NOT EXISTS {INGESTION_QUEUE} ("
                f"batch_id {text} PRIMARY KEY, source_type {text} NOT NULL, "
                f"source_system {text} NOT NULL, schema_version {text} NOT NULL, "
                f"quality_checks {boolean} NOT NULL, records {text} NOT NULL, "
                f"records_received {integer} NOT NULL, status {text} NOT NULL, "
                f"attempts {integer} NOT NULL DEFAULT 0, last_error {text}, principal {text}, "
                f"enqueued_at {ts} NOT NULL, started_at {ts}, finished_at {ts})",
                *_index(
                    engine, "ix_ingestion_queue_status", INGESTION_QUEUE, "status, enqueued_at"
                ),
            ],
        ),
    }


def apply(engine: Engine) -> list[Change]:
    """Create the three tables where they are missing."""
    changes = []
    for table, (description, statements) in _tables(engine).items():
        existed = engine.table_exists(table)
        for statement in statements:
            engine.execute(statement)
        if not existed:
            changes.append(
                Change(
                    table_name=table.split(".", 1)[1],
                    layer="meta",
                    change_type="create_table",
                    description=f"create {table}: {description}",
                    script=";\n".join(statements) + ";",
                )
            )
    return changes


MIGRATION = Migration(version="0003", name="api", apply=apply)
