"""OpenLineage run events (START, then COMPLETE or FAIL) for each model run.

Events are built with the `openlineage-python` client's models (so they follow its schema) and go
to a file (JSON lines, `<data_dir>/openlineage/events.jsonl`, serialised as the client's file
transport does) or the client's console transport. The file rotates by size like a log: past
`max_bytes` it becomes `events.jsonl.1` (older files shift to `.2` … `.<keep>`, the oldest is
deleted) and a new file starts; an event is never split across files. Each event names the model's input tables and its output table with schema and column-lineage
facets; COMPLETE adds the row count, FAIL the error message. Marquez or any OpenLineage consumer
can read the file.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from databank import __version__
from databank.engines.base import Engine
from databank.errors import MissingExtraError
from databank.lineage.columns import AGGREGATED, FILTERED, JOINED, Edge
from databank.transform.model import Model

if TYPE_CHECKING:
    from databank.transform.report import ModelResult

log = logging.getLogger(__name__)
PRODUCER = f"https://github.com/neural-databank/neural-databank/tree/v{__version__}"
JOB_NAMESPACE = "databank"
EVENT_FILE = Path("openlineage") / "events.jsonl"
DEFAULT_MAX_BYTES = (
    64 * 1024 * 1024
)  # the defaults of settings `lineage_events_max_bytes` / `_keep`
DEFAULT_KEEP = 5

_file_locks: dict[Path, threading.Lock] = {}
_file_locks_guard = threading.Lock()


def _client() -> Any:
    try:
        from openlineage.client import event_v2, facet_v2
        from openlineage.client.serde import Serde
        from openlineage.client.transport import console
    except ImportError as exc:  # pragma: no cover - exercised only without the package
        raise MissingExtraError("openlineage-python", "lineage") from exc
    return event_v2, facet_v2, Serde, console


def dataset_namespace(engine: Engine) -> str:
    """OpenLineage naming: `duckdb://<file>` or `postgres://host:port`."""
    parts = urlsplit(engine.url)
    if engine.scheme == "duckdb":
        return f"duckdb://{parts.path or ':memory:'}"
    return f"postgres://{parts.hostname or 'localhost'}:{parts.port or 5432}"


def dataset_name(engine: Engine, table: str) -> str:
    """`layer.table` (DuckDB) or `database.layer.table` (PostgreSQL)."""
    if engine.scheme == "duckdb":
        return table
    database = urlsplit(engine.url).path.lstrip("/") or "postgres"
    return f"{database}.{table}"


def _file_lock(path: Path) -> threading.Lock:
    """One lock per events file: every emitter writing it in this process takes turns."""
    with _file_locks_guard:
        return _file_locks.setdefault(path, threading.Lock())


class RotatingFileTransport:
    """Appends events as JSON lines (the client's `Serde.to_json`) to a file that rotates by size.

    Before a line that would take the file past `max_bytes`, the file is renamed `<name>.1` (older
    ones shift up to `<name>.<keep>`; the oldest is deleted) and the line starts a new file. A line
    is never split, and a file holds at least one line even if that line alone is larger than
    `max_bytes`. `max_bytes=0` never rotates. Writers in one process share a lock per file.
    """

    def __init__(self, path: Path, max_bytes: int = DEFAULT_MAX_BYTES, keep: int = DEFAULT_KEEP):
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be >= 0 (0: never rotate), not {max_bytes}")
        if keep < 1:
            raise ValueError(f"keep must be >= 1, not {keep}")
        self.path = Path(path).resolve()
        self.max_bytes = max_bytes
        self.keep = keep
        self._lock = _file_lock(self.path)

    def emit(self, event: Any) -> None:
        """Append one event as one line, rotating first if the line would not fit."""
        _, _, serde, _ = _client()
        line = (serde.to_json(event) + "\n").encode()
        with self._lock:
            size = self._size()
            if self.max_bytes and size > 0 and size + len(line) > self.max_bytes:
                self._rotate()
            with open(self.path, "ab") as f:
                f.write(line)

    def rotated(self, index: int) -> Path:
        """The path of the `index`-th older file (1 = the most recent)."""
        return self.path.with_name(f"{self.path.name}.{index}")

    def _size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def _rotate(self) -> None:
        for index in range(self.keep - 1, 0, -1):
            if self.rotated(index).exists():
                os.replace(self.rotated(index), self.rotated(index + 1))
        os.replace(self.path, self.rotated(1))
        stale = self.keep + 1  # left over from a larger `keep`
        while self.rotated(stale).exists():
            self.rotated(stale).unlink()
            stale += 1
        log.debug("rotated OpenLineage events file %s", self.path)


class OpenLineageEmitter:
    """Sends one START and one COMPLETE/FAIL event per model run through an OpenLineage transport."""

    def __init__(self, transport: Any, engine: Engine) -> None:
        self.transport = transport
        self.engine = engine
        self.namespace = dataset_namespace(engine)
        self._edges: dict[tuple[str, str], list[Edge]] = {}

    @classmethod
    def to_file(
        cls,
        path: Path,
        engine: Engine,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        keep: int = DEFAULT_KEEP,
    ) -> OpenLineageEmitter:
        """Events appended as JSON lines to `path`, rotated past `max_bytes` (0: never)."""
        _client()
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(RotatingFileTransport(path, max_bytes, keep), engine)

    @classmethod
    def for_data_dir(
        cls,
        data_dir: Path,
        engine: Engine,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        keep: int = DEFAULT_KEEP,
    ) -> OpenLineageEmitter:
        """Events under the installation's data directory (`openlineage/events.jsonl`)."""
        return cls.to_file(Path(data_dir) / EVENT_FILE, engine, max_bytes=max_bytes, keep=keep)

    @classmethod
    def to_console(cls, engine: Engine) -> OpenLineageEmitter:
        """Events logged by the client's console transport (logger `openlineage`)."""
        _, _, _, console = _client()
        return cls(console.ConsoleTransport(console.ConsoleConfig()), engine)

    def emit(
        self,
        event: str,
        model: Model,
        run_id: str,
        parent_run_id: str,
        result: ModelResult,
        models: Mapping[str, Model],
    ) -> None:
        """Send the `start`, `complete` or `fail` event of one model run."""
        self.transport.emit(self.build(event, model, run_id, parent_run_id, result))

    def build(
        self, event: str, model: Model, run_id: str, parent_run_id: str, result: ModelResult
    ) -> Any:
        """The client's `RunEvent` for this model run."""
        event_v2, facet_v2, _, _ = _client()
        state = {"start": "START", "complete": "COMPLETE", "fail": "FAIL"}[event]
        run_facets: dict[str, Any] = {
            "parent": facet_v2.parent_run.ParentRunFacet(
                run=facet_v2.parent_run.Run(runId=parent_run_id),
                job=facet_v2.parent_run.Job(namespace=JOB_NAMESPACE, name="databank.run"),
                producer=PRODUCER,
            )
        }
        if event == "fail":
            run_facets["errorMessage"] = facet_v2.error_message_run.ErrorMessageRunFacet(
                message=result.error or "failed",
                programmingLanguage="PYTHON" if model.is_python else "SQL",
                producer=PRODUCER,
            )
        job_facets: dict[str, Any] = {
            "jobType": facet_v2.job_type_job.JobTypeJobFacet(
                processingType="BATCH", integration="DATABANK", jobType="MODEL", producer=PRODUCER
            )
        }
        if model.sql is not None:
            job_facets["sql"] = facet_v2.sql_job.SQLJobFacet(
                query=model.sql, dialect="duckdb", producer=PRODUCER
            )
        inputs = [
            event_v2.InputDataset(namespace=self.namespace, name=dataset_name(self.engine, t))
            for t in model.depends_on
        ]
        output_facets: dict[str, Any] = {}
        if event == "complete":
            output_facets["outputStatistics"] = (
                facet_v2.output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                    rowCount=result.rows, producer=PRODUCER
                )
            )
        output = event_v2.OutputDataset(
            namespace=self.namespace,
            name=dataset_name(self.engine, model.name),
            facets=self._dataset_facets(facet_v2, model),
            outputFacets=output_facets,
        )
        return event_v2.RunEvent(
            eventType=getattr(event_v2.RunState, state),
            eventTime=datetime.now(UTC).isoformat(),
            run=event_v2.Run(runId=run_id, facets=run_facets),
            job=event_v2.Job(namespace=JOB_NAMESPACE, name=model.name, facets=job_facets),
            inputs=inputs,
            outputs=[output],
            producer=PRODUCER,
        )

    def _dataset_facets(self, facet_v2: Any, model: Model) -> dict[str, Any]:
        schema = facet_v2.schema_dataset
        columns = self.engine.column_types(model.name)
        facets: dict[str, Any] = {
            "schema": schema.SchemaDatasetFacet(
                fields=[
                    schema.SchemaDatasetFacetFields(name=c, type=t, ordinal_position=i)
                    for i, (c, t) in enumerate(columns.items(), start=1)
                ],
                producer=PRODUCER,
            )
        }
        edges = self._model_edges(model)
        if edges:
            facets["columnLineage"] = self._column_lineage(facet_v2.column_lineage_dataset, edges)
        return facets

    def _model_edges(self, model: Model) -> list[Edge]:
        from databank.lineage.store import edges_of

        key = (model.name, model.fingerprint)
        if key not in self._edges:
            self._edges[key] = edges_of(self.engine, model)
        return self._edges[key]

    def _column_lineage(self, cl: Any, edges: list[Edge]) -> Any:
        fields: dict[str, Any] = {}
        dataset = []
        for edge in edges:
            if edge.source_column is None and edge.target_column is not None:
                continue  # count(*): no input field to name
            kind, subtype = _transformation(edge)
            field = cl.InputField(
                namespace=self.namespace,
                name=dataset_name(self.engine, edge.source_table),
                field=edge.source_column or "",
                transformations=[
                    cl.Transformation(
                        type=kind, subtype=subtype, description=edge.transformation_logic
                    )
                ],
            )
            if edge.target_column is None:
                if edge.source_column:
                    dataset.append(field)
                continue
            entry = fields.setdefault(edge.target_column, cl.Fields(inputFields=[]))
            entry.inputFields.append(field)
        return cl.ColumnLineageDatasetFacet(fields=fields, dataset=dataset, producer=PRODUCER)


def _transformation(edge: Edge) -> tuple[str, str]:
    if edge.transformation_type == FILTERED:
        return "INDIRECT", "FILTER"
    if edge.transformation_type == JOINED and edge.target_column is None:
        return "INDIRECT", "JOIN"
    if edge.transformation_type == AGGREGATED:
        return "DIRECT", "AGGREGATION"
    bare = edge.transformation_logic.split(" AS ")[0].split(".")[-1].strip()
    return "DIRECT", "IDENTITY" if bare == edge.source_column else "TRANSFORMATION"
