"""0001: the spec's 28 tables in schemas bronze, silver, gold, platinum and meta."""

from __future__ import annotations

from databank.engines.base import Engine, quote_ident
from databank.migrations.model import Change, Migration
from databank.schema.model import LAYERS, load_schema


def apply(engine: Engine) -> list[Change]:
    """Create every schema and table of the DBML that does not exist yet."""
    changes = []
    engine.prepare()
    for layer in LAYERS:
        engine.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(layer)}")
    for table in load_schema().tables:
        statements = engine.create_table_sql(table)
        for statement in statements:
            engine.execute(statement)
        changes.append(
            Change(
                table_name=table.name,
                layer=table.layer,
                change_type="create_table",
                description=f"create {table.qualified} ({len(table.columns)} columns, "
                f"{len(statements) - 1} indexes) from the DBML",
                script=";\n".join(statements) + ";",
            )
        )
    return changes


MIGRATION = Migration(version="0001", name="initial_schema", apply=apply)
