"""Errors of the bronze ingestion: all derive from DatabankError (the project's one base class)."""

from __future__ import annotations

from databank.errors import ConfigError, DatabankError


class IngestionError(DatabankError):
    """A batch cannot be taken as given; nothing of it was stored."""


class UnknownSourceTypeError(IngestionError):
    """A source type that bronze has no table for."""


class UnknownSchemaVersionError(IngestionError):
    """A schema_version that no contract file declares for the source type."""


class InvalidBatchError(IngestionError):
    """The batch itself (not one record) is malformed: bad source_system, batch_id or records."""


class BatchConflictError(IngestionError):
    """Concurrent writers kept colliding on the same records; trying again later succeeds."""

    retryable = True


class ContractError(ConfigError):
    """A contract file is malformed."""
