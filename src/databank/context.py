"""The central object: settings plus the engine they name. CLI, API and DAL are thin shells over it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from databank import __version__
from databank.engines import Engine, connect, quote_table
from databank.migrations import runner
from databank.migrations.columns import current_schema
from databank.schema.model import LAYERS, Schema
from databank.settings import Settings, load_settings

if TYPE_CHECKING:
    from databank.ingestion.writer import BronzeWriter


@dataclass(frozen=True)
class TableStatus:
    """One table's row count."""

    name: str
    layer: str
    rows: int | None  # None: the table does not exist yet


class Databank:
    """One Neural DataBank installation: its settings, its engine, its schema."""

    def __init__(self, settings: Settings | None = None, engine: Engine | None = None) -> None:
        self.settings = settings or load_settings()
        self._engine = engine

    @property
    def engine(self) -> Engine:
        """The engine, opened on first use."""
        if self._engine is None:
            self._engine = connect(self.settings.engine_url)
        return self._engine

    @property
    def bronze(self) -> BronzeWriter:
        """The BronzeWriter on this engine (one per Databank; rebuilt if the engine was reopened)."""
        from databank.ingestion.writer import BronzeWriter

        writer = self.__dict__.get("_bronze")
        if writer is None or writer.engine is not self.engine:
            writer = self.__dict__["_bronze"] = BronzeWriter(self.engine, self.settings)
        return writer

    @cached_property
    def schema(self) -> Schema:
        """The schema as `init` builds it: the spec's tables plus the columns migrations add."""
        return current_schema()

    def init(self) -> list[str]:
        """Create or upgrade the database; returns the versions applied now (empty: up to date)."""
        return [m.version for m in runner.migrate(self.engine)]

    def status(self) -> dict[str, Any]:
        """Engine, version, row counts per table by layer, last migration."""
        engine = self.engine
        existing = {layer: engine.table_names(layer) for layer in LAYERS}
        tables = []
        for table in self.schema.tables:
            rows = None
            if table.name in existing[table.layer]:
                rows = engine.fetch_value(f"SELECT count(*) FROM {quote_table(table.qualified)}")
            tables.append(TableStatus(table.name, table.layer, rows))
        migrations = runner.applied(engine)
        last = migrations[-1] if migrations else None
        return {
            "version": __version__,
            "engine": {"name": engine.scheme, "url": engine.redacted_url()},
            "initialised": bool(migrations),
            "last_migration": {
                "version": last.version,
                "name": last.name,
                "applied_at": str(last.applied_at),
            }
            if last
            else None,
            "layers": {
                layer: {t.name: t.rows for t in tables if t.layer == layer} for layer in LAYERS
            },
            "tables": sum(1 for t in tables if t.rows is not None),
        }

    def close(self) -> None:
        """Release the engine."""
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def __enter__(self) -> Databank:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
