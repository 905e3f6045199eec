"""Bronze contracts: what a record of one source type and schema version must look like.

Contracts are data: one TOML file per source type and version, `contracts/<type>/<version>.toml`
(1.0.0 is exactly docs/source-records.md). A file declares the natural key, the event-time fields
(first present one gives `partition_key`), the fields and the cross-field rules:

    [fields]
    amount = { type = "number", required = true, min = 0, decimals = 2 }
    currency = { type = "string", required = true, format = "iso4217" }
    customer_email = { type = "string", format = "email", pii = "email" }

Field keys: `type` (string, number, integer, boolean, datetime, date, object, array), `required`,
`format` (email, phone, iso4217, iso3166, iso639_1), `enum`, `min`, `max`, `decimals`, `items` and
`item_enum` (arrays), `pii` (email, phone, name, text: pseudonymised at bronze), `severity` (error
or warn, for the field's constraint checks), `fields` (declared sub-fields of an object).
Rules: `required_if` (field must be present when `when_field` equals `equals`) and `not_before`
(date `field` ≥ date `other`).

Quality score — the share of weighted checks passed:

    quality_score = Σ weight(check) · passed(check) / Σ weight(check), over the applicable checks

Each declared field contributes: *presence* (weight 3, required fields only: present, non-null and,
for strings, not blank), *type* (weight 2: the JSON type; for number a finite value within ±10^15,
for integer a whole number within ±2^53, for datetime an ISO-8601 time with offset, for date
`YYYY-MM-DD`, for arrays the item type) and one *constraint* check per declared `format`, `enum`,
`min`/`max` (one range check), `decimals` and `item_enum` (weight 1 each). A required field's
checks always apply; an optional field's apply only when it is present (non-null). A check that
cannot run because an earlier one failed counts as failed (missing field: all its checks fail; wrong
type: its constraints fail), so the score is monotone in checks passed. Each rule is one check of
weight 1, applicable when its condition holds. Sub-fields of a declared object apply when the object
is present. No applicable check (cannot happen: every contract has a required field) gives 1.0.
A record *fails* when any check of severity `error` fails (presence and type always are errors);
`warn` checks only lower the score. Unknown fields are not checked: they are kept and reported as
schema drift.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from databank.ingestion.errors import ContractError, UnknownSchemaVersionError

TYPES = ("string", "number", "integer", "boolean", "datetime", "date", "object", "array")
PII_KINDS = ("email", "phone", "name", "text")
RULE_KINDS = ("required_if", "not_before")
WEIGHTS = {"presence": 3.0, "type": 2.0, "constraint": 1.0, "rule": 1.0}
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")
_FIELD_KEYS = frozenset(
    {
        "type",
        "required",
        "format",
        "enum",
        "min",
        "max",
        "decimals",
        "items",
        "item_enum",
        "pii",
        "severity",
        "fields",
    }
)


@dataclass(frozen=True)
class FieldSpec:
    """One declared field; `path` is dotted for sub-fields (`address.street`)."""

    path: str
    type: str
    required: bool = False
    format: str | None = None
    enum: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    decimals: int | None = None
    items: str | None = None
    item_enum: tuple[str, ...] | None = None
    pii: str | None = None
    severity: str = "error"
    fields: tuple[FieldSpec, ...] = ()

    @property
    def name(self) -> str:
        """The key inside its parent object."""
        return self.path.rsplit(".", 1)[-1]

    @property
    def constraints(self) -> tuple[str, ...]:
        """The constraint checks this field declares, in evaluation order."""
        found = []
        if self.format:
            found.append("format")
        if self.enum:
            found.append("enum")
        if self.min is not None or self.max is not None:
            found.append("range")
        if self.decimals is not None:
            found.append("decimals")
        if self.item_enum:
            found.append("item_enum")
        return tuple(found)

    @property
    def weight(self) -> float:
        """The total weight of this field's own checks (presence, type, constraints)."""
        presence = WEIGHTS["presence"] if self.required else 0.0
        return presence + WEIGHTS["type"] + WEIGHTS["constraint"] * len(self.constraints)


@dataclass(frozen=True)
class Rule:
    """A cross-field check."""

    name: str
    kind: str
    field: str
    other: str | None = None
    when_field: str | None = None
    equals: Any = None
    severity: str = "error"


@dataclass(frozen=True)
class Contract:
    """The contract of one source type at one schema version."""

    source_type: str
    version: str
    natural_key: str | None
    event_time: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    rules: tuple[Rule, ...] = ()
    origin: str = ""

    @cached_property
    def known_fields(self) -> frozenset[str]:
        """Top-level field names; anything else in a record is schema drift."""
        return frozenset(f.name for f in self.fields)

    @cached_property
    def pii_fields(self) -> tuple[FieldSpec, ...]:
        """Every field (sub-fields included) marked as personal data."""
        return tuple(f for f in _walk(self.fields) if f.pii)

    @cached_property
    def pii_paths(self) -> tuple[tuple[str, str, str], ...]:
        """(parent path, name, PII kind) of each PII field; parent "" for a top-level one."""
        return tuple((*f.path.rpartition(".")[::2], f.pii or "text") for f in self.pii_fields)

    @cached_property
    def validator(self) -> Any:
        """The compiled validator (see `databank.ingestion.compiler`)."""
        from databank.ingestion.compiler import compile_contract

        return compile_contract(self)


def _walk(fields: Iterable[FieldSpec]) -> Iterable[FieldSpec]:
    for spec in fields:
        yield spec
        yield from _walk(spec.fields)


def _field(path: str, raw: Any, origin: str) -> FieldSpec:
    where = f"{origin}: field {path}"
    if not isinstance(raw, dict):
        raise ContractError(f"{where} must be a table")
    unknown = set(raw) - _FIELD_KEYS
    if unknown:
        raise ContractError(f"{where} has unknown keys {sorted(unknown)}")
    if raw.get("type") not in TYPES:
        raise ContractError(f"{where}: type must be one of {', '.join(TYPES)}")
    if raw.get("pii") is not None and raw["pii"] not in PII_KINDS:
        raise ContractError(f"{where}: pii must be one of {', '.join(PII_KINDS)}")
    if raw.get("severity", "error") not in ("error", "warn"):
        raise ContractError(f"{where}: severity must be error or warn")
    if raw.get("format") is not None:
        from databank.ingestion.formats import FORMATS

        if raw["format"] not in FORMATS:
            raise ContractError(f"{where}: unknown format {raw['format']!r}")
    subs = raw.get("fields", {})
    for name in subs:
        if not _NAME_RE.match(name):
            raise ContractError(f"{where}: sub-field name {name!r} is not a plain name")
    return FieldSpec(
        path=path,
        type=raw["type"],
        required=bool(raw.get("required", False)),
        format=raw.get("format"),
        enum=tuple(raw["enum"]) if raw.get("enum") else None,
        min=raw.get("min"),
        max=raw.get("max"),
        decimals=raw.get("decimals"),
        items=raw.get("items"),
        item_enum=tuple(raw["item_enum"]) if raw.get("item_enum") else None,
        pii=raw.get("pii"),
        severity=raw.get("severity", "error"),
        fields=tuple(_field(f"{path}.{k}", v, origin) for k, v in subs.items()),
    )


def parse_contract(text: str, origin: str = "<contract>") -> Contract:
    """Build a `Contract` from TOML text (raises ContractError with the file and field)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ContractError(f"{origin}: not valid TOML ({exc})") from None
    for key in ("source_type", "version", "fields"):
        if key not in raw:
            raise ContractError(f"{origin}: missing {key!r}")
    if not _VERSION_RE.match(str(raw["version"])):
        raise ContractError(f"{origin}: version must look like 1.0.0")
    for name in raw["fields"]:
        if not _NAME_RE.match(name):
            raise ContractError(f"{origin}: field name {name!r} is not a plain name")
    fields = tuple(_field(k, v, origin) for k, v in raw["fields"].items())
    rules = []
    for item in raw.get("rules", []):
        if item.get("kind") not in RULE_KINDS or item.get("field") not in raw["fields"]:
            raise ContractError(f"{origin}: rule {item.get('name')!r} needs a known kind and field")
        rule = Rule(
            name=str(item.get("name", item["kind"])),
            kind=item["kind"],
            field=item["field"],
            other=item.get("other"),
            when_field=item.get("when_field"),
            equals=item.get("equals"),
            severity=item.get("severity", "error"),
        )
        rules.append(rule)
    return Contract(
        source_type=raw["source_type"],
        version=raw["version"],
        natural_key=raw.get("natural_key"),
        event_time=tuple(raw.get("event_time", ())),
        fields=fields,
        rules=tuple(rules),
        origin=origin,
    )


@dataclass
class ContractRegistry:
    """All contracts found in a folder (`<type>/<version>.toml`); the package's by default."""

    folder: Path | None = None
    _contracts: dict[tuple[str, str], Contract] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Read the contract files again (after a contract fix, before `replay_failed`)."""
        root: Any = self.folder or resources.files("databank.ingestion").joinpath("contracts")
        found: dict[tuple[str, str], Contract] = {}
        for folder in sorted(root.iterdir(), key=lambda p: p.name):
            if not folder.is_dir() or folder.name.startswith(("_", ".")):
                continue
            for file in sorted(folder.iterdir(), key=lambda p: p.name):
                if not file.name.endswith(".toml"):
                    continue
                contract = parse_contract(file.read_text("utf-8"), f"{folder.name}/{file.name}")
                if (contract.source_type, contract.version + ".toml") != (folder.name, file.name):
                    raise ContractError(
                        f"{folder.name}/{file.name}: declares {contract.source_type} "
                        f"{contract.version}; the file must be named <source_type>/<version>.toml"
                    )
                found[(contract.source_type, contract.version)] = contract
        self._contracts = found

    def versions(self, source_type: str) -> list[str]:
        """Known versions of a source type's contract, oldest first."""
        found = [v for (t, v) in self._contracts if t == source_type]
        return sorted(found, key=lambda v: tuple(int(p) for p in v.split(".")))

    def get(self, source_type: str, version: str) -> Contract:
        """The contract of `source_type` at `version` (UnknownSchemaVersionError if none)."""
        contract = self._contracts.get((source_type, version))
        if contract is None:
            known = ", ".join(self.versions(source_type)) or "none"
            raise UnknownSchemaVersionError(
                f"no {source_type} contract for schema_version {version!r}",
                f"use one of the known versions: {known}",
            )
        return contract
