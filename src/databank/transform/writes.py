"""What every way of writing a model shares: the outcome, staging and temp tables, locks, filters."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from databank.engines.base import Engine, quote_ident, quote_table
from databank.transform.checks import CheckResult
from databank.transform.errors import ChecksFailedError
from databank.transform.model import Model
from databank.transform.sqlmodel import placeholder
from databank.transform.watermarks import Interval

TOUCHED, PARTS, KEYS, BATCH, FRESH = (
    "_databank_touched",
    "_databank_parts",
    "_databank_keys",
    "_databank_batch",
    "_databank_fresh",
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


def raise_if_blocking(model: Model, checks: list[CheckResult]) -> None:
    failed = [c for c in checks if c.blocking]
    if failed:
        names = ", ".join(f"{c.name} ({c.metric_value:g} failing)" for c in failed)
        error = ChecksFailedError(f"{model.name}: test(s) with severity error failed: {names}")
        error.checks = checks  # type: ignore[attr-defined]
        raise error


def lock_model(engine: Engine, model: Model) -> None:
    """Writers of one model in several processes (PostgreSQL) take turns until the commit."""
    if engine.capabilities.concurrent_processes:
        key = int.from_bytes(hashlib.sha256(model.name.encode()).digest()[:8], "big", signed=True)
        engine.execute("SELECT pg_advisory_xact_lock($k)", {"k": key})


def interval_params(i: int, interval: Interval) -> dict[str, Any]:
    params = {f"hi{i}": interval.high}
    if interval.low is not None:
        params[f"lo{i}"] = interval.low
    return params


def interval_sql(i: int, interval: Interval) -> str:
    column = quote_ident(interval.column)
    upper = f"{column} <= $hi{i}"
    return f"{column} > $lo{i} AND {upper}" if interval.low is not None else upper


def interval_tree(i: int, interval: Interval) -> exp.Expr:
    column = exp.column(interval.column)
    upper = exp.LTE(this=column.copy(), expression=placeholder(f"hi{i}"))
    if interval.low is None:
        return upper
    return exp.and_(exp.GT(this=column, expression=placeholder(f"lo{i}")), upper)


class ModelWrite:
    """What every write strategy of the `Materializer` shares: its engine and run, the model's
    SQL narrowed to an upstream's rows (provided by the `Materializer`), one transaction."""

    engine: Engine
    run_id: str

    def _narrowed_sql(
        self, c: Any, i: int, interval: Interval, read: str, added_before: bool = False
    ) -> str:
        raise NotImplementedError

    def _in_transaction(
        self, model: Model, temps: tuple[str, ...], write: Callable[[], Outcome]
    ) -> Outcome:
        """`write` in one transaction, the model locked, its temp tables dropped after it.

        On an error the transaction rolls back, temp tables included (no SQL runs after a
        failed statement: PostgreSQL refuses it until the rollback)."""
        with self.engine.transaction():
            lock_model(self.engine, model)
            outcome = write()
            drop(self.engine, *temps)
        return outcome


def temp(engine: Engine, name: str, query: tuple[str, dict[str, Any]]) -> None:
    """(Re)create temp table `name` from a query."""
    sql, params = query
    engine.execute(f"DROP TABLE IF EXISTS {name}")
    engine.execute(f"CREATE TEMP TABLE {name} AS {sql}", params or None)


def drop(engine: Engine, *names: str) -> None:
    """Drop temp tables (they go with a rolled-back transaction anyway)."""
    for name in names:
        engine.execute(f"DROP TABLE IF EXISTS {name}")
