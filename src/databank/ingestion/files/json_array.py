"""The JSON array reader: items of one top-level array, parsed incrementally in bounded memory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import ijson
import orjson

from databank.ingestion.files.errors import FileFormatError
from databank.ingestion.files.readers import (
    DEFAULT_MAX_RECORD_BYTES,
    RAW_KEEP,
    SourceRow,
    describe_json,
    first_byte,
    first_line,
)

MAX_DEPTH = 512  # nesting levels of one record (orjson, used for JSON Lines, allows 1024)


def _array_items(stream: BinaryIO, max_depth: int, limit: int) -> Iterator[tuple[Any, str | None]]:
    """(item, None) per top-level array item, or (None, reason) for one that is too big or deep.

    Built from ijson's events rather than `ijson.items`, whose memory grows with the square of the
    nesting depth (a 16k-deep item took 625 MB): here depth and size are capped per item.
    """
    events = ijson.basic_parse(stream, use_float=True, buf_size=1 << 16)
    next(events)  # start_array: the caller checked the first byte
    stack: list[Any] = []
    keys: list[Any] = []
    size = 0
    problem: str | None = None
    depth = 0  # depth while skipping an item that broke a limit
    for event, value in events:
        if problem is not None:
            depth += event in ("start_map", "start_array")
            depth -= event in ("end_map", "end_array")
            if depth == 0:
                yield None, problem
                problem, size = None, 0
            elif depth < 0:
                yield None, problem
                return
            continue
        if event == "map_key":
            keys[-1] = value
            size += len(value) + 4
            continue
        if event in ("start_map", "start_array"):
            stack.append({} if event == "start_map" else [])
            keys.append(None)
            if len(stack) > max_depth:
                problem, depth, stack, keys = (
                    f"nested deeper than {max_depth} levels",
                    len(stack),
                    [],
                    [],
                )
            continue
        if event in ("end_map", "end_array"):
            if not stack:
                for _ in events:  # anything after the closing bracket is an error (ijson raises)
                    pass
                return
            value = stack.pop()
            keys.pop()
        else:
            size += len(value) + 4 if isinstance(value, str) else 8
        if size > limit:
            problem, depth, stack, keys = (
                f"over the {limit:,}-byte record limit",
                len(stack),
                [],
                [],
            )
            if depth == 0:
                yield None, problem
                problem, size = None, 0
            continue
        if stack:
            parent = stack[-1]
            if type(parent) is list:
                parent.append(value)
            else:
                parent[keys[-1]] = value
        else:
            yield value, None
            size = 0


def read_json_array(
    stream: BinaryIO,
    name: str,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    max_depth: int = MAX_DEPTH,
) -> Iterator[SourceRow]:
    """Items of a top-level JSON array, parsed incrementally (ijson): never the whole array."""
    first = first_byte(stream)
    if first == b"":
        raise FileFormatError(f"{name} holds only whitespace: nothing to ingest")
    if first == b"{":
        raise FileFormatError(
            f"{name} holds a JSON object, not an array of records",
            "wrap the records in [ ] or, for one object per line, pass --format jsonl",
        )
    if first != b"[":
        raise FileFormatError(f"{name} is not a JSON array (it starts with {first!r})")
    count = 0
    try:
        for item, problem in _array_items(stream, max_depth, max_record_bytes):
            count += 1
            if problem is not None:
                yield SourceRow(count, None, f"item {count}: {problem}", unit="item")
            elif isinstance(item, dict):
                yield SourceRow(count, item, unit="item")
            else:
                yield SourceRow(
                    count,
                    None,
                    f"item {count}: {describe_json(item)}, not a JSON object",
                    raw=orjson.dumps(item).decode()[:RAW_KEEP],
                    unit="item",
                )
    except ijson.JSONError as exc:
        reason = first_line(exc.args[0] if exc.args else exc)
        yield SourceRow(
            count + 1,
            None,
            f"item {count + 1}: the JSON array is truncated or invalid here ({reason}); "
            "the rest of the file cannot be read",
            unit="item",
            fatal=True,
        )
