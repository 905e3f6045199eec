"""Ingest one file into bronze: read it as a stream, map each row, hand batches to the BronzeWriter.

Memory stays constant: one batch of records is held at a time. Each batch's id is derived from what
the batch holds (source type, source system, schema version, batch number and the hash of its
records), so running the same file again sends the same batch ids and the writer stores nothing
twice; a batch whose rows changed gets a new id, and the writer's record dedup still applies.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from databank.ingestion.files import readers
from databank.ingestion.files.coerce import contract_coercer
from databank.ingestion.files.json_array import read_json_array
from databank.ingestion.files.mapping import Mapping
from databank.ingestion.files.source import EXTENSIONS, OpenedFile, open_source
from databank.ingestion.files.summary import FileIngestSummary

if TYPE_CHECKING:
    from databank.ingestion.writer import BronzeWriter

log = logging.getLogger(__name__)

BATCH_NAMESPACE = uuid.UUID("6f1c1f4e-2b0a-5d7e-9c1e-0a7d3b6e4f21")
DEFAULT_BATCH_SIZE = 1000
ProgressFn = Callable[[int, int, int], None]  # (bytes read, bytes total, records read)


def default_source_system(path: Path) -> str:
    """`orders-2025-01.csv.gz` → `file:orders-2025-01`: the file name without its format
    extensions, unprintable characters replaced, at most 200 characters."""
    name = path.name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    stem, dot, ext = name.rpartition(".")
    if dot and stem and f".{ext.lower()}" in EXTENSIONS:
        name = stem
    name = "".join(c if c.isprintable() else "?" for c in name)
    return f"file:{name}"[:200]


def batch_id_for(
    source_type: str, source_system: str, schema_version: str, number: int, digest: str
) -> str:
    """The deterministic id of batch `number` whose records hash to `digest`."""
    key = "|".join((source_type, source_system, schema_version, str(number), digest))
    return str(uuid.uuid5(BATCH_NAMESPACE, key))


def rows_of(
    opened: OpenedFile, mapping: Mapping, max_record_bytes: int
) -> Iterator[readers.SourceRow]:
    """The file's rows, read by the reader its format needs."""
    name = opened.path.name
    if opened.format == "json":
        return read_json_array(opened.stream, name, max_record_bytes)
    if opened.format == "jsonl":
        return readers.read_jsonl(opened.stream, name, max_record_bytes)
    options = dict(mapping.csv)
    if "delimiter" not in options and opened.path.name.lower().removesuffix(".gz").endswith(".tsv"):
        options["delimiter"] = "\t"
    return readers.read_csv(opened.stream, name, max_record_bytes=max_record_bytes, **options)


class _Batch:
    """Records of one batch, their positions in the file, and a running hash of their content."""

    def __init__(self) -> None:
        self.records: list[Any] = []
        self.positions: list[str] = []
        self.problems: dict[int, str] = {}  # index in batch → the file's own reason it is bad
        self.digest = hashlib.sha256()

    def add(self, record: Any, where: str, problem: str | None) -> None:
        try:
            encoded = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
        except (orjson.JSONEncodeError, TypeError):
            # Not storable as sent (a lone surrogate, say): the writer keeps its safe form and
            # says why; the batch id only needs a stable hash of it.
            encoded = repr(record).encode("utf-8", "backslashreplace")
        if problem is not None:
            self.problems[len(self.records)] = problem
            encoded += b"\x00" + problem.encode("utf-8", "backslashreplace")
        self.digest.update(encoded + b"\n")
        self.records.append(record)
        self.positions.append(where)

    def __len__(self) -> int:
        return len(self.records)


Coerce = Callable[[dict[str, Any]], dict[str, Any]]


def _record_of(
    row: readers.SourceRow, mapping: Mapping, coerce: Coerce | None
) -> tuple[Any, str | None]:
    """The record to send for one row, and the file's own reason when the row is bad.

    An unreadable row is sent as text (its reason and what could be read of it): the writer
    stores a record that is not a JSON object as failed, pseudonymised where the contract has
    personal data, so it is kept and counted without leaking what it may hold.
    """
    if row.data is None:
        reason = row.error or f"{row.where}: unreadable"
        return (f"{reason}\n{row.raw}" if row.raw else reason), reason
    record, problems = mapping.apply(row.data)
    if coerce is not None:
        record = coerce(record)
    return record, (f"{row.where}: " + "; ".join(problems)) if problems else None


def ingest_file(
    writer: BronzeWriter,
    path: Path,
    *,
    source_type: str,
    source_system: str | None = None,
    schema_version: str = "1.0.0",
    batch_size: int = DEFAULT_BATCH_SIZE,
    mapping: Mapping | None = None,
    fmt: str | None = None,
    max_record_bytes: int = readers.DEFAULT_MAX_RECORD_BYTES,
    on_progress: ProgressFn | None = None,
) -> FileIngestSummary:
    """Stream `path` into bronze as `source_type` in batches of `batch_size` records.

    Unreadable rows become failed records with their position and reason; a file that is not its
    format raises `FileFormatError` before anything is written; a JSON array or gzip stream that
    breaks part-way keeps what came before it and reports `complete=False` with the reason.
    CSV text is typed by the contract (numbers, integers, flags in the mapping's number format).
    """
    from databank.ingestion.writer import layout_of

    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    mapping = mapping or Mapping()
    layout_of(source_type)  # an unknown source type or version fails before the file is read
    contract = writer.contracts.get(source_type, schema_version)
    system = source_system or default_source_system(path)
    started = time.perf_counter()
    with open_source(path, fmt or mapping.format) as opened:
        summary = FileIngestSummary(
            str(path), opened.format, source_type, system, schema_version, opened.size
        )
        coerce = None
        if opened.format == "csv":
            coerce = contract_coercer(contract, mapping.decimal, mapping.thousands)
        rows = rows_of(opened, mapping, max_record_bytes)
        batch = _Batch()

        def flush() -> None:
            nonlocal batch
            number = summary.batches + 1
            batch_id = batch_id_for(
                source_type, system, schema_version, number, batch.digest.hexdigest()
            )
            done = writer.batch_result(batch_id)
            if done is not None:
                summary.skip(done)
            else:
                result = writer.write_batch(
                    source_type,
                    batch.records,
                    source_system=system,
                    schema_version=schema_version,
                    batch_id=batch_id,
                )
                summary.add(result, batch.positions, batch.problems)
            batch = _Batch()
            if on_progress is not None:
                on_progress(opened.bytes_read, opened.size, summary.records)

        while True:
            try:
                row = next(rows)
            except StopIteration:
                break
            except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
                row = readers.SourceRow(
                    summary.records + 1,
                    None,
                    f"record {summary.records + 1}: compressed data is truncated or corrupt "
                    f"({exc}); the rest of the file cannot be read",
                    unit="record",
                    fatal=True,
                )
            summary.records += 1
            record, problem = _record_of(row, mapping, coerce)
            batch.add(record, row.where, problem)
            if row.fatal:
                summary.complete, summary.stopped_reason = False, row.error
                break
            if len(batch) >= batch_size:
                flush()
        if len(batch):
            flush()
        if summary.complete:
            while opened.stream.read(1 << 16):  # the reader is at the end: this drains a few bytes
                pass
            summary.sha256 = opened.sha256()
        if on_progress is not None:
            on_progress(
                opened.size if summary.complete else opened.bytes_read, opened.size, summary.records
            )
    summary.seconds = time.perf_counter() - started
    log.info(
        "ingested %s: %d records, %d passed, %d failed, %d duplicates in %d batches (%.1fs)",
        path,
        summary.records,
        summary.passed,
        summary.failed,
        summary.duplicates,
        summary.batches,
        summary.seconds,
    )
    return summary
