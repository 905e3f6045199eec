"""Sustained ingestion over HTTP: records/s and batch latency against a real `databank serve`.

Scenarios, in one run: DuckDB (group commit), PostgreSQL (a temporary database, dropped
afterwards; `--only duckdb-unserialised` adds DuckDB without the API's write gate), and as the baseline a bare FastAPI + DuckDB endpoint that only parses the
JSON and inserts it (no auth, validation, scoring, idempotency or ledger). Each: `--clients`
concurrent clients posting `--batch`-record batches (validation and quality scoring on) for
`--duration` seconds; then one client posting single small records for the p99 of that.
The server's micro-batcher is off (silver/gold would share the two cores): this is ingestion alone.

    .venv/bin/python bench/ingest_http.py [--duration 20] [--clients 4] [--batch 1000]

Prints one JSON document (figures, targets, machine info). Nothing here talks beyond 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
from fastapi import Request, Response

PG_ADMIN = os.environ.get("DATABANK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TARGETS = {
    "duckdb_records_per_s": 120_000,
    "postgres_records_per_s": 50_000,
    "batch_p99_ms": 150,
    "single_record_p99_ms": 20,
}
PATH = "/api/v1/ingestion/bronze/transactions"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def body_template(size: int) -> bytes:
    """A batch body with `@@B@@` where the batch number goes (unique transaction ids per batch)."""
    records = [
        {
            "transaction_id": f"t@@B@@_{i}",
            "customer_id": f"cust_{i % 997}",
            "product_id": f"p_{i % 101}",
            "timestamp": f"2025-01-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
            "amount": round(1 + (i % 5000) * 0.17, 2),
            "currency": "EUR",
            "quantity": 1 + i % 4,
            "channel": "online",
            "region": "north",
            "payment_method": "card",
            "customer_email": f"c{i % 997}@example.com",
        }
        for i in range(size)
    ]
    return orjson.dumps(
        {
            "source_system": "bench",
            "schema_version": "1.0.0",
            "data_batch": records,
            "quality_checks": True,
        }
    )


class Process:
    """A server subprocess, waited for on /health (or a plain GET for the baseline)."""

    def __init__(self, args: list[str], env: dict[str, str], port: int, cwd: Path) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = cwd / f"server-{port}.log"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                args, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(self.log.read_text())
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError("server did not start:\n" + self.log.read_text())

    def stop(self) -> None:
        """SIGTERM and wait."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def serve(engine_url: str, workdir: Path, **env: str) -> tuple[Process, dict[str, str]]:
    """`databank serve` on `engine_url` with a fresh ingest key."""
    from databank.auth import KeyStore
    from databank.engines import connect
    from databank.migrations.runner import migrate

    with connect(engine_url) as engine:
        migrate(engine)
        _, key = KeyStore(engine).create(["ingest", "read"], name="bench")
    port = free_port()
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DATABANK_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    proc = Process(
        [
            sys.executable,
            "-m",
            "databank.cli.main",
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        {
            **base,
            "DATABANK_ENGINE": engine_url,
            "DATABANK_DATA_DIR": str(workdir),
            "DATABANK_PII_KEY": "bench-pseudonymisation-key",
            # Ingestion alone: the micro-batcher would run silver/gold on the same two cores.
            "DATABANK_TRANSFORM_MICROBATCH_DELAY_SECONDS": "0",
            **env,
        },
        port,
        workdir,
    )
    return proc, {"Authorization": f"Bearer {key}"}


def load(
    url: str, headers: dict[str, str], clients: int, batch: int, duration: float
) -> dict[str, Any]:
    """`clients` threads posting batches for `duration` s: records/s and latency percentiles."""
    template = body_template(batch)
    counter = iter(range(10**9))
    lock = threading.Lock()
    latencies: list[float] = []
    records = [0]
    errors: list[str] = []
    stop_at = time.perf_counter() + duration

    def client() -> None:
        with httpx.Client(
            timeout=60, headers={**headers, "Content-Type": "application/json"}
        ) as http:
            while time.perf_counter() < stop_at:
                with lock:
                    number = next(counter)
                body = template.replace(b"@@B@@", f"{number}_{uuid.uuid4().hex[:6]}".encode())
                started = time.perf_counter()
                response = http.post(url + PATH, content=body)
                elapsed = time.perf_counter() - started
                if response.status_code != 200:
                    errors.append(f"{response.status_code}: {response.text[:200]}")
                    continue
                with lock:
                    latencies.append(elapsed)
                    records[0] += batch

    began = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    return {
        "records": records[0],
        "seconds": round(wall, 2),
        "records_per_s": round(records[0] / wall),
        "batches": len(latencies),
        "batch_p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "batch_p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


def single_records(url: str, headers: dict[str, str], count: int) -> dict[str, Any]:
    """Sequential one-record POSTs: latency percentiles."""
    template = body_template(1)
    latencies = []
    with httpx.Client(timeout=30, headers={**headers, "Content-Type": "application/json"}) as http:
        for i in range(count):
            body = template.replace(b"@@B@@", f"single{i}_{uuid.uuid4().hex[:6]}".encode())
            started = time.perf_counter()
            response = http.post(url + PATH, content=body)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(response.text)
    return {
        "requests": count,
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
    }


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank); 0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def machine() -> dict[str, Any]:
    """What ran the benchmark (load average included: other work on the box skews figures)."""
    import duckdb

    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "duckdb": duckdb.__version__,
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "load_average_at_start": os.getloadavg(),
    }


def scenario(
    name: str, url: str, headers: dict[str, str], args: argparse.Namespace
) -> dict[str, Any]:
    """Warm up, then the sustained load and the single-record latencies."""
    load(url, headers, 1, args.batch, 1.0)
    result = {"scenario": name, **load(url, headers, args.clients, args.batch, args.duration)}
    result["single_record"] = single_records(url, headers, args.singles)
    print(
        f"{name}: {result['records_per_s']:,} records/s, batch p99 {result['batch_p99_ms']} ms, "
        f"single p99 {result['single_record']['p99_ms']} ms",
        file=sys.stderr,
    )
    return result


def run_baseline_server(port: int, db: str) -> None:
    """The baseline: parse with orjson, insert id + JSON text via Arrow into DuckDB. Nothing else."""
    import duckdb
    import pyarrow as pa
    import uvicorn
    from fastapi import FastAPI
    from starlette.concurrency import run_in_threadpool

    con = duckdb.connect(db)
    con.execute("CREATE TABLE IF NOT EXISTS raw (id UUID, source_system VARCHAR, data JSON)")
    local = threading.local()
    app = FastAPI()

    def insert(raw: bytes) -> int:
        body = orjson.loads(raw)
        rows = body["data_batch"]
        cur = getattr(local, "cur", None) or con.cursor()
        local.cur = cur
        table = pa.table(
            {
                "id": [str(uuid.uuid4()) for _ in rows],
                "source_system": [body["source_system"]] * len(rows),
                "data": [orjson.dumps(r).decode() for r in rows],
            }
        )
        cur.register("incoming", table)
        cur.execute("INSERT INTO raw SELECT id::UUID, source_system, data FROM incoming")
        cur.unregister("incoming")
        return len(rows)

    @app.post(PATH)
    async def ingest(request: Request) -> Response:
        count = await run_in_threadpool(insert, await request.body())
        return Response(orjson.dumps({"records_received": count}), media_type="application/json")

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def main() -> None:
    """Run every scenario and print the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load per scenario")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--singles", type=int, default=500, help="single-record requests")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--only", choices=["duckdb", "duckdb-unserialised", "postgres", "baseline"], action="append"
    )
    parser.add_argument(
        "--baseline-server", nargs=2, metavar=("PORT", "DB"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.baseline_server:
        run_baseline_server(int(args.baseline_server[0]), args.baseline_server[1])
        return
    wanted = set(args.only or ["duckdb", "postgres", "baseline"])
    if args.skip_postgres:
        wanted.discard("postgres")
    report: dict[str, Any] = {
        "benchmark": "ingest_http",
        "machine": machine(),
        "targets": TARGETS,
        "settings": vars(args),
        "results": [],
    }
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        work = Path(tmp)
        if "baseline" in wanted:
            port = free_port()
            proc = Process(
                [
                    sys.executable,
                    __file__,
                    "--baseline-server",
                    str(port),
                    str(work / "base.duckdb"),
                ],
                dict(os.environ),
                port,
                work,
            )
            try:
                report["results"].append(
                    scenario("baseline: bare FastAPI + DuckDB insert", proc.url, {}, args)
                )
            finally:
                proc.stop()
        for name, serialise in (("duckdb", "true"), ("duckdb-unserialised", "false")):
            if name not in wanted:
                continue
            proc, headers = serve(
                f"duckdb:///{work / (name + '.duckdb')}",
                work,
                DATABANK_API_SERIALIZE_WRITES=serialise,
            )
            try:
                report["results"].append(
                    scenario(
                        f"databank serve, DuckDB, serialised writes={serialise}",
                        proc.url,
                        headers,
                        args,
                    )
                )
            finally:
                proc.stop()
        if "postgres" in wanted:
            import psycopg

            name = f"databank_bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            try:
                proc, headers = serve(PG_ADMIN.rsplit("/", 1)[0] + "/" + name, work)
                try:
                    report["results"].append(
                        scenario("databank serve, PostgreSQL", proc.url, headers, args)
                    )
                finally:
                    proc.stop()
            finally:
                with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    report["machine"]["load_average_at_end"] = os.getloadavg()
    sys.stdout.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")


if __name__ == "__main__":
    main()
