"""Errors of file ingestion: a file that is not what its format says, a mapping that cannot work."""

from __future__ import annotations

from databank.errors import DatabankError


class FileIngestError(DatabankError):
    """A file cannot be ingested at all (missing, empty, not the format it claims)."""

    exit_code = 6


class FileFormatError(FileIngestError):
    """The file's bytes are not the format its name or `--format` says."""


class MappingError(DatabankError):
    """A column mapping (TOML file or `--map` flag) is malformed or cannot apply."""

    exit_code = 2


class NotInitialisedError(DatabankError):
    """The database has no bronze ledger yet: `databank init` has not run on it."""

    exit_code = 2
