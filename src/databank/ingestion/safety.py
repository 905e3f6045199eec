"""Canonical JSON, payload hashes, and what makes a value unstorable (plus its safe form).

The payload hash is SHA-256 of the record's canonical JSON (keys sorted, no spaces, UTF-8) as it was
received, before pseudonymisation. A value is *unstorable* when either engine would refuse it or
change it silently: a NUL character (PostgreSQL's jsonb and text refuse it), a lone surrogate (not
valid UTF-8), NaN or ±Infinity (not JSON; orjson would write null), an integer beyond 64 bits,
a non-string object key, a non-JSON type, or nesting deeper than `MAX_DEPTH`. Such a record is
stored as `failed` in its *safe form* (each offending value replaced by visible text) and is never
replayed, because the safe form is no longer what the source sent.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import orjson

MAX_DEPTH = 64  # objects/arrays nested deeper than this are refused (documented in docs/bronze.md)
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1  # orjson's integer range
_SORTED = orjson.OPT_SORT_KEYS
_dumps = orjson.dumps


def canonical_json(value: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, compact, UTF-8 (raises orjson.JSONEncodeError)."""
    return _dumps(value, option=_SORTED)


def payload_hash(value: Any) -> str:
    """SHA-256 hex of the canonical JSON of `value` (a record as received)."""
    return hashlib.sha256(_dumps(value, option=_SORTED)).hexdigest()


def _string_hazard(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character (\\u0000), which cannot be stored"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate (not valid Unicode / UTF-8)"
    return None


def find_hazards(value: Any, path: str = "", depth: int = 0) -> list[tuple[str, str]]:
    """Every unstorable value inside `value`, as (path, reason); empty when it can be stored."""
    found: list[tuple[str, str]] = []
    _scan(value, path, depth, found)
    return found


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _scan(value: Any, path: str, depth: int, found: list[tuple[str, str]]) -> None:
    where = path or "(record)"
    if isinstance(value, str):
        reason = _string_hazard(value)
        if reason:
            found.append((where, reason))
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, float):
        if not math.isfinite(value):
            found.append((where, "NaN and Infinity are not JSON numbers"))
    elif isinstance(value, int):
        if not _INT_MIN <= value <= _INT_MAX:
            found.append((where, "integer beyond the 64-bit range"))
    elif isinstance(value, dict | list | tuple):
        if depth >= MAX_DEPTH:
            found.append((where, f"nested deeper than {MAX_DEPTH} levels"))
            return
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    found.append((where, "object key is not a string"))
                    key = str(key)
                else:
                    reason = _string_hazard(key)
                    if reason:
                        found.append((_join(path, _safe_str(key)), f"key {reason}"))
                _scan(item, _join(path, _safe_str(key)), depth + 1, found)
        else:
            for i, item in enumerate(value):
                _scan(item, f"{path}[{i}]", depth + 1, found)
    else:
        found.append((where, f"a {type(value).__name__} value is not JSON"))


def _safe_str(text: str) -> str:
    return text.replace("\x00", "\\u0000").encode("utf-8", "backslashreplace").decode("utf-8")


def safe_form(value: Any, depth: int = 0) -> Any:
    """`value` with every unstorable part replaced by visible text (see the module docstring)."""
    if isinstance(value, str):
        return _safe_str(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return value if math.isfinite(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, int):
        return value if _INT_MIN <= value <= _INT_MAX else str(value)
    if isinstance(value, dict | list | tuple):
        if depth >= MAX_DEPTH:
            return f"<removed: nested deeper than {MAX_DEPTH} levels>"
        if isinstance(value, dict):
            return {_safe_str(str(k)): safe_form(v, depth + 1) for k, v in value.items()}
        return [safe_form(v, depth + 1) for v in value]
    if isinstance(value, bytes | bytearray):
        return _safe_str(bytes(value).decode("utf-8", "backslashreplace"))
    return _safe_str(f"<{type(value).__name__}> {value!r}"[:1000])
