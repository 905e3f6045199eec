"""Compile a contract once into one plain Python function (generated source, then `exec`).

A validator costs about a microsecond per record: no per-check function calls, no dict of rules
walked at run time. The generated function is

    validate(record, pii=None) -> (total, lost, errors, known_present, deep)

`total` and `lost` are the applicable and the failed check weights (score = 1 - lost / total),
`errors` a list of (field, reason, check_kind, is_error), `known_present` the number of declared
top-level fields present (fewer than the record's keys means unknown fields: drift), `deep` whether
the record holds containers or suspicious numbers that the hazard scan must look into.

`pii` is used on replay only: pseudonymised values (`pii_…` tokens) cannot be checked again, so a
PII field holding a token takes the verdict recorded at ingestion: `pii` maps its path to
(weight lost, errors) rebuilt from what was stored then (absent: it passed); see `pii_verdicts`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from databank.ingestion.contract import WEIGHTS, Contract, FieldSpec, Rule
from databank.ingestion.formats import FORMATS, is_date, is_datetime, utc_datetime

Validator = Callable[..., tuple[float, float, list[tuple[str, str, str, bool]], int, bool]]
NUMBER_LIMIT = 1e15  # beyond this a number is refused: DECIMAL columns and float exactness
INTEGER_LIMIT = 2**53 - 1
_ITEM_TESTS = {
    "string": "isinstance(x, str)",
    "number": "(x.__class__ is not bool and isinstance(x, (int, float)))",
    "integer": "(x.__class__ is not bool and isinstance(x, int))",
    "boolean": "x.__class__ is bool",
    "object": "isinstance(x, dict)",
}
_TYPE_TESTS = {
    "string": ("not isinstance(v, str)", "must be a string"),
    "number": (
        f"v.__class__ is bool or not isinstance(v, (int, float)) "
        f"or not -{NUMBER_LIMIT!r} <= v <= {NUMBER_LIMIT!r}",
        f"must be a finite number within ±{NUMBER_LIMIT:.0e}",
    ),
    "integer": (
        "v.__class__ is bool or not (isinstance(v, int) or (isinstance(v, float) and "
        f"v.is_integer())) or not -{INTEGER_LIMIT} <= v <= {INTEGER_LIMIT}",
        "must be a whole number within ±2^53",
    ),
    "boolean": ("v.__class__ is not bool", "must be true or false"),
    "datetime": (
        "not isinstance(v, str) or not F_datetime(v)",
        "must be an ISO-8601 date-time with a UTC offset or Z",
    ),
    "date": ("not isinstance(v, str) or not F_date(v)", "must be an ISO-8601 date (YYYY-MM-DD)"),
    "object": ("not isinstance(v, dict)", "must be an object"),
    "array": ("not isinstance(v, list)", "must be an array"),
}


def _before(a: str, b: str) -> bool | None:
    """True when date/time `a` is earlier than `b`; None when they are not comparable."""
    if is_date(a) and is_date(b):
        return a < b
    first, second = utc_datetime(a), utc_datetime(b)
    if first is None or second is None:
        return None
    return first < second


class _Source:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {
            "F_datetime": is_datetime,
            "F_date": is_date,
            "F_before": _before,
        }
        for name, (check, _) in FORMATS.items():
            self.namespace[f"F_{name}"] = check

    def add(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def constant(self, value: Any) -> str:
        name = f"K{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def fail(
        self, indent: int, path: str, weight: float, reason: str, kind: str, error: bool
    ) -> None:
        self.add(indent, f"lost += {weight!r}")
        self.add(indent, f"errs.append(({path!r}, {reason!r}, {kind!r}, {error!r}))")


def _enum_text(values: tuple[str, ...]) -> str:
    text = ", ".join(map(str, values))
    return text if len(text) <= 200 else text[:197] + "..."


def _constraints(src: _Source, spec: FieldSpec, indent: int) -> None:
    error = spec.severity == "error"
    weight = WEIGHTS["constraint"]
    if spec.format:
        reason = FORMATS[spec.format][1]
        src.add(indent, f"if not F_{spec.format}(v):")
        src.fail(indent + 1, spec.path, weight, reason, "format", error)
    if spec.enum:
        allowed = src.constant(frozenset(spec.enum))
        src.add(indent, f"if v not in {allowed}:")
        src.fail(
            indent + 1, spec.path, weight, f"must be one of: {_enum_text(spec.enum)}", "enum", error
        )
    if spec.min is not None or spec.max is not None:
        tests, words = [], []
        if spec.min is not None:
            tests.append(f"v < {spec.min!r}")
            words.append(f"≥ {spec.min}")
        if spec.max is not None:
            tests.append(f"v > {spec.max!r}")
            words.append(f"≤ {spec.max}")
        src.add(indent, f"if {' or '.join(tests)}:")
        src.fail(indent + 1, spec.path, weight, f"must be {' and '.join(words)}", "range", error)
    if spec.decimals is not None:
        scale = 10**spec.decimals
        src.add(indent, f"s = v * {scale}")
        src.add(indent, "if abs(s - round(s)) > 1e-6 + 1e-12 * abs(s):")
        src.fail(
            indent + 1,
            spec.path,
            weight,
            f"must have at most {spec.decimals} decimals",
            "decimals",
            error,
        )
    if spec.item_enum:
        allowed = src.constant(frozenset(spec.item_enum))
        src.add(indent, f"if not all(x in {allowed} for x in v):")
        src.fail(
            indent + 1,
            spec.path,
            weight,
            f"items must be among: {_enum_text(spec.item_enum)}",
            "item_enum",
            error,
        )


def _field(src: _Source, spec: FieldSpec, obj: str, indent: int, top: bool) -> None:
    weight = spec.weight
    if spec.required and not top:  # top-level required weights are in the base total already
        src.add(indent, f"total += {weight!r}")
    src.add(indent, f"v = {obj}.get({spec.name!r})")
    branch = "if"
    if spec.pii:
        src.add(indent, "if pii is not None and isinstance(v, str) and v.startswith('pii_'):")
        if top:
            src.add(indent + 1, "n += 1")
        if not spec.required:
            src.add(indent + 1, f"total += {weight!r}")
        src.add(indent + 1, f"if {spec.path!r} in pii:")
        src.add(indent + 2, f"lost += pii[{spec.path!r}][0]")
        src.add(indent + 2, f"errs.extend(pii[{spec.path!r}][1])")
        branch = "elif"
    if spec.type == "string":
        _string_field(src, spec, indent, top, branch)
        return
    if spec.required:
        blank = (
            " or (isinstance(v, str) and (not v or v.isspace()))" if spec.type == "string" else ""
        )
        src.add(indent, f"{branch} v is None{blank}:")
        src.fail(
            indent + 1,
            spec.path,
            weight,
            "required field is missing, null or blank",
            "presence",
            True,
        )
        src.add(indent, "else:")
    else:
        src.add(indent, f"{branch} v is not None:")
        src.add(indent + 1, f"total += {weight!r}")
    body = indent + 1
    if top:
        src.add(body, "n += 1")
    if spec.type in ("object", "array"):
        src.add(body, "deep = True")
    test, reason = _TYPE_TESTS[spec.type]
    if spec.type == "array" and spec.items:
        test = f"{test} or not all({_ITEM_TESTS[spec.items]} for x in v)"
        reason = f"must be an array of {spec.items} values"
    src.add(body, f"if {test}:")
    if spec.type in ("number", "integer"):
        src.add(body + 1, "deep = True")  # NaN/Infinity land here: the hazard scan names them
    type_weight = WEIGHTS["type"] + WEIGHTS["constraint"] * len(spec.constraints)
    src.fail(body + 1, spec.path, type_weight, reason, "type", True)
    if not spec.constraints and not spec.fields:
        return
    src.add(body, "else:")
    _constraints(src, spec, body + 1)
    if spec.fields:
        inner = f"o{indent}"
        src.add(body + 1, f"{inner} = v")
        for sub in spec.fields:
            _field(src, sub, inner, body + 1, top=False)


def _string_field(src: _Source, spec: FieldSpec, indent: int, top: bool, branch: str) -> None:
    """Strings, the common case, test the passing shape first: one isinstance on the fast path."""
    weight = spec.weight
    blank = " and v and not v.isspace()" if spec.required else ""
    src.add(indent, f"{branch} isinstance(v, str){blank}:")
    if not spec.required:
        src.add(indent + 1, f"total += {weight!r}")
    src.add(indent + 1, "n += 1" if top else "pass")
    _constraints(src, spec, indent + 1)
    if spec.required:
        src.add(indent, "elif v is None or isinstance(v, str):")
        src.fail(
            indent + 1,
            spec.path,
            weight,
            "required field is missing, null or blank",
            "presence",
            True,
        )
    else:
        src.add(indent, "elif v is None:")
        src.add(indent + 1, "pass")
    src.add(indent, "else:")
    if not spec.required:
        src.add(indent + 1, f"total += {weight!r}")
    if top:
        src.add(indent + 1, "n += 1")
    src.fail(
        indent + 1,
        spec.path,
        weight - (WEIGHTS["presence"] if spec.required else 0.0),
        _TYPE_TESTS["string"][1],
        "type",
        True,
    )


def _rule(src: _Source, rule: Rule) -> None:
    error = rule.severity == "error"
    weight = WEIGHTS["rule"]
    if rule.kind == "required_if":
        src.add(1, f"if r.get({rule.when_field!r}) == {src.constant(rule.equals)}:")
        src.add(2, f"total += {weight!r}")
        src.add(2, f"if r.get({rule.field!r}) is None:")
        reason = f"required when {rule.when_field} is {rule.equals}"
        src.fail(3, rule.field, weight, reason, "rule", error)
    elif rule.kind == "not_before":
        src.add(1, f"a = r.get({rule.field!r}); b = r.get({rule.other!r})")
        src.add(1, "c = F_before(a, b) if isinstance(a, str) and isinstance(b, str) else None")
        src.add(1, "if c is not None:")
        src.add(2, f"total += {weight!r}")
        src.add(2, "if c:")
        src.fail(3, rule.field, weight, f"must not be before {rule.other}", "rule", error)


def validator_source(contract: Contract) -> tuple[str, dict[str, Any]]:
    """The generated source of a contract's validator and the names it uses."""
    src = _Source()
    base = sum(f.weight for f in contract.fields if f.required)
    src.add(0, "def validate(r, pii=None):")
    src.add(1, f"total = {base!r}; lost = 0.0; errs = []; n = 0; deep = False")
    for spec in contract.fields:
        _field(src, spec, "r", 1, top=True)
    for rule in contract.rules:
        _rule(src, rule)
    src.add(1, "return total, lost, errs, n, deep")
    return "\n".join(src.lines) + "\n", src.namespace


def compile_contract(contract: Contract) -> Validator:
    """Compile `contract` into its validator function."""
    text, namespace = validator_source(contract)
    code = compile(text, f"<contract {contract.source_type} {contract.version}>", "exec")
    exec(code, namespace)  # source generated from a parsed contract whose names are validated
    validator: Validator = namespace["validate"]
    return validator


def quality_score(total: float, lost: float) -> float:
    """The documented score: weighted share of applicable checks passed, in [0, 1]."""
    if total <= 0:
        return 1.0
    return max(0.0, min(1.0, (total - lost) / total))


def pii_verdicts(
    contract: Contract, stored: list[tuple[str, str, str]]
) -> dict[str, tuple[float, list[tuple[str, str, str, bool]]]]:
    """Replay input for PII fields: stored (field, reason, check_kind) rows → `pii` mapping."""
    specs = {f.path: f for f in contract.pii_fields}
    verdicts: dict[str, tuple[float, list[tuple[str, str, str, bool]]]] = {}
    for path, reason, kind in stored:
        spec = specs.get(path)
        if spec is None:
            continue
        if kind == "presence":
            weight = spec.weight
        elif kind == "type":
            weight = WEIGHTS["type"] + WEIGHTS["constraint"] * len(spec.constraints)
        else:
            weight = WEIGHTS["constraint"]
        lost, errors = verdicts.get(path, (0.0, []))
        verdicts[path] = (min(spec.weight, lost + weight), [*errors, (path, reason, kind, True)])
    return verdicts
