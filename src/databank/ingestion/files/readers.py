"""Streaming readers: JSON Lines and CSV (JSON arrays: `json_array`), one record at a time.

Each reader yields `SourceRow`s. A row that cannot be read (malformed JSON line, bad CSV row,
invalid UTF-8, a line over the size limit) is yielded with its reason and position instead of
stopping the file; only a file that is not its format at all raises `FileFormatError`. A JSON array
cannot be resynchronised after a syntax error, so its reader yields one final `fatal` row there.
Memory stays constant: one line or row at a time, each cut at the record size limit.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import orjson

from databank.ingestion.files.errors import FileFormatError

DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024
_WHITESPACE = b" \t\r\n"
_BOM = b"\xef\xbb\xbf"
_ORJSON_WHERE = re.compile(r": line \d+ column (\d+) \(char \d+\)")
RAW_KEEP = 64 * 1024  # how much of an unreadable line a failed row keeps


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One record read from a file, or the reason it could not be read."""

    position: int  # 1-based: the line it starts on (JSONL, CSV) or its item number (JSON array)
    data: dict[str, Any] | None
    error: str | None = None
    raw: str | None = None  # the unreadable text (cut to 64 KiB), kept with the failed record
    unit: str = "line"
    fatal: bool = False  # the file cannot be read past this row

    @property
    def where(self) -> str:
        """`line 12` or `item 12`."""
        return f"{self.unit} {self.position}"


def describe_json(value: object) -> str:
    """`an array`, `a string`, … for a JSON value that should have been an object."""
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def first_byte(stream: BinaryIO) -> bytes:
    """Consume a BOM and leading whitespace; return the first significant byte (b'' at the end)."""
    head = stream.peek(3)[:3]  # type: ignore[attr-defined]
    if head == _BOM:
        stream.read(3)
    while True:
        head = stream.peek(1)  # type: ignore[attr-defined]
        if not head:
            return b""
        stripped = head.lstrip(_WHITESPACE)
        if stripped:
            stream.read(len(head) - len(stripped))
            return stripped[:1]
        stream.read(len(head))


def first_line(message: object) -> str:
    """The first line of a parser's error message, positions said per line."""
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    text = text.strip().splitlines()[0] if text.strip() else "invalid JSON"
    # orjson counts within the one line it was given: say "at column N", not "line 1 column N".
    return _ORJSON_WHERE.sub(r" at column \1", text)


def _check_text(stream: BinaryIO, name: str, fmt: str) -> None:
    if b"\x00" in stream.peek(1 << 13)[: 1 << 13]:  # type: ignore[attr-defined]
        raise FileFormatError(
            f"{name} holds NUL bytes: it is binary or UTF-16, not {fmt} text",
            "save it as UTF-8 (or set encoding in the mapping for CSV)",
        )


def _read_line(stream: BinaryIO, limit: int) -> tuple[bytes, int]:
    """One line, cut at `limit` bytes; returns (line, total length) and skips the rest of it."""
    line = stream.readline(limit + 1)
    if len(line) <= limit or line.endswith(b"\n"):
        return line, len(line)
    total = len(line)
    while True:
        more = stream.readline(1 << 16)
        total += len(more)
        if not more or more.endswith(b"\n"):
            return line, total


def read_jsonl(
    stream: BinaryIO, name: str, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
) -> Iterator[SourceRow]:
    """One JSON object per line; blank lines are skipped; a bad line becomes a failed row."""
    _check_text(stream, name, "JSON Lines")
    first = first_byte(stream)
    if first == b"":
        raise FileFormatError(f"{name} holds only whitespace: nothing to ingest")
    if first == b"[":
        raise FileFormatError(
            f"{name} starts with '[': it is a JSON array, not JSON Lines", "pass --format json"
        )
    line_no = 0
    while True:
        line, length = _read_line(stream, max_record_bytes)
        if not line:
            return
        line_no += 1
        if length > max_record_bytes:
            yield SourceRow(
                line_no,
                None,
                f"line {line_no}: {length:,} bytes, over the {max_record_bytes:,}-byte record limit",
            )
            continue
        text = line.strip()
        if not text:
            continue
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            yield SourceRow(
                line_no,
                None,
                f"line {line_no}: invalid JSON ({first_line(exc)})",
                raw=text[:RAW_KEEP].decode("utf-8", "replace"),
            )
            continue
        if isinstance(value, dict):
            yield SourceRow(line_no, value)
        else:
            yield SourceRow(
                line_no,
                None,
                f"line {line_no}: {describe_json(value)}, not a JSON object",
                raw=text[:RAW_KEEP].decode("utf-8", "replace"),
            )


class _Lines:
    """Decoded lines for the csv module, noting which line numbers were unreadable and why."""

    def __init__(self, stream: BinaryIO, encoding: str, limit: int) -> None:
        self._stream = stream
        self._encoding = encoding
        self._limit = limit
        self.line_no = 0
        self.bad: dict[int, str] = {}

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line, length = _read_line(self._stream, self._limit)
        if not line:
            raise StopIteration
        self.line_no += 1
        if length > self._limit:
            self.bad[self.line_no] = f"{length:,} bytes, over the {self._limit:,}-byte record limit"
            return "\n"
        try:
            text = line.decode(self._encoding)
        except UnicodeDecodeError as exc:
            self.bad[self.line_no] = (
                f"invalid {self._encoding} bytes at column {exc.start + 1} ({line[exc.start : exc.end]!r})"
            )
            text = line.decode(self._encoding, "replace")
        if self.line_no == 1:
            text = text.removeprefix("\ufeff")
        return text


def sniff_delimiter(header: str) -> str:
    """The most frequent of `, ; TAB |` in the header line outside quotes (`,` if none)."""
    counts = dict.fromkeys(",;\t|", 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda c: counts[c])
    return best if counts[best] else ","


def _header(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, raw in enumerate(names, start=1):
        name = raw.strip() or f"column_{i}"
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out


def read_csv(
    stream: BinaryIO,
    name: str,
    *,
    delimiter: str | None = None,
    quotechar: str = '"',
    encoding: str = "utf-8",
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> Iterator[SourceRow]:
    """Rows of a CSV file with a header line, as {column: text}; empty cells are left out."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise FileFormatError(f"unknown encoding {encoding!r}") from None
    if "\n".encode(encoding) != b"\n":
        raise FileFormatError(
            f"encoding {encoding!r} is not supported for CSV", "convert the file to UTF-8"
        )
    _check_text(stream, name, "CSV")
    lines = _Lines(stream, encoding, max_record_bytes)
    head = next(lines, None)
    while head is not None and not head.strip() and 1 not in lines.bad:
        head = next(lines, None)
    if head is None:
        raise FileFormatError(f"{name} holds only blank lines: nothing to ingest")
    if lines.bad:
        raise FileFormatError(
            f"{name}: the header line is unreadable ({next(iter(lines.bad.values()))})"
        )
    sep = delimiter or sniff_delimiter(head)
    columns = _header(next(csv.reader([head], delimiter=sep, quotechar=quotechar)))
    reader = csv.reader(lines, delimiter=sep, quotechar=quotechar, strict=True)
    done = lines.line_no
    while True:
        try:
            cells = next(reader)
            problem = None
        except StopIteration:
            return
        except csv.Error as exc:
            cells, problem = None, str(exc)
        start, done = done + 1, lines.line_no
        bad = [f"line {n}: {lines.bad.pop(n)}" for n in range(start, done + 1) if n in lines.bad]
        if bad:
            yield SourceRow(start, None, "; ".join(bad), raw=_raw(cells, sep))
        elif problem is not None:
            yield SourceRow(start, None, f"line {start}: malformed CSV ({problem})")
        elif not cells or cells == [""]:
            continue
        elif len(cells) != len(columns):
            yield SourceRow(
                start,
                None,
                f"line {start}: {len(cells)} fields where the header has {len(columns)}",
                raw=_raw(cells, sep),
            )
        else:
            yield SourceRow(start, {c: v for c, v in zip(columns, cells, strict=True) if v != ""})


def _raw(cells: list[str] | None, sep: str) -> str | None:
    return sep.join(cells)[:RAW_KEEP] if cells else None
