"""Every error Neural DataBank raises on purpose: one base class, one subclass per area.

`retryable` tells the scheduler and clients whether trying the same thing again later can succeed
(a server that is down) or not (bad input, a wrong setting). Each error carries a one-line cause and,
where there is one, the fix the user should apply; the CLI prints exactly that line.
"""

from __future__ import annotations


class DatabankError(Exception):
    """Base class: a cause a person can act on, and an optional fix."""

    retryable: bool = False
    exit_code: int = 1

    def __init__(self, cause: str, fix: str | None = None) -> None:
        super().__init__(cause)
        self.cause = cause
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.cause} — {self.fix}" if self.fix else self.cause


class ConfigError(DatabankError):
    """A setting is missing, malformed or points at something that cannot work."""

    exit_code = 2


class EngineError(DatabankError):
    """The storage engine failed in a way that is not the caller's input."""

    exit_code = 3


class EngineUnavailableError(EngineError):
    """The engine cannot be reached (server down, wrong host, refused connection)."""

    retryable = True


class EngineLockedError(EngineError):
    """Another process holds the embedded database file."""

    retryable = True


class DataDirError(EngineError):
    """The data directory cannot be created or written."""


class SchemaError(DatabankError):
    """The schema source (DBML) or a migration is wrong."""

    exit_code = 4


class UnknownTableError(SchemaError):
    """A table name that the schema does not define."""


class MissingExtraError(DatabankError):
    """An optional dependency is not installed."""

    exit_code = 5

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(
            f"this needs the optional package '{package}'",
            f"install it with: pip install 'neural-databank[{extra}]'",
        )
