"""Table versions in memory: warm hits read no database, refreshes are never missed."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from fastapi.testclient import TestClient
from tests.metrics.conftest import TODAY, insert

from databank.engines import Engine
from databank.metrics import KpiService
from databank.metrics.versions import NEVER, SHARED_TTL_S, VersionBook, default_ttl, last_heard
from databank.refresh import announce, mark_refreshed

REVENUE = "gold.scout_kpi_revenue_daily"


def _row(amount: str, region: str = "north") -> dict:
    return {
        "date": TODAY,
        "region": region,
        "channel": "online",
        "total_revenue": Decimal(amount),
        "total_transactions": 1,
    }


class Clock:
    """A hand-moved monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _bump(engine: Engine, version: int) -> None:
    """Another writer's refresh: the version changes in the database, nobody announces it."""
    engine.execute("DELETE FROM meta.table_versions WHERE table_name = $t", {"t": REVENUE})
    engine.execute(
        "INSERT INTO meta.table_versions (table_name, version) VALUES ($t, $v)",
        {"t": REVENUE, "v": version},
    )


def test_default_ttl_trusts_duckdb_and_rereads_shared_engines(engine: Engine) -> None:
    """DuckDB's file has one owner process; on PostgreSQL other API processes may refresh."""
    expected = None if engine.dialect == "duckdb" else SHARED_TTL_S
    assert default_ttl(engine) == expected


def test_warm_hits_read_no_database(engine: Engine) -> None:
    """After the first answer, the same question is answered from memory alone, again and again."""
    book = VersionBook(None, heard=lambda table: NEVER)
    service = KpiService(engine, today=lambda: TODAY, versions=book)
    insert(engine, REVENUE, [_row("5.00")])
    assert service.cached("daily_revenue", date_range="last_7_days") is None  # nothing read yet
    first = service.answer("daily_revenue", date_range="last_7_days")
    assert book.database_reads == 1
    for _ in range(20):
        assert service.answer("daily_revenue", date_range="last_7_days") is first
        assert service.cached("daily_revenue", date_range="last_7_days") is first
    assert book.database_reads == 1
    stats = service.cache_status()
    assert (stats.hit_count, stats.miss_count) == (40, 1)
    latest = service.answer("daily_revenue", date_range="last_7_days", as_of="latest")
    assert latest is first  # the newest day is TODAY: the same question
    assert service.cached("daily_revenue", date_range="last_7_days", as_of="latest") is first
    assert book.database_reads == 1


def test_announced_refresh_is_reread_until_it_settles(engine: Engine) -> None:
    """The announcement comes before the commit: versions are read from the database for `settle`
    seconds after it (so the commit is seen), then trusted again."""
    clock, heard = Clock(), {REVENUE: NEVER}
    book = VersionBook(None, settle=10, clock=clock, heard=lambda table: heard[table])
    assert book.version(engine, REVENUE) == 0
    assert (book.version(engine, REVENUE), book.database_reads) == (0, 1)
    heard[REVENUE] = clock.now = 1005.0  # announced inside the refresh's transaction …
    assert book.trusted_version(REVENUE) is None
    assert book.version(engine, REVENUE) == 0  # … which has not committed yet
    clock.now = 1006.0
    _bump(engine, 1)  # the commit
    assert book.version(engine, REVENUE) == 1
    clock.now = 1014.0
    assert book.version(engine, REVENUE) == 1
    assert book.database_reads == 4  # every lookup of the window went to the database
    clock.now = 1015.0
    assert book.version(engine, REVENUE) == 1  # read after the window: trusted from now on
    _bump(engine, 7)  # an unannounced change is not seen (DuckDB has no other writer)
    clock.now = 5000.0
    assert (book.version(engine, REVENUE), book.database_reads) == (1, 5)


def test_ttl_rereads_a_version_that_got_old(engine: Engine) -> None:
    """With a TTL (shared engines), another process's refresh is seen once the version is older."""
    clock = Clock()
    book = VersionBook(1.0, clock=clock, heard=lambda table: NEVER)
    assert book.version(engine, REVENUE) == 0
    _bump(engine, 3)
    clock.now += 0.5
    assert book.version(engine, REVENUE) == 0
    clock.now += 0.5
    assert book.version(engine, REVENUE) == 3
    assert book.database_reads == 2


def test_bronze_announcements_keep_gold_answers(engine: Engine) -> None:
    """Each ingestion commit announces its bronze table: KPIs over gold stay cached and trusted."""
    book = VersionBook(None, settle=0)
    service = KpiService(engine, today=lambda: TODAY, versions=book)
    insert(engine, REVENUE, [_row("5.00")])
    first = service.answer("daily_revenue", date_range="last_1_days")
    announce("bronze.scout_raw_transactions")
    assert last_heard("bronze.scout_raw_transactions") > NEVER
    assert service.cache_status().entries == 1
    assert service.answer("daily_revenue", date_range="last_1_days") is first
    assert book.database_reads == 1
    insert(engine, REVENUE, [_row("7.00", region="south")])
    mark_refreshed(engine, REVENUE)  # the gold table itself: dropped, re-read, recomputed
    assert service.cache_status().entries == 0
    again = service.answer("daily_revenue", date_range="last_1_days")
    assert again.result.current_value == Decimal("12.00")
    assert book.database_reads == 2


def test_api_serves_a_warm_hit_from_memory(
    engine: Engine, client: TestClient, read_key: Callable[..., dict[str, str]]
) -> None:
    """Over HTTP: the first request reads the version and the rows, the next ones neither; the
    body is the same bytes; an unknown metric still answers 404 from the event loop."""
    book = VersionBook(None, heard=lambda table: NEVER)
    service = KpiService(engine, today=lambda: TODAY, versions=book)
    client.app.state.kpis = service  # type: ignore[attr-defined]
    insert(engine, REVENUE, [_row("5.00")])
    headers = read_key()
    path = "/api/v1/metrics/kpi/daily_revenue?date_range=last_7_days&granularity=week"
    first = client.get(path, headers=headers)
    assert first.status_code == 200 and first.json()["current_value"] == 5
    for _ in range(5):
        again = client.get(path, headers=headers)
        assert again.status_code == 200 and again.content == first.content
    assert book.database_reads == 1
    stats = service.cache_status()
    assert (stats.hit_count, stats.miss_count) == (5, 1)
    missing = client.get("/api/v1/metrics/kpi/no_such_metric", headers=headers)
    assert missing.status_code == 404 and "daily_revenue" in missing.text
