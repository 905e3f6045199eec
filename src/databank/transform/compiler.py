"""Model SQL for one engine: transpiled once, matched against the target table's columns.

The model's SELECT must produce columns of its table: a column the table lacks is an error naming
it; a table column the model leaves out takes the table's default (or NULL), unless it is NOT NULL
without a default. Values are cast to the table's types in the SQL the runner generates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from databank.engines.base import Engine, quote_ident, quote_table
from databank.engines.dialects import UnsupportedError, expand_stars, needs_schema, parse, transpile
from databank.transform.catalog import TableInfo, table_info
from databank.transform.checks import validate_checks
from databank.transform.errors import ModelDefinitionError
from databank.transform.model import Model

MAX_LISTED = (
    2000  # beyond this many partitions/keys, filter through a temp table instead of $params
)


@dataclass
class Compiled:
    """A model ready to run on one engine."""

    model: Model
    info: TableInfo
    columns: list[str]  # the model's output columns, in table order
    select_sql: str  # the SELECT in the engine's dialect
    tree: exp.Expr | None = None  # the parsed SELECT (SQL models)
    cache: dict[str, Any] = field(default_factory=dict)  # generated statements, by purpose

    def casts(self, alias: str = "_m") -> str:
        """`CAST(_m."c" AS type) AS "c", …` for the columns the model produces."""
        return ", ".join(
            f"CAST({alias}.{quote_ident(c)} AS {self.info.types[c]}) AS {quote_ident(c)}"
            for c in self.columns
        )

    def full_row(self, alias: str = "_m") -> str:
        """Every table column: the model's value, else the table's default, else NULL (cast)."""
        parts = []
        for column, kind in self.info.types.items():
            if column in self.columns:
                value = f"{alias}.{quote_ident(column)}"
            else:
                value = self.info.defaults.get(column, "NULL")
            parts.append(f"CAST({value} AS {kind}) AS {quote_ident(column)}")
        return ", ".join(parts)

    @property
    def column_list(self) -> str:
        """`"a", "b"`: the produced columns, quoted."""
        return ", ".join(quote_ident(c) for c in self.columns)


class Compiler:
    """Transpiles model SQL for one engine and checks it against the target tables."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def sql(self, tree: exp.Expr, where: str = "") -> str:
        """`tree` in the engine's dialect (stars expanded first where the dialect needs it)."""
        if self.engine.dialect != "duckdb" and needs_schema(tree):
            tree = expand_stars(tree, self.schema_of(tree))
        try:
            return transpile(tree, self.engine.dialect)
        except UnsupportedError as exc:
            raise ModelDefinitionError(
                f"{where}: cannot run this SQL on {self.engine.dialect}: {exc}",
                "keep to the portable subset described in docs/models.md",
            ) from None

    def schema_of(self, tree: exp.Expr) -> dict[str, dict[str, dict[str, str]]]:
        """{layer: {table: {column: type}}} for the tables `tree` reads (for star expansion)."""
        schema: dict[str, dict[str, dict[str, str]]] = {}
        for ref in tree.find_all(exp.Table):
            if ref.db and isinstance(ref.this, exp.Identifier):
                types = self.engine.column_types(f"{ref.db}.{ref.name}")
                schema.setdefault(ref.db, {})[ref.name] = types
        return schema

    def compile(self, model: Model, source_sql: str | None = None) -> Compiled:
        """Compile `model` (or, for Python models, `source_sql` reading their output)."""
        where = str(model.path or model.name)
        info = table_info(self.engine, model.name)
        validate_checks(model.checks, info, self.engine, where)
        tree = None
        if source_sql is None:
            if model.sql is None:
                raise ModelDefinitionError(f"{where}: a Python model runs through its function")
            tree = parse(model.sql)
            select_sql = self.sql(tree, where)
        else:
            select_sql = source_sql
        produced = self.output_columns(select_sql, where)
        columns = check_columns(produced, info, model, where)
        return Compiled(model, info, columns, select_sql, tree)

    def output_columns(
        self, select_sql: str, where: str, params: dict[str, Any] | None = None
    ) -> list[str]:
        """The column names the SELECT produces, as the engine sees them."""
        try:
            names = self.engine.fetch_arrow(
                f"SELECT * FROM ({select_sql}) AS _m LIMIT 0", params
            ).column_names
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelDefinitionError(
                f"{where}: the SELECT fails on {self.engine.dialect}: {first}"
            ) from exc
        return list(names)


def check_columns(produced: Sequence[str], info: TableInfo, model: Model, where: str) -> list[str]:
    """The produced columns in table order; errors for extra, duplicate or missing required ones."""
    duplicates = sorted({c for c in produced if list(produced).count(c) > 1})
    if duplicates:
        raise ModelDefinitionError(
            f"{where}: the SELECT produces column(s) twice: {', '.join(duplicates)}"
        )
    extra = [c for c in produced if c not in info.types]
    if extra:
        raise ModelDefinitionError(
            f"{where}: the SELECT produces column(s) that {info.name} does not have: {', '.join(extra)}",
            f"{info.name} has: {', '.join(info.types)}",
        )
    missing = sorted(info.required - set(produced))
    if missing:
        raise ModelDefinitionError(
            f"{where}: the SELECT must produce {', '.join(missing)} (NOT NULL without a default in {info.name})"
        )
    for name, column in (
        ("partition_by", model.partition_by),
        *(("unique_key", k) for k in model.unique_key),
    ):
        if column and column not in produced:
            raise ModelDefinitionError(
                f"{where}: {name} {column!r} is not a column the SELECT produces"
            )
    return [c for c in info.types if c in produced]


def member_condition(
    columns: Sequence[str], rows: Sequence[tuple[Any, ...]], prefix: str = "_k", alias: str = ""
) -> tuple[str, dict[str, Any]]:
    """SQL true for rows whose `columns` equal one of `rows` (NULL matches NULL), with parameters."""
    qualify = f"{alias}." if alias else ""
    cols = [qualify + quote_ident(c) for c in columns]
    params: dict[str, Any] = {}
    if len(cols) == 1:
        values = [r[0] for r in rows]
        marks = []
        for i, value in enumerate(v for v in values if v is not None):
            params[f"{prefix}{i}"] = value
            marks.append(f"${prefix}{i}")
        parts = [f"{cols[0]} IN ({', '.join(marks)})"] if marks else []
        if any(v is None for v in values):
            parts.append(f"{cols[0]} IS NULL")
        return "(" + (" OR ".join(parts) or "FALSE") + ")", params
    ors = []
    for i, row in enumerate(rows):
        ands = []
        for j, (col, value) in enumerate(zip(cols, row, strict=True)):
            if value is None:
                ands.append(f"{col} IS NULL")
            else:
                params[f"{prefix}{i}_{j}"] = value
                ands.append(f"{col} = ${prefix}{i}_{j}")
        ors.append("(" + " AND ".join(ands) + ")")
    return "(" + (" OR ".join(ors) or "FALSE") + ")", params


def temp_condition(columns: Sequence[str], temp: str, alias: str = "") -> str:
    """SQL true for rows whose `columns` appear in temp table `temp` (columns k0, k1, …)."""
    qualify = f"{alias}." if alias else ""
    if len(columns) == 1:
        col = qualify + quote_ident(columns[0])
        return (
            f"({col} IN (SELECT k0 FROM {temp} WHERE k0 IS NOT NULL) OR "
            f"({col} IS NULL AND EXISTS (SELECT 1 FROM {temp} WHERE k0 IS NULL)))"
        )
    match = " AND ".join(
        f"_k.k{i} IS NOT DISTINCT FROM {qualify}{quote_ident(c)}" for i, c in enumerate(columns)
    )
    return f"EXISTS (SELECT 1 FROM {temp} AS _k WHERE {match})"


def count(
    engine: Engine, table: str, condition: str | None = None, params: dict[str, Any] | None = None
) -> int:
    """Rows of `table` (matching `condition`)."""
    where = f" WHERE {condition}" if condition else ""
    return int(
        engine.fetch_value(f"SELECT count(*) FROM {quote_table(table)}{where}", params or None) or 0
    )
