"""PostgreSQL through psycopg 3: the shared production engine. Bulk writes go through COPY."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.csv as pacsv

from databank.engines.base import Capabilities, Engine, Params, quote_ident, quote_table
from databank.errors import EngineError, EngineUnavailableError, MissingExtraError
from databank.schema.model import Table

try:
    import psycopg
    from psycopg_pool import ConnectionPool
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise MissingExtraError("psycopg", "postgres") from exc

_PARAM_RE = re.compile(r"(?<![\w$])\$([A-Za-z_]\w*)")
_OPCLASS = {"gin": {"text": "gin_trgm_ops"}, "gist": {"text": "gist_trgm_ops"}}


def to_psycopg(sql: str) -> str:
    """Translate `$name` parameters to psycopg's `%(name)s` (escaping literal `%`)."""
    return _PARAM_RE.sub(r"%(\1)s", sql.replace("%", "%%"))


def _pg_array(value: list[Any] | None) -> str | None:
    if value is None:
        return None
    items = []
    for item in value:
        if item is None:
            items.append("NULL")
        else:
            text = str(item).replace("\\", "\\\\").replace('"', '\\"')
            items.append(f'"{text}"')
    return "{" + ",".join(items) + "}"


def _copyable(data: pa.Table) -> pa.Table:
    """Arrow → columns the CSV writer and PostgreSQL's COPY agree on (arrays as PG literals)."""
    for i, field in enumerate(data.schema):
        if pa.types.is_list(field.type) or pa.types.is_large_list(field.type):
            texts = pa.array([_pg_array(v) for v in data.column(i).to_pylist()], pa.string())
            data = data.set_column(i, field.name, texts)
    return data


class PostgresEngine(Engine):
    """PostgreSQL: transactions, ON CONFLICT, btree/GIN/GiST indexes, many writer processes."""

    scheme: ClassVar[str] = "postgresql"
    dialect: ClassVar[str] = "postgres"
    capabilities: ClassVar[Capabilities] = Capabilities(
        transactions=True,
        upsert=True,
        indexes=True,
        advanced_indexes=True,
        constraints=True,
        concurrent_processes=True,
    )
    type_map: ClassVar[dict[str, str]] = {
        "uuid": "uuid",
        "varchar": "varchar",
        "text": "text",
        "jsonb": "jsonb",
        "timestamp": "timestamp",
        "date": "date",
        "numeric": "numeric",
        "integer": "integer",
        "bigint": "bigint",
        "boolean": "boolean",
    }
    # Timestamps are stored as UTC wall time whatever the session's time zone.
    now_sql: ClassVar[str] = "(now() AT TIME ZONE 'utc')"

    def __init__(self, url: str, *, max_connections: int = 8, connect_timeout: float = 5.0) -> None:
        super().__init__(url)
        self._local = threading.local()
        conninfo = url.replace("postgres://", "postgresql://", 1)
        try:
            # Fail fast with a clear cause instead of letting the pool retry in the background.
            psycopg.connect(conninfo, connect_timeout=int(connect_timeout)).close()
        except psycopg.OperationalError as exc:
            reason = _connect_failure(str(exc))
            fix = "start the server or fix DATABANK_ENGINE"
            if "does not exist" in reason and "database" in reason:
                fix = "create it first (createdb NAME) or fix DATABANK_ENGINE"
            raise EngineUnavailableError(
                f"cannot reach PostgreSQL at {self.redacted_url()}: {reason}", fix
            ) from None
        self._pool = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=max_connections,
            # JIT off: PostgreSQL compiled the plans of micro-batch statements (estimated at
            # millions of rows, reading thousands) for 1.0 s of a 1.5 s statement; at 1 M
            # transactions a micro-batch took 6.0-6.5 s with JIT and 4.3-4.8 s without, and a
            # full refresh 184 s with and 163 s without (bench database, this machine).
            kwargs={"autocommit": True, "options": "-c timezone=UTC -c jit=off"},
            open=True,
            timeout=30,
        )

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        held = getattr(self._local, "conn", None)
        if held is not None:
            yield held
            return
        with self._pool.connection() as conn:
            yield conn

    def execute(self, sql: str, params: Params = None) -> None:
        """Run one statement."""
        with self._connection() as conn:
            conn.execute(to_psycopg(sql) if params else sql, dict(params) if params else None)

    def write(self, sql: str, params: Params = None) -> int:
        """Run one INSERT, UPDATE or DELETE; the number of rows it wrote."""
        with self._connection() as conn:
            cur = conn.execute(to_psycopg(sql) if params else sql, dict(params) if params else None)
            return max(cur.rowcount, 0)

    def fetch_rows(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """Run a query, return tuples."""
        with self._connection() as conn:
            cur = conn.execute(to_psycopg(sql) if params else sql, dict(params) if params else None)
            return cur.fetchall() if cur.description else []

    def fetch_arrow(self, sql: str, params: Params = None) -> pa.Table:
        """Run a query, return Arrow (columns typed by pyarrow's inference)."""
        with self._connection() as conn:
            cur = conn.execute(to_psycopg(sql) if params else sql, dict(params) if params else None)
            names = [d.name for d in cur.description or ()]
            rows = cur.fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        return pa.table(
            {n: pa.array([_plain(v) for v in col]) for n, col in zip(names, columns, strict=True)}
        )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One connection for this thread until the block ends; nested blocks are savepoints."""
        held = getattr(self._local, "conn", None)
        if held is not None:
            with held.transaction():
                yield
            return
        with self._pool.connection() as conn:
            self._local.conn = conn
            try:
                with conn.transaction():
                    yield
            finally:
                self._local.conn = None

    def append_arrow(self, table: str, data: pa.Table) -> int:
        """COPY … FROM STDIN (FORMAT csv): pyarrow writes the CSV in C++, PostgreSQL parses it."""
        if data.num_rows == 0:
            return 0
        buffer = io.BytesIO()
        pacsv.write_csv(
            _copyable(data),
            buffer,
            pacsv.WriteOptions(include_header=False, quoting_style="needed"),
        )
        columns = ", ".join(quote_ident(c) for c in data.column_names)
        with self._connection() as conn, conn.cursor() as cur:
            try:
                with cur.copy(
                    f"COPY {quote_table(table)} ({columns}) FROM STDIN (FORMAT csv)"
                ) as copy:
                    view = buffer.getbuffer()
                    for start in range(0, len(view), 1 << 20):
                        copy.write(view[start : start + (1 << 20)])
            except psycopg.errors.DataError as exc:
                raise EngineError(
                    f"COPY into {table} rejected a value: {exc}".splitlines()[0]
                ) from exc
        return data.num_rows

    def table_names(self, schema: str) -> set[str]:
        """Tables in `schema`."""
        rows = self.fetch_rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $s",
            {"s": schema},
        )
        return {r[0] for r in rows}

    def column_types(self, table: str) -> dict[str, str]:
        """Column → PostgreSQL type (`numeric(12,2)`, `ARRAY`, …)."""
        schema, name = table.split(".", 1)
        rows = self.fetch_rows(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = $s AND c.relname = $t AND a.attnum > 0 AND NOT a.attisdropped "
            "ORDER BY a.attnum",
            {"s": schema, "t": name},
        )
        return {r[0]: r[1] for r in rows}

    def prepare(self) -> None:
        """GiST/GIN indexes on text need pg_trgm."""
        self.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")

    def create_like(self, source: str, table: str) -> None:
        """An empty `table` with `source`'s columns, types, defaults and NOT NULLs (no keys or
        indexes: it is a staging table)."""
        self.execute(
            f"CREATE TABLE {quote_table(table)} (LIKE {quote_table(source)} INCLUDING DEFAULTS)"
        )

    @contextmanager
    def bulk_load(self, table: str) -> Iterator[None]:
        """Drop `table`'s key constraints and indexes, yield, then add them back, all inside the
        caller's transaction ("Populating a Database", PostgreSQL manual 14.4): a sorted build
        once instead of seven btrees updated per row. Filling 1 M silver transactions took 20.2 s
        with its indexes in place and 7.7 s this way, index builds included. Re-adding a key
        checks it, so a duplicate still fails the transaction. Other sessions wait for the
        commit (the drops lock the table), which is why only an empty table's fill uses it."""
        if getattr(self._local, "conn", None) is None:
            raise EngineError("bulk_load runs inside a transaction (the drops must roll back)")
        schema, name = table.split(".", 1)
        target = quote_table(table)
        constraints = self.fetch_rows(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = CAST($t AS regclass) AND contype IN ('p', 'u') ORDER BY conname",
            {"t": target},
        )
        owned = {c[0] for c in constraints}
        indexes = [
            (index, definition)
            for index, definition in self.fetch_rows(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = $s AND tablename = $t ORDER BY indexname",
                {"s": schema, "t": name},
            )
            if index not in owned
        ]
        for constraint, _ in constraints:
            self.execute(f"ALTER TABLE {target} DROP CONSTRAINT {quote_ident(constraint)}")
        for index, _ in indexes:
            self.execute(f"DROP INDEX {quote_ident(schema)}.{quote_ident(index)}")
        yield
        for constraint, definition in constraints:
            self.execute(
                f"ALTER TABLE {target} ADD CONSTRAINT {quote_ident(constraint)} {definition}"
            )
        for _, definition in indexes:
            self.execute(definition)

    def create_index_sql(self, table: Table) -> list[str]:
        """The spec's btree, GIN and GiST indexes (text under GIN/GiST uses trigram operators)."""
        statements = []
        for index in table.indexes:
            if index.unique:
                continue  # already a UNIQUE constraint
            name = f"ix_{table.name}_{'_'.join(index.columns)}_{index.method}"[:63]
            parts = []
            for col_name in index.columns:
                family = table.column(col_name).type.family
                opclass = _OPCLASS.get(index.method, {}).get(family, "")
                parts.append(f"{quote_ident(col_name)} {opclass}".strip())
            statements.append(
                f"CREATE INDEX IF NOT EXISTS {quote_ident(name)} ON {quote_table(table.qualified)} "
                f"USING {index.method} ({', '.join(parts)})"
            )
        return statements

    def close(self) -> None:
        """Close the pool."""
        self._pool.close()


def _connect_failure(message: str) -> str:
    """The useful part of a libpq connection error: 'Connection refused', 'role … does not exist'."""
    first = message.strip().splitlines()[0] if message.strip() else "connection failed"
    reason = first.rsplit(" failed: ", 1)[-1]
    return reason.removeprefix("FATAL:").strip()


def _plain(value: Any) -> Any:
    """Values pyarrow cannot infer (UUID, dict from jsonb) as strings."""
    import uuid

    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        import orjson

        return orjson.dumps(value).decode()
    return value
