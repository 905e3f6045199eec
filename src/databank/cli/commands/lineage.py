"""`databank lineage TABLE [--column C]` and `databank explain TABLE --key k=v,…`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table as RichTable
from rich.tree import Tree

from databank.cli.console import out, print_json
from databank.context import Databank
from databank.errors import ConfigError
from databank.lineage.provenance import explain as explain_row
from databank.lineage.trace import column_lineage, trace
from databank.transform.runner import Runner

_MODELS_DIR = typer.Option(
    None, "--models-dir", help="Folder of <layer>/<table>.sql models (default: the package's)."
)
_JSON = typer.Option(False, "--json", help="Print JSON for scripts.")


def _column_tree(node: dict[str, Any], tree: Tree) -> None:
    for source in node["sources"]:
        label = f"{source['table']}" + (f".{source['column']}" if source["column"] else "")
        branch = tree.add(
            f"[bold]{label}[/]  [dim]{source['transformation_type']}: {source['transformation_logic']}[/]"
        )
        _column_tree(source, branch)


def lineage(
    table: str = typer.Argument(..., help="A table: layer.table, or a bare table name."),
    column: str | None = typer.Option(
        None, "--column", help="Walk one column back to its origins."
    ),
    layer: str | None = typer.Option(
        None, "--layer", help="The table's layer, if the name is bare."
    ),
    sync: bool = typer.Option(
        False, "--sync", help="Rebuild the lineage table from the models first."
    ),
    models_dir: Path | None = _MODELS_DIR,
    as_json: bool = _JSON,
) -> None:
    """Upstream and downstream tables of TABLE, or the origins of one of its columns."""
    with Databank() as bank:
        runner = Runner.from_bank(bank, models_dir, events=None)
        empty = not bank.engine.fetch_value("SELECT count(*) FROM meta.neural_data_lineage")
        if sync or empty:
            runner.sync_lineage()
        data = (
            column_lineage(bank.engine, table, column)
            if column
            else trace(bank.engine, table, layer, runner.models)
        )
    if as_json:
        print_json(data)
        return
    if column:
        tree = Tree(f"[bold]{data['table']}.{data['column']}[/]")
        _column_tree(data, tree)
        out.print(tree)
        origins = ", ".join(
            f"{o['table']}" + (f".{o['column']}" if o["column"] else "") for o in data["origins"]
        )
        out.print(f"origins: {origins or '(none recorded)'}")
        return
    out.print(
        f"[bold]{data['table_name']}[/] ({data['layer']}), last updated {data['last_updated'] or 'never'}"
    )
    for title, key in (
        ("upstream", "upstream_dependencies"),
        ("downstream", "downstream_dependencies"),
    ):
        grid = RichTable("depth", "table", "layer", "relationship", "transformation", title=title)
        for node in data[key]:
            grid.add_row(
                str(node["depth"]),
                node["table_name"],
                node["layer"],
                node["relationship_type"],
                node["transformation_applied"][:120],
            )
        out.print(grid)


def _parse_key(text: str) -> dict[str, str]:
    key: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise ConfigError(
                f"--key part {part!r} is not column=value",
                "write --key date=2025-01-12,region=north",
            )
        key[name.strip()] = value.strip()
    return key


def explain(
    table: str = typer.Argument(..., help="A model's table, e.g. gold.scout_kpi_revenue_daily."),
    key: str = typer.Option(..., "--key", help="The row's grain: column=value,column=value"),
    limit: int = typer.Option(
        50, "--limit", min=1, help="Rows and records to list (totals use all)."
    ),
    models_dir: Path | None = _MODELS_DIR,
    as_json: bool = _JSON,
) -> None:
    """The upstream rows, bronze records and ingestion batches behind one row, with checked totals."""
    with Databank() as bank:
        runner = Runner.from_bank(bank, models_dir, events=None)
        data = explain_row(bank.engine, table, _parse_key(key), runner.models, limit=limit)
    if as_json:
        print_json(data)
        return
    out.print(f"[bold]{data['table']}[/] row {data['key']}")
    out.print(
        f"{data['upstream_row_count']:,} row(s) of {data['upstream_table']} where {data['filter']}"
    )
    grid = RichTable("measure", "stored", "sum of rows", "adds up", title="totals")
    for name, total in data["totals"].items():
        grid.add_row(
            name,
            str(total["stored"]),
            str(total["from_rows"]),
            "[green]yes[/]" if total["matches"] else "[bold red]NO[/]",
        )
    out.print(grid)
    if data["upstream_rows"]:
        rows = RichTable(
            *data["upstream_rows"][0].keys(), title=f"{data['upstream_table']} (first {limit})"
        )
        for row in data["upstream_rows"]:
            rows.add_row(*(str(v) for v in row.values()))
        out.print(rows)
    if data["bronze_table"]:
        out.print(f"{len(data['bronze_records'])} record(s) of {data['bronze_table']} in batches:")
        for batch in data["batches"]:
            out.print(f"  {batch['batch_id']}: {batch['records']} record(s)")


def register(app: typer.Typer) -> None:
    """Add `lineage` and `explain` to the CLI."""
    app.command()(lineage)
    app.command()(explain)
