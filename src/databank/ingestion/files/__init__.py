"""File ingestion: stream JSON arrays, JSON Lines and CSV (optionally gzip) into bronze in batches,
with column mappings for foreign exports. See docs/ingest-files.md."""

from __future__ import annotations

from databank.ingestion.files.errors import FileFormatError, FileIngestError, MappingError
from databank.ingestion.files.ingest import (
    DEFAULT_BATCH_SIZE,
    FileIngestSummary,
    batch_id_for,
    default_source_system,
    ingest_file,
)
from databank.ingestion.files.json_array import read_json_array
from databank.ingestion.files.mapping import Mapping
from databank.ingestion.files.mapping_toml import load_mapping, mapping_from_dict, parse_map_flags
from databank.ingestion.files.readers import SourceRow, read_csv, read_jsonl

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "FileFormatError",
    "FileIngestError",
    "FileIngestSummary",
    "Mapping",
    "MappingError",
    "SourceRow",
    "batch_id_for",
    "default_source_system",
    "ingest_file",
    "load_mapping",
    "mapping_from_dict",
    "parse_map_flags",
    "read_csv",
    "read_json_array",
    "read_jsonl",
]
