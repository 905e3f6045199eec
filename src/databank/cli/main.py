"""The `databank` command. Each module in `databank.cli.commands` adds its commands here."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

import click
import typer

from databank import __version__
from databank.cli import commands
from databank.cli.console import err
from databank.errors import DatabankError

app = typer.Typer(
    name="databank",
    help="Neural DataBank: sources → bronze → silver → gold → platinum, served by API, DAL and CLI.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"neural-databank {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Neural DataBank command line."""


for _info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
    importlib.import_module(f"{commands.__name__}.{_info.name}").register(app)


def main() -> None:
    """Entry point: run the app, turning every expected failure into one line and an exit code."""
    try:
        app(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        err.print("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
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


if __name__ == "__main__":
    main()
