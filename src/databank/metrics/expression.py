"""A catalog expression, checked and compiled: aggregates run in SQL, the arithmetic over them in Python.

`sum(total_revenue) / sum(total_transactions)` becomes two SQL aggregates (components) and a
Python function that divides their results as `decimal.Decimal`. Dividing in Python keeps money
exact on every engine (DuckDB divides DECIMALs in floating point, PostgreSQL divides integers as
integers), lets a period's value be combined from its days' components without a second query, and
rounds once, at the end.

Only a small grammar is accepted: the aggregates sum, count, avg, min, max (no DISTINCT, no
window, no FILTER) over the table's columns, numbers, + - * /, nullif, coalesce and abs, and inside
an aggregate `CASE WHEN <condition> THEN … [ELSE …] END` whose conditions compare row values or
test `IS [NOT] NULL` (joined by AND, OR, NOT). No strings, no subqueries, no other functions, no
column outside an aggregate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Context, Decimal, DivisionByZero, InvalidOperation

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from databank.schema.model import ColumnType

Value = Decimal | None
Evaluator = Callable[[Sequence[Value]], Value]

# 38 significant digits for the arithmetic; the result is rounded once to the unit's scale.
DECIMAL_CONTEXT = Context(prec=38)
AGGREGATES: dict[type[exp.Expression], str] = {
    exp.Sum: "sum",
    exp.Count: "count",
    exp.Avg: "avg",
    exp.Min: "min",
    exp.Max: "max",
}
SCALAR_FUNCTIONS: dict[type[exp.Expression], str] = {
    exp.Nullif: "nullif",
    exp.Coalesce: "coalesce",
    exp.Abs: "abs",
}
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div)
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
_NUMERIC_FAMILIES = {"numeric", "integer"}


class ExpressionError(ValueError):
    """The expression is not in the accepted grammar, or names a column the table lacks."""


@dataclass(frozen=True)
class Component:
    """One SQL aggregate of an expression and how its per-day results combine into a period's."""

    node: exp.Expression
    combine: str  # "sum" (sum, count), "min" or "max"

    def sql(self, dialect: str) -> str:
        """The aggregate in the engine's dialect, identifiers quoted."""
        return self.node.sql(dialect=dialect, identify=True)


@dataclass(frozen=True)
class CompiledExpression:
    """A checked expression: its SQL components and the Python function over their values."""

    text: str
    components: tuple[Component, ...]
    evaluate: Evaluator = field(repr=False, compare=False)
    additive: bool  # a bare sum or count: a period without rows is worth 0, not null
    columns: frozenset[str]
    divides_rows: bool  # a division inside an aggregate (computed by the engine, in floating point)


def compile_expression(text: str, columns: Mapping[str, ColumnType]) -> CompiledExpression:
    """Parse and check `text` against the table's `columns`; raise ExpressionError if it is not valid."""
    try:
        tree = sqlglot.parse_one(text)
    except ParseError as exc:
        raise ExpressionError(f"does not parse as SQL: {str(exc).splitlines()[0]}") from None
    if tree is None or isinstance(tree, exp.Query | exp.Subquery):
        raise ExpressionError("must be one expression, not a query")
    state = _Compiler(columns)
    evaluate = state.compile(tree)
    if not state.components:
        raise ExpressionError(
            "has no aggregate: use sum(...), count(...), avg(...), min(...) or max(...)"
        )
    root = tree.unnest()
    return CompiledExpression(
        text=text,
        components=tuple(state.components),
        evaluate=evaluate,
        additive=isinstance(root, exp.Sum | exp.Count),
        columns=frozenset(state.columns),
        divides_rows=state.divides_rows,
    )


def combine(kind: str, values: Sequence[Value]) -> Value:
    """Merge one component's values of several rows (days, dimension values) like SQL would."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    if kind == "min":
        return min(present)
    if kind == "max":
        return max(present)
    return sum(present, Decimal(0))


def to_decimal(value: object) -> Value:
    """An engine's value as Decimal (floats through their shortest repr, which round-trips)."""
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not a metric value")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if value == value else None  # NaN → null
    return Decimal(str(value))


class _Compiler:
    """Walks the sqlglot tree once: checks every node, collects components, builds the evaluator."""

    def __init__(self, columns: Mapping[str, ColumnType]) -> None:
        self.table_columns = columns
        self.components: list[Component] = []
        self._index: dict[str, int] = {}
        self.columns: set[str] = set()
        self.divides_rows = False

    def compile(self, node: exp.Expression) -> Evaluator:
        if isinstance(node, exp.Paren):
            return self.compile(node.this)
        if isinstance(node, exp.Literal):
            return _constant(node)
        if isinstance(node, exp.Neg):
            inner = self.compile(node.this)
            return lambda v: None if (x := inner(v)) is None else -x
        if isinstance(node, _ARITHMETIC):
            return _arithmetic(type(node), self.compile(node.left), self.compile(node.right))
        if type(node) in SCALAR_FUNCTIONS:
            return self._scalar(node)
        if type(node) in AGGREGATES:
            return self._aggregate(node)
        if isinstance(node, exp.Column):
            raise ExpressionError(f"column {node.sql()} must be inside an aggregate such as sum()")
        raise ExpressionError(_not_allowed(node))

    def _scalar(self, node: exp.Expression) -> Evaluator:
        args = [self.compile(a) for a in _arguments(node)]
        if isinstance(node, exp.Abs):
            return lambda v: None if (x := args[0](v)) is None else abs(x)
        if isinstance(node, exp.Nullif):
            return lambda v: None if (a := args[0](v)) is None or a == args[1](v) else a
        return lambda v: next((x for f in args if (x := f(v)) is not None), None)

    def _aggregate(self, node: exp.Expression) -> Evaluator:
        kind = AGGREGATES[type(node)]
        argument = node.this
        if isinstance(argument, exp.Distinct) or node.args.get("distinct"):
            raise ExpressionError(f"{kind}(DISTINCT …) cannot be combined across days: not allowed")
        if isinstance(argument, exp.Star):
            if kind != "count":
                raise ExpressionError(f"{kind}(*) is not allowed; only count(*)")
        else:
            self._check_row_expression(argument, kind)
        if kind == "avg":  # avg(x) = sum(x) / count(x): both combine across days, avg does not
            total = self._component(exp.Sum(this=argument.copy()), "sum")
            count = self._component(exp.Count(this=argument.copy()), "sum")
            return _arithmetic(exp.Div, total, count)
        return self._component(node, "sum" if kind in ("sum", "count") else kind)

    def _component(self, node: exp.Expression, combine_kind: str) -> Evaluator:
        key = node.sql()
        if key not in self._index:
            self._index[key] = len(self.components)
            self.components.append(Component(node.copy(), combine_kind))
        index = self._index[key]
        return lambda v: v[index]

    def _check_row_expression(self, node: exp.Expression, aggregate: str) -> None:
        """The argument of an aggregate: columns, numbers, arithmetic, nullif/coalesce/abs."""
        if isinstance(node, exp.Column):
            self._check_column(node, aggregate)
        elif isinstance(node, exp.Literal):
            _constant(node)
        elif isinstance(node, exp.Paren | exp.Neg):
            self._check_row_expression(node.this, aggregate)
        elif isinstance(node, _ARITHMETIC):
            if isinstance(node, exp.Div):
                self.divides_rows = True
            self._check_row_expression(node.left, aggregate)
            self._check_row_expression(node.right, aggregate)
        elif type(node) in SCALAR_FUNCTIONS:
            for arg in _arguments(node):
                self._check_row_expression(arg, aggregate)
        elif isinstance(node, exp.Case):
            if node.this is not None:
                raise ExpressionError("write CASE WHEN <condition> THEN …, not CASE <value> WHEN …")
            for branch in node.args.get("ifs") or []:
                self._check_condition(branch.this, aggregate)
                self._check_row_expression(branch.args["true"], aggregate)
            if node.args.get("default") is not None:
                self._check_row_expression(node.args["default"], aggregate)
        elif type(node) in AGGREGATES:
            raise ExpressionError(f"an aggregate inside {aggregate}() is not allowed")
        else:
            raise ExpressionError(_not_allowed(node))

    def _check_condition(self, node: exp.Expression, aggregate: str) -> None:
        """A CASE condition: comparisons of row values, IS [NOT] NULL, joined by AND/OR/NOT."""
        if isinstance(node, exp.Paren | exp.Not):
            self._check_condition(node.this, aggregate)
        elif isinstance(node, exp.And | exp.Or):
            self._check_condition(node.left, aggregate)
            self._check_condition(node.right, aggregate)
        elif isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
            self._check_row_expression(node.this, "count")  # any column may be tested for NULL
        elif isinstance(node, _COMPARISONS):
            self._check_row_expression(node.left, aggregate)
            self._check_row_expression(node.right, aggregate)
        else:
            raise ExpressionError(
                f"condition {node.sql()!r} is not allowed (compare numbers, or IS NULL)"
            )

    def _check_column(self, node: exp.Column, aggregate: str) -> None:
        if node.table or not isinstance(node.this, exp.Identifier):
            raise ExpressionError(f"{node.sql()}: write bare column names of the metric's table")
        name = node.name
        if name not in self.table_columns:
            known = ", ".join(self.table_columns)
            raise ExpressionError(f"unknown column {name!r} (the table has: {known})")
        family = self.table_columns[name].family
        if aggregate != "count" and family not in _NUMERIC_FAMILIES:
            raise ExpressionError(
                f"{aggregate}() over {name!r} needs a number, the column is {family}"
            )
        self.columns.add(name)


def _arguments(node: exp.Expression) -> list[exp.Expression]:
    args = [node.this, *(node.expressions or [])]
    if node.args.get("expression") is not None:
        args.append(node.args["expression"])
    return [a for a in args if a is not None]


def _constant(node: exp.Literal) -> Evaluator:
    if node.is_string:
        raise ExpressionError(f"string literal {node.sql()} is not allowed; only numbers")
    value = Decimal(node.this)
    return lambda v: value


def _arithmetic(op: type[exp.Expression], left: Evaluator, right: Evaluator) -> Evaluator:
    def apply(values: Sequence[Value]) -> Value:
        a, b = left(values), right(values)
        if a is None or b is None:
            return None
        if op is exp.Add:
            return DECIMAL_CONTEXT.add(a, b)
        if op is exp.Sub:
            return DECIMAL_CONTEXT.subtract(a, b)
        if op is exp.Mul:
            return DECIMAL_CONTEXT.multiply(a, b)
        if b == 0:
            return None  # x / 0 is "no value" (AOV of a day without transactions), never an error
        try:
            return DECIMAL_CONTEXT.divide(a, b)
        except (DivisionByZero, InvalidOperation):
            return None

    return apply


def _not_allowed(node: exp.Expression) -> str:
    if isinstance(node, exp.Query | exp.Subquery):
        return "subqueries are not allowed"
    if isinstance(node, exp.Window):
        return "window functions are not allowed"
    if isinstance(node, exp.Func):
        name = node.sql_name() if not isinstance(node, exp.Anonymous) else str(node.this)
        allowed = ", ".join([*AGGREGATES.values(), *SCALAR_FUNCTIONS.values()])
        return f"function {name.lower()}() is not allowed (allowed: {allowed})"
    return f"{node.sql()!r} ({type(node).__name__}) is not allowed in a metric expression"
