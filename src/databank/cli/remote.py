"""Client mode: CLI commands that reach a running `databank serve` through its REST API.

A DuckDB file has one writer process. While `databank serve` holds it, `kpi`, `lineage`,
`explain`, `status` and `ingest` send their work to that server: the one named by `--api` /
`DATABANK_API_URL`, else the one `<data_dir>/server.json` announces for the configured engine.
The API key comes from `--api-key` / `DATABANK_API_KEY`, or a file (`--api-key-file` /
`DATABANK_API_KEY_FILE`, e.g. the demo's `demo-data/demo-api-key`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from databank.errors import ConfigError, DatabankError, EngineLockedError

if TYPE_CHECKING:
    import httpx

    from databank.api.discovery import ServerInfo

API_URL_ENV = "DATABANK_API_URL"
API_KEY_ENV = "DATABANK_API_KEY"
API_KEY_FILE_ENV = "DATABANK_API_KEY_FILE"
CONNECT_SECONDS = 5.0
READ_SECONDS = 300.0  # explain and status scan tables: slow on a big database, never unbounded
_KEY_HELP = f"{API_KEY_ENV}, or a file: --api-key-file / {API_KEY_FILE_ENV}"


def api_option() -> Any:
    """`--api URL`: use this server (default: the one serving the configured DuckDB file)."""
    return typer.Option(
        None,
        "--api",
        envvar=API_URL_ENV,
        help="Talk to the server at this URL. Default: the `databank serve` that holds the "
        "configured DuckDB file, found through <data_dir>/server.json.",
        rich_help_panel="Client mode",
    )


def api_key_option() -> Any:
    """`--api-key KEY` for client mode."""
    return typer.Option(
        None,
        "--api-key",
        envvar=API_KEY_ENV,
        help="API key for client mode (needs the read scope; ingest needs ingest).",
        show_envvar=True,
        rich_help_panel="Client mode",
    )


def api_key_file_option() -> Any:
    """`--api-key-file PATH` for client mode."""
    return typer.Option(
        None,
        "--api-key-file",
        envvar=API_KEY_FILE_ENV,
        help="A file holding the API key (e.g. demo-data/demo-api-key).",
        show_envvar=True,
        rich_help_panel="Client mode",
    )


class RemoteError(DatabankError):
    """The server answered with an error, or could not be reached."""


class RemoteUnavailableError(RemoteError):
    """The server does not answer."""

    retryable = True
    exit_code = 3


# Exit codes of the errors these API codes stand for, so that scripts see what they see in-process.
_EXIT_CODES = {"unknown_table": 4, "not_initialised": 4, "cannot_explain": 2}


@dataclass(frozen=True)
class Remote:
    """One server to talk to, and the key to talk with."""

    url: str
    key: str | None
    server: ServerInfo | None = None

    def describe(self) -> str:
        """`the server at URL (pid N)` (discovered) or `the server at URL` (given)."""
        return self.server.describe() if self.server else f"the server at {self.url}"

    def client(self) -> httpx.Client:
        """An HTTP client for this server: bounded timeouts, the key as a bearer token."""
        import httpx

        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        return httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=httpx.Timeout(READ_SECONDS, connect=CONNECT_SECONDS),
            trust_env=False,  # a local server: never through a proxy from the environment
        )

    def get(self, path: str, params: Any = None, *, scope: str = "read") -> Any:
        """GET `path` and return its JSON; API errors become one-line `DatabankError`s."""
        import httpx

        with self.client() as http:
            try:
                response = http.get(path, params=params)
            except httpx.HTTPError as exc:
                raise self.unreachable(exc) from None
        return self.json(response, scope)

    def unreachable(self, exc: Exception) -> RemoteUnavailableError:
        """The error for a server that does not answer."""
        fix = (
            f"if it is hung, stop process {self.server.pid}"
            if self.server
            else f"check the URL, or unset {API_URL_ENV} to use the database directly"
        )
        return RemoteUnavailableError(
            f"{self.describe()} does not answer: {type(exc).__name__}: {exc}", fix
        )

    def json(self, response: httpx.Response, scope: str) -> Any:
        """The response's JSON, or the `DatabankError` its error body describes."""
        if response.is_success:
            return response.json()
        raise self.error(response, scope)

    def error(self, response: httpx.Response, scope: str) -> DatabankError:
        """One line naming the server's reason (and its fix when it gave one)."""
        try:
            body = response.json().get("error") or {}
        except (ValueError, AttributeError):
            body = {}
        code = str(body.get("code") or response.status_code)
        message = str(body.get("message") or response.reason_phrase or "error")
        details = body.get("details")
        fix = details.get("fix") if isinstance(details, dict) else None
        if response.status_code == 401:
            given = "the API key was refused" if self.key else "an API key is needed"
            return ConfigError(
                f"{self.describe()} holds the database; {given} ({message})",
                f"pass --api-key or set {_KEY_HELP} — a key with the {scope!r} scope "
                "(the demo's is in <demo dir>/demo-api-key)",
            )
        if response.status_code == 403:
            return ConfigError(
                f"{self.describe()}: {message}", f"use a key with the {scope!r} scope"
            )
        error: DatabankError
        if response.status_code >= 500:
            error = RemoteUnavailableError(message, fix)
        else:
            error = RemoteError(message, fix)
            error.exit_code = _EXIT_CODES.get(code, error.exit_code)
        return error


def read_key(api_key: str | None, api_key_file: Path | None) -> str | None:
    """The API key: given directly, else read from the key file, else None."""
    if api_key:
        return api_key.strip()
    if api_key_file is None:
        return None
    try:
        key = Path(api_key_file).expanduser().read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(
            f"cannot read the API key file {api_key_file}: {exc.strerror or exc}",
            f"point --api-key-file / {API_KEY_FILE_ENV} at a readable file holding one key",
        ) from None
    if not key:
        raise ConfigError(f"the API key file {api_key_file} is empty", "write the key into it")
    return key


def running_server() -> ServerInfo | None:
    """The live server announced for the configured engine's data dir (DuckDB only), or None."""
    from databank.api.discovery import find_server
    from databank.settings import load_settings

    settings = load_settings()
    url = str(settings.engine_url)
    if not url.lower().startswith("duckdb:"):
        return None
    return find_server(settings.data_dir, url)


def connect(api: str | None, api_key: str | None, api_key_file: Path | None) -> Remote | None:
    """The server to use in client mode, or None to open the database in this process."""
    if api:
        if not api.startswith(("http://", "https://")):
            raise ConfigError(
                f"--api {api!r} is not an http(s) URL", "write e.g. --api http://127.0.0.1:8321"
            )
        return Remote(api.rstrip("/"), read_key(api_key, api_key_file))
    server = running_server()
    if server is None:
        return None
    return Remote(server.url, read_key(api_key, api_key_file), server)


def refuse_while_served(command: str) -> None:
    """Stop a command that must open the DuckDB file itself while a server holds it."""
    server = running_server()
    if server is None:
        return
    raise EngineLockedError(
        f"`databank {command}` opens the database file, which {server.describe()} holds",
        f"stop that server (Ctrl-C where it runs, or `kill {server.pid}`), run the command, "
        "then start it again",
    )
