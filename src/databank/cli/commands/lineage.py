"""`databank lineage TABLE [--column C]` and `databank explain TABLE --key k=v,…`."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import typer
from rich.table import Table as RichTable
from rich.tree import Tree

from databank.cli.console import out, print_json
from databank.cli.remote import Remote, api_key_file_option, api_key_option, api_option, connect
from databank.errors import ConfigError

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


def _local_only(remote: Remote, *, models_dir: Path | None, sync: bool) -> None:
    """Options that need the database in this process cannot go through a server."""
    given = [name for name, used in (("--models-dir", models_dir), ("--sync", sync)) if used]
    if given:
        raise ConfigError(
            f"{' and '.join(given)} need the database in this process, but {remote.describe()} "
            "holds it and uses its own models",
            f"drop {' and '.join(given)}, or stop the server first",
        )


def _as_json(data: Any) -> Any:
    """`data` as JSON gives it back (dates as ISO text, decimals as text): what the API answers."""
    return orjson.loads(orjson.dumps(data, default=str))


def _local_lineage(
    table: str, column: str | None, layer: str | None, sync: bool, models_dir: Path | None
) -> dict[str, Any]:
    from databank.context import Databank
    from databank.lineage.trace import column_lineage, trace
    from databank.transform.runner import Runner

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
    result: dict[str, Any] = _as_json(data)
    return result


def _remote_lineage(
    remote: Remote, table: str, column: str | None, layer: str | None
) -> dict[str, Any]:
    params = {k: v for k, v in (("layer", layer), ("column", column)) if v}
    data: dict[str, Any] = remote.get(f"/api/v1/lineage/trace/{quote(table, safe='')}", params)
    if column:
        lineage_of_column: dict[str, Any] = data["column_lineage"]
        return lineage_of_column
    data.pop("column_lineage", None)
    # The trace endpoint describes a model's logic by its edges; in-process, by the model's SQL.
    from databank.transform.loader import default_models_dir, load_models

    model = load_models(default_models_dir()).get(data["table_name"])
    if model is not None and model.sql is not None:
        data["transformation_logic"] = model.sql
    return data


def _local_explain(
    table: str, grain: dict[str, str], limit: int, models_dir: Path | None
) -> dict[str, Any]:
    from databank.context import Databank
    from databank.lineage.provenance import explain as explain_row
    from databank.transform.runner import Runner

    with Databank() as bank:
        runner = Runner.from_bank(bank, models_dir, events=None)
        data = explain_row(bank.engine, table, grain, runner.models, limit=limit)
    result: dict[str, Any] = _as_json(data)
    return result


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
    api: str | None = api_option(),
    api_key: str | None = api_key_option(),
    api_key_file: Path | None = api_key_file_option(),
) -> None:
    """Upstream and downstream tables of TABLE, or the origins of one of its columns."""
    remote = connect(api, api_key, api_key_file)
    if remote is not None:
        _local_only(remote, models_dir=models_dir, sync=sync)
        data = _remote_lineage(remote, table, column, layer)
    else:
        data = _local_lineage(table, column, layer, sync, models_dir)
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
    api: str | None = api_option(),
    api_key: str | None = api_key_option(),
    api_key_file: Path | None = api_key_file_option(),
) -> None:
    """The upstream rows, bronze records and ingestion batches behind one row, with checked totals."""
    grain = _parse_key(key)
    remote = connect(api, api_key, api_key_file)
    if remote is not None:
        _local_only(remote, models_dir=models_dir, sync=False)
        data = remote.get(
            f"/api/v1/lineage/explain/{quote(table, safe='')}",
            {"key": orjson.dumps(grain).decode(), "limit": limit},
        )
    else:
        data = _local_explain(table, grain, limit, models_dir)
    if as_json:
        print_json(data)
        return
    shown_key = ", ".join(f"{k}={v}" for k, v in data["key"].items())
    out.print(f"[bold]{data['table']}[/] row {shown_key}")
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
