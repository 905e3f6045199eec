"""`databank keys create | list | revoke`: API keys for the REST API."""

from __future__ import annotations

import typer
from rich.table import Table as RichTable

from databank.auth import SCOPES, KeyStore
from databank.cli.console import err, out, print_json
from databank.cli.remote import refuse_while_served
from databank.context import Databank
from databank.errors import SchemaError

keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)


@keys_app.callback()
def _keys(ctx: typer.Context) -> None:
    """Create, list and revoke API keys."""
    # Keys live in the database file: a running server holding it must stop first.
    refuse_while_served(f"keys {ctx.invoked_subcommand or ''}".strip())


def _store(bank: Databank) -> KeyStore:
    if not bank.engine.table_exists("meta.api_keys"):
        raise SchemaError("the API key table does not exist yet", "run `databank init` first")
    return KeyStore(bank.engine)


@keys_app.command("create")
def create(
    scope: list[str] = typer.Option(
        ..., "--scope", help=f"Repeat for several: {', '.join(SCOPES)}."
    ),
    name: str | None = typer.Option(None, "--name", help="A label to recognise the key by."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Make a key with the given scopes and print it — once: only its hash is stored."""
    with Databank() as bank:
        key, plaintext = _store(bank).create(scope, name)
    if as_json:
        print_json({**key.to_dict(), "key": plaintext})
        return
    out.print(f"created API key [bold]{key.key_id}[/] ({', '.join(key.scopes)})")
    out.print(plaintext, markup=False)
    err.print("[yellow]This is the only time the key is shown: store it now.[/]")


@keys_app.command("list")
def list_keys(
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Every key: id, name, scopes, created, last used, revoked (never the key itself)."""
    with Databank() as bank:
        keys = _store(bank).list()
    if as_json:
        print_json([k.to_dict() for k in keys])
        return
    grid = RichTable("id", "name", "scopes", "created", "last used", "revoked", title="API keys")
    for k in keys:
        grid.add_row(
            k.key_id,
            k.name or "",
            " ".join(k.scopes),
            f"{k.created_at:%Y-%m-%d %H:%M}",
            f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "never",
            f"{k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "",
        )
    out.print(grid)


@keys_app.command("revoke")
def revoke(
    key_id: str = typer.Argument(..., help="The key's id (see `databank keys list`)."),
) -> None:
    """Revoke a key: requests with it get 401 from now on."""
    with Databank() as bank:
        key = _store(bank).revoke(key_id)
    out.print(f"revoked API key {key.key_id} ({key.name or 'no name'})")


def register(app: typer.Typer) -> None:
    """Add the `keys` group to the CLI."""
    app.add_typer(keys_app, name="keys")
