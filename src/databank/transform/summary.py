"""Summary models: sums and counts per group, kept by adding what new upstream rows bring and
subtracting what removed ones took, instead of re-reading the groups' upstream rows.

A summary is one `SELECT grain…, sum(…), count(…) FROM layer.table [WHERE …] GROUP BY grain…`:
every output is a group key or a sum or count (FILTER allowed) of one upstream row's values, so
the table is a sum over the upstream's rows and a run only needs the rows that changed. The new
rows come from the upstream's watermark interval, the removed ones (old versions included) from
its removal log (`removals`); the run adds one and subtracts the other per group, deletes the
groups whose row count (a plain `count(*)` output, required) reaches 0, and stamps the groups it
changed. At 10 M transactions re-reading 1,000 customers' transactions took 0.1 s of
`silver.scout_clean_customers` per micro-batch, scanning every customer id.

A sum over no values is 0 here, not NULL, in full builds too, so both ways give the same table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp

from databank.engines.base import quote_ident, quote_table
from databank.errors import DatabankError
from databank.refresh import mark_refreshed
from databank.transform import removals
from databank.transform.checks import Scope, run_checks
from databank.transform.compiler import Compiled
from databank.transform.errors import ModelDefinitionError
from databank.transform.model import Model, Severity
from databank.transform.sqlmodel import qualified_name
from databank.transform.watermarks import Interval, save
from databank.transform.writes import (
    BATCH,
    FRESH,
    ModelWrite,
    Outcome,
    drop,
    interval_params,
    raise_if_blocking,
    temp,
)

_FORBIDDEN = (
    (exp.With, "a WITH clause"),
    (exp.Join, "a JOIN"),
    (exp.Window, "a window function"),
    (exp.Subquery, "a subquery"),
    (exp.Union, "a UNION"),
    # what a row contributes must depend on the row alone, not on when the run happens
    (exp.CurrentDate, "the current date"),
    (exp.CurrentTimestamp, "the current time"),
    (exp.CurrentTime, "the current time"),
)


class SummaryOutOfStepError(DatabankError):
    """A run would leave a group counting fewer than 0 upstream rows: rebuild the summary."""


@dataclass(frozen=True)
class SummaryShape:
    """What a summary's SELECT is made of."""

    source: str  # the one upstream table
    grain: tuple[str, ...]  # the group keys' output names
    sums: tuple[str, ...]  # outputs that are sum(…): a sum over no values is 0
    totals: tuple[str, ...]  # every aggregate output (sums and counts)
    counter: str  # a plain count(*): the group's upstream rows


def summary_shape(query: exp.Expr, model: Model, where: str) -> SummaryShape:
    """Check that `query` can be kept by adding and subtracting, and describe it."""

    def refuse(reason: str) -> ModelDefinitionError:
        return ModelDefinitionError(
            f"{where}: a summary model is one SELECT of group keys, sum() and count() FROM one "
            f"table GROUP BY the keys; {reason}"
        )

    if not isinstance(query, exp.Select):
        raise refuse("this query is not a single SELECT")
    for node, what in _FORBIDDEN:
        if query.find(node):
            raise refuse(f"it has {what}")
    if any(inner is not query for inner in query.find_all(exp.Select)):
        raise refuse("it has a subquery")
    for clause in ("having", "qualify", "order", "limit", "distinct"):
        if query.args.get(clause):
            raise refuse(f"it has {clause.upper()}")
    tables = [qualified_name(t) for t in query.find_all(exp.Table)]
    if len(tables) != 1 or tables[0] is None:
        raise refuse("it must read exactly one layer.table")
    group = query.args.get("group")
    if group is None:
        raise refuse("it has no GROUP BY")
    grouped = {g.sql() for g in group.expressions}
    keys, sums, totals, counter = [], [], [], None
    for position, output in enumerate(query.expressions, start=1):
        name = output.alias_or_name
        value = output.this if isinstance(output, exp.Alias) else output
        if not value.find(exp.AggFunc):
            if value.sql() not in grouped and name not in grouped and str(position) not in grouped:
                raise refuse(f"{name} is neither grouped by nor a sum or count")
            keys.append(name)
            continue
        aggregate = value.this if isinstance(value, exp.Filter) else value
        if isinstance(aggregate, exp.Sum):
            sums.append(name)
        elif isinstance(aggregate, exp.Count):
            if isinstance(aggregate.this, exp.Distinct):
                raise refuse(f"{name} counts DISTINCT values, which subtraction cannot undo")
            if counter is None and aggregate is value and isinstance(aggregate.this, exp.Star):
                counter = name
        else:
            raise refuse(f"{name} is {aggregate.sql()}: only sum() and count() add up")
        if any(inner.find(exp.AggFunc) for inner in aggregate.iter_expressions()):
            raise refuse(f"{name} nests an aggregate")
        totals.append(name)
    if set(keys) != set(model.grain):
        raise refuse(
            f"its grain ({', '.join(model.grain)}) must be its group keys ({', '.join(keys)})"
        )
    if counter is None:
        raise refuse("it needs a plain count(*) output: a group whose count reaches 0 is deleted")
    return SummaryShape(tables[0], tuple(keys), tuple(sums), tuple(totals), counter)


def full_sql(c: Compiled, shape: SummaryShape) -> str:
    """The model's SELECT with every sum over no values as 0 (the way runs add them up)."""
    listed = ", ".join(
        f"coalesce(_s.{quote_ident(col)}, 0) AS {quote_ident(col)}"
        if col in shape.sums
        else f"_s.{quote_ident(col)}"
        for col in c.columns
    )
    return f"SELECT {listed} FROM ({c.select_sql}) AS _s"


def _match(shape: SummaryShape, model: Model, left: str, right: str) -> str:
    """Group keys equal, NULL equal to NULL. Keys with a strict not_null test compare with `=`,
    so PostgreSQL can hash-join on them (it nested-loops over IS NOT DISTINCT FROM)."""
    strict = {
        col
        for check in model.checks
        if check.kind == "not_null" and check.severity is Severity.ERROR
        for col in check.columns
    }
    return " AND ".join(
        f"{left}.{quote_ident(k)} {'=' if k in strict else 'IS NOT DISTINCT FROM'} "
        f"{right}.{quote_ident(k)}"
        for k in shape.grain
    )


class SummaryMixin(ModelWrite):
    """The summary strategy of `Materializer`."""

    def summary(
        self,
        c: Compiled,
        shape: SummaryShape,
        intervals: Sequence[Interval],
        changed: Sequence[Interval],
        *,
        log_removals: bool = False,
        removal_logs: Sequence[str] = (),
    ) -> Outcome:
        """Add the changed upstream rows' sums and counts to their groups, in one transaction.

        `log_removals`: log the groups deleted here for the models downstream; `removal_logs`:
        the upstream keeps a removal log, whose rows are subtracted."""
        return self._in_transaction(
            c.model,
            (FRESH, BATCH),
            lambda: self._add_changes(c, shape, intervals, changed, log_removals, removal_logs),
        )

    def _add_changes(
        self,
        c: Compiled,
        shape: SummaryShape,
        intervals: Sequence[Interval],
        changed: Sequence[Interval],
        log_removals: bool,
        removal_logs: Sequence[str],
    ) -> Outcome:
        engine, model = self.engine, c.model
        table = quote_table(model.name)
        keys = [quote_ident(k) for k in shape.grain]
        totals = [quote_ident(t) for t in shape.totals]
        signed, params = [], {}
        for i, interval in enumerate(changed):
            params.update(interval_params(i, interval))
            # the rows written since the last run are added; of the rows removed since, those
            # it had added (written at or before its watermark) are subtracted
            reads = [(self._narrowed_sql(c, i, interval, interval.source_table), "")]
            if interval.source_table in removal_logs and interval.low is not None:
                log = removals.log_name(interval.source_table)
                gone = removals.removed_in(interval)
                reads.append((self._narrowed_sql(c, i, gone, log, added_before=True), "-"))
            for sql, sign in reads:
                values = ", ".join(
                    [f"_n.{k}" for k in keys]
                    + [f"{sign}coalesce(_n.{t}, 0) AS {t}" for t in totals]
                )
                signed.append(f"SELECT {values} FROM ({sql}) AS _n")
        moved = " OR ".join(f"sum(_d.{t}) <> 0" for t in totals)
        temp(
            engine,
            FRESH,
            (
                f"SELECT {', '.join(f'_d.{k}' for k in keys)}, "
                f"{', '.join(f'sum(_d.{t}) AS {t}' for t in totals)} "
                f"FROM ({' UNION ALL '.join(signed)}) AS _d "
                f"GROUP BY {', '.join(f'_d.{k}' for k in keys)} HAVING {moved}",
                params,
            ),
        )
        drop(engine, BATCH)
        added = ", ".join(
            f"CAST(coalesce(_t.{t}, 0) + _f.{t} AS {c.info.types[n]}) AS {t}"
            for n, t in zip(shape.totals, totals, strict=True)
        )
        engine.execute(
            f"CREATE TEMP TABLE {BATCH} AS SELECT {', '.join(f'_f.{k}' for k in keys)}, {added} "
            f"FROM {FRESH} AS _f LEFT JOIN {table} AS _t ON {_match(shape, model, '_t', '_f')}"
        )
        counter = quote_ident(shape.counter)
        groups, negative, empty = engine.fetch_rows(
            f"SELECT count(*), count(*) FILTER (WHERE {counter} < 0), "
            f"count(*) FILTER (WHERE {counter} = 0) FROM {BATCH}"
        )[0]
        if negative:
            raise SummaryOutOfStepError(
                f"{model.name}: {negative} group(s) would count fewer than 0 rows: the table no "
                f"longer matches {shape.source}",
                f"rebuild it: databank run {model.name} --full-refresh",
            )
        if empty:
            emptied = (
                f"EXISTS (SELECT 1 FROM {BATCH} AS _b WHERE {_match(shape, model, '_t', '_b')} "
                f"AND _b.{counter} = 0)"
            )
            if log_removals:
                removals.remove(engine, model.name, c.info.types, emptied, {})
            else:
                engine.execute(f"DELETE FROM {table} AS _t WHERE {emptied}")
        stamp = (
            [f"{quote_ident('updated_at')} = {engine.now_sql}"]
            if "updated_at" in c.info.types
            else []
        )
        updates = ", ".join([f"{t} = _b.{t}" for t in totals] + stamp)
        engine.execute(
            f"UPDATE {table} SET {updates} FROM {BATCH} AS _b "
            f"WHERE {_match(shape, model, table, '_b')} AND _b.{counter} > 0"
        )
        written = [*keys, *totals]
        engine.write(
            f"INSERT INTO {table} ({', '.join(written)}) "
            f"SELECT {', '.join(f'_b.{col}' for col in written)} FROM {BATCH} AS _b "
            f"WHERE _b.{counter} > 0 AND NOT EXISTS ("
            f"SELECT 1 FROM {table} AS _t WHERE {_match(shape, model, '_t', '_b')})"
        )
        # the touched groups now hold exactly BATCH's rows left with a count: the tests read
        # those (joining the table to the groups took 0.08 s per micro-batch at 10 M)
        tested = {col for check in model.checks for col in check.columns}
        kept = f"(SELECT * FROM {BATCH} WHERE {counter} > 0)" if tested <= set(c.columns) else None
        scope = Scope(
            f"EXISTS (SELECT 1 FROM {BATCH} AS _b WHERE {_match(shape, model, '_t', '_b')})",
            {},
            shape.grain,
            kept,
        )
        checks = run_checks(engine, model.checks, model.name, scope, c.info.keys)
        raise_if_blocking(model, checks)
        save(engine, self.run_id, model.name, intervals, "summary", groups, groups)
        if groups:
            mark_refreshed(engine, model.name)
        return Outcome("summary", groups, groups, [], checks)
