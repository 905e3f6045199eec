"""What a model is: its target table, how it is materialised, what it reads, what it promises."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import CodeType
from typing import Any

import pyarrow as pa


class Kind(StrEnum):
    """How the runner materialises a model."""

    FULL = "full"  # rebuild beside the live table, swap in atomically
    INCREMENTAL = "incremental"  # replace the partitions touched by new upstream rows
    MERGE = "merge"  # upsert the rows of the keys touched by new upstream rows
    SUMMARY = "summary"  # add new upstream rows' sums and counts, subtract removed ones'


class Severity(StrEnum):
    """What a failing test does: `error` stops the model (rolled back) and its downstream."""

    ERROR = "error"
    WARN = "warn"


CHECK_KINDS = ("not_null", "unique", "accepted_values", "range", "relationships")


@dataclass(frozen=True)
class Check:
    """One declared test, compiled to SQL by `transform.checks`."""

    kind: str  # one of CHECK_KINDS
    columns: tuple[str, ...]
    severity: Severity = Severity.ERROR
    values: tuple[Any, ...] = ()  # accepted_values
    min: Any = None  # range
    max: Any = None
    ref_table: str | None = None  # relationships
    ref_column: str | None = None
    max_failures: int = 0  # failing rows allowed before the test fails
    max_rate: float | None = None  # or: failing share of rows allowed (0..1)

    @property
    def metric_name(self) -> str:
        """`not_null:customer_id`, `unique:date,region`: the quality-metrics row's name."""
        return f"{self.kind}:{','.join(self.columns)}"


PythonFunction = Callable[..., pa.Table]


@dataclass(frozen=True)
class Model:
    """A SQL or Python model producing one table of the schema."""

    name: str  # layer.table, the target table
    kind: Kind = Kind.FULL
    sql: str | None = None  # the SELECT (DuckDB dialect); None for Python models
    path: Path | None = None
    partition_by: str | None = None  # incremental: the target's partition column
    lookback: int = 0  # incremental: also replace this many partitions before each touched one
    unique_key: tuple[str, ...] = ()  # merge: the upsert key
    grain: tuple[str, ...] = ()  # what one row stands for (explain keys, key-move detection)
    watermarks: Mapping[str, str] = field(default_factory=dict)  # upstream → ingestion-time column
    partition_sources: Mapping[str, str] = field(default_factory=dict)  # upstream → partition col
    partition_window: int = 0  # partition p reads partition_source partitions p - window .. p
    lookups: tuple[str, ...] = ()  # upstreams read as reference: their new rows touch nothing
    checks: tuple[Check, ...] = ()
    depends_on: tuple[str, ...] = ()  # upstream tables, from the SQL or the Python registration
    description: str = ""
    function: PythonFunction | None = None  # Python models: Arrow inputs → Arrow table

    @property
    def layer(self) -> str:
        """The target's layer (schema)."""
        return self.name.split(".", 1)[0]

    @property
    def table(self) -> str:
        """The target's table name without its layer."""
        return self.name.split(".", 1)[1]

    @property
    def is_python(self) -> bool:
        """True for a Python model."""
        return self.function is not None

    @property
    def fingerprint(self) -> str:
        """A hash of what decides the model's rows: a change means a full rebuild is due."""
        if self.function is not None:
            code = getattr(self.function, "__code__", None)
            body = code_digest(code) if isinstance(code, CodeType) else ""
        else:
            body = self.sql or ""
        parts = [self.kind.value, body, self.partition_by or "", ",".join(self.unique_key)]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def code_digest(code: CodeType) -> str:
    """What a function does, the same in every process: its bytecode, the names it uses and its
    constants, nested functions (comprehensions, lambdas) digested the same way. The repr of a
    nested code object holds its memory address, which made a Python model look changed, and
    be rebuilt in full, every time a new process ran it."""
    parts = [code.co_code.hex(), ",".join(code.co_names), _stable(code.co_consts)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _stable(value: object) -> str:
    """A constant's repr that no process detail changes (addresses, set order by string hash)."""
    if isinstance(value, CodeType):
        return code_digest(value)
    if isinstance(value, tuple):
        return "(" + ",".join(_stable(v) for v in value) + ")"
    if isinstance(value, frozenset):
        return "frozenset(" + ",".join(sorted(_stable(v) for v in value)) + ")"
    return repr(value)
