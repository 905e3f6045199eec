"""Arrow tables to JSON text without a Python object per record.

`array_json(table)` gives the bytes of a JSON array of objects, one per row, equal (as parsed
JSON) to `orjson.dumps(Rendered.to_records())`: null fields are left out of an object, nulls
inside a list stay `null`. Every column becomes the JSON text of its values with Arrow compute
kernels (a small dictionary is encoded once and taken by index), each value is prefixed with its
`,"name":` (null stays null, so the field drops out), and the fields of a row are joined. The
leading comma of each row is then overwritten with `{` in the joined bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

# bytes a JSON string must escape: the quote, the backslash and control characters
_ESCAPE = np.zeros(256, dtype=bool)
_ESCAPE[:32] = _ESCAPE[ord('"')] = _ESCAPE[ord("\\")] = True


@dataclass(frozen=True)
class JsonRows:
    """Rows as JSON objects, each followed by a comma, back to back in `data`; row `i` is
    `data[offsets[i]:offsets[i + 1]]`."""

    offsets: np.ndarray
    data: np.ndarray

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def array(self, start: int = 0, stop: int | None = None) -> bytes:
        """Rows `start:stop` as the bytes of a JSON array."""
        stop = len(self) if stop is None else stop
        if stop <= start:
            return b"[]"
        body = self.data[self.offsets[start] : self.offsets[stop] - 1]
        return b"[" + body.tobytes() + b"]"


def array_json(table: pa.Table, patches: Sequence[tuple[int, str, Any]] = ()) -> bytes:
    """`table` as the bytes of a JSON array of objects (see the module docstring)."""
    return json_rows(table, patches).array()


def json_rows(table: pa.Table, patches: Sequence[tuple[int, str, Any]] = ()) -> JsonRows:
    """Every row of `table` as a JSON object; `patches` set `(row, field, value)` over Arrow's."""
    n = table.num_rows
    if n == 0:
        return JsonRows(np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.uint8))
    table = table.combine_chunks()
    by_field: dict[str, list[tuple[int, Any]]] = {}
    for row, name, value in patches:
        by_field.setdefault(name, []).append((row, value))
    names = list(table.column_names)
    columns = [_single(table.column(i)) for i in range(table.num_columns)]
    for name in by_field:
        if name not in names:
            names.append(name)
            columns.append(pa.nulls(n, pa.string()))
    pieces = []
    for name, column in zip(names, columns, strict=True):
        if name in by_field:
            text = _patched(value_json(column), by_field[name])
            pieces.append(_prefixed(f',"{_key(name)}":', text))
        else:
            pieces.append(_field_json(name, column))
    pieces.append(_constant("},", n))
    rows = _open_objects(pc.binary_join_element_wise(*pieces, _constant("", n)), "{},")
    offsets, data = _buffers(rows)
    return JsonRows(offsets.astype(np.int64) - offsets[0], data[offsets[0] : offsets[-1]])


def _field_json(name: str, array: pa.Array) -> pa.Array:
    """`,"name":value` per row, the empty string where the value is null (the field drops out).

    The common kinds take one Arrow pass: a dictionary's words are turned into whole fields
    once and taken by index; a string needing no escape is quoted and prefixed in one join.
    """
    prefix = f',"{_key(name)}":'
    kind = array.type
    if pa.types.is_dictionary(kind) and len(array.dictionary) < len(array):
        fields = _field_json(name, array.dictionary)
        picked = fields.take(array.indices)
        return picked.fill_null("") if picked.null_count else picked
    if (pa.types.is_string(kind) or pa.types.is_large_string(kind)) and not _needs_escape(array):
        joined = _wrap(prefix + '"', array, '"')
        return joined.fill_null("") if joined.null_count else joined
    return _prefixed(prefix, value_json(array))


def value_json(array: pa.Array) -> pa.Array:
    """The JSON text of each value of `array` as Arrow strings; null where the value is null."""
    kind = array.type
    if pa.types.is_dictionary(kind):
        words = value_json(array.dictionary)
        return words.take(array.indices)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _string_json(array)
    if pa.types.is_boolean(kind) or pa.types.is_integer(kind):
        return array.cast(pa.string())
    if pa.types.is_floating(kind):
        return _float_json(array)
    if pa.types.is_struct(kind):
        return _struct_json(array)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _list_json(array)
    if pa.types.is_null(kind):
        return pa.nulls(len(array), pa.string())
    return _fallback(array)


def _string_json(array: pa.Array) -> pa.Array:
    if _needs_escape(array):  # rare: let orjson escape exactly
        return _fallback(array)
    return _wrap('"', array, '"')


def _needs_escape(array: pa.Array) -> bool:
    offsets, data = _buffers(array)
    used = data[offsets[0] : offsets[-1]]
    return bool(len(used)) and bool(_ESCAPE[used].any())


def _float_json(array: pa.Array) -> pa.Array:
    values = array.cast(pa.float64())
    text = values.cast(pa.string())
    # Arrow writes 5.0 as "5"; JSON readers would see an integer, so keep the ".0" as orjson does
    numbers = values.to_numpy(zero_copy_only=False)
    with np.errstate(invalid="ignore"):
        whole = np.trunc(numbers) == numbers
    if np.abs(numbers[whole]).max(initial=0) < 1e6:  # Arrow writes these as plain digits
        rows = np.flatnonzero(whole)
        if len(rows):
            extended = _wrap("", text.take(pa.array(rows)), ".0")
            text = pc.replace_with_mask(text, pa.array(whole), extended)
    else:  # large whole numbers may be written with an exponent: look at the text
        plain = pc.match_substring_regex(text, r"^-?[0-9]+$")
        text = pc.if_else(plain, _wrap("", text, ".0"), text)
    finite = pc.is_finite(values)
    if not pc.all(pc.or_kleene(finite, pc.is_null(values))).as_py():
        text = pc.if_else(finite, text, pa.scalar("null"))
    return text


def _struct_json(array: pa.StructArray) -> pa.Array:
    n = len(array)
    pieces = []
    for i in range(array.type.num_fields):
        # array.field(i): the child as sliced with the struct
        pieces.append(_field_json(array.type.field(i).name, array.field(i)))
    pieces.append(_constant("}", n))
    result = _open_objects(pc.binary_join_element_wise(*pieces, _constant("", n)), "{}")
    if array.null_count:
        result = pc.if_else(pc.is_valid(array), result, pa.nulls(n, pa.string()))
    return result


def _list_json(array: pa.Array) -> pa.Array:
    items = value_json(array.values).fill_null("null")
    offsets = array.offsets
    rebuilt = pa.ListArray.from_arrays(offsets, items)
    text = _wrap("[", pc.binary_join(rebuilt, ","), "]")
    if array.null_count:
        text = pc.if_else(pc.is_valid(array), text, pa.nulls(len(array), pa.string()))
    return text


def _fallback(array: pa.Array) -> pa.Array:
    """Exact JSON of any value through orjson (a Python object per value: only for the odd case)."""
    return pa.array(
        [None if v is None else orjson.dumps(v).decode() for v in array.to_pylist()],
        pa.string(),
    )


def _patched(text: pa.Array, changes: list[tuple[int, Any]]) -> pa.Array:
    mask = np.zeros(len(text), dtype=bool)
    values = {}
    for row, value in changes:
        mask[row] = True
        values[row] = orjson.dumps(value).decode()
    replacements = pa.array([values[row] for row in np.flatnonzero(mask)], pa.string())
    return pc.replace_with_mask(text, pa.array(mask), replacements)


def _prefixed(prefix: str, text: pa.Array) -> pa.Array:
    """`prefix + value` where the value is not null, else the empty string (the field drops out)."""
    joined = pc.binary_join_element_wise(
        _constant(prefix, len(text)), text, _constant("", len(text))
    )
    return joined.fill_null("") if joined.null_count else joined


def _wrap(before: str, text: pa.Array, after: str) -> pa.Array:
    n = len(text)
    return pc.binary_join_element_wise(
        _constant(before, n), text, _constant(after, n), _constant("", n)
    )


def _constant(text: str, n: int) -> pa.Array:
    """`text` repeated `n` times as a string array (a repeated buffer, built in numpy)."""
    raw = np.frombuffer(text.encode(), dtype=np.uint8)
    offsets = np.arange(n + 1, dtype=np.int32) * len(raw)
    data = np.tile(raw, n)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _key(name: str) -> str:
    return orjson.dumps(name).decode()[1:-1]


def _single(column: pa.ChunkedArray) -> pa.Array:
    if column.num_chunks == 1:
        return column.chunk(0)
    return column.combine_chunks()


def _buffers(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (for the array's slice) and data bytes of a string array."""
    _, off_buf, data_buf = array.buffers()
    offsets = np.frombuffer(off_buf, dtype=np.int32)[array.offset : array.offset + len(array) + 1]
    data = (
        np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    )
    return offsets, data


def _open_objects(text: pa.Array, empty: str) -> pa.Array:
    """Rows like `,"a":1,"b":2}` become `{"a":1,"b":2}`; a row with no field becomes `empty`."""
    offsets, data = _buffers(text)
    data = data[offsets[0] : offsets[-1]].copy()
    offsets = offsets - offsets[0]
    lengths = np.diff(offsets)
    bare = len(empty) - 1  # the length of a row without a field ("}" or "},")
    data[offsets[:-1][lengths > bare]] = ord("{")
    buffers = [None, pa.py_buffer(np.ascontiguousarray(offsets)), pa.py_buffer(data)]
    opened = pa.Array.from_buffers(pa.string(), len(text), buffers)
    if (lengths > bare).all():
        return opened
    return pc.if_else(pa.array(lengths <= bare), pa.scalar(empty), opened)
