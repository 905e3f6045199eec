"""Bronze data access: the spec's `BronzeDataAccess` in Python style, in-process on any engine.

`ingest_raw_data` hands records to the one BronzeWriter, `get_ingestion_status` reads its batch
ledger, and `validate_data_quality` evaluates quality rules given as data over a bronze table's
JSON payload: rules compile to one aggregate query whose field paths, bounds, patterns and values
are all bound parameters (identifiers come only from the schema).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from databank.context import Databank
from databank.engines.base import Engine, quote_ident, quote_table
from databank.errors import DatabankError, UnknownTableError
from databank.ingestion.source_types import LAYOUTS
from databank.settings import Settings

if TYPE_CHECKING:
    from databank.ingestion.writer import BatchResult, BronzeWriter

RULE_TYPES = ("not_null", "range", "format", "custom")
CUSTOM_CHECKS = ("accepted_values", "length", "unique")
FORMATS: dict[str, str] = {
    "email": r"[^@\s]+@[^@\s]+\.[^@\s]+",
    "iso_date": r"\d{4}-\d{2}-\d{2}",
    "iso_datetime": r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?",
    "currency": r"[A-Z]{3}",
    "country": r"[A-Z]{2}",
    "uuid": r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
}
_NUMBER_RE = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d{1,4})?\s*$"
_FIELD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_EXAMPLES = 3


class QualityRuleError(DatabankError):
    """A validation rule that cannot be evaluated (unknown type, bad field, bad parameters)."""

    exit_code = 2


@dataclass(frozen=True)
class _Compiled:
    """One rule as SQL: a boolean expression over `doc` that is TRUE when a row violates it."""

    index: int
    field: str
    rule_type: str
    parameters: Mapping[str, Any]
    violation_sql: str | None  # None: evaluated by its own query (unique)
    value_sql: str
    describe: str


def resolve_bronze(name: str) -> tuple[str, str, str]:
    """`transactions`, `scout_raw_transactions` or `bronze.scout_raw_transactions` → (source type,
    qualified table, payload column), from the writer's layouts."""
    for source_type, layout in LAYOUTS.items():
        if name in (source_type, layout.table, layout.table.removeprefix("bronze.")):
            return source_type, layout.table, layout.payload_column
    known = ", ".join(f"{s} ({layout.table})" for s, layout in LAYOUTS.items())
    raise UnknownTableError(f"{name!r} is not a bronze source type or table", f"known: {known}")


class BronzeDataAccess:
    """Write to and inspect bronze, in this process, on whichever engine the settings name."""

    def __init__(self, source: Databank | Settings | None = None) -> None:
        self._owned = not isinstance(source, Databank)
        self.bank = source if isinstance(source, Databank) else Databank(source)

    @property
    def writer(self) -> BronzeWriter:
        """The installation's BronzeWriter."""
        return self.bank.bronze

    def ingest_raw_data(
        self,
        source_system: str,
        table_name_or_source_type: str,
        data: Iterable[Mapping[str, Any]],
        *,
        schema_version: str = "1.0.0",
        quality_checks: bool = True,
    ) -> BatchResult:
        """Validate and store one batch of raw records (the spec's `ingestRawData`)."""
        source_type, _, _ = resolve_bronze(table_name_or_source_type)
        return self.writer.write_batch(
            source_type,
            [dict(record) for record in data],
            source_system=source_system,
            schema_version=schema_version,
            quality_checks=quality_checks,
        )

    def get_ingestion_status(self, batch_id: str) -> dict[str, Any] | None:
        """Counts, status and errors of one batch from the ledger (the spec's `getIngestionStatus`);
        None for an unknown batch id."""
        result = self.writer.batch_result(str(batch_id))
        return None if result is None else result.to_dict()

    def validate_data_quality(
        self,
        table_name: str,
        validation_rules: Sequence[Mapping[str, Any]],
        *,
        sample_size: int | None = None,
    ) -> dict[str, Any]:
        """Evaluate `{field, rule_type, parameters}` rules over a bronze table's JSON payload (the
        spec's `validateDataQuality`); returns the spec's QualityResponse shape plus `rows_checked`.

        `sample_size` checks only the most recently ingested rows.
        """
        if sample_size is not None and sample_size < 1:
            raise QualityRuleError("sample_size must be at least 1")
        _, table, payload = resolve_bronze(table_name)
        engine = self.bank.engine
        if not validation_rules:
            raise QualityRuleError("no validation rules given")
        params: dict[str, Any] = {}
        compiled = [_compile(engine, i, rule, params) for i, rule in enumerate(validation_rules)]
        base = f"SELECT id, {quote_ident(payload)} AS doc FROM {quote_table(table)}"
        if sample_size is not None:
            base += " ORDER BY ingested_at DESC LIMIT $sample_size"
            params["sample_size"] = int(sample_size)
        counts = [
            f"COALESCE(sum(CASE WHEN {c.violation_sql} THEN 1 ELSE 0 END), 0)"
            for c in compiled
            if c.violation_sql
        ]
        if engine.dialect == "postgres":
            params["number_re"] = _NUMBER_RE
        sql = f"SELECT count(*){''.join(', ' + c for c in counts)} FROM ({base}) b"
        row = engine.fetch_rows(sql, _used(sql, params))[0]
        total = int(row[0])
        violations_by_rule: dict[int, int] = {}
        sums = iter(row[1:])
        for c in compiled:
            if c.violation_sql:
                violations_by_rule[c.index] = int(next(sums))
            else:
                violations_by_rule[c.index] = _duplicates(engine, base, c, params)
        return _report(engine, base, params, compiled, violations_by_rule, total)

    def close(self) -> None:
        """Release the engine if this object opened it."""
        if self._owned:
            self.bank.close()

    def __enter__(self) -> BronzeDataAccess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _used(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters `sql` refers to (DuckDB refuses unused named parameters)."""
    names = set(re.findall(r"\$([A-Za-z_]\w*)", sql))
    return {k: v for k, v in params.items() if k in names}


def _value_sql(engine: Engine, index: int, field: str, params: dict[str, Any]) -> str:
    """The field's text value in `doc` (NULL when missing or JSON null); the path is a parameter."""
    name = f"f{index}"
    if engine.dialect == "postgres":
        params[name] = field.split(".")
        return f"(doc #>> CAST(${name} AS text[]))"
    params[name] = "$." + field
    return f"json_extract_string(doc, ${name})"


def _number_sql(engine: Engine, value: str) -> str:
    if engine.dialect == "postgres":
        # PostgreSQL has no TRY_CAST: only text that is a number reaches the cast.
        return f"(CASE WHEN {value} ~ $number_re THEN CAST({value} AS numeric) END)"
    return f"TRY_CAST({value} AS DOUBLE)"


def _matches_sql(engine: Engine, value: str, pattern_param: str) -> str:
    if engine.dialect == "postgres":
        return f"({value} ~ ('^(?:' || ${pattern_param} || ')$'))"
    return f"regexp_full_match({value}, ${pattern_param})"


def _bound(engine: Engine, value: Any, where: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise QualityRuleError(f"{where} must be a number, not {value!r}")
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise QualityRuleError(f"{where} must be a number, not {value!r}") from None
    if not number.is_finite():
        raise QualityRuleError(f"{where} must be a finite number")
    return number if engine.dialect == "postgres" else float(number)


def _compile(engine: Engine, i: int, rule: Mapping[str, Any], params: dict[str, Any]) -> _Compiled:
    if not isinstance(rule, Mapping):
        raise QualityRuleError(f"rule {i}: must be an object with field, rule_type, parameters")
    field, kind = rule.get("field"), rule.get("rule_type")
    parameters = rule.get("parameters") or {}
    if not isinstance(field, str) or not _FIELD_RE.match(field):
        raise QualityRuleError(f"rule {i}: field {field!r} is not a field name (a.b.c)")
    if kind not in RULE_TYPES:
        raise QualityRuleError(
            f"rule {i}: rule_type {kind!r} is unknown", f"use one of: {', '.join(RULE_TYPES)}"
        )
    if not isinstance(parameters, Mapping):
        raise QualityRuleError(f"rule {i}: parameters must be an object")
    value = _value_sql(engine, i, field, params)
    where = f"rule {i} ({field} {kind})"

    def done(violation: str | None, describe: str) -> _Compiled:
        return _Compiled(i, field, kind, dict(parameters), violation, value, describe)

    if kind == "not_null":
        empty = f" OR trim({value}) = ''" if parameters.get("allow_empty") is False else ""
        return done(f"({value} IS NULL{empty})", "is missing")
    if kind == "range":
        if "min" not in parameters and "max" not in parameters:
            raise QualityRuleError(f"{where}: parameters need min and/or max")
        number = _number_sql(engine, value)
        outside = [f"{number} IS NULL"]
        for key, op in (("min", "<"), ("max", ">")):
            if key in parameters:
                params[f"{key}{i}"] = _bound(engine, parameters[key], f"{where}: {key}")
                outside.append(f"{number} {op} ${key}{i}")
        shown = f"[{parameters.get('min', '-∞')}, {parameters.get('max', '∞')}]"
        return done(
            f"({value} IS NOT NULL AND ({' OR '.join(outside)}))", f"is not a number in {shown}"
        )
    if kind == "format":
        pattern = parameters.get("pattern")
        named = parameters.get("format")
        if named is not None:
            if named not in FORMATS:
                raise QualityRuleError(
                    f"{where}: unknown format {named!r}", f"known: {', '.join(FORMATS)}"
                )
            pattern = FORMATS[named]
        if not isinstance(pattern, str) or not pattern:
            raise QualityRuleError(
                f"{where}: parameters need pattern (a regular expression) or format"
            )
        try:
            re.compile(pattern)  # RE2 / PostgreSQL syntax is close enough to catch most mistakes
        except re.error as exc:
            raise QualityRuleError(
                f"{where}: pattern is not a valid regular expression ({exc})"
            ) from None
        params[f"pat{i}"] = pattern
        label = named or f"/{pattern}/"
        return done(
            f"({value} IS NOT NULL AND NOT {_matches_sql(engine, value, f'pat{i}')})",
            f"does not match {label}",
        )
    return _compile_custom(engine, i, parameters, params, done, value, where)


def _compile_custom(
    engine: Engine,
    i: int,
    parameters: Mapping[str, Any],
    params: dict[str, Any],
    done: Any,
    value: str,
    where: str,
) -> _Compiled:
    check = parameters.get("check")
    if check == "accepted_values":
        values = parameters.get("values")
        if not isinstance(values, list) or not values or len(values) > 1000:
            raise QualityRuleError(
                f"{where}: accepted_values needs values: a list of 1 to 1000 items"
            )
        marks = []
        for k, item in enumerate(values):
            params[f"v{i}_{k}"] = str(item).lower() if isinstance(item, bool) else str(item)
            marks.append(f"$v{i}_{k}")
        return done(
            f"({value} IS NOT NULL AND {value} NOT IN ({', '.join(marks)}))",
            f"is not one of {values}",
        )
    if check == "length":
        if "min" not in parameters and "max" not in parameters:
            raise QualityRuleError(f"{where}: length needs min and/or max")
        parts = []
        for key, op in (("min", "<"), ("max", ">")):
            if key in parameters:
                bound = parameters[key]
                if isinstance(bound, bool) or not isinstance(bound, int) or bound < 0:
                    raise QualityRuleError(f"{where}: length {key} must be a whole number ≥ 0")
                params[f"len{key}{i}"] = bound
                parts.append(f"length({value}) {op} $len{key}{i}")
        return done(
            f"({value} IS NOT NULL AND ({' OR '.join(parts)}))", "has a length out of bounds"
        )
    if check == "unique":
        return done(None, "is not unique")
    raise QualityRuleError(
        f"{where}: custom rules need parameters.check", f"one of: {', '.join(CUSTOM_CHECKS)}"
    )


def _duplicates(engine: Engine, base: str, rule: _Compiled, params: dict[str, Any]) -> int:
    sql = (
        f"SELECT COALESCE(sum(n), 0) FROM (SELECT {rule.value_sql} AS v, count(*) AS n "
        f"FROM ({base}) b WHERE {rule.value_sql} IS NOT NULL GROUP BY 1 HAVING count(*) > 1) d"
    )
    return int(engine.fetch_value(sql, _used(sql, params)) or 0)


def _examples(
    engine: Engine, base: str, params: dict[str, Any], rule: _Compiled
) -> list[dict[str, Any]]:
    if rule.violation_sql is None:
        sql = (
            f"SELECT min(CAST(id AS VARCHAR)), {rule.value_sql} FROM ({base}) b "
            f"WHERE {rule.value_sql} IS NOT NULL GROUP BY 2 HAVING count(*) > 1 ORDER BY 2 LIMIT {_EXAMPLES}"
        )
    else:
        sql = (
            f"SELECT CAST(id AS VARCHAR), {rule.value_sql} FROM ({base}) b "
            f"WHERE {rule.violation_sql} ORDER BY 1 LIMIT {_EXAMPLES}"
        )
    return [
        {"id": r[0], "value": None if r[1] is None else str(r[1])[:200]}
        for r in engine.fetch_rows(sql, _used(sql, params))
    ]


def _advice(rule: _Compiled, count: int, total: int) -> str:
    share = f"{count:,} of {total:,} rows ({count / total:.1%})"
    tips = {
        "not_null": "make the source send it, or map it from another column (--map / --mapping)",
        "range": "check units and signs (refunds are negative) or widen the range",
        "format": "normalise it at the source or in the file mapping (formats, value maps)",
        "custom": "translate source values in the mapping (values = {…}) or fix the source",
    }
    return f"{rule.field} {rule.describe} in {share}: {tips[rule.rule_type]}"


def _report(
    engine: Engine,
    base: str,
    params: dict[str, Any],
    compiled: list[_Compiled],
    violations: dict[int, int],
    total: int,
) -> dict[str, Any]:
    rates: dict[str, list[float]] = {}
    found = []
    advice = []
    for rule in compiled:
        count = violations[rule.index]
        rate = 1.0 - count / total if total else 1.0
        rates.setdefault(rule.field, []).append(rate)
        if count:
            found.append(
                {
                    "field": rule.field,
                    "rule_type": rule.rule_type,
                    "parameters": rule.parameters,
                    "violation_count": count,
                    "rows_checked": total,
                    "violation_rate": round(count / total, 6),
                    "message": f"{rule.field} {rule.describe}",
                    "examples": _examples(engine, base, params, rule),
                }
            )
            advice.append(_advice(rule, count, total))
    field_scores = {f: round(sum(r) / len(r), 6) for f, r in rates.items()}
    all_rates = [r for group in rates.values() for r in group]
    overall = round(sum(all_rates) / len(all_rates), 6)
    if not total:
        advice.append("the table has no rows yet: nothing was checked")
    elif not found:
        advice.append(f"all {len(compiled)} rules pass on {total:,} rows")
    return {
        "overall_score": overall,
        "field_scores": field_scores,
        "violations": found,
        "recommendations": advice,
        "rows_checked": total,
    }
