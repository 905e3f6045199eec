"""The `tests (...)` list of a model header, read into `Check`s (parsed by sqlglot, item by item).

tests (
  not_null(transaction_id, amount),
  accepted_values(channel, ['online', 'store'], severity := 'warn'),
  range(amount, min := 0, max_failures := 2),
  relationships(customer_id, silver.scout_clean_customers.customer_id, max_rate := 0.01)
)
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.tokens import Token, TokenType

from databank.engines.dialects import SOURCE
from databank.transform.errors import ModelDefinitionError
from databank.transform.model import CHECK_KINDS, Check, Severity

_CHECK_OPTIONS = {"severity", "max_failures", "max_rate", "values", "min", "max", "to"}


def parse_checks(text: str, tokens: list[Token], where: str) -> tuple[Check, ...]:
    """`tests (not_null(a, b), unique(c), …)` → checks (not_null of n columns gives n checks)."""
    if tokens[0].token_type == TokenType.L_PAREN and matching(tokens, 0, where) == len(tokens) - 1:
        tokens = tokens[1:-1]
    checks: list[Check] = []
    for item in split_tokens(tokens):
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
    severity_text = str(literal(options.pop("severity", exp.Literal.string("error")))).lower()
    try:
        severity = Severity(severity_text)
    except ValueError:
        raise ModelDefinitionError(
            f"{where}: severity must be error or warn in {source!r}"
        ) from None
    common: dict[str, Any] = {"severity": severity}
    if "max_failures" in options:
        common["max_failures"] = int(literal(options.pop("max_failures")))
    if "max_rate" in options:
        common["max_rate"] = float(literal(options.pop("max_rate")))
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
        return [Check(kind, names, values=tuple(literal(v) for v in listed.expressions), **common)]
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
                min=None if low is None else literal(low),
                max=None if high is None else literal(high),
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


def literal(node: exp.Expr) -> Any:
    """A literal of the header as a Python value (bare words read as strings)."""
    if isinstance(node, exp.Neg):
        return -literal(node.this)
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


def matching(tokens: list[Token], open_at: int, where: str) -> int:
    """The index of the parenthesis closing the one at `open_at`."""
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


def split_tokens(tokens: list[Token]) -> list[list[Token]]:
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
