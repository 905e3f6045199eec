"""The delivery stream of one source type: produce chunk by chunk, inject faults, deliver in order.

Records leave in **delivery order**: by delivery day, and within a day originals before their
re-deliveries. A chunk's records wait in a small pending buffer until no later chunk can still
produce something for their delivery day (a source that creates records before the sale that
caused them declares how many days back it reaches in `lookback_days`). So memory holds a chunk
of days plus what is pending (refunds, late records), never the whole period.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from queue import Empty, Full, Queue
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa

from databank.demo.generator import faults, jsonify
from databank.demo.generator.frame import Frame
from databank.demo.generator.world import World

Observer = Callable[["SourceSpec", Frame], None]
T = TypeVar("T")


@dataclass
class Rendered:
    """Records as Arrow, plus values Arrow cannot type (row, field, JSON value) for dicts."""

    table: pa.Table
    patches: list[tuple[int, str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return self.table.num_rows

    def slice(self, start: int, stop: int) -> Rendered:
        """Rows `start:stop`."""
        patches = [(i - start, f, v) for i, f, v in self.patches if start <= i < stop]
        return Rendered(self.table.slice(start, stop - start), patches)

    @staticmethod
    def concat(parts: list[Rendered]) -> Rendered:
        """All rows of `parts`; schemas are unified (a drifted column is null before it appears)."""
        if len(parts) == 1:
            return parts[0]
        patches, offset = [], 0
        for part in parts:
            patches.extend((i + offset, f, v) for i, f, v in part.patches)
            offset += len(part)
        table = pa.concat_tables([p.table for p in parts], promote_options="default")
        return Rendered(table, patches)

    def to_records(self) -> list[dict[str, Any]]:
        """JSON-able dicts; null fields are left out, as a source would leave them out."""
        names = self.table.column_names
        columns = []
        for column in self.table.columns:
            values = column.to_pylist()
            if pa.types.is_struct(column.type):
                values = [v if v is None else _strip(v) for v in values]
            columns.append(values)
        rows = [
            {k: v for k, v in zip(names, row, strict=True) if v is not None}
            for row in zip(*columns, strict=True)
        ]
        for i, name, value in self.patches:
            rows[i][name] = value
        return rows


@dataclass(frozen=True)
class SourceSpec:
    """How one source type is produced, made faulty, rendered and identified."""

    name: str
    code: int
    key_field: str
    faults: tuple[tuple[str, str], ...]  # (defect kind, field it breaks)
    produce: Callable[[World, int], Frame]
    render: Callable[[World, Frame], Rendered]
    keys: Callable[[World, Frame], pa.Array]
    eligible: Callable[[Frame], np.ndarray] | None = None  # rows that may be made invalid
    lookback_days: int = 0
    tally: Callable[[World, Frame, dict[str, Any]], None] | None = None  # totals for the truth
    drop_after_inject: tuple[str, ...] = ()  # columns only faults and tally need


def frames(
    world: World, spec: SourceSpec, observe: Observer | None = None, *, threaded: bool = False
) -> Iterator[Frame]:
    """Numeric frames of `spec` in delivery order (one per chunk that completes deliveries).

    With `threaded`, chunks are produced a little ahead in a worker thread.
    """
    days = world.cfg.days
    produced = (spec.produce(world, chunk) for chunk in range(world.n_chunks))
    pending: Frame | None = None
    for chunk, frame in enumerate(prefetch(produced) if threaded else produced):
        inside = (frame["day"] >= 0) & (frame["day"] < days) if len(frame) else None
        if inside is not None and not inside.all():
            frame = frame.take(inside)
        parts = [] if pending is None else [pending]
        if len(frame):
            frame, copies = faults.inject(world, spec, frame, chunk)
            if observe is not None:
                observe(spec, frame)
                if len(copies):
                    observe(spec, copies)
            for name in spec.drop_after_inject:
                del frame.cols[name]
                del copies.cols[name]
            parts += [frame, copies]
        parts = [p for p in parts if len(p)]
        if not parts:
            pending = None
            continue
        last = chunk == world.n_chunks - 1
        frontier = None if last else world.chunk_days(chunk)[1] - spec.lookback_days
        ready, pending = _split(parts, frontier)
        if ready is not None:
            yield ready


def _split(parts: list[Frame], frontier: int | None) -> tuple[Frame | None, Frame | None]:
    """The rows of `parts` delivered before `frontier` (None: all) in delivery order, and the rest.

    One copy per column: each part is scattered straight to its sorted position.
    """
    deliv = np.concatenate([p["deliv"] for p in parts]) if len(parts) > 1 else parts[0]["deliv"]
    n = len(deliv)
    if n > 1 and not bool(np.all(deliv[1:] >= deliv[:-1])):
        rel = deliv - deliv.min()
        order = np.argsort(rel.astype(np.int16) if rel.max() < 32_768 else rel, kind="stable")
    else:
        order = None
    ordered = deliv if order is None else deliv[order]
    cut = n if frontier is None else int(np.searchsorted(ordered, frontier))
    if cut == 0:
        return None, Frame.concat(parts)
    if order is None:
        whole = Frame.concat(parts)
    else:
        position = np.empty(n, dtype=np.int64)
        position[order] = np.arange(n)
        cols = {}
        for name in parts[0]:
            column = np.empty(n, dtype=parts[0][name].dtype)
            start = 0
            for part in parts:
                column[position[start : start + len(part)]] = part[name]
                start += len(part)
            cols[name] = column
        whole = Frame(cols)
    if cut == n:
        return whole, None
    return whole.slice(0, cut), whole.slice(cut, n)


def prefetch(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Run `items` in a worker thread, `depth` items ahead; yields them in the same order.

    numpy and Arrow release the GIL in their loops, so producing the next chunk overlaps with
    rendering this one. Stopping early (closing the generator) stops the worker.
    """
    queue: Queue[tuple[bool, Any]] = Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        queue.put((True, item), timeout=0.1)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put((False, None))
        except BaseException as exc:  # handed to the consumer, raised there
            queue.put((False, exc))

    worker = threading.Thread(target=work, name="demo-generator", daemon=True)
    worker.start()
    try:
        while True:
            more, item = queue.get()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            try:
                queue.get_nowait()
            except Empty:
                worker.join(timeout=0.05)


def rendered(
    world: World, spec: SourceSpec, batch_size: int | None, *, threaded: bool = True
) -> Iterator[Rendered]:
    """Rendered batches of exactly `batch_size` rows (the last may be shorter).

    `batch_size=None` yields one batch per produced frame (the generator's natural chunks).
    With `threaded`, the next chunks are produced in a worker thread while this one renders.
    """
    if batch_size is not None and batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    parts: list[Rendered] = []
    held = 0
    for frame in frames(world, spec, threaded=threaded):
        piece = spec.render(world, frame)
        if batch_size is None:
            yield piece
            continue
        start = 0
        while held + len(piece) - start >= batch_size:
            stop = start + batch_size - held
            yield Rendered.concat([*parts, piece.slice(start, stop)])
            parts, held, start = [], 0, stop
        if start < len(piece):
            parts.append(piece.slice(start, len(piece)))
            held += len(piece) - start
    if parts:
        yield Rendered.concat(parts)


def json_batches(
    world: World, spec: SourceSpec, batch_size: int, *, threaded: bool = True
) -> Iterator[tuple[int, bytes]]:
    """`(records, JSON array bytes)` of `batch_size` records (the last may be shorter).

    The same records as `rendered(...).to_records()`, but each generated chunk is turned into
    JSON text at once and the batches are cut from its bytes, so no Python object is made per
    record.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    held: list[bytes] = []  # JSON rows (comma-terminated) waiting for the next batch
    count = 0
    for frame in frames(world, spec, threaded=threaded):
        piece = spec.render(world, frame)
        rows = jsonify.json_rows(piece.table, piece.patches)
        start = 0
        while count + len(rows) - start >= batch_size:
            stop = start + batch_size - count
            if held:
                tail = rows.data[rows.offsets[start] : rows.offsets[stop] - 1].tobytes()
                yield batch_size, b"".join([b"[", *held, tail, b"]"])
            else:
                yield batch_size, rows.array(start, stop)
            held, count, start = [], 0, stop
        if start < len(rows):
            held.append(rows.data[rows.offsets[start] :].tobytes())
            count += len(rows) - start
    if held:
        yield count, b"[" + b"".join(held)[:-1] + b"]"


def deliveries(world: World, spec: SourceSpec) -> Iterator[tuple[int, Rendered]]:
    """`(delivery day, records)` for every delivery day that has records, in order."""
    for frame in frames(world, spec, threaded=True):
        deliv = frame["deliv"]
        bounds = np.flatnonzero(np.diff(deliv)) + 1
        starts = np.concatenate([[0], bounds])
        stops = np.concatenate([bounds, [len(deliv)]])
        piece = spec.render(world, frame)
        for a, b in zip(starts, stops, strict=True):
            yield int(deliv[a]), piece.slice(int(a), int(b))


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value
