"""Embedded DuckDB: the default engine, one file, one writer process."""

from __future__ import annotations

import errno
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pyarrow as pa

from databank.engines.base import Capabilities, Engine, Params, quote_ident, quote_table
from databank.errors import DataDirError, EngineError, EngineLockedError

_view_ids = count()

log = logging.getLogger(__name__)


def duckdb_path(url: str) -> str:
    """The database path of a `duckdb:///path` URL (`:memory:` for an in-memory database)."""
    rest = url.removeprefix("duckdb://")
    if rest in ("", "/:memory:", ":memory:"):
        return ":memory:"
    return rest if rest.startswith("/") else str(Path(rest).resolve())


def _open(path: str) -> duckdb.DuckDBPyConnection:
    if path != ":memory:":
        folder = Path(path).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".databank-write-probe"
            probe.touch()
            probe.unlink()
        except OSError as exc:
            if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise DataDirError(
                    f"data directory {folder} is not writable ({exc.strerror})",
                    "set DATABANK_DATA_DIR (or DATABANK_ENGINE) to a folder you can write",
                ) from None
            raise DataDirError(
                f"cannot use data directory {folder}: {exc.strerror}",
                "set DATABANK_DATA_DIR to a writable folder",
            ) from None
    try:
        con = duckdb.connect(path)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            holder = (
                text.split("held in", 1)[-1].split(". See", 1)[0].strip()
                if "held in" in text
                else "another process"
            )
            raise EngineLockedError(
                f"the database file {path} is in use by {holder}",
                "stop that process, or talk to it through its API (databank serve owns the file)",
            ) from None
        raise EngineError(f"cannot open DuckDB file {path}: {text.splitlines()[0]}") from None
    con.execute("SET TimeZone = 'UTC'")
    # DuckDB checkpoints (compresses and rewrites row groups and indexes) each time the WAL
    # passes this size. At the default 16 MB a stream of 1,000-record ingestion batches spent
    # about half its insert time in checkpoints; 256 MB checkpoints 16x less often, at the cost
    # of a longer WAL replay after a crash (seconds) and the WAL's rows held in memory.
    con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
    return con


CHECKPOINT_THRESHOLD = "256MB"
# `housekeep` checkpoints once the WAL passes this, half the automatic threshold, so that
# checkpoints happen between micro-batches instead of in whichever commit crosses 256 MB: in a
# micro-batch after 10 M bronze rows that commit took 5-7 s (bench/transform.py).
IDLE_CHECKPOINT_BYTES = 128 * 1024 * 1024


class DuckDBEngine(Engine):
    """DuckDB in this process; threads get their own cursor on the shared database."""

    scheme: ClassVar[str] = "duckdb"
    dialect: ClassVar[str] = "duckdb"
    capabilities: ClassVar[Capabilities] = Capabilities(
        transactions=True,
        upsert=True,
        indexes=False,  # ART indexes slow bulk loads and DuckDB scans fast without them
        advanced_indexes=False,
        constraints=True,
        # An ART index (what a PRIMARY KEY or UNIQUE is in DuckDB) made inserting 1 M silver
        # transactions 2.9x and 2.2 M gold product rows 5.4x slower than into the same table
        # without one (bench/transform.py tables, measured here); the runner, the only writer
        # of the model layers, proves their keys with the models' unique tests instead.
        model_keys=False,
        concurrent_processes=False,
        # 1,000 customer ids as 1,000 parameters cost DuckDB more to bind than the scan they
        # filter (silver customers' delete: 8.5 ms against 4.4 ms through a temp table); the
        # steady 10 M micro-batch took 1.05 s instead of 1.15 s this way (measured here).
        # PostgreSQL answers a listed `= ANY` from its indexes: its activity model took 0.76 s
        # instead of 0.40-0.53 s through the temp table, so it keeps the default.
        listed_text_keys=200,
    )
    type_map: ClassVar[dict[str, str]] = {
        "uuid": "UUID",
        "varchar": "VARCHAR",
        "text": "VARCHAR",
        "jsonb": "JSON",
        "timestamp": "TIMESTAMP",
        "date": "DATE",
        # An unsized DBML numeric holds scores and durations: keep 10 decimals of precision.
        "numeric": "DECIMAL(38,10)",
        "integer": "INTEGER",
        "bigint": "BIGINT",
        "boolean": "BOOLEAN",
    }

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.path = duckdb_path(url)
        self._root = _open(self.path)
        self._local = threading.local()
        self._lock = threading.Lock()

    def render_type(self, col_type: Any) -> str:
        """DuckDB spells unsized numeric like a sized one; sized ones keep their own size."""
        if col_type.base == "numeric" and col_type.args:
            return f"DECIMAL({','.join(map(str, col_type.args))})"
        return super().render_type(col_type)

    def _con(self) -> duckdb.DuckDBPyConnection:
        con = getattr(self._local, "con", None)
        if con is None:
            with self._lock:
                con = self._root.cursor()
            con.execute("SET TimeZone = 'UTC'")
            self._local.con = con
        return con

    def execute(self, sql: str, params: Params = None) -> None:
        """Run one statement."""
        self._con().execute(sql, dict(params) if params else None)

    def write(self, sql: str, params: Params = None) -> int:
        """Run one INSERT, UPDATE or DELETE; the number of rows it wrote."""
        row = self._con().execute(sql, dict(params) if params else None).fetchone()
        return int(row[0]) if row else 0

    def fetch_arrow(self, sql: str, params: Params = None) -> pa.Table:
        """Run a query, return Arrow."""
        return self._con().execute(sql, dict(params) if params else None).to_arrow_table()

    def fetch_rows(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """Run a query, return tuples."""
        return self._con().execute(sql, dict(params) if params else None).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN … COMMIT on this thread's cursor; nested calls join the outer transaction."""
        depth = getattr(self._local, "depth", 0)
        if depth:
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth = depth
            return
        con = self._con()
        con.execute("BEGIN TRANSACTION")
        self._local.depth = 1
        try:
            yield
        except BaseException:
            con.execute("ROLLBACK")
            raise
        else:
            con.execute("COMMIT")
        finally:
            self._local.depth = 0

    def append_arrow(self, table: str, data: pa.Table) -> int:
        """INSERT … SELECT from the Arrow table registered as a view (zero copy)."""
        if data.num_rows == 0:
            return 0
        con = self._con()
        view = f"_databank_in_{next(_view_ids)}"
        columns = ", ".join(quote_ident(c) for c in data.column_names)
        con.register(view, data)
        try:
            con.execute(
                f"INSERT INTO {quote_table(table)} ({columns}) SELECT {columns} FROM {view}"
            )
        finally:
            con.unregister(view)
        return data.num_rows

    def create_like(self, source: str, table: str) -> None:
        """An empty `table` with `source`'s definition (columns, defaults, NOT NULLs, keys)."""
        definition = self._definition(source)
        if definition is None:
            super().create_like(source, table)
            return
        self.execute(f"CREATE TABLE {quote_table(table)}(" + definition)

    def swap_table(self, target: str, staging: str) -> None:
        """Drop `target` and rename `staging` to it, in one transaction (DuckDB's catalog is
        transactional: readers see the old or the new table). A staging table made by
        `create_like(target, …)` is renamed as it is; one whose definition differs is first copied
        into a table with `target`'s definition. Deleting every row of a keyed table instead was
        measured 4x slower at 300k rows.
        """
        wanted = self._definition(target)
        if wanted is None:  # not a definition this can rewrite
            super().swap_table(target, staging)
            return
        name = target.split(".", 1)[1]
        with self.transaction():
            if self._definition(staging) != wanted:
                self._copy_into(target, staging)
            self.execute(f"DROP TABLE {quote_table(target)}")
            self.execute(f"ALTER TABLE {quote_table(staging)} RENAME TO {quote_ident(name)}")

    def _definition(self, table: str) -> str | None:
        """`CREATE TABLE` text after the table's name, or None when it does not exist."""
        schema, name = table.split(".", 1)
        ddl = self.fetch_value(
            "SELECT sql FROM duckdb_tables() WHERE schema_name = $s AND table_name = $t "
            "AND database_name = current_database()",
            {"s": schema, "t": name},
        )
        prefix = f"CREATE TABLE {schema}.{name}("
        return ddl[len(prefix) :] if isinstance(ddl, str) and ddl.startswith(prefix) else None

    def _copy_into(self, target: str, staging: str) -> None:
        """Replace `staging` by a table with `target`'s definition holding `staging`'s rows."""
        schema, name = staging.split(".", 1)
        fresh = f"{schema}.{name}__copy"
        columns = ", ".join(quote_ident(c) for c in self.column_types(staging))
        self.execute(f"DROP TABLE IF EXISTS {quote_table(fresh)}")
        self.create_like(target, fresh)
        self.execute(
            f"INSERT INTO {quote_table(fresh)} ({columns}) SELECT {columns} FROM {quote_table(staging)}"
        )
        self.execute(f"DROP TABLE {quote_table(staging)}")
        self.execute(f"ALTER TABLE {quote_table(fresh)} RENAME TO {quote_ident(name)}")

    def drop_keys(self, table: str) -> None:
        """Rebuild `table` without its PRIMARY KEY / UNIQUE constraints (DuckDB cannot drop one):
        same columns, types, defaults, NOT NULLs and rows, in one transaction.

        The new table is declared whole by CREATE TABLE: `ALTER COLUMN … SET DEFAULT now()` left
        a write-ahead log that DuckDB 1.5.5 cannot replay ("GetDefaultDatabase with no default
        database set"), so a crash before the next checkpoint made the file unopenable.
        """
        schema, name = table.split(".", 1)
        copy = f"{schema}.{name}__unkeyed"
        lines = []
        for column, kind, default, nullable in self.fetch_rows(
            "SELECT column_name, data_type, column_default, is_nullable "
            "FROM information_schema.columns WHERE table_schema = $s AND table_name = $t "
            "AND table_catalog = current_database() ORDER BY ordinal_position",
            {"s": schema, "t": name},
        ):
            line = f"{quote_ident(column)} {kind}"
            if default is not None:
                line += f" DEFAULT {default}"
            if nullable == "NO":
                line += " NOT NULL"
            lines.append(line)
        with self.transaction():
            self.execute(f"DROP TABLE IF EXISTS {quote_table(copy)}")
            self.execute(f"CREATE TABLE {quote_table(copy)} ({', '.join(lines)})")
            self.execute(f"INSERT INTO {quote_table(copy)} SELECT * FROM {quote_table(table)}")
            self.execute(f"DROP TABLE {quote_table(table)}")
            self.execute(f"ALTER TABLE {quote_table(copy)} RENAME TO {quote_ident(name)}")

    def table_names(self, schema: str) -> set[str]:
        """Tables in `schema`."""
        rows = self.fetch_rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $s "
            "AND table_catalog = current_database()",
            {"s": schema},
        )
        return {r[0] for r in rows}

    def column_types(self, table: str) -> dict[str, str]:
        """Column → DuckDB type."""
        schema, name = table.split(".", 1)
        rows = self.fetch_rows(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = $s AND table_name = $t AND table_catalog = current_database() "
            "ORDER BY ordinal_position",
            {"s": schema, "t": name},
        )
        return {r[0]: r[1] for r in rows}

    def housekeep(self) -> bool:
        """Checkpoint when the write-ahead log has passed IDLE_CHECKPOINT_BYTES.

        Writes open on other threads go on (DuckDB checkpoints what is committed); a checkpoint
        DuckDB refuses is put off (False), and the automatic one still bounds the log.
        """
        if self.path == ":memory:":
            return False
        try:
            size = Path(self.path + ".wal").stat().st_size
        except OSError:  # no log (nothing written since the last checkpoint), or unreadable
            return False
        if size < IDLE_CHECKPOINT_BYTES:
            return False
        try:
            self._con().execute("CHECKPOINT")
        except duckdb.Error as exc:
            log.info("checkpoint of %s put off: %s", self.path, exc)
            return False
        return True

    def close(self) -> None:
        """Checkpoint, then close the database (other threads' cursors go with it).

        DuckDB checkpoints on close only once no cursor is left; with the threads' cursors still
        referenced the process used to exit with its write-ahead log in place (89 MB after a
        60-day demo), which the next open had to replay.
        """
        try:
            self._root.execute("CHECKPOINT")
        except duckdb.Error as exc:  # a write still running elsewhere: the WAL is replayed later
            log.warning("no checkpoint on close of %s: %s", self.path, exc)
        self._root.close()
