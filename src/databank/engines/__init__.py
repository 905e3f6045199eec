"""Engines chosen by URL scheme: `duckdb:///file`, `postgresql://…` (Spark comes later)."""

from __future__ import annotations

from importlib import import_module
from urllib.parse import urlsplit

from databank.engines.base import Capabilities, Engine, quote_ident, quote_table
from databank.errors import ConfigError

_ENGINES: dict[str, tuple[str, str]] = {
    "duckdb": ("databank.engines.duckdb", "DuckDBEngine"),
    "postgresql": ("databank.engines.postgres", "PostgresEngine"),
    "postgres": ("databank.engines.postgres", "PostgresEngine"),
}


def connect(url: str) -> Engine:
    """Open the engine named by `url`'s scheme."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in _ENGINES:
        known = ", ".join(sorted({s + "://" for s in _ENGINES}))
        raise ConfigError(
            f"unknown engine URL scheme {scheme + '://' if scheme else repr(url)}",
            f"set DATABANK_ENGINE to a URL starting with one of: {known}",
        )
    module, name = _ENGINES[scheme]
    engine_cls: type[Engine] = getattr(import_module(module), name)
    return engine_cls(url)


__all__ = ["Capabilities", "Engine", "connect", "quote_ident", "quote_table"]
