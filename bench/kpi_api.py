"""KPI API latency over three years of daily gold data, cold (cache miss) and warm (cached).

Setup: a DuckDB file with 3 years × 5 regions × 4 channels of `gold.scout_kpi_revenue_daily`
(21,920 rows), an API key with the read scope, then a real `databank serve` (uvicorn) subprocess on
127.0.0.1 queried over HTTP by one keep-alive client, one request at a time, auth on.

- cold: every request is a different question (its `as_of` moves one day back each time), so each
  one misses the cache and reads DuckDB;
- warm: the same request again and again (served from the cache, table version from memory);
- floors, on the same server: `GET /api/v1/metrics/kpi` (the catalog: the same HTTP stack and
  API-key check as a KPI request, then ready bytes — what a warm KPI request cannot beat) and
  `GET /health` (no auth, one DuckDB query);
- baseline: after the server stops, the KPI's own SQL (the exact statement the API runs) executed
  directly on the DuckDB file in this process, and the in-process service (no HTTP) cold and warm,
  warm both ways: table version from memory (what the API does) and read from
  `meta.table_versions` on every hit (what it did before: `VersionBook(ttl=0)`).

Beside wall-clock percentiles it reports the server process's CPU time per request (from
/proc/PID/stat), which stays meaningful when other work competes for the cores, and the load
average around each phase.

    .venv/bin/python bench/kpi_api.py [--cold 150] [--warm 1000]

Prints one JSON document. Target: warm p95 ≤ 10 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import httpx
import orjson
import pyarrow as pa

from databank.auth import KeyStore
from databank.engines import connect
from databank.metrics import KpiService, default_catalog, parse_date_range
from databank.metrics.query import build_sql, sql_grain
from databank.metrics.request import parse_dimensions, parse_filters
from databank.metrics.versions import VersionBook
from databank.migrations.runner import migrate

TARGET_WARM_P95_MS = 10.0
FIRST, LAST = date(2023, 1, 1), date(2025, 12, 31)
REGIONS = ("north", "south", "east", "west", "central")
CHANNELS = ("online", "store", "mobile", "marketplace")
SCENARIOS: dict[str, dict[str, str]] = {
    "daily_revenue last_30_days by day": {"metric": "daily_revenue", "date_range": "last_30_days"},
    "daily_revenue year_to_date by week": {
        "metric": "daily_revenue",
        "date_range": "year_to_date",
        "granularity": "week",
    },
    "average_order_value 3 years by month, by region": {
        "metric": "average_order_value",
        "date_range": "last_1095_days",
        "granularity": "month",
        "dimensions": "region",
    },
    "conversion_rate last_90_days by day, filtered": {
        "metric": "conversion_rate",
        "date_range": "last_90_days",
        "filters": "channel:online",
    },
}


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50/p95/p99/max in milliseconds."""
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(pick(0.95), 3),
        "p99_ms": round(pick(0.99), 3),
        "max_ms": round(ordered[-1] * 1000, 3),
    }


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    """Wall-clock seconds of `repeat` calls."""
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def build_database(path: Path) -> tuple[int, str]:
    """The gold rows and an API key; returns (rows, key)."""
    rng = random.Random(11)
    rows = []
    day = FIRST
    while day <= LAST:
        for region in REGIONS:
            for channel in CHANNELS:
                transactions = rng.randint(20, 900)
                # the session counts sit on one region's row per web channel and day
                web = channel in ("online", "mobile") and region == REGIONS[0]
                sessions = rng.randint(200, 5000) if web else None
                rows.append(
                    {
                        "date": day,
                        "region": region,
                        "channel": channel,
                        "total_revenue": Decimal(rng.randint(10_000, 9_000_000)) / 100,
                        "total_transactions": transactions,
                        "new_customers": rng.randint(0, transactions // 3),
                        "returning_customers": rng.randint(0, transactions // 2),
                        "conversion_rate": Decimal(rng.randint(50, 900)) / 10_000,
                        "sessions": sessions,
                        "converted_sessions": sessions // 20 if sessions else None,
                        "refund_rate": Decimal(rng.randint(0, 600)) / 10_000,
                    }
                )
        day += timedelta(days=1)
    engine = connect(f"duckdb:///{path}")
    try:
        migrate(engine)
        engine.append_arrow("gold.scout_kpi_revenue_daily", pa.Table.from_pylist(rows))
        _, key = KeyStore(engine).create(["read"], "bench")
    finally:
        engine.close()
    return len(rows), key


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(path: Path, data_dir: Path) -> Any:
    """`databank serve` on a free port; yields its base URL; SIGTERM at the end."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABANK_")}
    env.update(DATABANK_ENGINE=f"duckdb:///{path}", DATABANK_DATA_DIR=str(data_dir))
    log = (data_dir / "serve.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "databank.cli.main",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-worker",
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=data_dir,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError((data_dir / "serve.log").read_text())
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            time.sleep(0.1)
        else:
            raise RuntimeError("databank serve did not become healthy in 120 s")
        yield url, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)
        log.close()


def params_of(scenario: dict[str, str], as_of: date) -> dict[str, str]:
    """Query parameters of a scenario at an anchor day."""
    return {k: v for k, v in scenario.items() if k != "metric"} | {"as_of": as_of.isoformat()}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(fn: Callable[[], Any], repeat: int, pid: int) -> dict[str, Any]:
    """Percentiles of `repeat` calls, the server's CPU ms per call, and the load around them."""
    load_before = os.getloadavg()[0]
    cpu = cpu_seconds(pid)
    samples = timed(fn, repeat)
    cpu = cpu_seconds(pid) - cpu
    return percentiles(samples) | {
        "server_cpu_ms_per_request": round(cpu / repeat * 1000, 3),
        "load_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def http_run(url: str, pid: int, key: str, cold_n: int, warm_n: int) -> dict[str, Any]:
    """Cold and warm latency per scenario, and the /health floor."""
    results: dict[str, Any] = {}
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as client:
        for _ in range(50):  # warm the connection, the thread pool and the auth path
            client.get("/health").raise_for_status()
        results["floor GET /health"] = measured(lambda: client.get("/health"), warm_n, pid)
        results["floor GET /api/v1/metrics/kpi"] = measured(
            lambda: client.get("/api/v1/metrics/kpi").raise_for_status(), warm_n, pid
        )
        for name, scenario in SCENARIOS.items():
            path = f"/api/v1/metrics/kpi/{scenario['metric']}"
            anchors = iter(LAST - timedelta(days=i) for i in range(cold_n + 1))

            def cold(
                path: str = path, scenario: dict[str, str] = scenario, anchors: Any = anchors
            ) -> None:
                response = client.get(path, params=params_of(scenario, next(anchors)))
                response.raise_for_status()

            def warm(path: str = path, scenario: dict[str, str] = scenario) -> None:
                client.get(path, params=params_of(scenario, LAST)).raise_for_status()

            cold_stats = measured(cold, cold_n, pid)
            warm()  # prime
            warm_stats = measured(warm, warm_n, pid)
            body = client.get(path, params=params_of(scenario, LAST)).json()
            results[name] = {
                "cold": cold_stats,
                "warm": warm_stats,
                "points": len(body["time_series"]),
                "current_value": body["current_value"],
            }
    return results


def baseline_run(path: Path, cold_n: int, warm_n: int) -> dict[str, Any]:
    """The KPI's SQL straight on DuckDB, and the in-process service (no HTTP)."""
    catalog = default_catalog()
    out: dict[str, Any] = {}
    con = duckdb.connect(str(path))
    for name, scenario in SCENARIOS.items():
        metric = catalog.get(scenario["metric"])
        dims = parse_dimensions(scenario.get("dimensions"), metric)
        filters = parse_filters(scenario.get("filters"), metric, dims)
        grain = sql_grain(metric, scenario.get("granularity", "day"))
        sql, params = build_sql(metric, "duckdb", grain=grain, dimensions=dims, filters=filters)
        period = parse_date_range(scenario["date_range"], LAST)
        params.update(
            start=period.previous().start, current=period.start, stop=LAST + timedelta(days=1)
        )
        con.execute(sql, params).fetchall()
        out[name] = {
            "duckdb_sql": percentiles(
                timed(lambda sql=sql, params=params: con.execute(sql, params).fetchall(), warm_n)
            )
        }
    con.close()
    engine = connect(f"duckdb:///{path}")
    try:
        service = KpiService(engine)
        rereading = KpiService(engine, versions=VersionBook(ttl=0))  # the old warm path
        for name, scenario in SCENARIOS.items():
            kwargs = {k: v for k, v in scenario.items() if k != "metric"}
            anchors = iter(LAST - timedelta(days=i) for i in range(cold_n))
            cold = timed(
                lambda s=scenario, kw=kwargs, a=anchors: service.answer(
                    s["metric"], **kw, as_of=next(a)
                ),
                cold_n,
            )
            warm = timed(
                lambda s=scenario, kw=kwargs: service.answer(s["metric"], **kw, as_of=LAST), warm_n
            )
            rereading.answer(scenario["metric"], **kwargs, as_of=LAST)
            warm_db = timed(
                lambda s=scenario, kw=kwargs: rereading.answer(s["metric"], **kw, as_of=LAST),
                warm_n,
            )
            out[name] |= {
                "in_process_cold": percentiles(cold),
                "in_process_warm": percentiles(warm),
                "in_process_warm_version_from_db": percentiles(warm_db),
            }
    finally:
        engine.close()
    return out


def machine() -> dict[str, Any]:
    """Where the numbers were measured."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        (
            int(line.split()[1]) // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        None,
    )
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_mib": memory,
        "duckdb": duckdb.__version__,
        "load_average": os.getloadavg(),
    }


def main() -> None:
    """Run everything, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", type=int, default=150, help="Cold requests per scenario.")
    parser.add_argument("--warm", type=int, default=1000, help="Warm requests per scenario.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-kpi-") as folder:
        data_dir = Path(folder)
        path = data_dir / "bench.duckdb"
        rows, key = build_database(path)
        with server(path, data_dir) as (url, pid):
            http = http_run(url, pid, key, args.cold, args.warm)
        baseline = baseline_run(path, args.cold, args.warm)
    warm_p95 = max(v["warm"]["p95_ms"] for k, v in http.items() if k in SCENARIOS)
    floor_p95 = http["floor GET /api/v1/metrics/kpi"]["p95_ms"]
    report = {
        "benchmark": "kpi_api",
        "setup": {
            "rows": rows,
            "days": (LAST - FIRST).days + 1,
            "regions": len(REGIONS),
            "channels": len(CHANNELS),
            "engine": "duckdb file",
            "transport": "HTTP/1.1 keep-alive to `databank serve` (uvicorn subprocess) on 127.0.0.1, auth on, one client",
        },
        "http": http,
        "baseline": baseline,
        "target": {
            "warm_p95_ms": TARGET_WARM_P95_MS,
            "worst_warm_p95_ms": warm_p95,
            "floor_p95_ms": floor_p95,
            "met": warm_p95 <= TARGET_WARM_P95_MS,
        },
        "machine": machine(),
    }
    sys.stdout.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")


if __name__ == "__main__":
    main()
