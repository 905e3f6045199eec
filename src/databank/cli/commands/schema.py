"""`databank init`, `databank status`, `databank schema`: the database and its tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table as RichTable

from databank.cli.console import out, print_json
from databank.cli.remote import (
    api_key_file_option,
    api_key_option,
    api_option,
    connect,
    refuse_while_served,
)

NOT_INITIALISED = "not initialised — run `databank init`"


def init() -> None:
    """Create the database, or upgrade it to the newest schema (safe to run again)."""
    from databank.context import Databank

    refuse_while_served("init")
    with Databank() as bank:
        applied = bank.init()
        url = bank.engine.redacted_url()
    if applied:
        out.print(f"applied migrations {', '.join(applied)} on {url}")
    else:
        out.print(f"schema up to date on {url}")


def _missing_file_report() -> dict[str, Any] | None:
    """The report for an embedded database file that does not exist yet (None if it exists).

    Opening it would create an empty file: `status` only looks.
    """
    from databank import __version__
    from databank.settings import load_settings

    url = load_settings().engine_url
    if not str(url).lower().startswith("duckdb:"):
        return None
    from databank.engines.duckdb import duckdb_path

    path = duckdb_path(str(url))
    if path == ":memory:" or Path(path).exists():
        return None
    return {
        "version": __version__,
        "engine": {"name": "duckdb", "url": url.redacted},
        "initialised": False,
        "last_migration": None,
        "layers": {},
        "tables": 0,
    }


def _local_status() -> dict[str, Any]:
    from databank.context import Databank

    report = _missing_file_report()
    if report is None:
        with Databank() as bank:
            report = bank.status()
    return report


def status(
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
    api: str | None = api_option(),
    api_key: str | None = api_key_option(),
    api_key_file: Path | None = api_key_file_option(),
) -> None:
    """Engine, version, row counts per table grouped by layer, and the last migration."""
    remote = connect(api, api_key, api_key_file)
    report = remote.get("/api/v1/status") if remote is not None else _local_status()
    if as_json:
        print_json(report)
        return
    out.print(f"[bold]Neural DataBank[/] {report['version']} on {report['engine']['url']}")
    last = report["last_migration"]
    if last is None:
        out.print(NOT_INITIALISED, markup=False)
        return
    out.print(f"last migration {last['version']} ({last['name']}) at {last['applied_at']}")
    grid = RichTable(title=f"{report['tables']} tables across {len(report['layers'])} layers")
    grid.add_column("layer")
    grid.add_column("table")
    grid.add_column("rows", justify="right")
    for layer, tables in report["layers"].items():
        for i, (name, rows) in enumerate(tables.items()):
            grid.add_row(layer if i == 0 else "", name, "missing" if rows is None else f"{rows:,}")
        grid.add_section()
    out.print(grid)


def schema(
    table: str | None = typer.Argument(None, help="A table (name or layer.name); all if omitted."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Show tables, or one table's columns and types as the schema defines them."""
    from databank.context import Databank

    if table is not None:
        refuse_while_served("schema")
    with Databank() as bank:
        model = bank.schema
        if table is None:
            rows = [{"table": t.qualified, "columns": len(t.columns)} for t in model.tables]
            if as_json:
                print_json(rows)
                return
            grid = RichTable("table", "columns")
            for row in rows:
                grid.add_row(row["table"], str(row["columns"]))
            out.print(grid)
            return
        spec = model.table(table)
        engine = bank.engine
        actual = engine.column_types(spec.qualified) if engine.table_exists(spec.qualified) else {}
    columns = [
        {
            "column": c.name,
            "type": str(c.type),
            "engine_type": actual.get(c.name),
            "primary_key": c.primary_key,
            "unique": c.unique,
            "default": None if c.default is None else str(c.default.value),
        }
        for c in spec.columns
    ]
    if as_json:
        print_json({"table": spec.qualified, "columns": columns})
        return
    grid = RichTable("column", "type", "engine type", "key", "default", title=spec.qualified)
    for c in columns:
        key = "pk" if c["primary_key"] else ("unique" if c["unique"] else "")
        grid.add_row(
            c["column"], c["type"], c["engine_type"] or "(not created)", key, c["default"] or ""
        )
    out.print(grid)


def register(app: typer.Typer) -> None:
    """Add these commands to the CLI."""
    app.command()(init)
    app.command()(status)
    app.command()(schema)
