"""0005: `meta.table_versions`, the refresh counter per table that caches check."""

from __future__ import annotations

from databank.engines.base import Engine
from databank.migrations.model import Change, Migration

DDL = (
    "CREATE TABLE IF NOT EXISTS meta.table_versions ("
    "table_name VARCHAR PRIMARY KEY, version BIGINT NOT NULL DEFAULT 1, "
    "refreshed_at TIMESTAMP DEFAULT {now})"
)


def apply(engine: Engine) -> list[Change]:
    """Create the table-version counter."""
    script = DDL.format(now=engine.now_sql)
    engine.execute(script)
    return [
        Change(
            "table_versions",
            "meta",
            "create_table",
            "refresh counter per table, for cache invalidation",
            script,
        )
    ]


MIGRATION = Migration(version="0005", name="table_versions", apply=apply)
