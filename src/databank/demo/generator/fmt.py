"""Vectorised formatting: numpy arrays to Arrow strings without a Python loop per row.

Fixed-width values (ids, dates, timestamps) are written as bytes into one `uint8` matrix (one
row per value) and handed to Arrow as the data buffer of a `string` array whose offsets step by
the width. Small vocabularies become strings through `take`. Money is held as integer cents and
becomes a float only at the end, so every value has at most two decimals.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

EPOCH = date(1970, 1, 1)
_DIGITS = np.arange(10_000)
_LUT4 = np.stack([_DIGITS // 10**k % 10 for k in (3, 2, 1, 0)], axis=1).astype(np.uint8) + 48
_LUT4_32 = np.ascontiguousarray(_LUT4).view(np.uint32).ravel()


def _time_table() -> np.ndarray:
    """`THH:MM:SSZ` for every second of a day, as 10-byte rows."""
    second = np.arange(86_400)
    table = np.empty((86_400, 10), dtype=np.uint8)
    table[:, 0], table[:, 3], table[:, 6], table[:, 9] = ord("T"), ord(":"), ord(":"), ord("Z")
    table[:, 1:3] = _LUT4[second // 3600, 2:]
    table[:, 4:6] = _LUT4[second // 60 % 60, 2:]
    table[:, 7:9] = _LUT4[second % 60, 2:]
    return table.view("V10").ravel()


_TIMES = _time_table()


def epoch_day(day: date) -> int:
    """Days from 1970-01-01 to `day`."""
    return (day - EPOCH).days


def _validity(valid: np.ndarray | None, n: int) -> tuple[pa.Buffer | None, int]:
    if valid is None:
        return None, 0
    nulls = n - int(np.count_nonzero(valid))
    if nulls == 0:
        return None, 0
    return pa.py_buffer(np.packbits(valid, bitorder="little")), nulls


def from_matrix(
    mat: np.ndarray, valid: np.ndarray | None = None, *, compact: bool = False
) -> pa.Array:
    """Arrow strings from an `(n, width)` uint8 matrix; rows where `valid` is False are null.

    With `compact=True`, `mat` holds only the valid rows (in order).
    """
    width = mat.shape[1]
    n = len(valid) if valid is not None else mat.shape[0]
    bitmap, nulls = _validity(valid, n)
    if bitmap is None:
        offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
        data = np.ascontiguousarray(mat)
    else:
        assert valid is not None
        offsets = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(valid.astype(np.int32) * width, out=offsets[1:])
        data = np.ascontiguousarray(mat if compact else gather_rows(mat, valid))
    buffers = [bitmap, pa.py_buffer(offsets), pa.py_buffer(data)]
    return pa.Array.from_buffers(pa.string(), n, buffers, null_count=nulls)


def gather_rows(mat: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Rows of a `(m, width)` uint8 matrix at `index` (integers or booleans), fast."""
    width = mat.shape[1]
    table = np.ascontiguousarray(mat).view(f"V{width}").ravel()
    rows = table[index] if index.dtype == np.bool_ else np.take(table, index)
    return rows.view(np.uint8).reshape(-1, width)


def ids(prefix: str, nums: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """`prefix` + `nums` zero-padded to 16 characters; only valid rows are formatted."""
    if valid is None:
        return from_matrix(id_matrix(prefix, nums))
    return from_matrix(id_matrix(prefix, nums[valid]), valid, compact=True)


def ids_of(table: np.ndarray, index: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Strings of a precomputed id matrix (`table`, one row per entity) at `index`."""
    if valid is None:
        return from_matrix(gather_rows(table, index))
    return from_matrix(gather_rows(table, index[valid]), valid, compact=True)


def id_matrix(prefix: str, nums: np.ndarray) -> np.ndarray:
    """`(n, 16)` bytes of `prefix` + zero-padded decimal `nums`; `prefix` must be 4 characters."""
    assert len(prefix) == 4, prefix
    nums = np.asarray(nums)
    out = np.empty((len(nums), 4), dtype=np.uint32)
    out[:, 0] = np.frombuffer(prefix.encode(), dtype=np.uint32)[0]
    if len(nums) == 0 or (int(nums.min()) >= 0 and int(nums.max()) < 100_000_000):
        # the usual case: eight digits or fewer, so 32-bit arithmetic and a constant "0000"
        low = nums.astype(np.uint32)
        high = low // np.uint32(10_000)
        out[:, 1] = _LUT4_32[0]
        out[:, 2] = np.take(_LUT4_32, high)
        out[:, 3] = np.take(_LUT4_32, low - high * np.uint32(10_000))
        return out.view(np.uint8)
    nums = nums.astype(np.int64, copy=False)
    high = nums // 100_000_000
    low = (nums - high * 100_000_000).astype(np.uint32)
    # np.take, not fancy indexing: with a non-intp index it is several times faster
    out[:, 1] = np.take(_LUT4_32, high % 10_000)
    out[:, 2] = np.take(_LUT4_32, low // 10_000)
    out[:, 3] = np.take(_LUT4_32, low % 10_000)
    return out.view(np.uint8)


def prefixed_ids(prefixes: list[str], which: np.ndarray, nums: np.ndarray) -> np.ndarray:
    """Like `id_matrix` with the prefix chosen per row from `prefixes` by `which`."""
    mat = id_matrix(prefixes[0], nums)
    table = np.frombuffer("".join(prefixes).encode(), dtype=np.uint32)
    mat.view(np.uint32)[:, 0] = table[which]
    return mat


def civil(epoch_days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of days since 1970-01-01 (proleptic Gregorian; H. Hinnant's algorithm)."""
    z = np.asarray(epoch_days, dtype=np.int64) + 719_468
    era = np.floor_divide(z, 146_097)
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (month <= 2), month, day


def date_matrix(epoch_days: np.ndarray) -> np.ndarray:
    """`(n, 10)` bytes `YYYY-MM-DD` of days since 1970-01-01 (via a table over the range)."""
    epoch_days = np.asarray(epoch_days, dtype=np.int64)
    if len(epoch_days) == 0:
        return np.zeros((0, 10), dtype=np.uint8)
    low, high = int(epoch_days.min()), int(epoch_days.max())
    year, month, day = civil(np.arange(low, high + 1))
    table = np.empty((high - low + 1, 10), dtype=np.uint8)
    table[:, 0:4] = _LUT4[year % 10_000]
    table[:, 4] = table[:, 7] = ord("-")
    table[:, 5:7] = _LUT4[month, 2:]
    table[:, 8:10] = _LUT4[day, 2:]
    rows = np.take(table.view("V10").ravel(), epoch_days - low)
    return rows.view(np.uint8).reshape(-1, 10)


def dates(epoch_days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Arrow strings `YYYY-MM-DD`."""
    return from_matrix(date_matrix(epoch_days), valid)


def timestamp_matrix(epoch_seconds: np.ndarray) -> np.ndarray:
    """`(n, 20)` bytes `YYYY-MM-DDTHH:MM:SSZ` of seconds since 1970-01-01T00:00:00Z."""
    epoch_seconds = np.asarray(epoch_seconds, dtype=np.int64)
    days, seconds = np.divmod(epoch_seconds, 86_400)
    out = np.empty((len(epoch_seconds), 2), dtype="V10")
    out[:, 0] = date_matrix(days).view("V10").ravel()
    out[:, 1] = np.take(_TIMES, seconds)
    return out.view(np.uint8).reshape(-1, 20)


def timestamps(epoch_seconds: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Arrow strings `YYYY-MM-DDTHH:MM:SSZ`."""
    return from_matrix(timestamp_matrix(epoch_seconds), valid)


def vocab(
    words: list[str] | pa.Array, codes: np.ndarray, valid: np.ndarray | None = None
) -> pa.Array:
    """`words[codes]` as Arrow strings, null where `valid` is False."""
    words = words if isinstance(words, pa.Array) else strings(words)
    return pc.take(words, numeric_index(codes, valid))


def categorical(
    words: list[str] | pa.Array, codes: np.ndarray, valid: np.ndarray | None = None
) -> pa.Array:
    """`words[codes]` dictionary-encoded (no string copied); `decoded()` turns it into strings."""
    words = words if isinstance(words, pa.Array) else strings(words)
    kind, np_kind = (pa.int8(), np.int8) if len(words) < 128 else (pa.int16(), np.int16)
    codes = np.ascontiguousarray(codes, dtype=np_kind)
    bitmap, nulls = _validity(valid, len(codes))
    indices = pa.Array.from_buffers(
        kind, len(codes), [bitmap, pa.py_buffer(codes)], null_count=nulls
    )
    return pa.DictionaryArray.from_arrays(indices, words, safe=False)


def decoded(table: pa.Table) -> pa.Table:
    """`table` with its dictionary-encoded columns as plain strings."""
    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(field.type.value_type))
    return table


def take_strings(words: pa.Array, index: np.ndarray, valid: np.ndarray) -> pa.Array:
    """`words[index]` where `valid`, else null; only the valid rows are copied."""
    picked = words.take(numeric_index(index[valid]))
    offsets, data = _parts(picked)
    lengths = np.zeros(len(index), dtype=np.int32)
    lengths[valid] = np.diff(offsets)
    full = np.zeros(len(index) + 1, dtype=np.int32)
    np.cumsum(lengths, out=full[1:])
    bitmap, nulls = _validity(valid, len(index))
    buffers = [bitmap, pa.py_buffer(full), pa.py_buffer(np.ascontiguousarray(data[offsets[0] :]))]
    return pa.Array.from_buffers(pa.string(), len(index), buffers, null_count=nulls)


def strings(words: list[str]) -> pa.Array:
    """A small Arrow string array from Python strings (without pyarrow's pandas probing)."""
    encoded = [w.encode() for w in words]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    data = pa.py_buffer(b"".join(encoded))
    return pa.Array.from_buffers(pa.string(), len(encoded), [None, pa.py_buffer(offsets), data])


def numeric_index(codes: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Codes as an Arrow int32 index for `take`, null where `valid` is False."""
    codes = np.ascontiguousarray(codes, dtype=np.int32)
    bitmap, nulls = _validity(valid, len(codes))
    return pa.Array.from_buffers(
        pa.int32(), len(codes), [bitmap, pa.py_buffer(codes)], null_count=nulls
    )


def numeric(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """An Arrow int64/float64/bool array of `values`, null where `valid` is False."""
    values = np.ascontiguousarray(values)
    bitmap, nulls = _validity(valid, len(values))
    if values.dtype == np.bool_:
        data = pa.py_buffer(np.packbits(values, bitorder="little"))
        return pa.Array.from_buffers(pa.bool_(), len(values), [bitmap, data], null_count=nulls)
    kind = pa.float64() if values.dtype.kind == "f" else pa.int64()
    values = values.astype(np.float64 if values.dtype.kind == "f" else np.int64, copy=False)
    return pa.Array.from_buffers(
        kind, len(values), [bitmap, pa.py_buffer(values)], null_count=nulls
    )


def money(cents: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Cents as an Arrow float64 of the value with at most two decimals."""
    return numeric(np.asarray(cents, dtype=np.int64) / 100.0, valid)


def integers(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """An Arrow int64 array, null where `valid` is False."""
    return numeric(np.asarray(values, dtype=np.int64), valid)


def patterned(pattern: str, randoms: np.ndarray) -> np.ndarray:
    """`(n, len(pattern))` bytes: `#` becomes a digit, `@` an upper-case letter, others stay.

    Each row uses its own uint64 from `randoms`, so the value is a pure function of it.
    """
    r = np.asarray(randoms, dtype=np.uint64)
    out = np.empty((len(r), len(pattern)), dtype=np.uint8)
    for i, ch in enumerate(pattern.encode()):
        if ch == ord("#"):
            out[:, i] = (r % np.uint64(10)).astype(np.uint8) + 48
            r = r // np.uint64(10)
        elif ch == ord("@"):
            out[:, i] = (r % np.uint64(26)).astype(np.uint8) + 65
            r = r // np.uint64(26)
        else:
            out[:, i] = ch
    return out


def from_ragged(mat: np.ndarray, lengths: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Arrow strings from the first `lengths[i]` bytes of each row of `mat`."""
    n, width = mat.shape
    lengths = np.asarray(lengths, dtype=np.int32)
    if valid is not None:
        lengths = np.where(valid, lengths, 0)
    bitmap, nulls = _validity(valid, n)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    data = np.ascontiguousarray(mat[np.arange(width) < lengths[:, None]])
    buffers = [bitmap, pa.py_buffer(offsets), pa.py_buffer(data)]
    return pa.Array.from_buffers(pa.string(), n, buffers, null_count=nulls)


def _parts(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (rebased to the array's slice) and data bytes of a string array."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    _, off_buf, data_buf = array.buffers()
    offsets = np.frombuffer(off_buf, dtype=np.int32)[array.offset : array.offset + len(array) + 1]
    data = (
        np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    )
    return offsets, data


def join(parts: list[pa.Array | str]) -> pa.Array:
    """Row-wise concatenation of string arrays and constant strings (no nulls)."""
    n = next(len(p) for p in parts if not isinstance(p, str))

    def constant(text: str) -> pa.Array:
        raw = np.frombuffer(text.encode(), dtype=np.uint8)
        if len(raw) == 0:
            empty = [None, pa.py_buffer(np.zeros(n + 1, np.int32)), pa.py_buffer(b"")]
            return pa.Array.from_buffers(pa.string(), n, empty)
        return from_matrix(np.broadcast_to(raw, (n, len(raw))))

    arrays = [constant(p) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*arrays, constant(""))
