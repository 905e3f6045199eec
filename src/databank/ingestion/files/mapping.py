"""Column mappings: from a foreign export's columns and formats to a source type's contract fields.

A mapping is data (a small TOML file, or `--map target=source` flags, read by `mapping_toml`):
renames, constants, number and date formats, value translations, nested targets (`address.city`)
and sign rules for returns. `Mapping.apply(row)` turns one row into one record plus the reasons any
field could not convert. The TOML layout is documented in docs/ingest-files.md.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from typing import Any

from databank.ingestion.files import convert

MISSING = object()  # a column rule without a default


@dataclass(frozen=True)
class ColumnRule:
    """How one target field is filled from one source column."""

    target: tuple[str, ...]
    column: str
    type: str | None = None
    format: str | None = None
    timezone: str | None = None
    decimal: str = "."
    thousands: str | None = None
    separator: str = ","
    values: MappingABC[str, Any] = field(default_factory=dict)
    default: Any = MISSING
    true_words: frozenset[str] = convert.TRUE_WORDS
    false_words: frozenset[str] = convert.FALSE_WORDS

    def convert(self, raw: Any) -> Any:
        """The target value for `raw` (ValueError with the reason when it cannot convert)."""
        if isinstance(raw, str) and raw in self.values:
            return self.values[raw]
        kind = self.type
        if kind is None or kind == "string":
            return raw if kind is None or isinstance(raw, str) else str(raw)
        if kind == "number":
            return convert.to_number(raw, self.decimal, self.thousands)
        if kind == "integer":
            return convert.to_integer(raw, self.decimal, self.thousands)
        if kind == "boolean":
            return convert.to_boolean(raw, self.true_words, self.false_words)
        if kind == "date":
            return convert.to_date(raw, self.format)
        if kind == "datetime":
            return convert.to_datetime(raw, self.format, self.timezone)
        return convert.to_list(raw, self.separator)


@dataclass(frozen=True)
class SignRule:
    """When `when_negative` is below zero: set constant fields and make `negate` fields negative."""

    when_negative: tuple[str, ...]
    set: MappingABC[tuple[str, ...], Any]
    negate: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Mapping:
    """A whole mapping; `Mapping()` (no rules) passes rows through unchanged."""

    columns: tuple[ColumnRule, ...] = ()
    constants: MappingABC[tuple[str, ...], Any] = field(default_factory=dict)
    rules: tuple[SignRule, ...] = ()
    drop_unmapped: bool = False
    source_type: str | None = None
    format: str | None = None
    csv: MappingABC[str, str] = field(default_factory=dict)
    decimal: str = "."  # the file's number format, also used to type CSV text by the contract
    thousands: str | None = None

    @property
    def is_identity(self) -> bool:
        """True when applying it changes nothing."""
        return not (self.columns or self.constants or self.rules or self.drop_unmapped)

    def merged(self, other: Mapping) -> Mapping:
        """This mapping with `other`'s columns and constants on top (flags over a file)."""
        targets = {r.target for r in other.columns} | set(other.constants)
        return Mapping(
            columns=tuple(r for r in self.columns if r.target not in targets) + other.columns,
            constants={
                **{k: v for k, v in self.constants.items() if k not in targets},
                **other.constants,
            },
            rules=self.rules + other.rules,
            drop_unmapped=self.drop_unmapped or other.drop_unmapped,
            source_type=self.source_type,
            format=self.format,
            csv=self.csv,
            decimal=self.decimal,
            thousands=self.thousands,
        )

    def apply(self, row: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """One record from one row, and the reasons any field failed to convert."""
        if self.is_identity:
            return row, []
        record: dict[str, Any] = {}
        errors: list[str] = []
        rest = None if self.drop_unmapped else dict(row)
        for rule in self.columns:
            raw = _lookup(row, rule.column)
            if rest is not None and raw is not MISSING:
                _remove(rest, rule.column)
            if raw is MISSING or raw is None or raw == "":
                if rule.default is not MISSING:
                    _put(record, rule.target, rule.default)
                continue
            try:
                _put(record, rule.target, rule.convert(raw))
            except ValueError as exc:
                # Kept as sent: the contract then rejects the record and nothing is lost.
                _put(record, rule.target, raw)
                errors.append(f"column {rule.column!r} → {'.'.join(rule.target)}: {exc}")
        for target, value in self.constants.items():
            _put(record, target, value)
        for sign in self.rules:
            _apply_sign(record, sign)
        for name, value in (rest or {}).items():
            # A source column named like a mapped target is kept beside it, never overwriting it.
            record[name if name not in record else f"{name} (source)"] = value
        return record, errors


def _lookup(row: dict[str, Any], column: str) -> Any:
    if column in row:
        return row[column]
    node: Any = row
    for part in column.split("."):
        if not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


def _remove(rest: dict[str, Any], column: str) -> None:
    if column in rest:
        del rest[column]
        return
    parts = column.split(".")
    parents = [rest]
    for part in parts[:-1]:
        child = parents[-1].get(part)
        if not isinstance(child, dict):
            return
        child = dict(child)  # copy: the row itself stays untouched
        parents[-1][part] = child
        parents.append(child)
    parents[-1].pop(parts[-1], None)
    for depth in range(len(parts) - 1, 0, -1):
        if parents[depth]:
            break
        del parents[depth - 1][parts[depth - 1]]


def _put(record: dict[str, Any], target: tuple[str, ...], value: Any) -> None:
    node = record
    for part in target[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[target[-1]] = value


def _get(record: dict[str, Any], target: tuple[str, ...]) -> Any:
    node: Any = record
    for part in target:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _apply_sign(record: dict[str, Any], sign: SignRule) -> None:
    value = _get(record, sign.when_negative)
    if isinstance(value, bool) or not isinstance(value, int | float) or value >= 0:
        return
    for target, constant in sign.set.items():
        _put(record, target, constant)
    for target in sign.negate:
        amount = _get(record, target)
        if isinstance(amount, int | float) and not isinstance(amount, bool):
            _put(record, target, -abs(amount))
