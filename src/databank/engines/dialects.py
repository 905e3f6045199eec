"""sqlglot dialects for our engines: the portable model SQL (DuckDB flavour) and its fixes per engine.

Models are written in DuckDB's dialect and transpiled with sqlglot. sqlglot gets most of it right,
but some constructs come out silently wrong (seen with sqlglot 30.30); each fix lives here, as a
dialect subclass whose generator overrides that one construct:

- `QUALIFY` over `SELECT *` leaks the helper window column (`_w`) on engines without QUALIFY:
  refused unless the stars were expanded from a schema first (`expand_stars`).
- `QUALIFY … AND t.col > 0` keeps `t.col` outside the subquery the rewrite wraps the SELECT in:
  pointed at the subquery's column (refused when that name is another expression).
- `GROUP BY ALL` is passed through to PostgreSQL 15, which rejects it: expanded to positions.
- JSON extraction becomes `JSON_EXTRACT_PATH[_TEXT]`, which rejects `jsonb`: the `->`/`->>`
  operators work on both json and jsonb. DuckDB's multi-path `json_extract_string(d, ['$.a', …])`
  (one parse for many fields) becomes `ARRAY[d ->> 'a', …]`.
- `ANY_VALUE` (PostgreSQL 16+), `ARG_MAX`/`MAX_BY`, `DAYOFWEEK` have no PostgreSQL 15 spelling.
- `TRY_CAST` becomes a plain `CAST` (errors instead of NULL): guarded by the value's format.
- `CAST(json -> 'k' AS VARCHAR[])` has no PostgreSQL cast: the array's elements are unnested.
- `EPOCH_MS(x)` is read as "milliseconds → timestamp" even when `x` is a timestamp (DuckDB then
  means the reverse): decided from the argument, refused when it cannot be.
- `percentile_cont` becomes approximate on Spark, and Spark has no `ON CONFLICT`.
- Named parameters stay `$name` (the engines' convention) instead of `%(name)s`.

`transpile` raises on anything sqlglot itself reports as unsupported instead of logging it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import sqlglot
from sqlglot import exp, transforms
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.dialects.postgres import Postgres
from sqlglot.dialects.spark import Spark
from sqlglot.errors import ErrorLevel, UnsupportedError
from sqlglot.generators.postgres import PostgresGenerator
from sqlglot.generators.spark import SparkGenerator
from sqlglot.parsers.duckdb import DuckDBParser

_NUMBER_TYPES = exp.DataType.INTEGER_TYPES | exp.DataType.REAL_TYPES
_TIMESTAMP_TYPES = {
    exp.DType.TIMESTAMP,
    exp.DType.TIMESTAMPNTZ,
    exp.DType.TIMESTAMPTZ,
    exp.DType.DATETIME,
}
_TIME_TYPES = _TIMESTAMP_TYPES | {exp.DType.DATE}


# -- reading: the portable model dialect ------------------------------------------------------
class EpochMs(exp.Expression, exp.Func):
    """DuckDB `EPOCH_MS(x)` whose meaning (ms → timestamp, or timestamp → ms) depends on x's type."""

    arg_types = {"this": True}  # noqa: RUF012 - sqlglot's own convention


def _is_number(node: exp.Expr) -> bool:
    if isinstance(node, exp.Literal):
        return not node.is_string
    if isinstance(node, exp.Cast):
        return node.to.this in _NUMBER_TYPES
    if isinstance(node, exp.Neg | exp.Paren):
        return _is_number(node.this)
    if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Div | exp.IntDiv):
        return _is_number(node.this) or _is_number(node.expression)
    return False


def _is_time(node: exp.Expr) -> bool:
    if isinstance(node, exp.Cast):
        return node.to.this in _TIME_TYPES
    return isinstance(
        node, exp.CurrentTimestamp | exp.CurrentDate | exp.StrToTime | exp.TimeStrToTime
    )


def _build_epoch_ms(args: list[exp.Expr]) -> exp.Expr:
    value = args[0]
    if _is_number(value):
        return exp.UnixToTime(this=value, scale=exp.UnixToTime.MILLIS)
    if _is_time(value):
        millis = exp.Mul(this=exp.TimeToUnix(this=value), expression=exp.Literal.number(1000))
        return exp.cast(millis, exp.DType.BIGINT)
    return EpochMs(this=value)


class DatabankDuckDB(DuckDB):
    """The models' source dialect (and DuckDB's target): DuckDB with EPOCH_MS read by its argument."""

    class Parser(DuckDBParser):
        FUNCTIONS = {**DuckDBParser.FUNCTIONS, "EPOCH_MS": _build_epoch_ms}  # noqa: RUF012

    class Generator(DuckDB.Generator):
        TRANSFORMS = {  # noqa: RUF012
            **DuckDB.Generator.TRANSFORMS,
            EpochMs: lambda self, e: self.func("EPOCH_MS", e.this),
        }


def _ambiguous_epoch_ms(self: Any, expression: EpochMs) -> str:
    self.unsupported(
        "EPOCH_MS(x) is ambiguous outside DuckDB: write to_timestamp(x / 1000) for milliseconds, "
        "or epoch(ts) * 1000 for a timestamp"
    )
    return self.func("EPOCH_MS", expression.this)


# -- PostgreSQL ---------------------------------------------------------------------------------
def _has_star(select: exp.Select) -> bool:
    return any(
        isinstance(p, exp.Star) or (isinstance(p, exp.Column) and isinstance(p.this, exp.Star))
        for p in select.expressions
    )


def _eliminate_qualify_safely(expression: exp.Expr) -> exp.Expr:
    if (
        isinstance(expression, exp.Select)
        and expression.args.get("qualify")
        and _has_star(expression)
    ):
        raise UnsupportedError(
            "QUALIFY over SELECT * cannot be rewritten without the table's columns "
            "(expand the stars from a schema first, or list the columns)"
        )
    qualified = isinstance(expression, exp.Select) and bool(expression.args.get("qualify"))
    result = transforms.eliminate_qualify(expression)
    if qualified:
        _outer_columns_unqualified(result)
    return result


def _outer_columns_unqualified(wrapped: exp.Select) -> None:
    """sqlglot moves a QUALIFY into `SELECT … FROM (…) AS _t WHERE …` but keeps the condition's
    table-qualified columns (`t.b > 0`), which the outer query cannot see: point each at the
    subquery's column of that name, which must be that same column."""
    inner = wrapped.args["from_"].this.this
    projected = {select.alias_or_name: select.unalias() for select in inner.selects}
    condition = wrapped.args.get("where")
    for column in list(condition.find_all(exp.Column)) if condition else []:
        if not column.table or column.find_ancestor(exp.Select) is not wrapped:
            continue  # unqualified, or a subquery's own column
        if projected.get(column.name) != column:
            raise UnsupportedError(
                f"QUALIFY reads {column.sql()}, but the SELECT's column {column.name} is "
                "another expression: alias it differently or project the column"
            )
        column.set("table", None)


def _expand_group_by_all(expression: exp.Expr) -> exp.Expr:
    if not isinstance(expression, exp.Select):
        return expression
    group = expression.args.get("group")
    if not group or not group.args.get("all"):
        return expression
    if _has_star(expression):
        raise UnsupportedError("GROUP BY ALL over SELECT * cannot be expanded; list the columns")
    positions = [
        exp.Literal.number(i)
        for i, projection in enumerate(expression.expressions, start=1)
        if not projection.find(exp.AggFunc, exp.Window)
    ]
    expression.set("group", exp.Group(expressions=positions) if positions else None)
    return expression


def _json_path_steps(self: Any, path: exp.Expr) -> list[str]:
    if not isinstance(path, exp.JSONPath):
        return [self.sql(path)]  # a computed key: `d -> some_column`
    steps = []
    for part in path.expressions:
        if isinstance(part, exp.JSONPathRoot):
            continue
        if isinstance(part, exp.JSONPathKey) and isinstance(part.this, str):
            steps.append(self.sql(exp.Literal.string(part.this)))
        elif isinstance(part, exp.JSONPathSubscript) and isinstance(part.this, int):
            steps.append(str(part.this))
        else:
            self.unsupported(f"JSON path step {part.sql()} has no PostgreSQL operator form")
    return steps


def _pg_json(last_op: str) -> Callable[[Any, exp.Expr], str]:
    """`->`/`->>` chains: unlike JSON_EXTRACT_PATH(_TEXT), they accept json and jsonb alike."""

    def generate(self: Any, expression: exp.Expr) -> str:
        if isinstance(expression.expression, exp.Array):  # DuckDB's multi-path form → an array
            return (
                "ARRAY["
                + ", ".join(
                    generate(
                        self,
                        type(expression)(
                            this=expression.this.copy(), expression=self.dialect.to_json_path(path)
                        ),
                    )
                    for path in expression.expression.expressions
                )
                + "]"
            )
        steps = _json_path_steps(self, expression.expression)
        text = self.sql(expression, "this")
        if not steps:
            return text
        for step in steps[:-1]:
            text = f"{text} -> {step}"
        return f"({text} {last_op} {steps[-1]})"

    return generate


def _pg_any_value(self: Any, expression: exp.AnyValue) -> str:
    value = self.sql(expression, "this")
    return f"(ARRAY_AGG({value}) FILTER (WHERE {value} IS NOT NULL))[1]"


def _pg_ignore_nulls(self: Any, expression: exp.IgnoreNulls) -> str:
    """DuckDB's ANY_VALUE skips NULLs (sqlglot marks it IGNORE NULLS); PostgreSQL has no such clause."""
    if isinstance(expression.this, exp.AnyValue):
        return _pg_any_value(self, expression.this)
    self.unsupported("PostgreSQL has no IGNORE NULLS")
    return self.sql(expression, "this")


def _pg_arg(direction: str) -> Callable[[Any, exp.Expr], str]:
    def generate(self: Any, expression: exp.Expr) -> str:
        value, key = self.sql(expression, "this"), self.sql(expression, "expression")
        return (
            f"(ARRAY_AGG({value} ORDER BY {key} {direction}) FILTER (WHERE {key} IS NOT NULL))[1]"
        )

    return generate


def _pg_day_of_week(part: str) -> Callable[[Any, exp.Expr], str]:
    return lambda self, e: f"CAST(EXTRACT({part} FROM {self.sql(e, 'this')}) AS BIGINT)"


_TRY_PATTERNS: dict[str, str] = {
    "integer": r"^\s*[+-]?\d+\s*$",
    "number": r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$",
    "date": r"^\s*\d{4}-\d{2}-\d{2}([ T].*)?$",
    "timestamp": r"^\s*\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?\s*$",
    "boolean": r"^\s*(true|false|t|f|yes|no|y|n|on|off|1|0)\s*$",
    "uuid": r"^\s*\{?[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}\}?\s*$",
}


def _try_family(to: exp.DataType) -> str | None:
    kind = to.this
    if kind in exp.DataType.INTEGER_TYPES:
        return "integer"
    if kind in exp.DataType.REAL_TYPES:
        return "number"
    if kind == exp.DType.DATE:
        return "date"
    if kind in _TIMESTAMP_TYPES:
        return "timestamp"
    if kind == exp.DType.BOOLEAN:
        return "boolean"
    if kind == exp.DType.UUID:
        return "uuid"
    return None


def _pg_try_cast(self: Any, expression: exp.TryCast) -> str:
    """TRY_CAST: the value is cast only when its text has the target's format, else NULL."""
    family = _try_family(expression.to)
    cast = self.sql(exp.Cast(this=expression.this.copy(), to=expression.to.copy()))
    if family is None:
        return cast
    text = self.sql(exp.cast(expression.this.copy(), exp.DType.TEXT))
    op = "~*" if family == "boolean" else "~"
    pattern = self.sql(exp.Literal.string(_TRY_PATTERNS[family]))
    return f"CASE WHEN {text} {op} {pattern} THEN {cast} END"


def _pg_cast(self: Any, expression: exp.Cast) -> str:
    """`CAST(json -> 'k' AS VARCHAR[])` (DuckDB casts a JSON array to a list; PostgreSQL cannot)."""
    to = expression.to
    if (
        isinstance(expression.this, exp.JSONExtract)
        and to.is_type(exp.DType.ARRAY)
        and to.expressions
        and to.expressions[0].this in exp.DataType.TEXT_TYPES
    ):
        value = f"CAST({self.sql(expression, 'this')} AS JSONB)"
        return (
            f"CASE WHEN JSONB_TYPEOF({value}) = 'array' THEN ARRAY(SELECT _e FROM "
            f"JSONB_ARRAY_ELEMENTS_TEXT({value}) WITH ORDINALITY AS _a(_e, _i) ORDER BY _i) END"
        )
    return self.cast_sql(expression)


class DatabankPostgres(Postgres):
    """PostgreSQL 15 as our engine runs it."""

    class Generator(PostgresGenerator):
        TRANSFORMS = {  # noqa: RUF012
            **PostgresGenerator.TRANSFORMS,
            exp.Select: transforms.preprocess(
                [
                    transforms.eliminate_semi_and_anti_joins,
                    _expand_group_by_all,
                    _eliminate_qualify_safely,
                ]
            ),
            exp.JSONExtract: _pg_json("->"),
            exp.JSONExtractScalar: _pg_json("->>"),
            exp.AnyValue: _pg_any_value,
            exp.IgnoreNulls: _pg_ignore_nulls,
            exp.ArgMax: _pg_arg("DESC"),
            exp.ArgMin: _pg_arg("ASC"),
            exp.DayOfWeek: _pg_day_of_week("DOW"),
            exp.DayOfWeekIso: _pg_day_of_week("ISODOW"),
            exp.TryCast: _pg_try_cast,
            exp.Cast: _pg_cast,
            EpochMs: _ambiguous_epoch_ms,
        }

        def placeholder_sql(self, expression: exp.Placeholder) -> str:
            """Keep `$name`: the engine maps it to its driver's style."""
            return f"${expression.name}" if expression.name else "?"


# -- Spark (engine to come) ---------------------------------------------------------------------
def _spark_percentile(self: Any, expression: exp.Expr) -> str:
    fraction = expression.args.get("expression") or exp.Literal.number("0.5")
    return self.func("PERCENTILE", expression.this, fraction)


def _spark_within_group(self: Any, expression: exp.WithinGroup) -> str:
    """`percentile_cont(q) WITHIN GROUP (ORDER BY x)` → exact `PERCENTILE(x, q)`."""
    inner, order = expression.this, expression.expression
    if isinstance(inner, exp.PercentileCont) and isinstance(order, exp.Order):
        ordered = order.expressions[0]
        value = ordered.this if isinstance(ordered, exp.Ordered) else ordered
        return self.func("PERCENTILE", value, inner.this)
    fallback = SparkGenerator.TRANSFORMS.get(exp.WithinGroup)
    return (
        fallback(self, expression) if fallback else SparkGenerator.withingroup_sql(self, expression)
    )


def _spark_no_upsert(self: Any, expression: exp.OnConflict) -> str:
    self.unsupported("Spark has no ON CONFLICT: pick the strategy from engine.capabilities.upsert")
    return ""


class DatabankSpark(Spark):
    """Spark SQL: exact percentiles, and no upsert syntax."""

    class Generator(SparkGenerator):
        TRANSFORMS = {  # noqa: RUF012
            **SparkGenerator.TRANSFORMS,
            exp.PercentileCont: _spark_percentile,
            exp.Median: _spark_percentile,
            exp.WithinGroup: _spark_within_group,
            exp.OnConflict: _spark_no_upsert,
            EpochMs: _ambiguous_epoch_ms,
        }


# -- entry points -------------------------------------------------------------------------------
DIALECTS: Mapping[str, type[sqlglot.Dialect]] = {
    "duckdb": DatabankDuckDB,
    "postgres": DatabankPostgres,
    "spark": DatabankSpark,
}
SOURCE = DatabankDuckDB


def dialect_for(name: str) -> type[sqlglot.Dialect]:
    """Our dialect for an engine's sqlglot dialect name (`engine.dialect`)."""
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(
            f"no databank dialect for {name!r}; known: {', '.join(DIALECTS)}"
        ) from None


def parse(sql: str) -> exp.Expr:
    """Parse one statement of model SQL (the DuckDB-flavoured source dialect)."""
    return sqlglot.parse_one(sql, read=SOURCE)


def expand_stars(expression: exp.Expr, schema: Mapping[str, Any]) -> exp.Expr:
    """Replace `*` and `t.*` by the columns `schema` lists ({"layer": {"table": {"col": "type"}}})."""
    from sqlglot.optimizer.qualify import qualify

    return qualify(
        expression.copy(),
        schema=dict(schema),
        dialect=SOURCE,
        expand_stars=True,
        validate_qualify_columns=False,
        quote_identifiers=False,
        identify=False,
    )


def needs_schema(expression: exp.Expr) -> bool:
    """True if some SELECT combines QUALIFY or GROUP BY ALL with a star (see `expand_stars`)."""
    for select in expression.find_all(exp.Select):
        group = select.args.get("group")
        if (select.args.get("qualify") or (group and group.args.get("all"))) and _has_star(select):
            return True
    return False


def transpile(sql: str | exp.Expr, target: str, *, pretty: bool = False) -> str:
    """Model SQL (text or parsed) as `target` runs it; raises `UnsupportedError` rather than guess."""
    expression = parse(sql) if isinstance(sql, str) else sql
    return dialect_for(target)().generate(
        expression, copy=True, pretty=pretty, unsupported_level=ErrorLevel.RAISE
    )


__all__ = [
    "DIALECTS",
    "DatabankDuckDB",
    "DatabankPostgres",
    "DatabankSpark",
    "UnsupportedError",
    "dialect_for",
    "expand_stars",
    "needs_schema",
    "parse",
    "transpile",
]
