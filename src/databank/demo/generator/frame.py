"""`Frame`: the generator's working form of a batch — named numpy columns of equal length.

Records stay numeric (ids as sequence numbers, times as seconds, categories as codes) until they
are rendered to Arrow just before they leave the generator. Every frame has the bookkeeping
columns `day` (event day from the start date), `deliv` (delivery day), `dup` (a re-delivery),
and `fault` (0 = valid, else the index + 1 of the source's invalid-record kind).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

BOOKKEEPING = ("day", "deliv", "dup", "fault")


class Frame:
    """Named numpy columns of one length; cheap to filter, take and concatenate."""

    __slots__ = ("cols",)

    def __init__(self, cols: dict[str, np.ndarray]) -> None:
        lengths = {len(v) for v in cols.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns of unequal length: { {k: len(v) for k, v in cols.items()} }")
        self.cols = cols

    def __len__(self) -> int:
        return len(next(iter(self.cols.values()))) if self.cols else 0

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]

    def __setitem__(self, name: str, values: np.ndarray) -> None:
        self.cols[name] = values

    def __contains__(self, name: str) -> bool:
        return name in self.cols

    def __iter__(self) -> Iterator[str]:
        return iter(self.cols)

    def take(self, index: np.ndarray) -> Frame:
        """Rows at `index` (integers) or where `index` is True (booleans)."""
        if index.dtype == np.bool_ and 2 * int(np.count_nonzero(index)) < len(index):
            # a sparse mask: scan it once, then gather each column (several times faster)
            index = np.flatnonzero(index)
        if index.dtype != np.bool_:
            return Frame({k: np.take(v, index) for k, v in self.cols.items()})
        return Frame({k: v[index] for k, v in self.cols.items()})

    def slice(self, start: int, stop: int) -> Frame:
        """Rows `start:stop` (views, no copy)."""
        return Frame({k: v[start:stop] for k, v in self.cols.items()})

    @staticmethod
    def concat(frames: Iterable[Frame | None]) -> Frame:
        """All rows of `frames` in order; every frame must have the same columns."""
        parts = [f for f in frames if f is not None and len(f)]
        if not parts:
            return Frame({})
        if len(parts) == 1:
            return parts[0]
        names = list(parts[0].cols)
        for part in parts[1:]:
            if list(part.cols) != names:
                raise ValueError(f"frames differ in columns: {names} vs {list(part.cols)}")
        return Frame({k: np.concatenate([p.cols[k] for p in parts]) for k in names})


def segment_positions(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups of `counts` rows: each row's group index and its position inside the group."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    group = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    position = np.arange(total, dtype=np.int64) - np.repeat(starts, counts)
    return group, position


def sorted_uniforms(rng: np.random.Generator, counts: np.ndarray) -> np.ndarray:
    """Uniforms in [0, 1), ascending within each group of `counts` (order statistics).

    Uses exponential spacings, so no sort: a group of m values takes m + 1 exponentials.
    """
    counts = np.asarray(counts, dtype=np.int64)
    spacing = rng.standard_exponential(int(counts.sum()) + len(counts))
    out = np.empty(int(counts.sum()))
    start = 0
    for i, m in enumerate(counts.tolist()):
        cum = np.cumsum(spacing[start + i : start + i + m + 1])
        np.divide(cum[:-1], cum[-1], out=out[start : start + m])
        start += m
    return np.minimum(out, np.nextafter(1.0, 0.0), out=out)
