"""Prove most records of a batch clean column by column, so only the rest pay for a full check.

The compiled validator (`compiler.py`) checks one record at a time: exact, but a few microseconds a
record in Python. Most batches are almost entirely clean, and a clean record's verdict carries no
information beyond "clean": score 1.0, status `passed`, no errors, no drift. `clean_mask` works
field by field over the whole batch (type sets, sets of distinct values, numpy and Arrow compute)
and marks a record clean only when every check of the contract provably passes for it, no unknown
field is present and no value needs the hazard scan.

It is deliberately conservative: whatever it cannot decide cheaply (objects with declared
sub-fields, containers that do not survive a JSON round trip unchanged, `not_before` rules, offsets or separators outside the strict shapes below, a float where an integer is expected,
a `str` subclass …) is marked not clean and goes through the compiled validator, which gives the
exact verdict. "Clean here ⇒ the validator finds nothing" is a property test
(tests/ingestion/test_vector.py); the converse is not needed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import chain, repeat
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from databank.ingestion.compiler import INTEGER_LIMIT, NUMBER_LIMIT
from databank.ingestion.contract import Contract, FieldSpec, Rule
from databank.ingestion.formats import FORMATS, is_date, valid_date

_NONE = type(None)
_CLASSES: dict[str, frozenset[type]] = {
    "string": frozenset({str}),
    "datetime": frozenset({str}),
    "date": frozenset({str}),
    "number": frozenset({int, float}),
    "integer": frozenset({int}),
    "boolean": frozenset({bool}),
    "object": frozenset({dict}),
    "array": frozenset({list}),
}
_ITEM_CLASSES: dict[str, frozenset[type]] = {
    "string": frozenset({str}),
    "number": frozenset({int, float}),
    "integer": frozenset({int}),
    "boolean": frozenset({bool}),
    "object": frozenset({dict}),
}
_MAX_BRACKETS = 32  # a container holding at most this many more is far from MAX_DEPTH
# A strict subset of what `formats.is_datetime` accepts, so a match (plus a valid calendar date,
# checked separately) is certainly valid. Anything else takes the exact per-record path.
_STRICT_DATETIME = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]"
    r"(:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
_EMPTY: dict[str, Any] = {}


def clean_mask(records: Sequence[Any], contract: Contract) -> list[bool]:
    """For each record: True when it certainly passes every check of `contract` with no drift."""
    n = len(records)
    ok = np.ones(n, dtype=bool)
    rows: list[Any] = list(records)
    for i, record in enumerate(rows):
        if record.__class__ is not dict:
            ok[i] = False
            rows[i] = _EMPTY
    if n == 0:
        return []
    columns: dict[str, list[Any]] = {}
    for spec in contract.fields:
        values = columns[spec.name] = list(map(dict.get, rows, repeat(spec.name)))
        _check_field(spec, values, ok)
    for rule in contract.rules:
        _check_rule(rule, rows, columns, ok)
    known = contract.known_fields
    if not set(chain.from_iterable(rows)) <= known:
        for i, record in enumerate(rows):
            if not record.keys() <= known:
                ok[i] = False
    result: list[bool] = ok.tolist()
    return result


def _mark(values: list[Any], ok: np.ndarray, bad: Callable[[Any], bool]) -> None:
    for i, value in enumerate(values):
        if ok[i] and bad(value):
            ok[i] = False


def _check_field(spec: FieldSpec, values: list[Any], ok: np.ndarray) -> None:
    allowed = _CLASSES[spec.type] if not spec.fields else frozenset()  # sub-fields: exact path
    if not spec.required:
        allowed = allowed | {_NONE}
    if not set(map(type, values)) <= allowed:
        _mark(values, ok, lambda v: type(v) not in allowed)
        values = [v if type(v) in allowed else None for v in values]
    if spec.type in ("string", "date"):
        _check_strings(spec, values, ok)
    elif spec.type == "datetime":
        _check_datetimes(values, ok)
    elif spec.type in ("number", "integer"):
        _check_numbers(spec, values, ok)
    elif spec.type in ("object", "array"):
        _mark(values, ok, lambda v: v is not None and not _plain_container(spec, v))


def _plain_container(spec: FieldSpec, value: Any) -> bool:
    """True when the validator's hazard scan would find nothing in `value` and its items pass.

    JSON round trip: NaN/Infinity (written as null), datetimes, tuples and other non-JSON values
    come back different; integers beyond 64 bits and non-string keys do not serialise at all.
    """
    try:
        raw = orjson.dumps(value)
    except orjson.JSONEncodeError:
        return False
    if raw.count(b"{") + raw.count(b"[") > _MAX_BRACKETS or orjson.loads(raw) != value:
        return False
    if spec.type == "array":
        if spec.items and not set(map(type, value)) <= _ITEM_CLASSES[spec.items]:
            return False
        if spec.item_enum:
            try:
                return set(value) <= set(spec.item_enum)
            except TypeError:  # unhashable items
                return False
    return True


def _check_strings(spec: FieldSpec, values: list[Any], ok: np.ndarray) -> None:
    distinct = set(values)
    distinct.discard(None)
    bad: set[str] = set()
    if spec.required:
        bad.update(v for v in distinct if not v or v.isspace())
    if spec.type == "date":
        bad.update(v for v in distinct if not is_date(v))
    if spec.enum:
        bad.update(distinct.difference(spec.enum))
    if spec.format:
        check = FORMATS[spec.format][0]
        bad.update(v for v in distinct if not check(v))
    if bad:
        _mark(values, ok, lambda v: v.__class__ is str and v in bad)


def _check_datetimes(values: list[Any], ok: np.ndarray) -> None:
    texts = pa.array(values, pa.string())
    shaped = pc.fill_null(pc.match_substring_regex(texts, _STRICT_DATETIME), True)
    if not pc.all(shaped).as_py():
        ok &= shaped.to_numpy(zero_copy_only=False)
    days = pc.utf8_slice_codeunits(texts, 0, 10)
    bad = {d for d in pc.unique(days).to_pylist() if d is not None and not valid_date(d)}
    if bad:
        ok &= ~pc.is_in(days, pa.array(sorted(bad), pa.string())).to_numpy(zero_copy_only=False)


def _check_numbers(spec: FieldSpec, values: list[Any], ok: np.ndarray) -> None:
    try:
        numbers = np.array(values, dtype=np.float64)  # None becomes NaN: absent is fine
    except OverflowError:  # an integer beyond float range: certainly out of range
        _mark(values, ok, lambda v: v is not None and abs(v) > NUMBER_LIMIT)
        numbers = np.array(
            [v if v is not None and abs(v) <= NUMBER_LIMIT else None for v in values],
            dtype=np.float64,
        )
    present = ~np.isnan(numbers) if not spec.required else np.ones(len(values), dtype=bool)
    limit = INTEGER_LIMIT if spec.type == "integer" else NUMBER_LIMIT
    with np.errstate(all="ignore"):
        good = np.isfinite(numbers) & (np.abs(numbers) <= limit)
        if spec.min is not None:
            good &= numbers >= spec.min
        if spec.max is not None:
            good &= numbers <= spec.max
        if spec.decimals is not None:
            scaled = numbers * 10**spec.decimals
            # Half the validator's tolerance: values near its edge take the exact path.
            good &= np.abs(scaled - np.round(scaled)) <= (1e-6 + 1e-12 * np.abs(scaled)) / 2
    ok &= good | ~present


def _check_rule(rule: Rule, rows: list[Any], columns: dict[str, list[Any]], ok: np.ndarray) -> None:
    if rule.kind == "required_if":
        when = columns.get(rule.when_field or "") or [r.get(rule.when_field) for r in rows]
        target = columns.get(rule.field) or [r.get(rule.field) for r in rows]
        for i, value in enumerate(when):
            if value == rule.equals and target[i] is None:
                ok[i] = False
        return
    if rule.kind == "not_before":
        # Plain dates compare as text (the validator's own rule); date-times take the exact path.
        first = columns.get(rule.field) or [r.get(rule.field) for r in rows]
        second = columns.get(rule.other or "") or [r.get(rule.other) for r in rows]
        for i, (a, b) in enumerate(zip(first, second, strict=True)):
            if a.__class__ is str and b.__class__ is str:
                if not (is_date(a) and is_date(b)) or a < b:
                    ok[i] = False
            elif isinstance(a, str) and isinstance(b, str):  # str subclasses: exact path
                ok[i] = False
        return
    ok[:] = False  # a rule kind this module does not know: the exact path decides
