"""`databank kpi [NAME]`: the KPI catalog, or one KPI as a Rich table (or the API's JSON with --json)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import typer
from rich.table import Table as RichTable

from databank.cli.console import out, print_json

if TYPE_CHECKING:
    from databank.metrics import KpiResult, Metric

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

    grid = RichTable("metric", "unit", "table", "dimensions", "up is", "description", title="KPI catalog")
    grid.columns[0].no_wrap = True
    for metric in default_catalog():
        grid.add_row(
            metric.name, metric.unit, metric.table.removeprefix("gold."), ", ".join(metric.dimensions),
            "good" if metric.higher_is_better else "bad", metric.description,
        )
    return grid


def _result_table(result: KpiResult) -> RichTable:
    metric: Metric = result.metric
    query = result.query
    title = f"{metric.name} · {query.period.start}..{query.period.end} by {query.granularity}"
    if query.filters:
        title += " · " + ", ".join(c + "=" + "|".join(v) for c, v in query.filters)
    grid = RichTable("period", *query.dimensions, "value", title=title)
    grid.columns[-1].justify = "right"
    for point in result.time_series:
        dims = [point.dimensions.get(d) or "∅" for d in query.dimensions]
        grid.add_row(point.period, *dims, format_value(point.value, metric.unit))
    return grid


def _summary(result: KpiResult) -> None:
    metric, unit = result.metric, result.metric.unit
    previous = result.query.previous
    change = "—" if result.change_percentage is None else f"{result.change_percentage:+.2f} %"
    good = (result.trend == "up") == metric.higher_is_better
    colour = "white" if result.trend == "stable" else ("green" if good else "red")
    out.print(f"current   {format_value(result.current_value, unit)}")
    out.print(f"previous  {format_value(result.previous_period_value, unit)}  ({previous.start}..{previous.end})")
    out.print(f"change    {change}  [{colour}]{_TREND[result.trend]}[/]")
    if metric.benchmark is not None:
        out.print(f"benchmark {format_value(metric.benchmark, unit)}")


def kpi(
    name: str | None = typer.Argument(None, help="A metric of the catalog; omit to list the catalog."),
    date_range: str = typer.Option(
        "last_30_days", "--range", "-r",
        help="last_7_days, last_30_days, this_month, last_month, year_to_date, last_N_days or START..END.",
    ),
    granularity: str = typer.Option("day", "--granularity", "-g", help="hour, day, week (ISO) or month."),
    dimension: list[str] = typer.Option(
        [], "--dimension", "-d", help="Group by this dimension (repeatable)."
    ),
    filters: list[str] = typer.Option(
        [], "--filter", "-f", help="column=value (repeatable; a column repeated means any of its values)."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Anchor day of relative ranges: YYYY-MM-DD or latest (default: today, UTC)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the API's JSON (KPIResponse)."),
) -> None:
    """A KPI as a time series with current vs previous period, change and trend."""
    from databank.context import Databank
    from databank.metrics import default_catalog, kpi_service  # sqlglot: only when a KPI is asked

    if name is None:
        if as_json:
            print_json([m.describe() for m in default_catalog()])
        else:
            out.print(_catalog_table())
        return
    with Databank() as bank:
        result = kpi_service(bank).get(
            name,
            date_range=date_range,
            granularity=granularity,
            dimensions=dimension or None,
            filters=filters or None,
            as_of=as_of,
        )
    if as_json:
        print_json(result.to_dict())
        return
    out.print(_result_table(result))
    _summary(result)


def register(app: typer.Typer) -> None:
    """Add `kpi` to the CLI."""
    app.command()(kpi)
