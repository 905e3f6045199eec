"""The demo pipeline: a fresh embedded database, the synthetic retailer sent through the real
ingestion API over HTTP, then silver and gold built through the transformation API.

The demo folder holds `run.json` (the configuration and how far the run got). A run with the same
configuration that completed is resumed (the data is kept and served again); anything else starts
clean, so two runs are never mixed.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

from databank.demo.generator import Business, BusinessConfig, generate_business
from databank.demo.server import DemoServerError

ORDER = ("customers", "products", "campaigns", "transactions", "events", "feedback", "interactions")
BATCH = 10_000  # records per request: the API's default limit (api_max_records)
CLIENTS = 4
SOURCE_SYSTEM = {
    "customers": "crm",
    "products": "ecommerce_platform",
    "campaigns": "marketing_platform",
    "transactions": "ecommerce_platform",
    "events": "web_analytics",
    "feedback": "survey_platform",
    "interactions": "support_desk",
}
Progress = Callable[[str, int, int], None]  # (source_type, records just sent, records in all)


@dataclass
class SourceTally:
    """What the ingestion API answered for one source type."""

    records: int = 0
    passed: int = 0
    failed: int = 0
    duplicates: int = 0
    batches: int = 0
    quality_sum: float = 0.0
    quality_records: int = 0

    def add(self, answer: dict[str, Any], sent: int) -> None:
        """Count one batch's answer."""
        self.records += sent
        self.batches += 1
        self.passed += int(answer.get("passed", 0))
        self.failed += int(answer.get("failed", 0))
        self.duplicates += int(answer.get("duplicates", 0))
        stored = int(answer.get("passed", 0)) + int(answer.get("failed", 0))
        if answer.get("quality_score") is not None and stored:
            self.quality_sum += float(answer["quality_score"]) * stored
            self.quality_records += stored

    @property
    def quality_score(self) -> float | None:
        """Mean quality score over stored records."""
        return self.quality_sum / self.quality_records if self.quality_records else None


@dataclass
class DemoReport:
    """What the demo did, for the tour and for tests."""

    sources: dict[str, SourceTally] = field(default_factory=dict)
    ingest_seconds: float = 0.0  # wall clock from the first batch generated to the last answer
    generate_seconds: float = 0.0  # of which the generator spent building request bodies
    server_seconds: float = 0.0  # the server's processing_time_ms, summed over batches
    transform_seconds: float = 0.0
    transform: dict[str, Any] | None = None
    period: tuple[date, date] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "sources": {
                k: {**asdict(v), "quality_score": v.quality_score} for k, v in self.sources.items()
            },
            "ingest_seconds": self.ingest_seconds,
            "generate_seconds": self.generate_seconds,
            "server_seconds": self.server_seconds,
            "transform_seconds": self.transform_seconds,
            "transform": self.transform,
            "period": [d.isoformat() for d in self.period] if self.period else None,
        }


def prepare_folder(folder: Path, config: BusinessConfig) -> bool:
    """Make `folder` ready; True when a completed run of the same configuration can be resumed."""
    marker = folder / "run.json"
    wanted = _config_key(config)
    if marker.is_file():
        state = orjson.loads(marker.read_bytes())
        if state.get("config") == wanted and state.get("status") == "complete":
            return True
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    marker.write_bytes(orjson.dumps({"config": wanted, "status": "started"}))
    return False


def mark_complete(folder: Path, config: BusinessConfig, report: DemoReport) -> None:
    """Record that the run finished, with its report."""
    state = {"config": _config_key(config), "status": "complete", "report": report.to_dict()}
    (folder / "run.json").write_bytes(orjson.dumps(state, option=orjson.OPT_INDENT_2))


def load_report(folder: Path) -> dict[str, Any] | None:
    """The report of a completed run, if any."""
    marker = folder / "run.json"
    if not marker.is_file():
        return None
    return orjson.loads(marker.read_bytes()).get("report")


def _config_key(config: BusinessConfig) -> dict[str, Any]:
    return orjson.loads(orjson.dumps(asdict(config), default=str))


def period_of(config: BusinessConfig) -> tuple[date, date]:
    """First and last day of the generated business."""
    return config.start_date, config.start_date + timedelta(days=config.days - 1)


def send_business(
    url: str,
    api_key: str,
    config: BusinessConfig,
    folder: Path,
    progress: Progress | None = None,
    *,
    batch_size: int = BATCH,
    clients: int = CLIENTS,
) -> DemoReport:
    """Generate the business and POST every record through the ingestion API.

    The generator writes each batch's JSON body straight from Arrow columns while `clients`
    threads, each with its own keep-alive connection, post the previous batches; at most
    `2 × clients` bodies wait, so memory stays flat.
    """
    business = generate_business(config)
    business.write_truth(folder / "truth.json")
    emitted = {s: int(t["emitted"]) for s, t in business.truth()["sources"].items()}
    report = DemoReport(period=period_of(config))
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    lock = threading.Lock()
    local = threading.local()
    opened: list[httpx.Client] = []

    def client() -> httpx.Client:
        if getattr(local, "client", None) is None:
            local.client = httpx.Client(base_url=url, headers=headers, timeout=120.0)
            with lock:
                opened.append(local.client)
        return local.client

    def post(source: str, number: int, records: int, body: bytes) -> None:
        key = f"demo-{config.seed}-{source}-{batch_size}-{number}"
        for attempt in range(5):
            try:
                response = client().post(
                    f"/api/v1/ingestion/bronze/{source}",
                    content=body,
                    headers={"Idempotency-Key": key},
                )
            except httpx.TransportError:
                time.sleep(0.2 * (attempt + 1))
                continue
            if response.status_code >= 500:
                time.sleep(0.2 * (attempt + 1))
                continue
            if response.status_code >= 400:
                raise DemoServerError(
                    f"the ingestion API refused a {source} batch: {response.status_code} {response.text[:200]}"
                )
            answer = orjson.loads(response.content)
            with lock:
                report.sources.setdefault(source, SourceTally()).add(answer, records)
                report.server_seconds += float(answer.get("processing_time_ms") or 0) / 1000
            if progress:
                progress(source, records, emitted.get(source, 0))
            return
        raise DemoServerError(f"the ingestion API kept failing for {source} batch {number}")

    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(clients, thread_name_prefix="demo-send") as pool:
            for source in ORDER:
                if source not in business.source_types:
                    continue
                # Sources go in order (customers before their transactions); batches of one
                # source go in parallel.
                if progress:
                    progress(source, 0, emitted.get(source, 0))
                inflight: deque[Future[None]] = deque()
                for number, (records, body) in enumerate(
                    _bodies(business, source, batch_size, report)
                ):
                    inflight.append(pool.submit(post, source, number, records, body))
                    while len(inflight) >= 2 * clients or (inflight and inflight[0].done()):
                        inflight.popleft().result()  # an error surfaces at once
                for future in inflight:
                    future.result()
    finally:
        for http in opened:
            http.close()
    report.ingest_seconds = time.perf_counter() - started
    return report


def _bodies(
    business: Business, source: str, batch_size: int, report: DemoReport
) -> Iterator[tuple[int, bytes]]:
    """`(records, request body)` per batch of `source`; the time spent goes to the report."""
    head = orjson.dumps({"source_system": SOURCE_SYSTEM[source], "schema_version": "1.0.0"})
    head = head[:-1] + b',"data_batch":'
    batches = business.iter_json(source, batch_size)
    while True:
        started = time.perf_counter()
        item = next(batches, None)
        if item is None:
            return
        records, array = item
        body = b"".join([head, array, b"}"])
        report.generate_seconds += time.perf_counter() - started
        yield records, body


def build_layers(url: str, api_key: str, timeout: float = 600.0) -> dict[str, Any]:
    """Run every silver and gold model through the transformation API and wait for the job."""
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60.0) as http:
        models = [
            m["name"]
            for m in http.get("/api/v1/transformation/models").raise_for_status().json()["models"]
        ]
        answer = (
            http.post(
                "/api/v1/gold/views/refresh",
                json={"view_names": models, "refresh_mode": "sequential"},
            )
            .raise_for_status()
            .json()
        )
        job_id = answer["refresh_job_id"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = http.get(f"/api/v1/transformation/jobs/{job_id}").raise_for_status().json()
            if job["status"] in ("completed", "failed"):
                return job
            time.sleep(0.25)
    raise DemoServerError(f"the transformation job {job_id} did not finish within {timeout:.0f}s")


def headline_kpis(
    url: str, api_key: str, as_of: date, names: Iterator[str] | None = None
) -> list[dict[str, Any]]:
    """A few KPIs for the last 30 days of the data, with their change against the 30 days before."""
    wanted = list(
        names or ("daily_revenue", "avg_order_value", "conversion_rate", "refund_rate", "nps_score")
    )
    headers = {"Authorization": f"Bearer {api_key}"}
    found = []
    with httpx.Client(base_url=url, headers=headers, timeout=30.0) as http:
        listed = http.get("/api/v1/metrics/kpi").json()
        catalog = listed.get("metrics", listed) if isinstance(listed, dict) else listed
        known = {m["name"] if isinstance(m, dict) else m for m in catalog}
        for name in [n for n in wanted if n in known] or sorted(known)[:4]:
            response = http.get(
                f"/api/v1/metrics/kpi/{name}",
                params={
                    "date_range": "last_30_days",
                    "granularity": "day",
                    "as_of": as_of.isoformat(),
                },
            )
            if response.status_code == 200:
                found.append(response.json())
    return found
