"""`databank kpi [NAME]`: the KPI catalog, or one KPI as a Rich table (or the API's JSON with --json)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import typer
from rich.table import Table as RichTable

from databank.cli.console import out, print_json
from databank.cli.remote import Remote, api_key_file_option, api_key_option, api_option, connect

_TREND = {"up": "▲ up", "down": "▼ down", "stable": "■ stable"}


def format_value(value: Decimal | float | None, unit: str) -> str:
    """A value for people: 1,234.56 · 5.23 % · 1,204 · 0.8123 · 12.50 s · 3.25 h; — when null."""
    if value is None:
        return "—"
    number = Decimal(str(value))
    if unit == "currency":
        return f"{number:,.2f}"
    if unit == "percent":
        return f"{number * 100:,.2f} %"
    if unit == "count":
        return f"{number:,.0f}" if number == number.to_integral_value() else f"{number:,.2f}"
    if unit in ("seconds", "hours"):
        return f"{number:,.2f} {'s' if unit == 'seconds' else 'h'}"
    return f"{number:,.4f}"


def _catalog_table() -> RichTable:
    from databank.metrics import default_catalog

    grid = RichTable(
        "metric", "unit", "table", "dimensions", "up is", "description", title="KPI catalog"
    )
    grid.columns[0].no_wrap = True
    for metric in default_catalog():
        grid.add_row(
            metric.name,
            metric.unit,
            metric.table.removeprefix("gold."),
            ", ".join(metric.dimensions),
            "good" if metric.higher_is_better else "bad",
            metric.description,
        )
    return grid


def _result_table(result: dict[str, Any]) -> RichTable:
    """The series as a table, from the KPIResponse JSON (the same in-process and over the API)."""
    period = result["period"]
    dimensions = result["dimensions"]
    title = (
        f"{result['metric_name']} · {period['start']}..{period['end']} by {result['granularity']}"
    )
    if result["filters"]:
        title += " · " + ", ".join(c + "=" + "|".join(v) for c, v in result["filters"].items())
    grid = RichTable("period", *dimensions, "value", title=title)
    grid.columns[-1].justify = "right"
    for point in result["time_series"]:
        dims = [point["dimensions"].get(d) or "∅" for d in dimensions]
        grid.add_row(point["period"], *dims, format_value(point["value"], result["unit"]))
    return grid


def _summary(result: dict[str, Any]) -> None:
    unit, trend, previous = result["unit"], result["trend"], result["previous_period"]
    change = result["change_percentage"]
    shown = "—" if change is None else f"{Decimal(str(change)):+.2f} %"
    good = (trend == "up") == result["higher_is_better"]
    colour = "white" if trend == "stable" else ("green" if good else "red")
    out.print(f"current   {format_value(result['current_value'], unit)}")
    out.print(
        f"previous  {format_value(result['previous_period_value'], unit)}  "
        f"({previous['start']}..{previous['end']})"
    )
    out.print(f"change    {shown}  [{colour}]{_TREND[trend]}[/]")
    if result["benchmark"] is not None:
        out.print(f"benchmark {format_value(result['benchmark'], unit)}")


def _remote_kpi(remote: Remote, name: str, params: dict[str, Any]) -> dict[str, Any]:
    query = [(k, v) for k, v in params.items() if v is not None and not isinstance(v, list)]
    query += [("dimensions", d) for d in params["dimensions"]]
    query += [("filters", f) for f in params["filters"]]
    answer: dict[str, Any] = remote.get(f"/api/v1/metrics/kpi/{quote(name, safe='')}", query)
    return answer


def kpi(
    name: str | None = typer.Argument(
        None, help="A metric of the catalog; omit to list the catalog."
    ),
    date_range: str = typer.Option(
        "last_30_days",
        "--range",
        "-r",
        help="last_7_days, last_30_days, this_month, last_month, year_to_date, last_N_days or START..END.",
    ),
    granularity: str = typer.Option(
        "day", "--granularity", "-g", help="hour, day, week (ISO) or month."
    ),
    dimension: list[str] = typer.Option(
        [], "--dimension", "-d", help="Group by this dimension (repeatable)."
    ),
    filters: list[str] = typer.Option(
        [],
        "--filter",
        "-f",
        help="column=value (repeatable; a column repeated means any of its values).",
    ),
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help="Anchor day of relative ranges: YYYY-MM-DD or latest (default: today, UTC).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the API's JSON (KPIResponse)."),
    api: str | None = api_option(),
    api_key: str | None = api_key_option(),
    api_key_file: Path | None = api_key_file_option(),
) -> None:
    """A KPI as a time series with current vs previous period, change and trend."""
    if name is None:
        from databank.metrics import default_catalog  # the catalog is package data: no database

        if as_json:
            print_json([m.describe() for m in default_catalog()])
        else:
            out.print(_catalog_table())
        return
    params: dict[str, Any] = {
        "date_range": date_range,
        "granularity": granularity,
        "dimensions": dimension,
        "filters": filters,
        "as_of": as_of,
    }
    remote = connect(api, api_key, api_key_file)
    if remote is not None:
        result = _remote_kpi(remote, name, params)
    else:
        from databank.context import Databank
        from databank.metrics import kpi_service  # sqlglot: only when a KPI is computed here

        with Databank() as bank:
            params.update(dimensions=dimension or None, filters=filters or None)
            result = kpi_service(bank).get(name, **params).to_dict()
    if as_json:
        print_json(result)
        return
    out.print(_result_table(result))
    _summary(result)


def register(app: typer.Typer) -> None:
    """Add `kpi` to the CLI."""
    app.command()(kpi)
