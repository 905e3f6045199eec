"""Merge models: recompute the rows of the keys new upstream rows touch, and upsert them.

`INSERT … ON CONFLICT … DO UPDATE` where the engine has upsert and the key is a primary or unique
key, else UPDATE … FROM for the keys present + INSERT of the others; either way `created_at`
survives, and it runs in one transaction with the tests, the watermarks and the refresh mark.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from databank.engines.base import quote_ident, quote_table
from databank.refresh import mark_refreshed
from databank.transform.checks import Scope, run_checks
from databank.transform.compiler import Compiled, count, temp_condition
from databank.transform.errors import ModelDefinitionError
from databank.transform.watermarks import Interval, save
from databank.transform.writes import (
    BATCH,
    KEYS,
    ModelWrite,
    Outcome,
    drop,
    interval_params,
    raise_if_blocking,
    temp,
)


class UpsertMixin(ModelWrite):
    """The merge strategy of `Materializer`."""

    def merge(
        self,
        c: Compiled,
        intervals: Sequence[Interval],
        changed: Sequence[Interval],
        batch_source: str | None = None,
    ) -> Outcome:
        """Upsert the model's rows for the keys that new upstream rows touch (or `batch_source`'s)."""
        return self._in_transaction(
            c.model, (KEYS, BATCH), lambda: self._merge_keys(c, intervals, changed, batch_source)
        )

    def _merge_keys(
        self,
        c: Compiled,
        intervals: Sequence[Interval],
        changed: Sequence[Interval],
        batch_source: str | None,
    ) -> Outcome:
        engine, model = self.engine, c.model
        key = list(model.unique_key)
        drop(self.engine, KEYS, BATCH)
        if batch_source is None:
            kinds = [c.info.types[k] for k in key]
            temp(self.engine, KEYS, self._key_probe(c, changed, key, kinds))
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
        scope = Scope(temp_condition(key, KEYS), {}, tuple(key))
        checks = run_checks(engine, model.checks, model.name, scope, c.info.keys)
        raise_if_blocking(model, checks)
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
            params.update(interval_params(i, interval))
            parts.append(
                f"SELECT {cols} FROM ({self._narrowed_sql(c, i, interval, interval.source_table)}) AS _m"
            )
        names = ", ".join(f"k{i}" for i in range(len(key)))
        return f"SELECT DISTINCT {names} FROM (" + " UNION ALL ".join(parts) + ") AS _u", params

    def _upsert(self, c: Compiled, key: list[str]) -> None:
        engine, model = self.engine, c.model
        target = quote_table(model.name)
        columns = c.column_list
        updates = [
            f"{quote_ident(col)} = {{new}}.{quote_ident(col)}"
            for col in c.columns
            if col not in key and col != "created_at"
        ]
        if "updated_at" in c.info.types and "updated_at" not in c.columns:
            updates.append(f"{quote_ident('updated_at')} = {engine.now_sql}")
        if engine.capabilities.upsert and tuple(key) in c.info.keys:
            action = "DO UPDATE SET " + ", ".join(u.format(new="EXCLUDED") for u in updates)
            engine.execute(
                f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {BATCH} "
                f"ON CONFLICT ({', '.join(quote_ident(k) for k in key)}) "
                + (action if updates else "DO NOTHING")
            )
            return
        # No constraint to conflict on: the same effect in two statements (existing keys
        # updated in place, so created_at survives; new keys inserted).
        match = " AND ".join(f"{target}.{quote_ident(k)} = _b.{quote_ident(k)}" for k in key)
        if updates:
            engine.execute(
                f"UPDATE {target} SET {', '.join(u.format(new='_b') for u in updates)} "
                f"FROM {BATCH} AS _b WHERE {match}"
            )
        engine.execute(
            f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {BATCH} AS _b "
            f"WHERE NOT EXISTS (SELECT 1 FROM {target} WHERE {match})"
        )
