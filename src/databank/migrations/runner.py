"""Apply pending migrations once each, recording them in `meta.neural_schema_evolution`.

Which migrations ran is kept in `meta.schema_migrations` (a ledger the spec does not list); the
spec's evolution table gets one row per table a migration changed.
"""

from __future__ import annotations

import importlib
import pkgutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from databank.engines.base import Engine
from databank.migrations import versions
from databank.migrations.model import Migration
from databank.schema.model import LAYERS

LEDGER = "meta.schema_migrations"
_LOCK_ID = (
    0x0DA7AB4E  # PostgreSQL advisory lock: two `databank init` at once apply each migration once
)


@dataclass(frozen=True)
class AppliedMigration:
    """A migration the ledger says has run."""

    version: str
    name: str
    applied_at: object


def discover() -> list[Migration]:
    """The package's migrations in version order."""
    found = []
    for info in pkgutil.iter_modules(versions.__path__):
        module = importlib.import_module(f"{versions.__name__}.{info.name}")
        found.append(module.MIGRATION)
    found.sort(key=lambda m: m.key)
    versions_seen = [m.version for m in found]
    if len(set(versions_seen)) != len(versions_seen):
        raise RuntimeError(f"two migrations share a version: {versions_seen}")
    return found


def _ensure_ledger(engine: Engine) -> None:
    engine.execute('CREATE SCHEMA IF NOT EXISTS "meta"')
    engine.execute(
        f"CREATE TABLE IF NOT EXISTS {LEDGER} ("
        "version VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, "
        f"applied_at TIMESTAMP DEFAULT {engine.now_sql})"
    )


def applied(engine: Engine) -> list[AppliedMigration]:
    """Migrations already applied, oldest first (empty when the database is new)."""
    if not engine.table_exists(LEDGER):
        return []
    rows = engine.fetch_rows(f"SELECT version, name, applied_at FROM {LEDGER} ORDER BY version")
    return [AppliedMigration(*row) for row in rows]


def migrate(engine: Engine, migrations: Sequence[Migration] | None = None) -> list[Migration]:
    """Apply every pending migration, each in its own transaction; returns those applied now."""
    migrations = discover() if migrations is None else sorted(migrations, key=lambda m: m.key)
    _ensure_ledger(engine)
    done_now = []
    for migration in migrations:
        with engine.transaction():
            if engine.capabilities.concurrent_processes:
                engine.execute(f"SELECT pg_advisory_xact_lock({_LOCK_ID})")
            already = engine.fetch_value(
                f"SELECT count(*) FROM {LEDGER} WHERE version = $v", {"v": migration.version}
            )
            if already:
                continue
            changes = migration.apply(engine)
            for change in changes:
                if change.layer not in LAYERS:
                    raise ValueError(f"migration {migration.version}: unknown layer {change.layer}")
                engine.execute(
                    "INSERT INTO meta.neural_schema_evolution (evolution_id, table_name, layer, "
                    "schema_version, change_type, change_description, migration_script, "
                    "backward_compatible) VALUES ($id, $t, $l, $v, $ct, $d, $s, $bc)",
                    {
                        "id": str(uuid.uuid4()),
                        "t": change.table_name,
                        "l": change.layer,
                        "v": migration.version,
                        "ct": change.change_type,
                        "d": change.description,
                        "s": change.script,
                        "bc": change.backward_compatible,
                    },
                )
            engine.execute(
                f"INSERT INTO {LEDGER} (version, name) VALUES ($v, $n)",
                {"v": migration.version, "n": migration.name},
            )
        done_now.append(migration)
    if done_now and engine.dialect == "duckdb":
        # DuckDB 1.5.5 cannot replay a WAL holding `ADD COLUMN … DEFAULT now()`: a process killed
        # before its next checkpoint would leave a file that no longer opens. Checkpoint now.
        engine.execute("CHECKPOINT")
    return done_now
