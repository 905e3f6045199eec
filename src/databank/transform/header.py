"""Read a model file: an optional `MODEL (...)` header, then one SELECT.

    MODEL (
      kind incremental,
      partition_by transaction_date,
      lookback 2,
      grain (transaction_id),
      watermark (bronze.scout_raw_transactions.ingested_at),
      tests (
        not_null(transaction_id, amount),
        accepted_values(channel, ['online', 'store'], severity := 'warn')
      )
    );
    SELECT ...

The header is split with sqlglot's tokenizer and each value is parsed by sqlglot as an expression,
so strings, comments and nested parentheses behave as in SQL. Every key must be known: a typo is an
error, never a silently ignored setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from databank.engines.dialects import SOURCE
from databank.transform.checkparse import literal, matching, parse_checks, split_tokens
from databank.transform.errors import ModelDefinitionError
from databank.transform.model import Kind, Model

KEYS = (
    "name",
    "kind",
    "partition_by",
    "lookback",
    "unique_key",
    "grain",
    "watermark",
    "partition_source",
    "partition_window",
    "lookup",
    "tests",
    "description",
)


def parse_model(text: str, name: str, path: Path | None = None) -> Model:
    """Build a model named `name` (`layer.table`, from its path) from the file's text."""
    where = str(path) if path else name
    try:
        tokens = sqlglot.tokenize(text, read=SOURCE)
    except TokenError as exc:
        raise ModelDefinitionError(f"{where}: cannot read the SQL: {exc}") from None
    props: dict[str, Any] = {}
    body = text
    if (
        len(tokens) > 1
        and tokens[0].text.upper() == "MODEL"
        and tokens[1].token_type == TokenType.L_PAREN
    ):
        close = matching(tokens, 1, where)
        for part in split_tokens(tokens[2:close]):
            key = part[0].text.lower()
            if key not in KEYS:
                raise ModelDefinitionError(
                    f"{where}: unknown MODEL property {part[0].text!r}", f"known: {', '.join(KEYS)}"
                )
            if key in props:
                raise ModelDefinitionError(f"{where}: MODEL property {key!r} given twice")
            if len(part) < 2:
                raise ModelDefinitionError(f"{where}: MODEL property {key!r} has no value")
            props[key] = part[1:]
        end = (
            close + 1
            if close + 1 < len(tokens) and tokens[close + 1].token_type == TokenType.SEMICOLON
            else close
        )
        body = text[tokens[end].end + 1 :]
    model = _build(props, text, name, where, path)
    return _with_sql(model, body, where)


def _build(
    props: dict[str, list[Token]], text: str, name: str, where: str, path: Path | None
) -> Model:
    def value(key: str) -> exp.Expr | None:
        part = props.get(key)
        if part is None:
            return None
        if (
            len(part) == 1
        ):  # one word: read as written (`merge` is an SQL keyword, not a parse error)
            token = part[0]
            if token.token_type == TokenType.STRING:
                return exp.Literal.string(token.text)
            if token.token_type == TokenType.NUMBER:
                return exp.Literal.number(token.text)
            return exp.column(token.text)
        source = text[part[0].start : part[-1].end + 1]
        try:
            return sqlglot.parse_one(source, read=SOURCE)
        except ParseError as exc:
            raise ModelDefinitionError(
                f"{where}: cannot read MODEL {key} {source!r}: {exc}"
            ) from None

    declared = value("name")
    if declared is not None and _dotted(declared) != name:
        raise ModelDefinitionError(
            f"{where}: MODEL name {_dotted(declared)} does not match the file's place ({name})",
            "a model lives in models/<layer>/<table>.sql; drop `name` or move the file",
        )
    kind_expr = value("kind")
    kind_text = _dotted(kind_expr).lower() if kind_expr is not None else "full"
    try:
        kind = Kind(kind_text)
    except ValueError:
        raise ModelDefinitionError(
            f"{where}: unknown kind {kind_text!r}",
            f"use one of: {', '.join(k.value for k in Kind)}",
        ) from None
    lookback_expr = value("lookback")
    lookback = _integer(lookback_expr, where, "lookback") if lookback_expr is not None else 0
    window_expr = value("partition_window")
    window = _integer(window_expr, where, "partition_window") if window_expr is not None else 0
    partition = value("partition_by")
    description = value("description")
    model = Model(
        name=name,
        kind=kind,
        path=path,
        partition_by=_dotted(partition) if partition is not None else None,
        lookback=lookback,
        unique_key=_names(value("unique_key")),
        grain=_names(value("grain")),
        watermarks=_columns_by_table(value("watermark"), where, "watermark"),
        partition_sources=_columns_by_table(value("partition_source"), where, "partition_source"),
        partition_window=window,
        lookups=_tables(value("lookup"), where),
        checks=parse_checks(text, props["tests"], where) if "tests" in props else (),
        description=description.name if isinstance(description, exp.Literal) else "",
    )
    validate(model, where)
    return model


def validate(model: Model, where: str) -> None:
    """The settings each kind needs, and only those."""
    if model.kind is Kind.INCREMENTAL and not model.partition_by:
        raise ModelDefinitionError(f"{where}: kind incremental needs partition_by <column>")
    if model.kind is Kind.MERGE and not model.unique_key:
        raise ModelDefinitionError(f"{where}: kind merge needs unique_key (<column>, ...)")
    if model.kind is Kind.SUMMARY and not model.grain:
        raise ModelDefinitionError(f"{where}: kind summary needs grain (<group key>, ...)")
    if model.kind is Kind.SUMMARY and (model.partition_by or model.unique_key or model.lookups):
        raise ModelDefinitionError(
            f"{where}: kind summary takes no partition_by, unique_key or lookup",
            "its groups are its grain, and it reads one table",
        )
    if model.lookback and model.kind is not Kind.INCREMENTAL:
        raise ModelDefinitionError(f"{where}: lookback applies to kind incremental only")
    if model.lookback < 0:
        raise ModelDefinitionError(f"{where}: lookback must be 0 or more partitions")
    if model.partition_sources and model.kind is not Kind.INCREMENTAL:
        raise ModelDefinitionError(f"{where}: partition_source applies to kind incremental only")
    if model.partition_window < 0:
        raise ModelDefinitionError(f"{where}: partition_window must be 0 or more partitions")
    if model.partition_window and not model.partition_sources:
        raise ModelDefinitionError(f"{where}: partition_window needs a partition_source")
    if model.lookups and model.kind is Kind.FULL:
        raise ModelDefinitionError(
            f"{where}: lookup applies to kinds incremental and merge",
            "a full model is rebuilt whenever any upstream moved",
        )
    both = sorted(set(model.lookups) & set(model.partition_sources))
    if both:
        raise ModelDefinitionError(
            f"{where}: {', '.join(both)} cannot be both a lookup and a partition_source"
        )


def _with_sql(model: Model, body: str, where: str) -> Model:
    from dataclasses import replace

    from databank.transform.sqlmodel import table_references

    try:
        statements = [s for s in sqlglot.parse(body, read=SOURCE) if s is not None]
    except (ParseError, TokenError) as exc:
        raise ModelDefinitionError(f"{where}: the SELECT does not parse: {exc}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise ModelDefinitionError(
            f"{where}: a model holds exactly one SELECT after its header "
            f"(found {len(statements)} statement(s))"
        )
    sql = body.strip().rstrip(";").strip()
    depends = table_references(statements[0], where)
    if model.name in depends:
        raise ModelDefinitionError(f"{where}: a model cannot read its own table {model.name}")
    for key, tables in (
        ("watermark", model.watermarks),
        ("partition_source", model.partition_sources),
        ("lookup", dict.fromkeys(model.lookups)),
    ):
        unknown = sorted(set(tables) - set(depends))
        if unknown:
            raise ModelDefinitionError(
                f"{where}: {key} names table(s) the SELECT does not read: {', '.join(unknown)}"
            )
    if model.kind is Kind.SUMMARY:
        from databank.transform.summary import summary_shape

        summary_shape(statements[0], model, where)  # refused at load, not at its first run
    return replace(model, sql=sql, depends_on=depends)


def _integer(node: exp.Expr, where: str, key: str) -> int:
    value = literal(node)
    if not isinstance(value, int):
        raise ModelDefinitionError(f"{where}: {key} must be a whole number, not {node.sql()}")
    return value


def _dotted(node: exp.Expr) -> str:
    if isinstance(node, exp.Column):
        return ".".join(p.name for p in node.parts)
    if isinstance(node, exp.Literal | exp.Identifier):
        return str(node.name)
    return node.sql()


def _names(node: exp.Expr | None) -> tuple[str, ...]:
    if node is None:
        return ()
    if isinstance(node, exp.Paren):
        node = node.this
    items = node.expressions if isinstance(node, exp.Tuple) else [node]
    return tuple(_dotted(i) for i in items)


def _tables(node: exp.Expr | None, where: str) -> tuple[str, ...]:
    tables = _names(node)
    for dotted in tables:
        if len(dotted.split(".")) != 2:
            raise ModelDefinitionError(f"{where}: lookup entries are layer.table, not {dotted!r}")
    return tables


def _columns_by_table(node: exp.Expr | None, where: str, key: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for dotted in _names(node):
        parts = dotted.split(".")
        if len(parts) != 3:
            raise ModelDefinitionError(
                f"{where}: {key} entries are layer.table.column, not {dotted!r}"
            )
        found[f"{parts[0]}.{parts[1]}"] = parts[2]
    return found
