"""Model SQL as sqlglot trees: the tables a SELECT reads, and rewrites that narrow what it reads."""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from databank.transform.errors import ModelDefinitionError


def qualified_name(table: exp.Table) -> str | None:
    """`layer.table` of a table reference, None for a table function or a bare (CTE) name."""
    if not isinstance(table.this, exp.Identifier) or not table.db:
        return None
    return f"{table.db}.{table.name}"


def table_references(query: exp.Expr, where: str) -> tuple[str, ...]:
    """The `layer.table` names a SELECT reads, each once (CTE names excluded)."""
    ctes = {cte.alias_or_name for cte in query.find_all(exp.CTE)}
    found: list[str] = []
    for table in query.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue  # a table function such as range(…) or unnest(…)
        if table.args.get("catalog"):
            raise ModelDefinitionError(f"{where}: write tables as layer.table, not {table.sql()}")
        if not table.db:
            if table.name in ctes:
                continue
            raise ModelDefinitionError(
                f"{where}: table {table.name!r} must be written with its layer (e.g. bronze.{table.name})"
            )
        name = f"{table.db}.{table.name}"
        if name not in found:
            found.append(name)
    return tuple(found)


def narrow(
    query: exp.Expr,
    table: str,
    condition: Callable[[], exp.Expr],
    *,
    inner_joins: bool = False,
    read: str | None = None,
) -> exp.Expr:
    """A copy of `query` in which every read of `table` sees only its rows matching `condition`.

    Each reference becomes `(SELECT * FROM table WHERE condition) AS alias`, keeping the alias the
    query uses (or the table's own name), so the rest of the SQL is unchanged. With `inner_joins`,
    a LEFT JOIN onto the narrowed table becomes an inner join: used to find which output rows new
    upstream rows touch, where the unmatched left rows would only add noise. With `read`
    (`layer.table`), the rows come from that table instead, one with the same columns.
    """
    source = exp.to_table(read or table)
    copy = query.copy()
    for ref in list(copy.find_all(exp.Table)):
        if qualified_name(ref) != table:
            continue
        alias = ref.alias_or_name
        inner = exp.select("*").from_(source.copy()).where(condition())
        join = ref.parent
        if inner_joins and isinstance(join, exp.Join) and join.side == "LEFT" and join.this is ref:
            join.set("side", None)
        ref.replace(inner.subquery(alias))
    return copy


def placeholder(name: str) -> exp.Placeholder:
    """A `$name` parameter in a generated tree."""
    return exp.Placeholder(this=name)
