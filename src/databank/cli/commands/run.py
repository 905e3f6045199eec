"""`databank run [MODEL…] [--full-refresh] [--select LAYER]`: run the silver and gold models."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from databank.cli.console import err, out, print_json
from databank.cli.remote import refuse_while_served
from databank.context import Databank
from databank.transform.report import FAILED, SKIPPED, ModelResult, RunReport
from databank.transform.runner import Runner

_STYLE = {"success": "green", "failed": "bold red", "skipped": "yellow"}


def _line(result: ModelResult) -> str:
    style = _STYLE.get(result.status, "")
    detail = f"{result.mode}, {result.rows:,} rows"
    if result.partitions:
        detail += f", {result.partitions:,} {'keys' if result.mode == 'merge' else 'partitions'}"
    warned = [c.name for c in result.checks if c.status == "warn"]
    if warned:
        detail += f", [yellow]warn: {', '.join(warned)}[/]"
    if result.status == FAILED:
        detail = f"[red]{result.error}[/]"
    elif result.status == SKIPPED:
        detail = result.reason or "skipped"
    return f"[{style}]{result.status:>7}[/] {result.model}  {detail}  ({result.seconds:.2f}s)"


def _summary(report: RunReport) -> None:
    grid = RichTable(title=f"run {report.run_id} — {report.status} in {report.seconds:.2f}s")
    for column in ("model", "status", "mode", "rows", "partitions", "tests", "seconds"):
        grid.add_column(
            column, justify="right" if column in ("rows", "partitions", "seconds") else "left"
        )
    for m in report.models:
        tests = ", ".join(f"{c.name}={c.status}" for c in m.checks if c.status != "pass") or (
            f"{len(m.checks)} passed" if m.checks else ""
        )
        grid.add_row(
            m.model,
            f"[{_STYLE.get(m.status, '')}]{m.status}[/]",
            m.mode,
            f"{m.rows:,}",
            f"{m.partitions:,}",
            tests,
            f"{m.seconds:.2f}",
        )
    out.print(grid)
    for gap in report.gaps:
        err.print(f"[yellow]warning:[/] {gap} — re-read in this run")


def run(
    models: list[str] | None = typer.Argument(
        None, help="Models to run (layer.table or table); all if omitted."
    ),
    full_refresh: bool = typer.Option(False, "--full-refresh", help="Rebuild every model in full."),
    select: str | None = typer.Option(
        None, "--select", help="Only the models of this layer (silver, gold)."
    ),
    plan: bool = typer.Option(False, "--plan", help="Print the models in run order and stop."),
    models_dir: Path | None = typer.Option(
        None, "--models-dir", help="Folder of <layer>/<table>.sql models (default: the package's)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the run report as JSON."),
) -> None:
    """Run models in dependency order: incremental where possible, tests, logs, lineage."""
    refuse_while_served("run")
    with Databank() as bank:
        runner = Runner.from_bank(bank, models_dir)
        order = runner.plan(models or None, select)
        if plan:
            if as_json:
                print_json(order)
            else:
                for i, name in enumerate(order, start=1):
                    out.print(f"{i:>3}. {name} ({runner.models[name].kind.value})")
            return
        if as_json:
            report = runner.run(
                models or None, full_refresh=full_refresh, layer=select, trigger="cli"
            )
        else:
            progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=out,
                transient=True,
            )
            with progress:
                task = progress.add_task("running", total=len(order))

                def step(event: str, model: str, result: ModelResult | None) -> None:
                    if event == "start":
                        progress.update(task, description=model)
                    elif result is not None:
                        progress.console.print(_line(result))
                        progress.advance(task)

                report = runner.run(
                    models or None,
                    full_refresh=full_refresh,
                    layer=select,
                    trigger="cli",
                    progress=step,
                )
    if as_json:
        print_json(report.to_dict())
    else:
        _summary(report)
    if report.status != "success":
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `run` to the CLI."""
    app.command()(run)
