"""The engine interface: one base class with capability flags, one thin subclass per engine.

SQL handed to an engine uses named parameters written `$name`, with values in a dict; each engine
translates that to its driver's style. Table names are always `layer.table` and are quoted by the
engine, never built from user input (callers pass names from the schema or an allow-list).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

import pyarrow as pa

from databank.schema.model import Column, ColumnType, Table

Params = Mapping[str, Any] | None
_IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Capabilities:
    """What an engine can do; callers pick strategies from these, never from the engine's name."""

    transactions: bool = True
    upsert: bool = True  # INSERT ... ON CONFLICT
    indexes: bool = True  # secondary indexes (btree)
    advanced_indexes: bool = False  # GIN / GiST
    constraints: bool = True  # PRIMARY KEY / UNIQUE enforced
    # PRIMARY KEY / UNIQUE declared on the tables the transformation runner writes (MODEL_LAYERS);
    # where False, their keys are proven by the models' `unique` tests in each writing transaction
    model_keys: bool = True
    concurrent_processes: bool = True  # several processes may write at once
    # Up to this many text partition keys (customer ids, say) go into a statement as listed
    # values; beyond it, a join on a temp table of them. Dates and numbers are always listed
    # up to the runner's MAX_LISTED: they cluster, and a listed day lets a scan skip blocks.
    listed_text_keys: int = 2000


MODEL_LAYERS = frozenset({"silver", "gold", "platinum"})


def quote_ident(name: str) -> str:
    """Quote one identifier; refuses anything that is not a plain name."""
    if not _IDENT_RE.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return f'"{name}"'


def quote_table(qualified: str) -> str:
    """Quote `schema.table` (or a bare table name)."""
    return ".".join(quote_ident(part) for part in qualified.split("."))


class Engine(ABC):
    """A storage engine: run SQL, move Arrow tables in and out, group work in transactions."""

    scheme: ClassVar[str]
    dialect: ClassVar[str]  # sqlglot dialect name
    capabilities: ClassVar[Capabilities]
    type_map: ClassVar[Mapping[str, str]]

    def __init__(self, url: str) -> None:
        self.url = url

    # -- running SQL -------------------------------------------------------------------------
    @abstractmethod
    def execute(self, sql: str, params: Params = None) -> None:
        """Run one statement that returns nothing."""

    @abstractmethod
    def write(self, sql: str, params: Params = None) -> int:
        """Run one INSERT, UPDATE or DELETE; the number of rows it wrote."""

    @abstractmethod
    def fetch_arrow(self, sql: str, params: Params = None) -> pa.Table:
        """Run a query and return its result as an Arrow table."""

    @abstractmethod
    def fetch_rows(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """Run a query and return its rows as tuples."""

    def fetch_value(self, sql: str, params: Params = None) -> Any:
        """Run a query and return the first column of its first row (None when empty)."""
        rows = self.fetch_rows(sql, params)
        return rows[0][0] if rows else None

    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group statements of this thread: all of them take effect, or none."""

    # -- moving data -------------------------------------------------------------------------
    @abstractmethod
    def append_arrow(self, table: str, data: pa.Table) -> int:
        """Append `data` to `table` (columns matched by name); returns the rows written."""

    def replace_partitions(
        self, table: str, column: str, partitions: Sequence[Any], data: pa.Table
    ) -> int:
        """Replace the rows of `table` whose `column` is in `partitions` by `data`, atomically."""
        with self.transaction():
            if partitions:
                marks = ", ".join(f"$p{i}" for i in range(len(partitions)))
                self.execute(
                    f"DELETE FROM {quote_table(table)} WHERE {quote_ident(column)} IN ({marks})",
                    {f"p{i}": v for i, v in enumerate(partitions)},
                )
            return self.append_arrow(table, data) if data.num_rows else 0

    def create_like(self, source: str, table: str) -> None:
        """An empty `table` with `source`'s columns and types (engines that can also copy the
        defaults and NOT NULLs do)."""
        self.execute(
            f"CREATE TABLE {quote_table(table)} AS SELECT * FROM {quote_table(source)} WHERE FALSE"
        )

    def swap_table(self, target: str, staging: str) -> None:
        """Make `target` hold exactly the rows of `staging` (same columns), atomically; drop staging.

        Readers see the old rows until the commit and the new ones after it; target keeps its
        constraints, defaults and indexes.
        """
        columns = ", ".join(quote_ident(c) for c in self.column_types(staging))
        with self.transaction():
            self.execute(f"DELETE FROM {quote_table(target)}")
            self.execute(
                f"INSERT INTO {quote_table(target)} ({columns}) "
                f"SELECT {columns} FROM {quote_table(staging)}"
            )
            self.execute(f"DROP TABLE {quote_table(staging)}")

    # -- catalog -----------------------------------------------------------------------------
    @abstractmethod
    def table_names(self, schema: str) -> set[str]:
        """The tables that exist in `schema`."""

    @abstractmethod
    def column_types(self, table: str) -> dict[str, str]:
        """Column name → the engine's type name, in table order."""

    def unique_keys(self, table: str) -> tuple[tuple[str, ...], ...]:
        """The column sets the engine keeps unique on `table` (primary key first), from its catalog."""
        schema, name = table.split(".", 1)
        rows = self.fetch_rows(
            "SELECT c.constraint_name, c.constraint_type, k.column_name, k.ordinal_position "
            "FROM information_schema.table_constraints AS c "
            "JOIN information_schema.key_column_usage AS k ON k.constraint_name = c.constraint_name "
            "AND k.table_schema = c.table_schema AND k.table_name = c.table_name "
            "WHERE c.table_schema = $s AND c.table_name = $t "
            "AND c.constraint_type IN ('PRIMARY KEY', 'UNIQUE')",
            {"s": schema, "t": name},
        )
        keys: dict[tuple[bool, str], list[tuple[int, str]]] = {}
        for constraint, kind, column, position in rows:
            keys.setdefault((kind != "PRIMARY KEY", constraint), []).append((position, column))
        return tuple(tuple(c for _, c in sorted(keys[k])) for k in sorted(keys))

    @contextmanager
    def bulk_load(self, table: str) -> Iterator[None]:
        """Around a large insert into an empty `table`, inside the caller's transaction: engines
        that maintain indexes build them once afterwards instead of row by row. Default: nothing."""
        yield

    def drop_keys(self, table: str) -> None:
        """Drop `table`'s PRIMARY KEY and UNIQUE constraints (columns, NOT NULLs and rows stay)."""
        schema, name = table.split(".", 1)
        names = self.fetch_rows(
            "SELECT constraint_name FROM information_schema.table_constraints "
            "WHERE table_schema = $s AND table_name = $t "
            "AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')",
            {"s": schema, "t": name},
        )
        with self.transaction():
            for (constraint,) in names:
                self.execute(
                    f"ALTER TABLE {quote_table(table)} DROP CONSTRAINT {quote_ident(constraint)}"
                )

    def table_exists(self, table: str) -> bool:
        """True if `schema.table` exists."""
        schema, name = table.split(".", 1)
        return name in self.table_names(schema)

    def count_rows(self, table: str) -> int:
        """The number of rows in `table`."""
        return int(self.fetch_value(f"SELECT count(*) FROM {quote_table(table)}") or 0)

    # -- DDL from the schema -----------------------------------------------------------------
    def render_type(self, col_type: ColumnType) -> str:
        """The engine's column type for a DBML type."""
        base = self.type_map[col_type.base]
        if col_type.args and col_type.base in ("numeric", "varchar"):
            base = f"{base}({','.join(map(str, col_type.args))})"
        return f"{base}[]" if col_type.is_array else base

    def render_default(self, column: Column) -> str | None:
        """The SQL default for a column, or None."""
        default = column.default
        if default is None:
            return None
        if default.is_expression:
            if str(default.value).lower() == "now()":
                return self.now_sql
            raise ValueError(f"unsupported default expression {default.value!r}")
        if isinstance(default.value, bool):
            return "TRUE" if default.value else "FALSE"
        if isinstance(default.value, int | float):
            return repr(default.value)
        return "'" + str(default.value).replace("'", "''") + "'"

    now_sql: ClassVar[str] = "now()"

    def keyed(self, table: Table) -> bool:
        """Whether `table` is created with its PRIMARY KEY and UNIQUE constraints on this engine."""
        if not self.capabilities.constraints:
            return False
        return self.capabilities.model_keys or table.layer not in MODEL_LAYERS

    def create_table_sql(self, table: Table) -> list[str]:
        """Statements that create `table` (if missing) with its keys and its indexes."""
        keyed = self.keyed(table)
        lines = []
        for col in table.columns:
            line = f"{quote_ident(col.name)} {self.render_type(col.type)}"
            default = self.render_default(col)
            if default is not None:
                line += f" DEFAULT {default}"
            if col.not_null or col.primary_key:
                line += " NOT NULL"
            if col.unique and keyed:
                line += " UNIQUE"
            lines.append(line)
        if table.primary_key and keyed:
            lines.append(f"PRIMARY KEY ({', '.join(map(quote_ident, table.primary_key))})")
        for index in table.indexes:
            if index.unique and keyed:
                lines.append(f"UNIQUE ({', '.join(map(quote_ident, index.columns))})")
        body = ",\n  ".join(lines)
        statements = [f"CREATE TABLE IF NOT EXISTS {quote_table(table.qualified)} (\n  {body}\n)"]
        statements += self.create_index_sql(table)
        return statements

    def create_index_sql(self, table: Table) -> list[str]:
        """Statements for the table's secondary indexes (none where the engine has none)."""
        return []

    def prepare(self) -> None:  # noqa: B027 - optional hook
        """Engine-wide set-up before migrations (extensions, settings); default none."""

    def housekeep(self) -> bool:
        """Storage upkeep that would otherwise land on some later commit, done now while idle.

        Called between micro-batches. Returns whether there was any to do; default none (the
        server engines do their own, e.g. PostgreSQL's checkpointer).
        """
        return False

    def redacted_url(self) -> str:
        """The URL for display, password masked."""
        from databank.settings import redact_url

        return redact_url(self.url)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.redacted_url()!r})"
