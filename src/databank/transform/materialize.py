"""How a model's rows land in its table: full rebuild + swap, partition replace, or upsert.

Everything is set-based SQL on the engine; only the list of touched partitions (or keys) comes back
to Python, to be passed as parameters (the engines push `col IN ($p0, …)` down into scans; a
semi-join on a temp table is used beyond `MAX_LISTED` values). Each write, its tests, its watermarks
and its refresh mark commit together, or not at all.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from databank.engines.base import Engine, quote_ident, quote_table
from databank.refresh import mark_refreshed
from databank.transform.checks import CheckResult, Scope, run_checks
from databank.transform.compiler import (
    MAX_LISTED,
    Compiled,
    Compiler,
    count,
    member_condition,
    temp_condition,
)
from databank.transform.errors import ChecksFailedError, ModelDefinitionError
from databank.transform.model import Model
from databank.transform.sqlmodel import narrow, placeholder
from databank.transform.watermarks import Interval, save

TOUCHED, PARTS, KEYS, BATCH = (
    "_databank_touched",
    "_databank_parts",
    "_databank_keys",
    "_databank_batch",
)


@dataclass
class Outcome:
    """What a write did."""

    mode: str
    rows: int = 0
    partitions: int = 0
    partition_values: list[Any] | None = None
    checks: list[CheckResult] | None = None


def staging_name(model: Model, purpose: str = "next") -> str:
    """A fresh table beside the model's own: `silver.x__next_1a2b3c`."""
    return f"{model.layer}.{model.table}__{purpose}_{secrets.token_hex(3)}"


def drop_leftovers(engine: Engine, model: Model) -> None:
    """Drop staging tables an interrupted run of this model left behind."""
    pattern = re.compile(rf"^{re.escape(model.table)}__(next|in)_[0-9a-f]{{6}}$")
    for name in engine.table_names(model.layer):
        if pattern.match(name):
            engine.execute(f"DROP TABLE IF EXISTS {quote_table(f'{model.layer}.{name}')}")


def _raise_if_blocking(model: Model, checks: list[CheckResult]) -> None:
    failed = [c for c in checks if c.blocking]
    if failed:
        names = ", ".join(f"{c.name} ({c.metric_value:g} failing)" for c in failed)
        error = ChecksFailedError(f"{model.name}: test(s) with severity error failed: {names}")
        error.checks = checks  # type: ignore[attr-defined]
        raise error


class Materializer:
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
        commit, a failure rolls back to the same empty table, and the rows are written once.
        """
        engine, model = self.engine, c.model
        if not engine.fetch_rows(f"SELECT 1 FROM {quote_table(model.name)} LIMIT 1"):
            return self._fill_empty(c, intervals, source_sql)
        staging = staging_name(model)
        try:
            engine.execute(
                f"CREATE TABLE {quote_table(staging)} AS SELECT {c.full_row()} "
                f"FROM ({source_sql or c.select_sql}) AS _m"
            )
            rows = count(engine, staging)
            checks = run_checks(engine, model.checks, staging)
            _raise_if_blocking(model, checks)
            with engine.transaction():
                _lock_model(engine, model)
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
            _lock_model(engine, model)
            engine.execute(
                f"INSERT INTO {quote_table(model.name)} ({c.column_list}) "
                f"SELECT {c.casts()} FROM ({source_sql or c.select_sql}) AS _m"
            )
            rows = count(engine, model.name)
            checks = run_checks(engine, model.checks, model.name, enforced=_enforced(engine, c))
            _raise_if_blocking(model, checks)
            full = [Interval(i.source_table, i.column, None, i.high) for i in intervals]
            save(engine, self.run_id, model.name, full, "full_refresh", rows, 0)
            mark_refreshed(engine, model.name)
        return Outcome("full_refresh", rows, 0, [], checks)

    # -- partition replace ----------------------------------------------------------------------
    def incremental(
        self, c: Compiled, intervals: Sequence[Interval], changed: Sequence[Interval]
    ) -> Outcome:
        """Replace the partitions new upstream rows touch (widened by the lookback), in one transaction.

        On an error the transaction rolls back, temp tables included (no SQL runs after a failed
        statement: PostgreSQL refuses it until the rollback).
        """
        with self.engine.transaction():
            _lock_model(self.engine, c.model)
            outcome = self._replace_partitions(c, intervals, changed)
            self._drop(TOUCHED, PARTS)
        return outcome

    def _replace_partitions(
        self, c: Compiled, intervals: Sequence[Interval], changed: Sequence[Interval]
    ) -> Outcome:
        engine, model = self.engine, c.model
        column = model.partition_by or ""
        self._temp(TOUCHED, self._partition_probe(c, changed))
        self._drop(PARTS)
        if model.lookback:
            self._widen(c, column)
        else:
            engine.execute(f"CREATE TEMP TABLE {PARTS} AS SELECT DISTINCT k0 FROM {TOUCHED}")
        found = count(engine, PARTS)
        if found == 0:
            save(engine, self.run_id, model.name, intervals, "incremental", 0, 0)
            return Outcome("incremental", 0, 0, [], [])
        values: list[Any] | None = None
        if found <= MAX_LISTED:
            values = [r[0] for r in engine.fetch_rows(f"SELECT k0 FROM {PARTS} ORDER BY k0")]
            target_cond, params = member_condition([column], [(v,) for v in values], "_p")
            model_cond, _ = member_condition([column], [(v,) for v in values], "_p", "_m")
        else:
            target_cond, params = temp_condition([column], PARTS), {}
            model_cond = temp_condition([column], PARTS, "_m")
        rebuild = self._rebuild_sql(c, values)
        engine.execute(f"DELETE FROM {quote_table(model.name)} WHERE {target_cond}", params)
        engine.execute(
            f"INSERT INTO {quote_table(model.name)} ({c.column_list}) "
            f"SELECT {c.casts()} FROM ({rebuild}) AS _m WHERE {model_cond}",
            params,
        )
        rows = count(engine, model.name, target_cond, params)
        checks = run_checks(
            engine, model.checks, model.name, Scope(target_cond, params), _enforced(engine, c)
        )
        _raise_if_blocking(model, checks)
        save(engine, self.run_id, model.name, intervals, "incremental", rows, found)
        mark_refreshed(engine, model.name)
        return Outcome("incremental", rows, found, (values or [])[:50], checks)

    def _partition_probe(
        self, c: Compiled, changed: Sequence[Interval]
    ) -> tuple[str, dict[str, Any]]:
        """SELECT k0: the partitions that upstream rows in the `changed` intervals feed."""
        model = c.model
        column = model.partition_by or ""
        kind = c.info.types[column]
        parts, params = [], {}
        for i, interval in enumerate(changed):
            params.update(_interval_params(i, interval))
            source_column = model.partition_sources.get(interval.source_table)
            if source_column is not None:
                parts.append(
                    f"SELECT CAST({quote_ident(source_column)} AS {kind}) AS k0 "
                    f"FROM {quote_table(interval.source_table)} WHERE {_interval_sql(i, interval)}"
                )
                continue
            narrowed = self._narrowed_sql(c, i, interval)
            parts.append(
                f"SELECT CAST(_m.{quote_ident(column)} AS {kind}) AS k0 FROM ({narrowed}) AS _m"
            )
            grain = [g for g in model.grain if g in c.columns]
            if grain and column not in grain:
                # A row whose key moved to another partition must leave its old one too.
                match = " AND ".join(f"_c.{quote_ident(g)} = _t.{quote_ident(g)}" for g in grain)
                parts.append(
                    f"SELECT _t.{quote_ident(column)} AS k0 FROM {quote_table(model.name)} AS _t "
                    f"WHERE EXISTS (SELECT 1 FROM ({narrowed}) AS _c WHERE {match})"
                )
        return "SELECT DISTINCT k0 FROM (" + " UNION ALL ".join(parts) + ") AS _u", params

    def _narrowed_sql(self, c: Compiled, i: int, interval: Interval) -> str:
        key = f"narrow:{interval.source_table}:{i}:{interval.low is None}"
        if key not in c.cache:
            if c.tree is None:
                raise ModelDefinitionError(f"{c.model.name}: no SQL to narrow")
            tree = narrow(
                c.tree, interval.source_table, lambda: _interval_tree(i, interval), inner_joins=True
            )
            c.cache[key] = self.compiler.sql(tree, c.model.name)
        return c.cache[key]

    def _rebuild_sql(self, c: Compiled, values: list[Any] | None) -> str:
        """The model's SQL with `partition_source` upstreams read only in the touched partitions."""
        model = c.model
        if not model.partition_sources or c.tree is None:
            return c.select_sql
        tree = c.tree
        for table, column in model.partition_sources.items():
            if values is None:

                def condition(column: str = column) -> exp.Expr:
                    return exp.column(column).isin(exp.select("k0").from_(PARTS))
            else:

                def condition(column: str = column) -> exp.Expr:
                    listed = [
                        placeholder(f"_p{i}")
                        for i, v in enumerate(x for x in values if x is not None)
                    ]
                    test = exp.column(column).isin(*listed) if listed else exp.false()
                    if any(v is None for v in values):
                        test = exp.or_(test, exp.column(column).is_(exp.null()))
                    return test

            tree = narrow(tree, table, condition)
        return self.compiler.sql(tree, model.name)

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

    # -- upsert by key --------------------------------------------------------------------------
    def merge(
        self,
        c: Compiled,
        intervals: Sequence[Interval],
        changed: Sequence[Interval],
        batch_source: str | None = None,
    ) -> Outcome:
        """Upsert the model's rows for the keys that new upstream rows touch (or `batch_source`'s)."""
        with self.engine.transaction():
            _lock_model(self.engine, c.model)
            outcome = self._merge_keys(c, intervals, changed, batch_source)
            self._drop(KEYS, BATCH)
        return outcome

    def _merge_keys(
        self,
        c: Compiled,
        intervals: Sequence[Interval],
        changed: Sequence[Interval],
        batch_source: str | None,
    ) -> Outcome:
        engine, model = self.engine, c.model
        key = list(model.unique_key)
        self._drop(KEYS, BATCH)
        if batch_source is None:
            kinds = [c.info.types[k] for k in key]
            self._temp(KEYS, self._key_probe(c, changed, key, kinds))
            if count(engine, KEYS) == 0:
                save(engine, self.run_id, model.name, intervals, "merge", 0, 0)
                return Outcome("merge", 0, 0, [], [])
            source, where = c.select_sql, f" WHERE {temp_condition(key, KEYS, '_m')}"
        else:
            source, where = batch_source, ""
        engine.execute(
            f"CREATE TEMP TABLE {BATCH} AS SELECT {c.casts()} FROM ({source}) AS _m{where}"
        )
        keys = ", ".join(quote_ident(k) for k in key)
        if batch_source is not None:
            aliased = ", ".join(f"{quote_ident(k)} AS k{i}" for i, k in enumerate(key))
            engine.execute(f"CREATE TEMP TABLE {KEYS} AS SELECT DISTINCT {aliased} FROM {BATCH}")
        repeated = engine.fetch_value(
            f"SELECT count(*) FROM (SELECT {keys} FROM {BATCH} GROUP BY {keys} HAVING count(*) > 1) AS _d"
        )
        if repeated:
            raise ModelDefinitionError(
                f"{model.name}: the SELECT gives several rows for {repeated} unique_key value(s) "
                f"({', '.join(key)}): a merge model needs one row per key"
            )
        rows = int(engine.fetch_value(f"SELECT count(*) FROM {BATCH}") or 0)
        found = count(engine, KEYS)
        self._upsert(c, key)
        scope = Scope(temp_condition(key, KEYS), {})
        checks = run_checks(engine, model.checks, model.name, scope, _enforced(engine, c))
        _raise_if_blocking(model, checks)
        save(engine, self.run_id, model.name, intervals, "merge", rows, found)
        if rows:
            mark_refreshed(engine, model.name)
        return Outcome("merge", rows, found, [], checks)

    def _key_probe(
        self, c: Compiled, changed: Sequence[Interval], key: list[str], kinds: list[str]
    ) -> tuple[str, dict[str, Any]]:
        parts, params = [], {}
        cols = ", ".join(
            f"CAST(_m.{quote_ident(k)} AS {t}) AS k{i}"
            for i, (k, t) in enumerate(zip(key, kinds, strict=True))
        )
        for i, interval in enumerate(changed):
            params.update(_interval_params(i, interval))
            parts.append(f"SELECT {cols} FROM ({self._narrowed_sql(c, i, interval)}) AS _m")
        names = ", ".join(f"k{i}" for i in range(len(key)))
        return f"SELECT DISTINCT {names} FROM (" + " UNION ALL ".join(parts) + ") AS _u", params

    def _upsert(self, c: Compiled, key: list[str]) -> None:
        engine, model = self.engine, c.model
        target = quote_table(model.name)
        columns = c.column_list
        if engine.capabilities.upsert and tuple(key) in c.info.keys:
            updates = [
                f"{quote_ident(col)} = EXCLUDED.{quote_ident(col)}"
                for col in c.columns
                if col not in key and col != "created_at"
            ]
            if "updated_at" in c.info.types and "updated_at" not in c.columns:
                updates.append(f"{quote_ident('updated_at')} = {engine.now_sql}")
            action = f"DO UPDATE SET {', '.join(updates)}" if updates else "DO NOTHING"
            engine.execute(
                f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {BATCH} "
                f"ON CONFLICT ({', '.join(quote_ident(k) for k in key)}) {action}"
            )
            return
        engine.execute(f"DELETE FROM {target} WHERE {temp_condition(key, KEYS)}")
        engine.execute(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {BATCH}")

    # -- helpers --------------------------------------------------------------------------------
    def _temp(self, name: str, query: tuple[str, dict[str, Any]]) -> None:
        sql, params = query
        self.engine.execute(f"DROP TABLE IF EXISTS {name}")
        self.engine.execute(f"CREATE TEMP TABLE {name} AS {sql}", params or None)

    def _drop(self, *names: str) -> None:
        for name in names:
            self.engine.execute(f"DROP TABLE IF EXISTS {name}")


def _lock_model(engine: Engine, model: Model) -> None:
    """Writers of one model in several processes (PostgreSQL) take turns until the commit."""
    if engine.capabilities.concurrent_processes:
        key = int.from_bytes(hashlib.sha256(model.name.encode()).digest()[:8], "big", signed=True)
        engine.execute("SELECT pg_advisory_xact_lock($k)", {"k": key})


def _enforced(engine: Engine, c: Compiled) -> frozenset[tuple[str, ...]]:
    """Column sets whose uniqueness the engine itself guarantees on the model's table."""
    return frozenset(c.info.keys) if engine.capabilities.constraints else frozenset()


def _interval_params(i: int, interval: Interval) -> dict[str, Any]:
    params = {f"hi{i}": interval.high}
    if interval.low is not None:
        params[f"lo{i}"] = interval.low
    return params


def _interval_sql(i: int, interval: Interval) -> str:
    column = quote_ident(interval.column)
    upper = f"{column} <= $hi{i}"
    return f"{column} > $lo{i} AND {upper}" if interval.low is not None else upper


def _interval_tree(i: int, interval: Interval) -> exp.Expr:
    column = exp.column(interval.column)
    upper = exp.LTE(this=column.copy(), expression=placeholder(f"hi{i}"))
    if interval.low is None:
        return upper
    return exp.and_(exp.GT(this=column, expression=placeholder(f"lo{i}")), upper)
