"""Reading a mapping: TOML files and `--map` flags, checked when they load, not row by row."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from databank.ingestion.files import convert
from databank.ingestion.files.errors import MappingError
from databank.ingestion.files.mapping import ColumnRule, Mapping, SignRule

_PATH_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_TOP_KEYS = {
    "source_type",
    "format",
    "drop_unmapped",
    "decimal",
    "thousands",
    "timezone",
    "csv",
    "columns",
    "constants",
    "rules",
}
_COLUMN_KEYS = {
    "column",
    "type",
    "format",
    "timezone",
    "decimal",
    "thousands",
    "separator",
    "values",
    "default",
    "true",
    "false",
}
_CSV_KEYS = {"delimiter", "quotechar", "encoding"}


def _target(name: str, where: str) -> tuple[str, ...]:
    if not isinstance(name, str) or not _PATH_RE.match(name):
        raise MappingError(
            f"{where}: target {name!r} is not a field name",
            "use letters, digits and _ (dots for nested fields: address.city)",
        )
    return tuple(name.split("."))


def _zone(name: str | None, where: str) -> str | None:
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise MappingError(
            f"{where}: unknown time zone {name!r}", "use an IANA name such as Europe/Amsterdam"
        ) from None
    return name


def _column_rule(target: str, spec: Any, defaults: dict[str, Any]) -> ColumnRule:
    where = f"columns.{target}"
    path = _target(target, "columns")
    if isinstance(spec, str):
        return ColumnRule(path, spec, **_number_defaults(defaults, {}))
    if not isinstance(spec, dict):
        raise MappingError(f"{where} must be a column name or a table {{ column = ... }}")
    unknown = set(spec) - _COLUMN_KEYS
    if unknown:
        raise MappingError(
            f"{where}: unknown keys {sorted(unknown)}", f"known: {sorted(_COLUMN_KEYS)}"
        )
    if not isinstance(spec.get("column"), str) or not spec["column"]:
        raise MappingError(f'{where}: needs column = "<source column name>"')
    kind = spec.get("type")
    fmt = spec.get("format")
    if kind is None and fmt is not None:
        kind = "date" if convert.is_date_format(fmt) else "datetime"
    if kind is None and ("decimal" in spec or "thousands" in spec):
        kind = "number"
    if kind is not None and kind not in convert.TYPES:
        raise MappingError(
            f"{where}: unknown type {kind!r}", f"use one of: {', '.join(convert.TYPES)}"
        )
    zone = _zone(spec.get("timezone", defaults.get("timezone")), where)
    if kind == "datetime" and zone is None and fmt is not None and "%z" not in fmt:
        raise MappingError(
            f"{where}: format {fmt!r} has no offset (%z) and no timezone is given",
            'add timezone = "Europe/Amsterdam" (or the zone the export is in)',
        )
    values = spec.get("values", {})
    if not isinstance(values, dict):
        raise MappingError(f"{where}: values must be a table of source value = target value")
    extra: dict[str, Any] = {}
    if "true" in spec:
        extra["true_words"] = frozenset(str(w).lower() for w in spec["true"])
    if "false" in spec:
        extra["false_words"] = frozenset(str(w).lower() for w in spec["false"])
    if "default" in spec:
        extra["default"] = spec["default"]
    return ColumnRule(
        path,
        spec["column"],
        type=kind,
        format=fmt,
        timezone=zone,
        separator=spec.get("separator", ","),
        values=values,
        **_number_defaults(defaults, spec),
        **extra,
    )


def _number_defaults(defaults: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    decimal = spec.get("decimal", defaults.get("decimal", "."))
    if decimal not in (".", ","):
        raise MappingError(f"decimal must be '.' or ',', not {decimal!r}")
    thousands = spec.get("thousands", defaults.get("thousands", "." if decimal == "," else None))
    if thousands == decimal:
        raise MappingError(f"thousands separator and decimal separator are both {decimal!r}")
    return {"decimal": decimal, "thousands": thousands}


def _sign_rule(index: int, spec: Any) -> SignRule:
    where = f"rules[{index}]"
    if not isinstance(spec, dict) or "when_negative" not in spec:
        raise MappingError(f'{where} needs when_negative = "<field>"')
    unknown = set(spec) - {"when_negative", "set", "negate"}
    if unknown:
        raise MappingError(f"{where}: unknown keys {sorted(unknown)}")
    setting = spec.get("set", {})
    negate = spec.get("negate", [])
    if not isinstance(setting, dict) or not isinstance(negate, list):
        raise MappingError(f"{where}: set must be a table and negate a list of fields")
    return SignRule(
        _target(spec["when_negative"], where),
        {_target(k, where): v for k, v in setting.items()},
        tuple(_target(n, where) for n in negate),
    )


def mapping_from_dict(data: dict[str, Any], where: str = "mapping") -> Mapping:
    """Build a `Mapping` from parsed TOML (see docs/ingest-files.md for the layout)."""
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise MappingError(
            f"{where}: unknown keys {sorted(unknown)}", f"known: {sorted(_TOP_KEYS)}"
        )
    defaults = {k: data[k] for k in ("decimal", "thousands", "timezone") if k in data}
    numbers = _number_defaults(defaults, {})
    _zone(defaults.get("timezone"), where)
    columns_spec = data.get("columns", {})
    constants_spec = data.get("constants", {})
    csv_spec = data.get("csv", {})
    if not isinstance(columns_spec, dict) or not isinstance(constants_spec, dict):
        raise MappingError(f"{where}: [columns] and [constants] must be tables")
    if not isinstance(csv_spec, dict) or set(csv_spec) - _CSV_KEYS:
        raise MappingError(f"{where}: [csv] takes only {sorted(_CSV_KEYS)}")
    for key in ("delimiter", "quotechar"):
        if key in csv_spec and (not isinstance(csv_spec[key], str) or len(csv_spec[key]) != 1):
            raise MappingError(f"{where}: csv.{key} must be one character")
    both = set(columns_spec) & set(constants_spec)
    if both:
        raise MappingError(
            f"{where}: {sorted(both)} both mapped from a column and set as a constant"
        )
    rules = data.get("rules", [])
    if not isinstance(rules, list):
        raise MappingError(f"{where}: rules must be an array of tables ([[rules]])")
    return Mapping(
        columns=tuple(_column_rule(t, s, defaults) for t, s in columns_spec.items()),
        constants={_target(k, "constants"): v for k, v in constants_spec.items()},
        rules=tuple(_sign_rule(i, r) for i, r in enumerate(rules)),
        drop_unmapped=bool(data.get("drop_unmapped", False)),
        source_type=data.get("source_type"),
        format=data.get("format"),
        csv=csv_spec,
        **numbers,
    )


def load_mapping(path: Path) -> Mapping:
    """Read a mapping TOML file."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise MappingError(f"no such mapping file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"cannot read mapping {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{path.name} is not valid TOML: {exc}") from None
    return mapping_from_dict(data, path.name)


def parse_map_flags(flags: list[str]) -> Mapping:
    """`--map target=Source Column` renames; `--map 'currency="EUR"'` sets a constant."""
    columns: dict[str, Any] = {}
    constants: dict[str, Any] = {}
    for flag in flags:
        target, sep, source = flag.partition("=")
        target, source = target.strip(), source.strip()
        if not sep or not target or not source:
            raise MappingError(
                f"--map {flag!r} is not target=source", "e.g. --map 'customer_id=Client No'"
            )
        if len(source) >= 2 and source[0] == source[-1] == '"':
            constants[target] = source[1:-1]
        else:
            columns[target] = source
    return mapping_from_dict({"columns": columns, "constants": constants}, "--map")
