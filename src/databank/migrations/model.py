"""What a migration is: a versioned, idempotent change that reports what it changed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from databank.engines.base import Engine


@dataclass(frozen=True)
class Change:
    """One table-level change, recorded as a row of `meta.neural_schema_evolution`."""

    table_name: str
    layer: str
    change_type: str  # create_table, add_column, alter_type, create_index, ...
    description: str
    script: str
    backward_compatible: bool = True


@dataclass(frozen=True)
class Migration:
    """A numbered schema change. `apply` must be safe to run on a schema that already has it."""

    version: str
    name: str
    apply: Callable[[Engine], list[Change]]

    @property
    def key(self) -> tuple[int, str]:
        """Sort key: numeric version order."""
        return (int(self.version), self.name)
