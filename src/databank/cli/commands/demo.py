"""`databank demo`: the main job — a synthetic retailer through every layer, then served."""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from databank.cli.console import err, out, print_json
from databank.demo import pipeline
from databank.demo.generator import BusinessConfig
from databank.demo.server import ServerProcess, free_port

KEY_FILE = "demo-api-key"


def _demo_key(folder: Path, settings_env: dict[str, str]) -> str:
    """The demo's API key (ingest, read, transform): made once per demo database, kept in the folder."""
    path = folder / KEY_FILE
    if path.is_file():
        return path.read_text().strip()
    from databank.auth import KeyStore
    from databank.context import Databank
    from databank.settings import load_settings

    with Databank(
        load_settings(
            data_dir=folder / "db", pii_key_file=Path(settings_env["DATABANK_PII_KEY_FILE"])
        )
    ) as bank:
        bank.init()
        _, plaintext = KeyStore(bank.engine).create(["ingest", "read", "transform"], name="demo")
    path.write_text(plaintext + "\n")
    path.chmod(0o600)
    return plaintext


def _number(value: Any) -> str:
    if value is None:
        return "—"
    number = float(value)
    return f"{number:,.0f}" if abs(number) >= 1000 else f"{number:,.4g}"


def _tour(
    report: dict[str, Any], kpis: list[dict[str, Any]], url: str, folder: Path, serving: bool
) -> None:
    grid = RichTable(title="What arrived (through POST /api/v1/ingestion/bronze/{source})")
    for column in ("source", "records", "passed", "failed", "duplicates", "quality"):
        grid.add_column(column, justify="left" if column == "source" else "right")
    for source, tally in report["sources"].items():
        quality = tally["quality_score"]
        grid.add_row(
            source,
            f"{tally['records']:,}",
            f"{tally['passed']:,}",
            f"{tally['failed']:,}",
            f"{tally['duplicates']:,}",
            "" if quality is None else f"{quality:.3f}",
        )
    out.print(grid)
    transform = report.get("transform") or {}
    split = ""
    if report.get("generate_seconds") is not None:
        split = (
            f" (generating the request bodies: {report['generate_seconds']:.1f}s; "
            f"server processing, summed over batches: {report.get('server_seconds', 0):.1f}s)"
        )
    out.print(
        f"ingested in {report['ingest_seconds']:.1f}s{split}; silver and gold built in "
        f"{report['transform_seconds']:.1f}s ({transform.get('status', 'unknown')})"
    )
    if kpis:
        table = RichTable(title=f"Headline KPIs, last 30 days to {report['period'][1]}")
        for column in ("KPI", "current", "previous 30 days", "change", "trend"):
            table.add_column(column, justify="left" if column == "KPI" else "right")
        for kpi in kpis:
            change = kpi.get("change_percentage")
            table.add_row(
                kpi["metric_name"],
                _number(kpi.get("current_value")),
                _number(kpi.get("previous_period_value")),
                "—" if change is None else f"{float(change):+.1f}%",
                kpi.get("trend", ""),
            )
        out.print(table)
    end = report["period"][1]
    cli = (
        f"  databank kpi daily_revenue --range last_30_days --as-of {end}\n"
        "  databank lineage gold.scout_kpi_revenue_daily --column total_revenue\n"
        "  databank explain gold.scout_kpi_revenue_daily "
        f"--key date={end},region=north,channel=online\n"
        "  databank status\n"
        f"  truth of what was injected: {folder / 'truth.json'}"
    )
    if not serving:
        out.print(
            "\n[bold]Try it[/] (the server has stopped: --no-serve; `databank demo` with the same "
            "options serves this data again without rebuilding it). The CLI reads the database "
            "file directly:\n"
            f"  export DATABANK_DATA_DIR={folder / 'db'}\n" + cli
        )
        return
    out.print(
        "\n[bold]Try it[/] (the key is in "
        f"{folder / KEY_FILE}):\n"
        f"  API docs:  {url}/docs\n"
        f'  curl -H "Authorization: Bearer $(cat {folder / KEY_FILE})" '
        f'"{url}/api/v1/metrics/kpi/daily_revenue?date_range=last_30_days&as_of={end}"\n'
        "  the CLI works while this serves (it goes through the API with the demo's key):\n"
        f"  export DATABANK_DATA_DIR={folder / 'db'} DATABANK_API_KEY_FILE={folder / KEY_FILE}\n"
        + cli
    )


def demo(
    days: int = typer.Option(730, "--days", min=1, max=3650, help="Days of business to generate."),
    scale: float = typer.Option(1.0, "--scale", min=0.01, max=100.0, help="Volume multiplier."),
    seed: int = typer.Option(42, "--seed", help="Random seed (same seed, same data)."),
    folder: Path = typer.Option(
        Path("demo-data"), "--dir", help="Demo folder (database, logs, truth)."
    ),
    serve: bool = typer.Option(
        True, "--serve/--no-serve", help="Keep serving the API after the pipeline."
    ),
    port: int = typer.Option(0, "--port", help="API port (0: a free one)."),
    as_json: bool = typer.Option(
        False, "--json", help="Print the report as JSON (with --no-serve)."
    ),
) -> None:
    """Generate a retailer, send it through the ingestion API, build silver and gold, and serve."""
    folder = folder.resolve()
    config = BusinessConfig(seed=seed, days=days, scale=scale)
    resumed = pipeline.prepare_folder(folder, config)
    env = {"DATABANK_PII_KEY_FILE": str(folder / "secrets" / "pii.key")}
    api_key = _demo_key(folder, env)
    server = ServerProcess(folder / "db", port or free_port(), env)
    server.start()
    try:
        if resumed:
            report = pipeline.load_report(folder) or {}
            out.print(
                f"resuming the completed demo in {folder} (delete it or change --seed to start over)"
            )
        else:
            report = _run(server.url, api_key, config, folder)
        end = date.fromisoformat(report["period"][1])
        kpis = pipeline.headline_kpis(server.url, api_key, end)
        if as_json:
            print_json({"report": report, "kpis": kpis, "url": server.url, "folder": str(folder)})
        else:
            _tour(report, kpis, server.url, folder, serve)
        if serve:
            out.print(f"\nserving on [bold]{server.url}[/] — press Ctrl-C to stop")
            server.wait()
    except KeyboardInterrupt:
        err.print("stopping")
    finally:
        server.stop()


def _run(url: str, api_key: str, config: BusinessConfig, folder: Path) -> dict[str, Any]:
    quiet = not os.isatty(1)
    with Progress(
        TextColumn("{task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
        disable=quiet,
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(source: str, sent: int, total: int) -> None:
            if source not in tasks:
                tasks[source] = bar.add_task(source, total=total)
            bar.advance(tasks[source], sent)

        report = pipeline.send_business(url, api_key, config, folder, progress)
        build = bar.add_task("silver + gold", total=None)
        started = time.perf_counter()
        report.transform = pipeline.build_layers(url, api_key)
        report.transform_seconds = time.perf_counter() - started
        bar.update(build, total=1, completed=1)
    pipeline.mark_complete(folder, config, report)
    if report.transform.get("status") != "completed":
        err.print(f"[bold red]the transformation job failed:[/] {report.transform.get('error')}")
    return report.to_dict()


def register(app: typer.Typer) -> None:
    """Add `demo` to the CLI."""
    app.command()(demo)
