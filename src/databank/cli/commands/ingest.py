"""`databank ingest FILE` (JSON, JSON Lines, CSV, gzip; column mappings) and `databank replay`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table as RichTable

from databank.cli.console import err, out, print_json
from databank.cli.remote import (
    api_key_file_option,
    api_key_option,
    api_option,
    connect,
    refuse_while_served,
)
from databank.context import Databank
from databank.ingestion.files import (
    DEFAULT_BATCH_SIZE,
    FileFormatError,
    FileIngestSummary,
    Mapping,
    MappingError,
    ingest_file,
    load_mapping,
    parse_map_flags,
)
from databank.ingestion.files.errors import NotInitialisedError
from databank.ingestion.ledger import BATCHES

_SHOWN_ERRORS = 10


def _require_init(bank: Databank) -> None:
    if not bank.engine.table_exists(BATCHES):
        raise NotInitialisedError(
            f"the database at {bank.engine.redacted_url()} is not initialised", "run: databank init"
        )


def _mapping(mapping_file: Path | None, flags: list[str]) -> Mapping:
    mapping = load_mapping(mapping_file) if mapping_file else Mapping()
    if flags:
        mapping = mapping.merged(parse_map_flags(flags))
    return mapping


def _source_type(given: str | None, mapping: Mapping) -> str:
    if given and mapping.source_type and given != mapping.source_type:
        raise MappingError(
            f"--source {given} but the mapping is for {mapping.source_type}",
            "use the mapping written for this source type",
        )
    source = given or mapping.source_type
    if not source:
        raise MappingError("no source type given", "pass --source (transactions, customers, …)")
    return source


def _print_summary(summary: FileIngestSummary) -> None:
    grid = RichTable(title=f"{summary.file} → {summary.source_type}", show_header=False)
    grid.add_column("", style="bold")
    grid.add_column("", justify="right")
    quality = summary.mean_quality_score
    for label, value in (
        ("records", f"{summary.records:,}"),
        ("passed", f"{summary.passed:,}"),
        ("failed", f"{summary.failed:,}"),
        ("pending", f"{summary.pending:,}"),
        ("duplicates (already stored)", f"{summary.duplicates:,}"),
        ("mean quality score", "—" if quality is None else f"{quality:.3f}"),
        ("batches", f"{summary.batches:,}"),
        ("time", f"{summary.seconds:.2f} s"),
        ("records/s", f"{summary.records_per_second:,.0f}"),
        ("source system", summary.source_system),
    ):
        grid.add_row(label, value)
    out.print(grid)
    for error in summary.errors[:_SHOWN_ERRORS]:
        field = f" {error['field']}:" if error.get("field") else ""
        out.print(f"  [red]✗[/] {error['where'] or '?'}:{field} {error['reason']}", markup=True)
    hidden = summary.failed - min(len(summary.errors), _SHOWN_ERRORS)
    if hidden > 0:
        out.print(
            f"  … {hidden:,} more failed records: see `databank replay --source {summary.source_type}` "
            "after a contract fix"
        )


def ingest(
    file: Path = typer.Argument(..., help="A JSON array, JSON Lines or CSV file; .gz is read too."),
    source: str | None = typer.Option(
        None,
        "--source",
        "-s",
        help="Source type (transactions, customers, products, campaigns, events, feedback, "
        "interactions, logs). May come from the mapping file's source_type.",
    ),
    source_system: str | None = typer.Option(
        None,
        "--source-system",
        help="The system the file came from. Default: derived from the file name, "
        "'file:<name without extensions>' (orders-2025.csv.gz → file:orders-2025).",
    ),
    schema_version: str = typer.Option("1.0.0", "--schema-version", help="Contract version."),
    batch_size: int = typer.Option(
        DEFAULT_BATCH_SIZE, "--batch-size", min=1, max=100_000, help="Records per batch."
    ),
    mapping_file: Path | None = typer.Option(
        None, "--mapping", help="A TOML column mapping for a foreign export (docs/ingest-files.md)."
    ),
    maps: list[str] = typer.Option(
        [],
        "--map",
        help='target=Source Column (repeatable); target="TEXT" sets a constant. '
        "Applied on top of --mapping.",
    ),
    fmt: str | None = typer.Option(
        None, "--format", help="json | jsonl | csv. Default: from the extension."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON for scripts."),
    api: str | None = api_option(),
    api_key: str | None = api_key_option(),
    api_key_file: Path | None = api_key_file_option(),
) -> None:
    """Stream a file into bronze in batches; re-running the same file stores nothing twice."""
    mapping = _mapping(mapping_file, maps)
    source_type = _source_type(source, mapping)
    remote = connect(api, api_key, api_key_file)
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TextColumn("{task.fields[records]:,} records"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=as_json or not err.is_terminal,
    )
    options: dict[str, Any] = {
        "source_type": source_type,
        "source_system": source_system,
        "schema_version": schema_version,
        "batch_size": batch_size,
        "mapping": mapping,
        "fmt": fmt,
    }
    with progress:
        task = progress.add_task(file.name, total=None, records=0)

        def advance(done: int, total: int, records: int) -> None:
            progress.update(task, completed=done, total=total, records=records)

        if remote is not None:
            from databank.cli.remote_ingest import RemoteWriter

            with remote.client() as http:
                writer = RemoteWriter(remote, http)
                summary = ingest_file(writer, file, on_progress=advance, **options)  # type: ignore[arg-type]
        else:
            with Databank() as bank:
                _require_init(bank)
                summary = ingest_file(bank.bronze, file, on_progress=advance, **options)
    if as_json:
        print_json(summary.to_dict())
    else:
        _print_summary(summary)
    if not summary.complete:
        raise FileFormatError(
            f"{file.name} stopped early: {summary.stopped_reason}",
            f"the {summary.records - 1:,} records before it are stored; fix the file and run again "
            "(stored batches are not written twice)",
        )


def replay(
    source: str = typer.Option(
        ..., "--source", "-s", help="Source type whose failed records to re-check."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Re-validate failed bronze records against the current contract (after a contract fix)."""
    refuse_while_served("replay")
    with Databank() as bank:
        _require_init(bank)
        result = bank.bronze.replay_failed(source)
    if as_json:
        print_json(result.to_dict())
        return
    out.print(
        f"{source}: examined {result.examined:,} failed records — "
        f"[green]{result.now_passed:,} now pass[/], [red]{result.still_failed:,} still fail[/]",
        markup=True,
    )
    if result.not_replayable:
        out.print(
            f"  {result.not_replayable:,} of them cannot be re-validated: they were not storable "
            "as sent (unreadable rows, invalid characters) and are kept in safe form"
        )


def register(app: typer.Typer) -> None:
    """Add these commands to the CLI."""
    app.command()(ingest)
    app.command()(replay)
