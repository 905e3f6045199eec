"""`GoldDataAccess`: the gold layer from Python — catalog KPIs, view refreshes, cache status.

    gold = GoldDataAccess(bank)
    result = gold.get_kpi_metrics("daily_revenue", "last_30_days", granularity="week")
    result.current_value        # Decimal, rounded once to the unit's places
    gold.get_cache_status()     # CacheMetrics(hit_ratio=…, …)

It shares the process's KPI cache with the REST API (`databank.metrics.kpi_service`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from databank.context import Databank
from databank.errors import UnknownTableError
from databank.metrics import CacheMetrics, KpiResult, KpiService, Period, kpi_service

if TYPE_CHECKING:
    from databank.transform.report import RunReport
    from databank.transform.runner import Runner

DateRange = str | Period | tuple[date, date]


class GoldDataAccess:
    """In-process access to the gold layer on any engine."""

    def __init__(
        self,
        bank: Databank | None = None,
        *,
        service: KpiService | None = None,
        runner: Runner | None = None,
    ) -> None:
        self.bank = bank or Databank()
        self.kpis = service or kpi_service(self.bank)
        self._runner = runner

    def get_kpi_metrics(
        self,
        metric_name: str,
        date_range: DateRange = "last_30_days",
        dimensions: Iterable[str] | str | None = None,
        granularity: str = "day",
        filters: Mapping[str, Any] | Iterable[str] | str | None = None,
        *,
        as_of: date | str | None = None,
    ) -> KpiResult:
        """One catalog KPI over `date_range` (a named range, `start..end`, a Period or a date pair).

        Raises UnknownMetricError (with the valid names) or InvalidRequestError for parameters
        the metric does not accept. `result.to_dict()` is the API's KPIResponse.
        """
        return self.kpis.get(
            metric_name,
            date_range=_range_text(date_range),
            granularity=granularity,
            dimensions=dimensions,
            filters=filters,
            as_of=as_of,
        )

    def list_metrics(self) -> list[dict[str, Any]]:
        """The catalog entries, as `GET /api/v1/metrics/kpi` lists them."""
        return [metric.describe() for metric in self.kpis.catalog]

    def refresh_materialized_view(self, view_name: str, *, full_refresh: bool = False) -> RunReport:
        """Rebuild one gold table with the model runner; returns the run's report.

        Incremental by default (the partitions with new upstream rows), or rebuilt in full. Only
        this model runs: refresh silver first when it is behind. A failed model is reported in
        `report.status` / `report.models[0].error`, not raised, and leaves the table as it was.
        The runner marks the table refreshed, which makes the cached KPIs over it stale.
        """
        table = self._gold_table(view_name)
        return self.runner.run([table], full_refresh=full_refresh, trigger="dal")

    @property
    def runner(self) -> Runner:
        """The model runner over this bank (made on first use)."""
        if self._runner is None:
            from databank.transform.runner import Runner  # the runner loads every model: lazily

            self._runner = Runner.from_bank(self.bank)
        return self._runner

    def get_cache_status(self) -> CacheMetrics:
        """The spec's CacheMetrics of the KPI cache: hit ratio, hits, misses, evictions, memory."""
        return self.kpis.cache_status()

    def _gold_table(self, name: str) -> str:
        gold = [t.qualified for t in self.bank.schema.layer("gold")]
        qualified = name if name.startswith("gold.") else f"gold.{name}"
        if qualified not in gold:
            raise UnknownTableError(
                f"unknown gold table {name!r}", f"gold tables: {', '.join(gold)}"
            )
        return qualified


def _range_text(value: DateRange) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Period):
        return f"{value.start.isoformat()}..{value.end.isoformat()}"
    start, end = value
    return f"{start.isoformat()}..{end.isoformat()}"
