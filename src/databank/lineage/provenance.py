"""Row-level provenance: which upstream rows, bronze records and ingestion batches made one row.

`explain(engine, "gold.scout_kpi_revenue_daily", {"date": …, "region": …, "channel": …}, models)`
derives everything from the model's own SQL: the key columns map to the expressions the SELECT
computes them from, so "the rows behind this key" is the SELECT's FROM table filtered by the
model's WHERE plus `expression = key value`. Each SUM/COUNT measure gets a per-row contribution,
and their totals (computed by the engine) must equal the stored value. Upstream rows carrying
`source_bronze_id` lead to their bronze records and batch ids (the schema's `ref:` says which table).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlglot import exp

from databank.engines.base import Engine, quote_ident, quote_table
from databank.engines.dialects import parse
from databank.errors import DatabankError, UnknownTableError
from databank.schema.model import load_schema
from databank.transform.catalog import TableInfo, table_info
from databank.transform.compiler import Compiler
from databank.transform.model import Model
from databank.transform.sqlmodel import placeholder

_BRONZE_COLUMNS = (
    "id",
    "batch_id",
    "source_system",
    "ingested_at",
    "validation_status",
    "quality_score",
)


class ProvenanceError(DatabankError):
    """A row or a model that `explain` cannot trace."""

    exit_code = 2


def explain(
    engine: Engine,
    table: str,
    key: Mapping[str, Any],
    models: Mapping[str, Model],
    *,
    limit: int = 1000,
) -> dict[str, Any]:
    """The rows behind one row of `table` (a SQL model's table), with totals that add up."""
    model = _model(table, models)
    info = table_info(engine, model.name)
    grain = list(model.grain) or list(info.keys[0] if info.keys else ())
    if not grain or set(key) != set(grain):
        raise ProvenanceError(
            f"explain {model.name} needs exactly its grain as the key: {', '.join(grain) or '(none declared)'}",
            f"got: {', '.join(key) or '(nothing)'}",
        )
    values = {c: _typed(info, c, key[c]) for c in grain}
    where = " AND ".join(f"{quote_ident(c)} = $k{i}" for i, c in enumerate(grain))
    params = {f"k{i}": values[c] for i, c in enumerate(grain)}
    stored = engine.fetch_arrow(
        f"SELECT * FROM {quote_table(model.name)} WHERE {where}", params
    ).to_pylist()
    if not stored:
        raise ProvenanceError(f"{model.name} has no row for {_show(values)}")
    row = stored[0]
    plan = _plan(model, grain)
    compiler = Compiler(engine)
    rows_sql = compiler.sql(plan["rows"], model.name)
    upstream = plan["upstream"]
    contributions = plan["contributions"]
    sums = ", ".join(f"sum({quote_ident('__c_' + c)})" for c in contributions)
    totals_row = engine.fetch_rows(
        f"SELECT count(*){', ' + sums if sums else ''} FROM ({rows_sql}) AS _p", params
    )[0]
    model_sql = compiler.sql(parse(model.sql or ""), model.name)
    produced = [c for c in compiler.output_columns(model_sql, model.name) if c in info.types]
    casts = ", ".join(
        f"CAST(_r.{quote_ident(c)} AS {info.types[c]}) AS {quote_ident(c)}" for c in produced
    )
    same_key = " AND ".join(f"_r.{quote_ident(c)} = $k{i}" for i, c in enumerate(grain))
    recomputed = engine.fetch_arrow(
        f"SELECT {casts} FROM ({model_sql}) AS _r WHERE {same_key}", params
    ).to_pylist()
    totals = {}
    for i, column in enumerate(contributions, start=1):
        from_rows = totals_row[i] if totals_row[i] is not None else 0
        totals[column] = {
            "stored": row[column],
            "from_rows": from_rows,
            "matches": _same(row[column], from_rows),
        }
    listed = engine.fetch_arrow(
        f"SELECT * FROM ({rows_sql}) AS _p LIMIT {int(limit)}", params
    ).to_pylist()
    result: dict[str, Any] = {
        "table": model.name,
        "key": values,
        "row": row,
        "upstream_table": upstream,
        "filter": plan["filter"],
        "upstream_row_count": int(totals_row[0]),
        "upstream_rows": listed,
        "truncated": int(totals_row[0]) > len(listed),
        "totals": totals,
        "recomputed": recomputed[0] if recomputed else None,
        "recomputed_matches": bool(recomputed)
        and all(_same(row[c], recomputed[0].get(c)) for c in recomputed[0] if c in row),
    }
    result.update(_bronze(engine, upstream, rows_sql, params, limit))
    return result


def _model(table: str, models: Mapping[str, Model]) -> Model:
    name = table
    if name not in models:
        matches = [m for m in models if m.split(".", 1)[1] == table]
        name = matches[0] if len(matches) == 1 else table
    model = models.get(name)
    if model is None:
        raise UnknownTableError(
            f"no model writes {table!r}", f"models: {', '.join(sorted(models)) or '(none)'}"
        )
    if model.sql is None:
        raise ProvenanceError(f"{model.name} is a Python model: explain follows SQL models only")
    return model


def _typed(info: TableInfo, column: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    family = info.family(column)
    try:
        if family == "date":
            return date.fromisoformat(value)
        if family == "timestamp":
            return datetime.fromisoformat(value)
        if family == "integer":
            return int(value)
        if family == "numeric":
            return Decimal(value)
    except ValueError:
        raise ProvenanceError(
            f"key {column}={value!r} is not a valid {info.types[column]}"
        ) from None
    return value


def _plan(model: Model, grain: list[str]) -> dict[str, Any]:
    """The SQL tree of the contributing rows (with a contribution per SUM/COUNT measure).

    The outer SELECT may read a CTE (`FROM daily AS d`): its columns are followed into that CTE's
    SELECT, and so on, down to the SELECT whose FROM is a table: the rows behind the key are that
    table's rows, filtered by its WHERE and by the key columns' expressions at that level.
    """
    tree = parse(model.sql or "")
    with_ = tree.args.get("with_") or tree.args.get("with")
    ctes = {cte.alias: cte.this for cte in with_.expressions} if with_ else {}
    select = tree
    wanted: dict[str, exp.Expr | None] = {}
    if isinstance(select, exp.Select):
        wanted = {p.alias_or_name: p.unalias() for p in select.expressions}
    while isinstance(select, exp.Select):
        source = select.args["from_"].this if select.args.get("from_") else None
        if not (isinstance(source, exp.Table) and not source.db and source.name in ctes):
            break
        inner = ctes[source.name]
        if not isinstance(inner, exp.Select):
            break
        alias = source.alias_or_name
        inner_columns = {p.alias_or_name: p.unalias() for p in inner.expressions}
        wanted = {
            name: inner_columns.get(e.name)
            if isinstance(e, exp.Column) and e.table in ("", alias)
            else None
            for name, e in wanted.items()
            if e is not None
        }
        select = inner
    source = (
        select.args["from_"].this
        if isinstance(select, exp.Select) and select.args.get("from_")
        else None
    )
    if not isinstance(source, exp.Table) or not source.db:
        raise ProvenanceError(
            f"{model.name}: explain follows a SELECT (through CTEs) down to a FROM table; "
            "this model's rows come from a subquery, a set operation or a table function"
        )
    filters = []
    for i, column in enumerate(grain):
        expression = wanted.get(column)
        if expression is None or expression.find(exp.AggFunc):
            raise ProvenanceError(
                f"{model.name}: grain column {column} is not a plain expression of the rows "
                f"of {source.db}.{source.name}"
            )
        filters.append(exp.EQ(this=expression.copy(), expression=placeholder(f"k{i}")))
    contributions = {}
    for name, expression in wanted.items():
        value = _contribution(expression) if expression is not None else None
        if value is not None:
            contributions[name] = value
    key_filter = exp.and_(*filters)
    original = select.args.get("where")
    condition = exp.and_(original.this.copy(), key_filter) if original else key_filter
    rows = select.copy()
    for clause in ("group", "having", "qualify", "order", "limit", "distinct"):
        rows.set(clause, None)
    rows.set(
        "expressions", [exp.Column(this=exp.Star(), table=exp.to_identifier(source.alias_or_name))]
    )
    for name, value in contributions.items():
        rows.select(exp.alias_(value, f"__c_{name}"), copy=False)
    rows.set("where", exp.Where(this=condition))
    if ctes and rows is not tree:
        rows.set("with_", with_.copy())
    return {
        "upstream": f"{source.db}.{source.name}",
        "rows": rows,
        "contributions": list(contributions),
        "filter": condition.sql(dialect="duckdb"),
    }


def _contribution(expression: exp.Expr) -> exp.Expr | None:
    """What one row adds to a SUM or COUNT measure (None for other measures)."""
    if isinstance(expression, exp.Filter) and isinstance(expression.expression, exp.Where):
        inner = _contribution(expression.this)
        if inner is None:
            return None
        condition = expression.expression.this.copy()
        return exp.Case(ifs=[exp.If(this=condition, true=inner)], default=exp.Literal.number(0))
    if isinstance(expression, exp.Sum) and not expression.args.get("distinct"):
        return expression.this.copy()
    if isinstance(expression, exp.Count) and not isinstance(expression.this, exp.Distinct):
        if isinstance(expression.this, exp.Star) or expression.this is None:
            return exp.Literal.number(1)
        return exp.Case(
            ifs=[exp.If(this=expression.this.copy().is_(exp.null()), true=exp.Literal.number(0))],
            default=exp.Literal.number(1),
        )
    return None


def _bronze(
    engine: Engine, upstream: str, rows_sql: str, params: dict[str, Any], limit: int
) -> dict[str, Any]:
    """Bronze records (with batch ids) behind the upstream rows, when the schema says where they are."""
    if upstream.startswith("bronze."):
        bronze, ids = upstream, "_p.id"
    else:
        bronze = _bronze_ref(upstream)
        if bronze is None or "source_bronze_id" not in engine.column_types(upstream):
            return {"bronze_table": None, "bronze_records": [], "batches": []}
        ids = "_p.source_bronze_id"
    available = engine.column_types(bronze)
    columns = ", ".join(f"_b.{quote_ident(c)}" for c in _BRONZE_COLUMNS if c in available)
    behind = f"_b.id IN (SELECT {ids} FROM ({rows_sql}) AS _p)"
    records = engine.fetch_arrow(
        f"SELECT {columns} FROM {quote_table(bronze)} AS _b WHERE {behind} ORDER BY _b.id LIMIT {int(limit)}",
        params,
    ).to_pylist()
    batches: list[dict[str, Any]] = []
    if "batch_id" in available:
        batches = [
            {"batch_id": b, "records": int(n)}
            for b, n in engine.fetch_rows(
                f"SELECT _b.batch_id, count(*) FROM {quote_table(bronze)} AS _b WHERE {behind} "
                "GROUP BY _b.batch_id ORDER BY _b.batch_id",
                params,
            )
        ]
    for record in records:
        record["id"] = str(record["id"])
    return {"bronze_table": bronze, "bronze_records": records, "batches": batches}


def _bronze_ref(table: str) -> str | None:
    schema = load_schema()
    for ref in schema.refs:
        if ref.column == "source_bronze_id" and table.endswith("." + ref.table):
            return schema.table(ref.ref_table).qualified
    return None


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except ArithmeticError:
        return a == b


def _show(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items())
