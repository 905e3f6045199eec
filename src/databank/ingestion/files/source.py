"""Opening a file for streaming: its format from the name, gzip, and a tap that counts and hashes.

The tap sits between the disk and everything else, so `bytes_read` is what a progress bar shows
(compressed bytes for `.gz`, of the size on disk) and `sha256` is the hash of the file as stored.
"""

from __future__ import annotations

import gzip
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from databank.ingestion.files.errors import FileFormatError, FileIngestError

FORMATS: tuple[str, ...] = ("json", "jsonl", "csv")
EXTENSIONS = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
}
_CHUNK = 1 << 16


def detect_format(path: Path, given: str | None = None) -> str:
    """The file's format: `given` if set, else from the extension (`.gz` looked through)."""
    if given is not None:
        fmt = given.lower()
        if fmt not in FORMATS:
            raise FileIngestError(f"unknown format {given!r}", f"use one of: {', '.join(FORMATS)}")
        return fmt
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    fmt = EXTENSIONS.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        raise FileIngestError(
            f"cannot tell the format of {path.name} from its extension",
            f"pass --format ({'|'.join(FORMATS)})",
        )
    return fmt


class _Tap(io.RawIOBase):
    """A raw reader that counts and hashes every byte taken from the file underneath."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.bytes_read = 0
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        if n:
            view = memoryview(buffer)[:n]
            self.digest.update(view)
            self.bytes_read += n
        return n or 0

    def close(self) -> None:
        self._raw.close()
        super().close()


@dataclass
class OpenedFile:
    """A file opened for one streaming pass."""

    path: Path
    format: str
    size: int  # bytes on disk
    compressed: bool
    stream: BinaryIO  # decompressed bytes, buffered
    _tap: _Tap

    @property
    def bytes_read(self) -> int:
        """Bytes taken from disk so far (what a progress bar shows against `size`)."""
        return self._tap.bytes_read

    def sha256(self) -> str:
        """The hash of the bytes read so far: the whole file's once the pass is complete."""
        return self._tap.digest.hexdigest()

    def close(self) -> None:
        """Close the stream and the file under it."""
        self.stream.close()
        self._tap.close()

    def __enter__(self) -> OpenedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_source(path: Path, fmt: str | None = None) -> OpenedFile:
    """Open `path` for one streaming pass; a missing, unreadable or empty file is a clear error."""
    fmt = detect_format(path, fmt)
    try:
        size = path.stat().st_size
        raw = path.open("rb", buffering=0)
    except FileNotFoundError:
        raise FileIngestError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise FileIngestError(f"{path} is a directory, not a file") from None
    except OSError as exc:
        raise FileIngestError(f"cannot read {path}: {exc.strerror}") from None
    if size == 0:
        raw.close()
        raise FileFormatError(f"{path.name} is empty (0 bytes): nothing to ingest")
    tap = _Tap(raw)  # type: ignore[arg-type]
    buffered = io.BufferedReader(tap, _CHUNK)
    compressed = path.suffix.lower() == ".gz"
    stream: BinaryIO = buffered
    if compressed:
        if buffered.peek(2)[:2] != b"\x1f\x8b":
            buffered.close()
            raise FileFormatError(
                f"{path.name} is not gzip-compressed, though its name ends in .gz"
            )
        stream = io.BufferedReader(gzip.GzipFile(fileobj=buffered, mode="rb"), _CHUNK)  # type: ignore[arg-type]
    return OpenedFile(path, fmt, size, compressed, stream, tap)
