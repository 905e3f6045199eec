"""The `databank` command. Each module in `databank.cli.commands` adds its commands here.

Start-up stays fast: a command's module is imported only when that command runs (or shows its
help). `databank --help` lists the commands from `COMMANDS` without importing any of them.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, NamedTuple

import typer
from typer.core import TyperCommand, TyperGroup

from databank.cli.console import err
from databank.errors import DatabankError


class CommandEntry(NamedTuple):
    """Where a command lives, and its one-line help for the command list."""

    module: str
    help: str


# In the order `databank --help` lists them; tests/cli checks these lines against the commands.
COMMANDS: dict[str, CommandEntry] = {
    "demo": CommandEntry(
        "demo",
        "Generate a retailer, send it through the ingestion API, build silver and gold, and serve.",
    ),
    "ingest": CommandEntry(
        "ingest",
        "Stream a file into bronze in batches; re-running the same file stores nothing twice.",
    ),
    "replay": CommandEntry(
        "ingest",
        "Re-validate failed bronze records against the current contract (after a contract fix).",
    ),
    "kpi": CommandEntry(
        "kpi", "A KPI as a time series with current vs previous period, change and trend."
    ),
    "lineage": CommandEntry(
        "lineage", "Upstream and downstream tables of TABLE, or the origins of one of its columns."
    ),
    "explain": CommandEntry(
        "lineage",
        "The upstream rows, bronze records and ingestion batches behind one row, with checked "
        "totals.",
    ),
    "run": CommandEntry(
        "run",
        "Run models in dependency order: incremental where possible, tests, logs, lineage.",
    ),
    "init": CommandEntry(
        "schema", "Create the database, or upgrade it to the newest schema (safe to run again)."
    ),
    "status": CommandEntry(
        "schema", "Engine, version, row counts per table grouped by layer, and the last migration."
    ),
    "schema": CommandEntry(
        "schema", "Show tables, or one table's columns and types as the schema defines them."
    ),
    "serve": CommandEntry(
        "serve", "Serve the REST API: ingestion, status, health, OpenAPI docs at /docs."
    ),
    "keys": CommandEntry("keys", "Create, list and revoke API keys."),
}


def load_commands(module: str) -> dict[str, Any]:
    """The click commands that `databank.cli.commands.<module>` registers."""
    imported = importlib.import_module(f"databank.cli.commands.{module}")
    holder = typer.Typer()
    imported.register(holder)
    return dict(typer.main.get_group(holder).commands)


class LazyGroup(TyperGroup):
    """A command group that imports a command's module only when the command is used."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        """Every command, in `COMMANDS` order."""
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """The command, imported now; while listing for help, a stand-in with its help line."""
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        if self._listing:
            return TyperCommand(cmd_name, help=entry.help)
        if cmd_name not in self.commands:
            self.commands.update(load_commands(entry.module))
        return self.commands.get(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """The root help, listing commands without importing them."""
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        """As click does, suggesting close command names for a typo."""
        try:
            return super().resolve_command(ctx, args)
        except typer.TyperException as exc:
            from difflib import get_close_matches

            message = getattr(exc, "message", None)
            matches = get_close_matches(args[0], list(COMMANDS)) if args else []
            if matches and isinstance(message, str) and "Did you mean" not in message:
                suggestions = ", ".join(repr(m) for m in matches)
                exc.message = f"{message.rstrip('.')}. Did you mean {suggestions}?"  # type: ignore[attr-defined]
            raise


app = typer.Typer(
    name="databank",
    cls=LazyGroup,
    help="Neural DataBank: sources → bronze → silver → gold → platinum, served by API, DAL and CLI.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from databank import __version__

        typer.echo(f"neural-databank {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Neural DataBank command line."""


def main() -> None:
    """Entry point: run the app, turning every expected failure into one line and an exit code."""
    try:
        code = app(standalone_mode=False)  # `typer.Exit(n)` comes back as n
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors; typer carries its own copy of click
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        sys.exit(getattr(exc, "exit_code", 2))
    except DatabankError as exc:
        err.print(f"[bold red]error:[/] {exc}", markup=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("DATABANK_DEBUG"):
            raise
        err.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            " (set DATABANK_DEBUG=1 for the traceback, and please report it)"
        )
        sys.exit(70)
    if isinstance(code, int) and code:
        sys.exit(code)


if __name__ == "__main__":
    main()
