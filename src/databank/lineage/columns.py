"""Column-level lineage of a model, from its SQL by `sqlglot.lineage` (no parser of our own).

Each output column yields one edge per origin column it is computed from: `aggregated` when an
aggregate sits on the way, `joined` when the origin table comes in through a JOIN, else `direct`.
Columns read by WHERE/HAVING/QUALIFY give `filtered` edges and columns of JOIN conditions give
`joined` edges, both into the whole target (target_column NULL): they decide which rows exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.lineage import Node, lineage
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope, traverse_scope

from databank.engines.dialects import SOURCE, parse
from databank.transform.model import Model

DIRECT, AGGREGATED, FILTERED, JOINED = "direct", "aggregated", "filtered", "joined"
Schema = Mapping[str, Mapping[str, Mapping[str, str]]]


@dataclass(frozen=True)
class Edge:
    """One row of `meta.neural_data_lineage`."""

    source_table: str
    source_column: str | None
    target_table: str
    target_column: str | None
    transformation_logic: str
    transformation_type: str

    @property
    def layer_transition(self) -> str:
        """`bronze->silver`, `source->bronze`, `gold->ml`, …"""
        return f"{layer_of(self.source_table)}->{layer_of(self.target_table)}"


def layer_of(table: str) -> str:
    """The layer of `layer.table`, `source` for `source:<system>`, `ml` for `ml:<model>`."""
    if ":" in table:
        return table.split(":", 1)[0]
    return table.split(".", 1)[0]


def model_edges(model: Model, schema: Schema) -> list[Edge]:
    """The lineage edges of one model (`schema`: {layer: {table: {column: type}}} of its inputs)."""
    if model.sql is None:
        name = getattr(model.function, "__qualname__", "function")
        logic = f"python model {getattr(model.function, '__module__', '')}.{name}"
        return [Edge(t, None, model.name, None, logic, DIRECT) for t in model.depends_on]
    tree = parse(model.sql)
    plain = {
        layer: {t: dict(cols) for t, cols in tables.items()} for layer, tables in schema.items()
    }
    try:
        qualified = qualify(
            tree,
            schema=plain,
            dialect=SOURCE,
            validate_qualify_columns=False,
            quote_identifiers=False,
        )
    except Exception:  # a query sqlglot cannot qualify still gets its column edges below
        qualified = None
    edges: list[Edge] = _row_edges(model.name, qualified) if qualified is not None else []
    # One qualified tree and trim_selects=False: the same edges as the defaults, without a copy
    # of the SELECT per column (several times faster on wide models).
    if qualified is not None:
        found = lineage(
            None,
            qualified,
            schema=plain,
            dialect=SOURCE,
            scope=build_scope(qualified),
            trim_selects=False,
            copy=False,
        )
    else:
        found = lineage(None, parse(model.sql), schema=plain, dialect=SOURCE, trim_selects=False)
    column_edges: list[Edge] = []
    for column, node in found.items():
        column_edges += _column_edges(model.name, column, node)
    return list(dict.fromkeys(column_edges + edges))


def _column_edges(target: str, column: str, root: Node) -> list[Edge]:
    logic = root.expression.sql(dialect=SOURCE)
    aggregated = any(_aggregates(n.expression) for n in root.walk())
    edges = []
    for node in root.walk():
        source = node.source
        if node.downstream or not isinstance(source, exp.Table):
            continue
        table = f"{source.db}.{source.name}" if source.db else source.name
        kind = (
            AGGREGATED if aggregated else JOINED if isinstance(source.parent, exp.Join) else DIRECT
        )
        edges.append(Edge(table, node.name.split(".")[-1], target, column, logic, kind))
    if not edges and aggregated:  # count(*): every row of the FROM table counts
        for table in _from_tables(root.source):
            edges.append(Edge(table, None, target, column, logic, AGGREGATED))
    return edges


def _aggregates(expression: exp.Expr) -> bool:
    return any(not agg.find_ancestor(exp.Window) for agg in expression.find_all(exp.AggFunc))


def _from_tables(select: exp.Expr) -> list[str]:
    found = []
    for table in select.find_all(exp.Table):
        if table.db and isinstance(table.parent, exp.From):
            found.append(f"{table.db}.{table.name}")
    return found


def _row_edges(target: str, qualified: exp.Expr) -> list[Edge]:
    """Filtered and joined edges: the columns that decide which rows the model keeps."""
    edges: list[Edge] = []
    for scope in traverse_scope(qualified):
        select = scope.expression
        for clause in ("where", "having", "qualify"):
            condition = select.args.get(clause)
            if condition is not None:
                edges += _condition_edges(target, scope, condition.this, FILTERED)
        for join in select.args.get("joins") or ():
            on = join.args.get("on")
            if on is not None:
                edges += _condition_edges(target, scope, on, JOINED)
    return edges


def _condition_edges(target: str, scope: Scope, condition: exp.Expr, kind: str) -> list[Edge]:
    logic = condition.sql(dialect=SOURCE)
    edges = []
    for column in _columns(condition, scope.expression):
        source = scope.sources.get(column.table)
        if isinstance(source, exp.Table) and source.db:
            table = f"{source.db}.{source.name}"
            edges.append(Edge(table, column.name, target, None, logic, kind))
    return edges


def _columns(condition: exp.Expr, select: exp.Expr) -> Iterable[exp.Column]:
    """Columns of this condition, not those of its subqueries (they are scopes of their own)."""
    for column in condition.find_all(exp.Column):
        if column.find_ancestor(exp.Select) is select:
            yield column
