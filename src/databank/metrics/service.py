"""`KpiService`: answers KPI questions over one engine, through the cache. API, CLI and DAL share it.

Order of work for one request, chosen so a stale answer is never served:
1. parse and check the parameters against the catalog (no database work for a bad request);
2. get the gold table's refresh version: from memory while no refresh was announced for it, else
   from `meta.table_versions` (`databank.metrics.versions` says when memory is trusted);
3. look up the normalised question at that version in the cache;
4. on a miss, read the rows, compute, and store the answer under the version read in step 2.
Because the version is read *before* the rows, an answer computed while a refresh commits is
stored under the old version and is never served again once the new version is visible.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson

from databank.context import Databank
from databank.engines.base import Engine
from databank.errors import SchemaError
from databank.metrics.cache import CacheMetrics, VersionedLRU
from databank.metrics.catalog import Catalog, Metric, default_catalog
from databank.metrics.compute import KpiResult, compute
from databank.metrics.periods import parse_date, parse_date_range
from databank.metrics.query import fetch_components, latest_day
from databank.metrics.request import KpiQuery, parse_dimensions, parse_filters, parse_granularity
from databank.metrics.versions import VersionBook, default_ttl
from databank.refresh import on_refresh

DEFAULT_RANGE = "last_30_days"
LATEST = "latest"
_UNKNOWN: Any = object()


@dataclass(frozen=True)
class KpiAnswer:
    """A computed answer and its JSON encoding (what the API sends)."""

    result: KpiResult
    body: bytes


def utc_today() -> date:
    """Today's date in UTC (the wall clock)."""
    return datetime.now(UTC).date()


class KpiService:
    """KPI answers for one `Databank` (or bare engine), cached per gold-table version."""

    def __init__(
        self,
        source: Databank | Engine,
        catalog: Catalog | None = None,
        *,
        today: Callable[[], date] = utc_today,
        max_entries: int = 1024,
        weak_bank: bool = False,
        versions: VersionBook | None = None,
    ) -> None:
        # `kpi_service` keeps services in a WeakKeyDictionary keyed by bank: a service made there
        # holds its bank weakly, or the entry would keep the bank (and itself) alive for ever.
        self._source: Databank | Engine | None = None if weak_bank else source
        self._bank = weakref.ref(source) if isinstance(source, Databank) else None
        self.catalog = catalog or default_catalog()
        self.today = today  # replaceable: tests pin "today"
        self.cache: VersionedLRU[KpiAnswer] = VersionedLRU(max_entries)
        self._latest: dict[tuple[str, str, int], date | None] = {}
        self._checked: set[str] = set()
        self._versions = versions
        weakref.finalize(self, on_refresh(_dropper(self.cache, frozenset(self.catalog.tables))))

    @property
    def engine(self) -> Engine:
        """The engine the answers are read from."""
        source = self._source if self._source is not None else (self._bank and self._bank())
        if source is None:
            raise RuntimeError("the Databank of this KPI service has been garbage-collected")
        return source.engine if isinstance(source, Databank) else source

    def answer(
        self,
        metric_name: str,
        *,
        date_range: str | None = None,
        granularity: str | None = None,
        dimensions: str | Iterable[str] | None = None,
        filters: str | Mapping[str, Any] | Iterable[str] | None = None,
        as_of: str | date | None = None,
    ) -> KpiAnswer:
        """The KPI for these parameters, from the cache when its table has not changed since."""
        engine = self.engine
        question = self._question(
            metric_name, date_range, granularity, dimensions, filters, as_of, engine
        )
        assert question is not None  # with an engine, every step may read the database
        metric, query, version = question
        cached = self.cache.get(query, version)
        if cached is not None:
            return cached
        rows = fetch_components(
            engine,
            metric,
            query.period,
            granularity=query.granularity,
            dimensions=query.dimensions,
            filters=query.filters,
        )
        result = compute(metric, query, rows)
        answer = KpiAnswer(result, orjson.dumps(result.to_dict()))
        self.cache.put(query, metric.table, version, answer)
        return answer

    def cached(
        self,
        metric_name: str,
        *,
        date_range: str | None = None,
        granularity: str | None = None,
        dimensions: str | Iterable[str] | None = None,
        filters: str | Mapping[str, Any] | Iterable[str] | None = None,
        as_of: str | date | None = None,
    ) -> KpiAnswer | None:
        """The answer when memory alone holds it, else None (then call `answer`).

        Never touches the database, so an event loop may call it: the API answers hits inline and
        sends only misses to a worker thread. Bad parameters raise as in `answer`; a None is not
        counted as a miss (the `answer` that follows counts it).
        """
        question = self._question(
            metric_name, date_range, granularity, dimensions, filters, as_of, None
        )
        if question is None:
            return None
        _, query, version = question
        return self.cache.get(query, version, count_miss=False)

    def _question(
        self,
        metric_name: str,
        date_range: str | None,
        granularity: str | None,
        dimensions: str | Iterable[str] | None,
        filters: str | Mapping[str, Any] | Iterable[str] | None,
        as_of: str | date | None,
        engine: Engine | None,
    ) -> tuple[Metric, KpiQuery, int] | None:
        """The normalised question and its table version; without an engine, None when that needs
        the database (first use of the table, an untrusted version, an unknown latest day)."""
        metric = self.catalog.get(metric_name)
        grain = parse_granularity(granularity, metric)
        dims = parse_dimensions(dimensions, metric)
        wanted = parse_filters(filters, metric, dims)
        anchor_day = as_of if isinstance(as_of, date) else None
        if isinstance(as_of, str) and as_of.strip().lower() != LATEST:
            anchor_day = parse_date(as_of, "as_of")
        if engine is None:
            book = self._versions
            version = book.trusted_version(metric.table) if book is not None else None
            if version is None or metric.table not in self._checked:
                return None
        else:
            self._check_table(engine, metric)
            version = self.versions(engine).version(engine, metric.table)
        if anchor_day is None and as_of:
            if engine is not None:
                anchor_day = self._latest_day(engine, metric, version)
            else:
                newest = self._latest.get((metric.table, metric.time_column, version), _UNKNOWN)
                if newest is _UNKNOWN:
                    return None
                anchor_day = newest or self.today()
        period = parse_date_range(date_range or DEFAULT_RANGE, anchor_day or self.today())
        return metric, KpiQuery(metric.name, period, grain, dims, wanted), version

    def get(self, metric_name: str, **params: Any) -> KpiResult:
        """Like `answer`, returning only the result."""
        return self.answer(metric_name, **params).result

    def cache_status(self) -> CacheMetrics:
        """Hit ratio, counts, entries and memory of the cache."""
        return self.cache.metrics()

    def versions(self, engine: Engine) -> VersionBook:
        """The table versions in memory (made on first use: the default TTL depends on the engine)."""
        book = self._versions
        if book is None:
            book = self._versions = VersionBook(default_ttl(engine))
        return book

    def _check_table(self, engine: Engine, metric: Metric) -> None:
        if metric.table in self._checked:
            return
        if not engine.table_exists(metric.table) or not engine.table_exists("meta.table_versions"):
            raise SchemaError(
                f"table {metric.table} does not exist yet", "run `databank init` first"
            )
        self._checked.add(metric.table)

    def _latest_day(self, engine: Engine, metric: Metric, version: int) -> date:
        """The newest day in the table, remembered per table version; today if the table is empty."""
        key = (metric.table, metric.time_column, version)
        newest = self._latest.get(key, _UNKNOWN)
        if newest is _UNKNOWN:
            if len(self._latest) > 256:
                self._latest.clear()
            newest = self._latest[key] = latest_day(engine, metric)
        return newest or self.today()


def _dropper(cache: VersionedLRU[KpiAnswer], tables: frozenset[str]) -> Callable[[str], None]:
    """A refresh listener that frees the answers read from a refreshed catalog table.

    Other tables' announcements (bronze, after every ingestion commit) cost nothing: no cached
    answer reads them. The listener holds the cache, not the service, so the service can be freed.
    """

    def drop(table: str) -> None:
        if table in tables:
            cache.invalidate_table(table)

    return drop


_services: weakref.WeakKeyDictionary[Databank, KpiService] = weakref.WeakKeyDictionary()
_services_lock = threading.Lock()


def kpi_service(bank: Databank) -> KpiService:
    """The `KpiService` of `bank`, made on first use: the API and the DAL of one process share it."""
    with _services_lock:
        service = _services.get(bank)
        if service is None:
            service = _services[bank] = KpiService(bank, weak_bank=True)
        return service
