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

from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from databank.engines.dialects import SOURCE
from databank.transform.errors import ModelDefinitionError
from databank.transform.model import CHECK_KINDS, Check, Kind, Model, Severity

KEYS = (
    "name",
    "kind",
    "partition_by",
    "lookback",
    "unique_key",
    "grain",
    "watermark",
    "partition_source",
    "tests",
    "description",
)
_CHECK_OPTIONS = {"severity", "max_failures", "max_rate", "values", "min", "max", "to"}


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
        close = _matching(tokens, 1, where)
        for part in _split(tokens[2:close]):
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
    if model.lookback and model.kind is not Kind.INCREMENTAL:
        raise ModelDefinitionError(f"{where}: lookback applies to kind incremental only")
    if model.lookback < 0:
        raise ModelDefinitionError(f"{where}: lookback must be 0 or more partitions")
    if model.partition_sources and model.kind is not Kind.INCREMENTAL:
        raise ModelDefinitionError(f"{where}: partition_source applies to kind incremental only")


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
    ):
        unknown = sorted(set(tables) - set(depends))
        if unknown:
            raise ModelDefinitionError(
                f"{where}: {key} names table(s) the SELECT does not read: {', '.join(unknown)}"
            )
    return replace(model, sql=sql, depends_on=depends)


def parse_checks(text: str, tokens: list[Token], where: str) -> tuple[Check, ...]:
    """`tests (not_null(a, b), unique(c), …)` → checks (not_null of n columns gives n checks)."""
    if tokens[0].token_type == TokenType.L_PAREN and _matching(tokens, 0, where) == len(tokens) - 1:
        tokens = tokens[1:-1]
    checks: list[Check] = []
    for item in _split(tokens):
        source = text[item[0].start : item[-1].end + 1]
        kind = item[0].text.lower()
        if kind not in CHECK_KINDS:
            raise ModelDefinitionError(
                f"{where}: unknown test {item[0].text!r} in {source!r}",
                f"known: {', '.join(CHECK_KINDS)}",
            )
        if len(item) < 3 or item[1].token_type != TokenType.L_PAREN:
            raise ModelDefinitionError(
                f"{where}: write the test as {kind}(column, ...): {source!r}"
            )
        args_text = text[item[1].start : item[-1].end + 1]
        try:
            parsed = sqlglot.parse_one(args_text, read=SOURCE)
        except ParseError as exc:
            raise ModelDefinitionError(f"{where}: cannot read test {source!r}: {exc}") from None
        checks.extend(_check(kind, parsed, source, where))
    return tuple(checks)


def _check(kind: str, parsed: exp.Expr, source: str, where: str) -> list[Check]:
    items = parsed.expressions if isinstance(parsed, exp.Tuple) else [parsed.this]
    positional: list[exp.Expr] = []
    options: dict[str, Any] = {}
    for item in items:
        if isinstance(item, exp.PropertyEQ | exp.EQ) and isinstance(
            item.this, exp.Column | exp.Identifier
        ):
            option = item.this.name.lower()
            if option not in _CHECK_OPTIONS:
                raise ModelDefinitionError(
                    f"{where}: unknown option {option!r} in test {source!r}",
                    f"known: {', '.join(sorted(_CHECK_OPTIONS))}",
                )
            options[option] = item.expression
        else:
            positional.append(item)
    columns = [p for p in positional if isinstance(p, exp.Column) and not p.table]
    others = [p for p in positional if p not in columns]
    if not columns:
        raise ModelDefinitionError(f"{where}: test {source!r} names no column")
    severity_text = str(_literal(options.pop("severity", exp.Literal.string("error")))).lower()
    try:
        severity = Severity(severity_text)
    except ValueError:
        raise ModelDefinitionError(
            f"{where}: severity must be error or warn in {source!r}"
        ) from None
    common: dict[str, Any] = {"severity": severity}
    if "max_failures" in options:
        common["max_failures"] = int(_literal(options.pop("max_failures")))
    if "max_rate" in options:
        common["max_rate"] = float(_literal(options.pop("max_rate")))
    names = tuple(c.name for c in columns)
    if kind == "not_null":
        return [Check("not_null", (n,), **common) for n in names]
    if kind == "unique":
        return [Check("unique", names, **common)]
    if len(names) != 1:
        raise ModelDefinitionError(f"{where}: test {source!r} takes exactly one column")
    if kind == "accepted_values":
        listed = options.pop("values", others[0] if others else None)
        if not isinstance(listed, exp.Array | exp.Tuple) or not listed.expressions:
            raise ModelDefinitionError(
                f"{where}: accepted_values needs a list ['a', 'b'] in {source!r}"
            )
        return [Check(kind, names, values=tuple(_literal(v) for v in listed.expressions), **common)]
    if kind == "range":
        low = options.pop("min", others[0] if others else None)
        high = options.pop("max", others[1] if len(others) > 1 else None)
        if low is None and high is None:
            raise ModelDefinitionError(
                f"{where}: range needs min := … and/or max := … in {source!r}"
            )
        return [
            Check(
                kind,
                names,
                min=None if low is None else _literal(low),
                max=None if high is None else _literal(high),
                **common,
            )
        ]
    target = options.pop("to", others[0] if others else None)
    if not isinstance(target, exp.Column) or not target.db:
        raise ModelDefinitionError(
            f"{where}: relationships needs the referenced layer.table.column in {source!r}"
        )
    return [
        Check(
            kind, names, ref_table=f"{target.db}.{target.table}", ref_column=target.name, **common
        )
    ]


def _literal(node: exp.Expr) -> Any:
    if isinstance(node, exp.Neg):
        return -_literal(node.this)
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        text = node.this
        return int(text) if text.lstrip("-").isdigit() else Decimal(text)
    if isinstance(
        node, exp.Column | exp.Identifier
    ):  # bare words read as strings: severity := warn
        return node.name
    raise ModelDefinitionError(f"expected a literal value, found {node.sql()}")


def _integer(node: exp.Expr, where: str, key: str) -> int:
    value = _literal(node)
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


def _matching(tokens: list[Token], open_at: int, where: str) -> int:
    depth = 0
    for i in range(open_at, len(tokens)):
        kind = tokens[i].token_type
        if kind == TokenType.L_PAREN:
            depth += 1
        elif kind == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                return i
    raise ModelDefinitionError(f"{where}: unbalanced parentheses in the MODEL header")


def _split(tokens: list[Token]) -> list[list[Token]]:
    """Split at commas outside parentheses and brackets; empty parts (trailing comma) dropped."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        kind = token.token_type
        if kind in (TokenType.L_PAREN, TokenType.L_BRACKET):
            depth += 1
        elif kind in (TokenType.R_PAREN, TokenType.R_BRACKET):
            depth -= 1
        if kind == TokenType.COMMA and depth == 0:
            parts.append([])
        else:
            parts[-1].append(token)
    return [p for p in parts if p]
