"""An in-process LRU of KPI answers, each tagged with the version of the gold table it was read from.

An entry is served only while its table's version (databank.refresh) is still the one read before
the answer was computed; a stale entry is dropped on sight. In-process refreshes also drop a
table's entries at once (see `KpiService`), which keeps memory from holding dead answers.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
_ENTRY_OVERHEAD = 200  # bytes: the key tuple, the entry object and the LRU links, roughly
_SAMPLE = 32


@dataclass(frozen=True)
class CacheMetrics:
    """The spec's CacheMetrics: hit ratio, counts, and an estimate of the memory held."""

    hit_ratio: float | None  # None before the first lookup
    hit_count: int
    miss_count: int
    eviction_count: int  # dropped to make room (LRU)
    invalidation_count: int  # dropped because their table was refreshed
    entries: int
    max_entries: int
    memory_usage: int  # bytes, estimated: deep size of the cached objects

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class _Entry(Generic[T]):
    table: str
    version: int
    value: T
    size: int


class VersionedLRU(Generic[T]):
    """A thread-safe LRU whose entries are valid only for one version of their table."""

    def __init__(self, max_entries: int = 1024) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, _Entry[T]] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = self._misses = self._evictions = self._invalidations = 0
        self._bytes = 0

    def get(self, key: Hashable, version: int, *, count_miss: bool = True) -> T | None:
        """The value cached for `key` at `version`, or None (a miss; a stale entry is dropped).

        `count_miss=False` for a look that is followed by a counted one when it finds nothing.
        """
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.version == version:
                self._entries.move_to_end(key)
                self._hits += 1
                return entry.value
            if entry is not None:
                self._drop(key)
                self._invalidations += 1
            if count_miss:
                self._misses += 1
            return None

    def put(self, key: Hashable, table: str, version: int, value: T) -> None:
        """Remember `value` for `key`, read from `table` at `version`; evicts the oldest if full."""
        size = deep_size(value) + _ENTRY_OVERHEAD
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = _Entry(table, version, value, size)
            self._bytes += size
            while len(self._entries) > self.max_entries:
                oldest = next(iter(self._entries))
                self._drop(oldest)
                self._evictions += 1

    def invalidate_table(self, table: str) -> int:
        """Drop every entry read from `table`; returns how many."""
        with self._lock:
            stale = [k for k, e in self._entries.items() if e.table == table]
            for key in stale:
                self._drop(key)
            self._invalidations += len(stale)
            return len(stale)

    def clear(self) -> None:
        """Drop everything (counters stay)."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def metrics(self) -> CacheMetrics:
        """Counters and size right now."""
        with self._lock:
            lookups = self._hits + self._misses
            return CacheMetrics(
                hit_ratio=round(self._hits / lookups, 4) if lookups else None,
                hit_count=self._hits,
                miss_count=self._misses,
                eviction_count=self._evictions,
                invalidation_count=self._invalidations,
                entries=len(self._entries),
                max_entries=self.max_entries,
                memory_usage=self._bytes,
            )

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key)
        self._bytes -= entry.size


def deep_size(obj: object, _seen: set[int] | None = None) -> int:
    """Bytes held by `obj` and what it contains (dataclasses, dicts, sequences), each object once.

    Objects marked shared (`__cache_shared__ = True`, such as catalog metrics) are not counted:
    they live whether or not the cache does.
    """
    seen = _seen if _seen is not None else set()
    if id(obj) in seen or getattr(obj, "__cache_shared__", False):
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, dict):
        size += sum(deep_size(k, seen) + deep_size(v, seen) for k, v in obj.items())
    elif isinstance(obj, list | tuple) and len(obj) > _SAMPLE:
        # Long series are uniform: measure a sample, scale to the length (an estimate, and cheap).
        size += sum(deep_size(item, seen) for item in obj[:_SAMPLE]) * len(obj) // _SAMPLE
    elif isinstance(obj, list | tuple | set | frozenset):
        size += sum(deep_size(item, seen) for item in obj)
    elif is_dataclass(obj) and not isinstance(obj, type):
        size += sum(deep_size(getattr(obj, f.name), seen) for f in fields(obj))
    return size
