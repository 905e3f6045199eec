"""Typing CSV text by the contract: CSV cells are all text, contracts want numbers and flags.

Only text values of fields the contract declares as number, integer or boolean are converted (in
the file's number format); a value that does not convert stays text, so the contract rejects it
with its own reason and the value is kept as sent. JSON sources are never coerced: their types are
what the source sent.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from databank.ingestion.files import convert

if TYPE_CHECKING:
    from databank.ingestion.contract import Contract, FieldSpec

_COERCED = ("number", "integer", "boolean")


def _typed_fields(specs: Iterable[FieldSpec]) -> list[tuple[tuple[str, ...], str]]:
    found: list[tuple[tuple[str, ...], str]] = []
    for spec in specs:
        if spec.type in _COERCED:
            found.append((tuple(spec.path.split(".")), spec.type))
        found.extend(_typed_fields(spec.fields))
    return found


def contract_coercer(
    contract: Contract, decimal: str = ".", thousands: str | None = None
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A function that types one record's text values by `contract` (the record is changed)."""
    fields = _typed_fields(contract.fields)
    converters: dict[str, Callable[[str], Any]] = {
        "number": lambda v: convert.to_number(v, decimal, thousands),
        "integer": lambda v: convert.to_integer(v, decimal, thousands),
        "boolean": convert.to_boolean,
    }

    def coerce(record: dict[str, Any]) -> dict[str, Any]:
        for path, kind in fields:
            parent: Any = record
            for part in path[:-1]:
                parent = parent.get(part) if isinstance(parent, dict) else None
            if not isinstance(parent, dict):
                continue
            value = parent.get(path[-1])
            if isinstance(value, str):
                # Left as text when it does not convert: the contract's type check says why.
                with contextlib.suppress(ValueError):
                    parent[path[-1]] = converters[kind](value)
        return record

    return coerce
