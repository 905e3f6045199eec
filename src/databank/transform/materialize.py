"""How a model's rows land in its table: full rebuild + swap, partition replace, or upsert.

Everything is set-based SQL on the engine; only the list of touched partitions (or keys) comes back
to Python, to be passed as parameters (the engines push `col IN ($p0, …)` down into scans; a
semi-join on a temp table is used beyond `MAX_LISTED` values, and for text keys beyond the
engine's `listed_text_keys`). Each write, its tests, its watermarks and its refresh mark commit
together, or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlglot import exp

from databank.engines.base import Engine, quote_ident, quote_table
from databank.engines.dialects import SOURCE
from databank.refresh import mark_refreshed
from databank.transform import removals
from databank.transform.checks import Scope, run_checks
from databank.transform.compiler import (
    MAX_LISTED,
    Compiled,
    Compiler,
    count,
    member_condition,
    temp_condition,
)
from databank.transform.errors import ModelDefinitionError
from databank.transform.model import Model, Severity
from databank.transform.sqlmodel import narrow, placeholder
from databank.transform.summary import SummaryMixin
from databank.transform.upsert import UpsertMixin
from databank.transform.watermarks import Interval, save
from databank.transform.writes import (
    FRESH,
    PARTS,
    TOUCHED,
    Outcome,
    drop,
    interval_params,
    interval_sql,
    interval_tree,
    lock_model,
    raise_if_blocking,
    staging_name,
    temp,
)


def _unique_key(model: Model) -> tuple[str, ...]:
    """The columns of a strict `unique` test (error severity, no failures allowed), if any."""
    for check in model.checks:
        if (
            check.kind == "unique"
            and check.severity == Severity.ERROR
            and check.max_failures == 0
            and check.max_rate is None
        ):
            return check.columns
    return ()


def _same_value(column: str, kind: str) -> str:
    """`_f.col` equals `_t.col`, NULL equal to NULL (PostgreSQL's `json` has no `=`: as text)."""
    left, right = f"_f.{quote_ident(column)}", f"_t.{quote_ident(column)}"
    if kind.strip().lower() == "json":
        left, right = f"CAST({left} AS TEXT)", f"CAST({right} AS TEXT)"
    return f"{left} IS NOT DISTINCT FROM {right}"


class Materializer(UpsertMixin, SummaryMixin):
    """Writes one model's rows for one run."""

    def __init__(self, engine: Engine, compiler: Compiler, run_id: str) -> None:
        self.engine = engine
        self.compiler = compiler
        self.run_id = run_id

    # -- full rebuild ---------------------------------------------------------------------------
    def full(
        self, c: Compiled, intervals: Sequence[Interval], source_sql: str | None = None
    ) -> Outcome:
        """Build the whole table beside the live one, test it, swap it in atomically.

        An empty table is filled in place, in one transaction: readers see nothing until the
        commit, a failure rolls back to the same empty table, and the rows are written once (its
        indexes built after the rows where the engine keeps any: `engine.bulk_load`).
        """
        engine, model = self.engine, c.model
        if not engine.fetch_rows(f"SELECT 1 FROM {quote_table(model.name)} LIMIT 1"):
            return self._fill_empty(c, intervals, source_sql)
        staging = staging_name(model)
        try:
            # staged with the live table's definition, so DuckDB swaps it in by a rename
            engine.create_like(model.name, staging)
            every = ", ".join(quote_ident(column) for column in c.info.types)
            rows = engine.write(
                f"INSERT INTO {quote_table(staging)} ({every}) SELECT {c.full_row()} "
                f"FROM ({source_sql or c.select_sql}) AS _m"
            )
            checks = run_checks(engine, model.checks, staging)
            raise_if_blocking(model, checks)
            with engine.transaction():
                lock_model(engine, model)
                engine.swap_table(model.name, staging)
                full = [Interval(i.source_table, i.column, None, i.high) for i in intervals]
                save(engine, self.run_id, model.name, full, "full_refresh", rows, 0)
                mark_refreshed(engine, model.name)
        finally:
            engine.execute(f"DROP TABLE IF EXISTS {quote_table(staging)}")
        return Outcome("full_refresh", rows, 0, [], checks)

    def _fill_empty(
        self, c: Compiled, intervals: Sequence[Interval], source_sql: str | None
    ) -> Outcome:
        engine, model = self.engine, c.model
        with engine.transaction():
            lock_model(engine, model)
            with engine.bulk_load(model.name):
                rows = engine.write(
                    f"INSERT INTO {quote_table(model.name)} ({c.column_list}) "
                    f"SELECT {c.casts()} FROM ({source_sql or c.select_sql}) AS _m"
                )
            checks = run_checks(engine, model.checks, model.name, enforced=c.info.keys)
            raise_if_blocking(model, checks)
            full = [Interval(i.source_table, i.column, None, i.high) for i in intervals]
            save(engine, self.run_id, model.name, full, "full_refresh", rows, 0)
            mark_refreshed(engine, model.name)
        return Outcome("full_refresh", rows, 0, [], checks)

    # -- partition replace ----------------------------------------------------------------------
    def incremental(
        self,
        c: Compiled,
        intervals: Sequence[Interval],
        changed: Sequence[Interval],
        *,
        log_removals: bool = False,
        removal_logs: Sequence[str] = (),
    ) -> Outcome:
        """Replace the partitions new upstream rows touch (widened by the lookback), in one transaction.

        `log_removals`: this model's rows drive incremental models downstream, and it keeps a
        removal log (`removals`): rows the rebuild reproduces exactly stay as stored, and the rows
        it takes out are logged (`_replace_changed`). `removal_logs`: the upstream tables (among
        `changed`) whose removal logs the partition probe reads too.

        On an error the transaction rolls back, temp tables included (no SQL runs after a failed
        statement: PostgreSQL refuses it until the rollback).
        """
        return self._in_transaction(
            c.model,
            (TOUCHED, PARTS, FRESH),
            lambda: self._replace_partitions(
                c, intervals, changed, log_removals, frozenset(removal_logs)
            ),
        )

    def _replace_partitions(
        self,
        c: Compiled,
        intervals: Sequence[Interval],
        changed: Sequence[Interval],
        log_removals: bool,
        removal_logs: frozenset[str],
    ) -> Outcome:
        engine, model = self.engine, c.model
        column = model.partition_by or ""
        temp(self.engine, TOUCHED, self._partition_probe(c, changed, removal_logs))
        drop(self.engine, PARTS)
        if model.lookback:
            self._widen(c, column)
        else:
            engine.execute(f"CREATE TEMP TABLE {PARTS} AS SELECT DISTINCT k0 FROM {TOUCHED}")
        found = count(engine, PARTS)
        if found == 0:
            save(engine, self.run_id, model.name, intervals, "incremental", 0, 0)
            return Outcome("incremental", 0, 0, [], [])
        values: list[Any] | None = None
        limit = MAX_LISTED
        if c.info.family(column) == "text":
            limit = min(limit, engine.capabilities.listed_text_keys)
        if found <= limit:
            # the type in the text: PostgreSQL caches a plan per statement text, and the same
            # text over a temp table of another partition type fails ("cached plan must not
            # change result type") once a date-partitioned model prepared it
            kind = c.info.types[column]
            values = [
                r[0]
                for r in engine.fetch_rows(
                    f"SELECT CAST(k0 AS {kind}) AS k0 FROM {PARTS} ORDER BY 1"
                )
            ]
            target_cond, params = member_condition([column], [(v,) for v in values], "_p")
            model_cond, _ = member_condition([column], [(v,) for v in values], "_p", "_m")
        else:
            target_cond, params = temp_condition([column], PARTS), {}
            model_cond = temp_condition([column], PARTS, "_m")
        rebuild, narrowing = self._rebuild_sql(c, values)
        read_params = dict(params) | narrowing
        if model.partition_window and model.partition_sources:
            read_params.update(self._window_bounds(c, column))
        fresh = f"SELECT {c.casts()} FROM ({rebuild}) AS _m WHERE {model_cond}"
        # Writing only what changed keeps unchanged rows' stamps, which a logged model's readers
        # need; where the engine keeps indexes on model tables (PostgreSQL) it is also cheaper:
        # rewriting a window of gold product rows (60,000 rows, four indexes) took 0.65 s of
        # each 1 M micro-batch there, most of them unchanged.
        changed_only = log_removals or engine.capabilities.model_keys
        key = _unique_key(model) if changed_only else ()
        stored_cond = (
            member_condition([column], [(v,) for v in values], "_p", "_t")[0]
            if values is not None
            else temp_condition([column], PARTS, "_t")
        )
        temp(engine, FRESH, (fresh, read_params))
        if key:
            rows = self._replace_changed(c, key, stored_cond, params, log_removals)
        else:
            if log_removals:
                removals.remove(engine, model.name, c.info.types, stored_cond, params)
            else:
                engine.execute(f"DELETE FROM {quote_table(model.name)} WHERE {target_cond}", params)
            rows = engine.write(
                f"INSERT INTO {quote_table(model.name)} ({c.column_list}) "
                f"SELECT {c.column_list} FROM {FRESH}"
            )
        # Either way the touched partitions now hold exactly FRESH's rows: the tests read them
        # there unless one names a column the model leaves to the table (`updated_at`).
        tested = {col for check in model.checks for col in check.columns}
        rows_table = FRESH if tested <= set(c.columns) else None
        checks = run_checks(
            engine,
            model.checks,
            model.name,
            Scope(target_cond, params, (column,), rows_table),
            c.info.keys,
        )
        raise_if_blocking(model, checks)
        save(engine, self.run_id, model.name, intervals, "incremental", rows, found)
        mark_refreshed(engine, model.name)
        return Outcome("incremental", rows, found, (values or [])[:50], checks)

    def _replace_changed(
        self,
        c: Compiled,
        key: tuple[str, ...],
        stored_cond: str,
        params: dict[str, Any],
        log_removals: bool,
    ) -> int:
        """Partition replace that writes only what differs: the rebuilt rows (in FRESH) not
        stored yet are inserted, the stored rows the rebuild no longer produces (removed, or an
        old version) are deleted (and logged in the removal log with `log_removals`), and every
        other row stays.

        A rebuilt partition mostly holds the rows it already held (a lookback day is usually
        unchanged; a day with new records gains rows). Deleting and inserting those rows would
        stamp them as new, and every downstream model would re-derive them: at 10 M transactions
        a micro-batch of 1,000 made the customer models re-derive 36,000 customers, not 1,000.
        Downstream models see the change through the new rows' stamps and the removed rows' log
        entries, so a day that lost its last row, or the customer a transaction moved away from,
        is rebuilt downstream too. Returns the rows inserted.

        Applies to models with a strict unique key (`_unique_key`): there a row is stored once
        or not at all, so comparing sets of rows is exact. A rebuild that repeats a key is
        written whole, so the key's test sees the repeat, fails and rolls the write back.
        """
        engine, model = self.engine, c.model
        table = quote_table(model.name)
        keys = ", ".join(quote_ident(k) for k in key)
        if engine.fetch_rows(f"SELECT 1 FROM {FRESH} GROUP BY {keys} HAVING count(*) > 1 LIMIT 1"):
            engine.execute(f"DELETE FROM {table} AS _t WHERE {stored_cond}", params)
            return engine.write(
                f"INSERT INTO {table} ({c.column_list}) SELECT {c.column_list} FROM {FRESH}"
            )
        # `=` on the key lets PostgreSQL hash-join (it nested-looped over IS NOT DISTINCT FROM,
        # 1.1 s per micro-batch at 1 M rows); a row with a NULL key never matches: it is replaced
        same = " AND ".join(
            f"_f.{quote_ident(col)} = _t.{quote_ident(col)}"
            if col in key
            else _same_value(col, c.info.types[col])
            for col in c.columns
        )
        gone = f"{stored_cond} AND NOT EXISTS (SELECT 1 FROM {FRESH} AS _f WHERE {same})"
        if log_removals:
            removals.remove(engine, model.name, c.info.types, gone, params)
        else:
            engine.execute(f"DELETE FROM {table} AS _t WHERE {gone}", params)
        return engine.write(
            f"INSERT INTO {table} ({c.column_list}) "
            f"SELECT {c.column_list} FROM {FRESH} AS _f WHERE NOT EXISTS ("
            f"SELECT 1 FROM {table} AS _t WHERE {stored_cond} AND {same})",
            params,
        )

    def _partition_probe(
        self, c: Compiled, changed: Sequence[Interval], removal_logs: frozenset[str] = frozenset()
    ) -> tuple[str, dict[str, Any]]:
        """SELECT k0: the partitions that upstream rows in the `changed` intervals feed, and
        those that the rows removed from an upstream in `removal_logs` fed (read from its log)."""
        parts, params = [], {}
        for i, interval in enumerate(changed):
            params.update(interval_params(i, interval))
            parts += self._probe_parts(c, i, interval, interval.source_table)
            if interval.source_table in removal_logs:
                log = removals.log_name(interval.source_table)
                parts += self._probe_parts(c, i, removals.removed_in(interval), log)
        return "SELECT DISTINCT k0 FROM (" + " UNION ALL ".join(parts) + ") AS _u", params

    def _probe_parts(self, c: Compiled, i: int, interval: Interval, read: str) -> list[str]:
        """The probe's SELECTs for one upstream interval, reading the upstream's rows from `read`
        (the upstream itself, or its removal log by removal time: the same columns)."""
        model = c.model
        column = model.partition_by or ""
        kind = c.info.types[column]
        source_column = model.partition_sources.get(interval.source_table)
        if source_column is not None and model.partition_window:
            # partition p reads source partitions p - window .. p: source p feeds p .. p + window
            return [
                f"SELECT CAST(CAST({quote_ident(source_column)} AS {kind}) "
                f"+ CAST(_g.k AS INTEGER) AS {kind}) AS k0 "
                f"FROM {quote_table(read)} "
                f"CROSS JOIN generate_series(0, {int(model.partition_window)}) AS _g(k) "
                f"WHERE {interval_sql(i, interval)}"
            ]
        if source_column is not None:
            return [
                f"SELECT CAST({quote_ident(source_column)} AS {kind}) AS k0 "
                f"FROM {quote_table(read)} WHERE {interval_sql(i, interval)}"
            ]
        narrowed = self._narrowed_sql(c, i, interval, read)
        parts = [f"SELECT CAST(_m.{quote_ident(column)} AS {kind}) AS k0 FROM ({narrowed}) AS _m"]
        grain = [g for g in model.grain if g in c.columns]
        if grain and column not in grain:
            # A row whose key moved to another partition must leave its old one too.
            # (a join on the new rows' distinct keys: a correlated EXISTS made DuckDB probe
            # the whole table per run, seconds at 10 M rows)
            keys = ", ".join(quote_ident(g) for g in grain)
            match = " AND ".join(f"_c.{quote_ident(g)} = _t.{quote_ident(g)}" for g in grain)
            parts.append(
                f"SELECT _t.{quote_ident(column)} AS k0 FROM {quote_table(model.name)} AS _t "
                f"JOIN (SELECT DISTINCT {keys} FROM ({narrowed}) AS _n) AS _c ON {match}"
            )
        return parts

    def _narrowed_sql(
        self, c: Compiled, i: int, interval: Interval, read: str, added_before: bool = False
    ) -> str:
        """The model's SQL over `read`'s rows in `interval` (`read`: the upstream or its removal
        log); `added_before`: only rows written at or before the interval's low end."""
        key = (
            f"narrow:{interval.source_table}:{read}:{interval.column}:{i}:"
            f"{interval.low is None}:{added_before}"
        )
        if key not in c.cache:
            if c.tree is None:
                raise ModelDefinitionError(f"{c.model.name}: no SQL to narrow")

            def condition() -> exp.Expr:
                rows = interval_tree(i, interval)
                if not added_before:
                    return rows
                stamp = exp.column(removals.STAMP)
                return exp.and_(rows, exp.LTE(this=stamp, expression=placeholder(f"lo{i}")))

            tree = narrow(c.tree, interval.source_table, condition, inner_joins=True, read=read)
            c.cache[key] = self.compiler.sql(tree, c.model.name)
        return c.cache[key]

    def _rebuild_sql(self, c: Compiled, values: list[Any] | None) -> tuple[str, dict[str, Any]]:
        """The model's SQL with `partition_source` upstreams read only in the touched partitions,
        and the parameters that narrowing adds.

        The partitions go in as one array parameter (or, beyond MAX_LISTED, through the temp
        table; with a window, as bounds), so the text is the same every run and is built once
        per model: narrowing and generating the SQL again for each list took 0.24 s of Python
        per micro-batch, and DuckDB scans as fast through the array as through listed values.
        """
        model = c.model
        if not model.partition_sources or c.tree is None:
            return c.select_sql, {}
        params: dict[str, Any] = {}
        with_null = False
        if model.partition_window:
            mode = "window"
        elif values is None:
            mode = "temp"
        else:
            mode, with_null = "array", any(v is None for v in values)
            params["_plist"] = [v for v in values if v is not None]
        key = f"rebuild:{mode}:{with_null}"
        if key not in c.cache:
            kind = c.info.types[model.partition_by or ""]
            tree = c.tree
            for table, column in model.partition_sources.items():
                tree = narrow(tree, table, self._narrowing(mode, column, kind, with_null))
            c.cache[key] = self.compiler.sql(tree, model.name)
        return c.cache[key], params

    def _narrowing(
        self, mode: str, column: str, kind: str, with_null: bool
    ) -> Callable[[], exp.Expr]:
        """The condition that keeps a source's rows of the touched partitions."""
        if mode == "window":

            def window() -> exp.Expr:
                return exp.and_(
                    exp.GTE(this=exp.column(column), expression=placeholder("_wlo")),
                    exp.LTE(this=exp.column(column), expression=placeholder("_whi")),
                )

            return window
        if mode == "temp":
            return lambda: exp.condition(temp_condition([column], PARTS), dialect=SOURCE)
        element = exp.DataType.build(kind, dialect=self.engine.dialect)
        listed = exp.DataType(this=exp.DataType.Type.ARRAY, expressions=[element], nested=True)

        def array() -> exp.Expr:
            test: exp.Expr = exp.EQ(
                this=exp.column(column),
                expression=exp.Any(this=exp.Paren(this=exp.cast(placeholder("_plist"), listed))),
            )
            return exp.or_(test, exp.column(column).is_(exp.null())) if with_null else test

        return array

    def _window_bounds(self, c: Compiled, column: str) -> dict[str, Any]:
        """The source partitions the touched ones read: (min - window, max), as parameters."""
        kind = c.info.types[column]
        low, high = self.engine.fetch_rows(
            f"SELECT CAST(min(k0) - {int(c.model.partition_window)} AS {kind}), max(k0) "
            f"FROM {PARTS}"
        )[0]
        return {"_wlo": low, "_whi": high}

    def _widen(self, c: Compiled, column: str) -> None:
        family = c.info.family(column)
        if family not in ("date", "integer"):
            raise ModelDefinitionError(
                f"{c.model.name}: lookback needs a date or integer partition column, {column} is "
                f"{c.info.types[column]}"
            )
        kind = c.info.types[column]
        self.engine.execute(
            f"CREATE TEMP TABLE {PARTS} AS SELECT DISTINCT k0 FROM ("
            f"SELECT k0 FROM {TOUCHED} UNION ALL "
            f"SELECT CAST(k0 - CAST(g.k AS INTEGER) AS {kind}) AS k0 FROM {TOUCHED} "
            f"CROSS JOIN generate_series(1, {int(c.model.lookback)}) AS g(k) WHERE k0 IS NOT NULL"
            ") AS _w"
        )
