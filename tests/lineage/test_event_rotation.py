"""The OpenLineage events file rotates by size like a log: nothing split, nothing lost, oldest dropped.

Events are real `openlineage-python` RunEvents (built with its models, or by the runner on each
engine) written to real files; every line read back is validated as in `test_openlineage`.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from openlineage.client import event_v2, facet_v2
from openlineage.client.serde import Serde
from pydantic import ValidationError

from databank.context import Databank
from databank.engines import Engine
from databank.lineage.events import (
    DEFAULT_KEEP,
    DEFAULT_MAX_BYTES,
    EVENT_FILE,
    PRODUCER,
    OpenLineageEmitter,
    RotatingFileTransport,
)
from databank.settings import Settings
from databank.transform.runner import Runner
from lineage.test_openlineage import validated
from transform.toy import GOLD, PRODUCTS, SILVER, Bronze

EVENT_TIME = "2025-01-01T00:00:00.000000+00:00"


def run_event(index: int, query: str = "SELECT 1") -> Any:
    """A START event of job `job-<index>` (same length for every index below 10,000)."""
    return event_v2.RunEvent(
        eventType=event_v2.RunState.START,
        eventTime=EVENT_TIME,
        run=event_v2.Run(runId=str(uuid.uuid4())),
        job=event_v2.Job(
            namespace="databank",
            name=f"job-{index:04d}",
            facets={"sql": facet_v2.sql_job.SQLJobFacet(query=query, producer=PRODUCER)},
        ),
        producer=PRODUCER,
    )


def line_bytes(event: Any) -> int:
    return len((Serde.to_json(event) + "\n").encode())


def files(path: Path) -> list[Path]:
    """The events file and its rotated predecessors, oldest first."""
    rotated = sorted(path.parent.glob(f"{path.name}.*"), key=lambda p: -int(p.suffix[1:]))
    return [*rotated, path] if path.exists() else rotated


def jobs_in(path: Path) -> list[str]:
    return [validated(line).job.name for line in path.read_text().splitlines()]


def all_events(path: Path) -> list[Any]:
    return [validated(line) for f in files(path) for line in f.read_text().splitlines()]


def test_the_file_rotates_before_an_event_would_take_it_past_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    size = line_bytes(run_event(0))
    transport = RotatingFileTransport(path, max_bytes=3 * size, keep=5)
    for i in range(3):
        transport.emit(run_event(i))
    assert path.stat().st_size == 3 * size  # exactly at the limit: still one file
    assert files(path) == [path]

    transport.emit(run_event(3))
    assert files(path) == [tmp_path / "events.jsonl.1", path]
    assert jobs_in(tmp_path / "events.jsonl.1") == ["job-0000", "job-0001", "job-0002"]
    assert jobs_in(path) == ["job-0003"]


def test_the_kept_count_is_honoured_and_the_oldest_dropped(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    transport = RotatingFileTransport(path, max_bytes=line_bytes(run_event(0)), keep=3)
    for i in range(6):
        transport.emit(run_event(i))
    assert [f.name for f in files(path)] == [
        "events.jsonl.3",
        "events.jsonl.2",
        "events.jsonl.1",
        "events.jsonl",
    ]
    assert [jobs_in(f) for f in files(path)] == [
        ["job-0002"],
        ["job-0003"],
        ["job-0004"],
        ["job-0005"],
    ]

    fewer = RotatingFileTransport(path, max_bytes=line_bytes(run_event(0)), keep=1)
    fewer.emit(run_event(6))  # files beyond the new count go at the next rotation
    assert [jobs_in(f) for f in files(path)] == [["job-0005"], ["job-0006"]]


def test_every_event_is_written_once_whole_under_concurrent_writers(tmp_path: Path) -> None:
    path = tmp_path / "openlineage" / "events.jsonl"
    path.parent.mkdir()
    size = line_bytes(run_event(0))
    max_bytes = 5 * size + size // 2
    big = "SELECT " + "x, " * (2 * max_bytes // 3) + "1"  # alone larger than the limit
    writers = [RotatingFileTransport(path, max_bytes=max_bytes, keep=1000) for _ in range(4)]
    sent: dict[str, str] = {}
    sent_lock = threading.Lock()

    def write(writer: RotatingFileTransport, offset: int) -> None:
        for i in range(offset, offset + 60):
            event = run_event(i, big if i % 25 == 0 else "SELECT 1")
            with sent_lock:
                sent[event.run.runId] = event.job.name
            writer.emit(event)

    threads = [threading.Thread(target=write, args=(w, 100 * n)) for n, w in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    events = all_events(path)
    assert len(events) == len(sent) == 240
    assert {e.run.runId: e.job.name for e in events} == sent  # each exactly once, all valid
    assert len(files(path)) > 40
    for f in files(path):
        lines = f.read_text().splitlines()
        assert f.stat().st_size <= max_bytes or len(lines) == 1
    big_ones = [e for e in events if e.job.facets["sql"].query == big]
    assert len(big_ones) == 4 * 3


def test_zero_never_rotates(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    transport = RotatingFileTransport(path, max_bytes=0, keep=1)
    for i in range(200):
        transport.emit(run_event(i))
    assert files(path) == [path]
    assert jobs_in(path) == [f"job-{i:04d}" for i in range(200)]


def test_limits_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="keep"):
        RotatingFileTransport(tmp_path / "e.jsonl", max_bytes=1024, keep=0)
    with pytest.raises(ValueError, match="max_bytes"):
        RotatingFileTransport(tmp_path / "e.jsonl", max_bytes=-1)
    with pytest.raises(ValidationError):
        Settings(lineage_events_keep=0)
    with pytest.raises(ValidationError):
        Settings(lineage_events_max_bytes=-1)


def test_settings_default_to_the_emitters_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    fields = Settings.model_fields
    assert fields["lineage_events_max_bytes"].default == DEFAULT_MAX_BYTES == 64 * 1024 * 1024
    assert fields["lineage_events_keep"].default == DEFAULT_KEEP == 5
    monkeypatch.setenv("DATABANK_LINEAGE_EVENTS_MAX_BYTES", "0")
    monkeypatch.setenv("DATABANK_LINEAGE_EVENTS_KEEP", "2")
    settings = Settings()
    assert (settings.lineage_events_max_bytes, settings.lineage_events_keep) == (0, 2)


def test_model_runs_rotate_on_each_engine(
    engine: Engine, tmp_path: Path, models_dir: Path, bronze: Bronze
) -> None:
    data_dir = tmp_path / "data"
    emitter = OpenLineageEmitter.for_data_dir(data_dir, engine, max_bytes=4096, keep=50)
    runner = Runner(engine, models_dir, events=emitter)
    bronze.add("t1", "2025-01-01", "10.00")
    runner.run()
    bronze.add("t2", "2025-01-02", "5.00")
    runner.run()
    path = data_dir / EVENT_FILE
    assert len(files(path)) > 1
    events = all_events(path)
    pairs = [(SILVER, "START"), (SILVER, "COMPLETE"), (PRODUCTS, "START"), (PRODUCTS, "COMPLETE")]
    pairs += [(GOLD, "START"), (GOLD, "COMPLETE")]
    assert [(e.job.name, e.eventType.value) for e in events] == pairs * 2
    assert all(
        f.stat().st_size <= 4096 or len(f.read_text().splitlines()) == 1 for f in files(path)
    )


def test_the_console_transport_writes_no_file(
    engine: Engine,
    tmp_path: Path,
    models_dir: Path,
    bronze: Bronze,
    caplog: pytest.LogCaptureFixture,
) -> None:
    runner = Runner(engine, models_dir, events=OpenLineageEmitter.to_console(engine))
    bronze.add("t1", "2025-01-01", "10.00")
    with caplog.at_level(logging.INFO, logger="openlineage"):
        runner.run()
    logged = [
        r.getMessage() for r in caplog.records if r.name.startswith("openlineage.client.transport")
    ]
    events = [validated(message) for message in logged]
    assert [e.eventType.value for e in events] == ["START", "COMPLETE"] * 3
    assert not list(tmp_path.rglob("events.jsonl*"))
    assert json.loads(logged[0])["job"]["name"] == SILVER


def test_the_installations_runner_rotates_by_its_settings(tmp_path: Path) -> None:
    """`Runner.from_bank` (the API, the CLI and the micro-batcher) passes both settings on."""
    settings = Settings(
        engine=f"duckdb:///{tmp_path / 'bank.duckdb'}",
        data_dir=tmp_path / "data",
        lineage_events_max_bytes=4096,
        lineage_events_keep=2,
    )
    with Databank(settings) as bank:
        transport = Runner.from_bank(bank).events.transport
    assert (transport.max_bytes, transport.keep) == (4096, 2)
    assert transport.path == (tmp_path / "data" / "openlineage" / "events.jsonl").resolve()
