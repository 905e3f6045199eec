"""The streaming readers: records, positions and reasons, without a database."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from databank.ingestion.files import FileFormatError, read_csv, read_json_array, read_jsonl
from databank.ingestion.files.readers import sniff_delimiter
from databank.ingestion.files.source import detect_format, open_source


def _stream(data: bytes) -> io.BufferedReader:
    return io.BufferedReader(io.BytesIO(data))


def test_json_array_items_and_non_objects() -> None:
    """Objects become records; a non-object item fails with its item number."""
    rows = list(read_json_array(_stream(b'\xef\xbb\xbf  [{"a": 1.5}, 7, {"b": [1, 2]}]'), "x.json"))
    assert [r.data for r in rows] == [{"a": 1.5}, None, {"b": [1, 2]}]
    assert rows[1].error == "item 2: a number, not a JSON object"
    assert [r.where for r in rows] == ["item 1", "item 2", "item 3"]


def test_json_array_truncated_keeps_earlier_items() -> None:
    """A truncated array yields its complete items, then one fatal row naming where it broke."""
    rows = list(read_json_array(_stream(b'[{"a": 1}, {"a": 2}, {"a": '), "cut.json"))
    assert [r.data for r in rows[:2]] == [{"a": 1}, {"a": 2}]
    assert rows[2].fatal and rows[2].data is None
    assert rows[2].error is not None and rows[2].error.startswith(
        "item 3: the JSON array is truncated"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"a": 1}\n{"a": 2}\n', "holds a JSON object, not an array"),
        (b"   \n\t ", "only whitespace"),
        (b"id,name\n1,x\n", "is not a JSON array"),
    ],
)
def test_json_not_an_array_is_one_line_error(data: bytes, message: str) -> None:
    """A file that is not a JSON array is refused before any record is read."""
    with pytest.raises(FileFormatError, match=message) as info:
        list(read_json_array(_stream(data), "x.json"))
    assert "\n" not in str(info.value)


def test_jsonl_bad_lines_fail_alone() -> None:
    """Malformed lines, non-objects and invalid UTF-8 fail with their line numbers; others pass."""
    data = b'{"a": 1}\n\n{"a": \n[1]\n{"a": "\xff"}\n{"a": 5}\r\n'
    rows = list(read_jsonl(_stream(data), "x.jsonl"))
    assert [r.data for r in rows] == [{"a": 1}, None, None, None, {"a": 5}]
    assert [r.position for r in rows] == [1, 3, 4, 5, 6]
    assert rows[1].error is not None and rows[1].error.startswith("line 3: invalid JSON")
    assert rows[1].raw == '{"a":'
    assert rows[2].error == "line 4: an array, not a JSON object"
    assert rows[3].error is not None and "line 5: invalid JSON" in rows[3].error


def test_jsonl_huge_line_is_skipped_in_bounded_memory() -> None:
    """A line over the record limit fails with its size; the lines after it are read."""
    data = b'{"a": 1}\n{"big": "' + b"x" * 300_000 + b'"}\n{"a": 3}\n'
    rows = list(read_jsonl(_stream(data), "x.jsonl", max_record_bytes=1000))
    assert [r.data for r in rows] == [{"a": 1}, None, {"a": 3}]
    assert rows[1].error == "line 2: 300,012 bytes, over the 1,000-byte record limit"


def test_jsonl_that_is_an_array_is_refused() -> None:
    """A JSON array named .jsonl gets a one-line error with the fix."""
    with pytest.raises(FileFormatError, match="pass --format json"):
        list(read_jsonl(_stream(b'[{"a": 1}]'), "x.jsonl"))


def test_csv_rows_quotes_and_multiline() -> None:
    """Quoted delimiters, doubled quotes and a quoted newline; empty cells are left out."""
    data = 'id;naam;bedrag\r\n1;"Koffie; ""extra""";12,50\r\n2;"twee\nregels";\r\n\r\n3;x;1\r\n'
    rows = list(read_csv(_stream(data.encode()), "x.csv"))
    assert [r.data for r in rows] == [
        {"id": "1", "naam": 'Koffie; "extra"', "bedrag": "12,50"},
        {"id": "2", "naam": "twee\nregels"},
        {"id": "3", "naam": "x", "bedrag": "1"},
    ]
    assert [r.position for r in rows] == [2, 3, 6]


def test_csv_bad_rows_fail_with_line_numbers() -> None:
    """Wrong field counts, invalid UTF-8 and broken quoting fail alone; the rest pass."""
    data = b'a,b\n1,2\n1,2,3\n\xff\xfe,4\n"x"y,5\n6,7\n'
    rows = list(read_csv(_stream(data), "x.csv"))
    assert [r.data for r in rows] == [{"a": "1", "b": "2"}, None, None, None, {"a": "6", "b": "7"}]
    assert rows[1].error == "line 3: 3 fields where the header has 2"
    assert rows[2].error is not None and rows[2].error.startswith(
        "line 4: invalid utf-8 bytes at column 1"
    )
    assert rows[3].error is not None and rows[3].error.startswith("line 5: malformed CSV")


def test_csv_header_cleanup_and_bom() -> None:
    """A BOM is dropped, blank and duplicate header names get unique names."""
    data = "\ufeffid,,id\n1,2,3\n".encode()
    rows = list(read_csv(_stream(data), "x.csv"))
    assert rows[0].data == {"id": "1", "column_2": "2", "id_2": "3"}


def test_csv_cp1252_encoding() -> None:
    """A single-byte encoding given by the mapping decodes; utf-16 is refused clearly."""
    data = "naam\nCaf\u00e9\n".encode("cp1252")
    assert [r.data for r in read_csv(_stream(data), "x.csv", encoding="cp1252")] == [
        {"naam": "Café"}
    ]
    with pytest.raises(FileFormatError, match="not supported for CSV"):
        list(read_csv(_stream(data), "x.csv", encoding="utf-16"))


def test_csv_binary_is_refused() -> None:
    """NUL bytes mean binary (or UTF-16): one clear line, nothing read."""
    with pytest.raises(FileFormatError, match="NUL bytes"):
        list(read_csv(_stream("a,b\n1,2\n".encode("utf-16")), "x.csv"))


def test_sniff_delimiter() -> None:
    """The header's most frequent separator outside quotes wins."""
    assert sniff_delimiter('a;b;"c,d"') == ";"
    assert sniff_delimiter("a\tb\tc") == "\t"
    assert sniff_delimiter("single") == ","


def test_detect_format_and_gzip(tmp_path: Path) -> None:
    """Format from the extension through .gz; a fake .gz and an empty file are refused."""
    assert detect_format(Path("a.JSONL.gz")) == "jsonl"
    assert detect_format(Path("a.csv"), "JSON") == "json"
    path = tmp_path / "rows.csv.gz"
    path.write_bytes(gzip.compress(b"a,b\n1,2\n"))
    with open_source(path) as opened:
        assert [r.data for r in read_csv(opened.stream, path.name)] == [{"a": "1", "b": "2"}]
        assert opened.bytes_read == path.stat().st_size
    fake = tmp_path / "fake.json.gz"
    fake.write_bytes(b"[]")
    with pytest.raises(FileFormatError, match="not gzip-compressed"):
        open_source(fake)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(FileFormatError, match="is empty"):
        open_source(empty)


def test_default_source_system() -> None:
    """The file name without its format extensions, printable, at most 200 characters."""
    from databank.ingestion.files import default_source_system

    assert default_source_system(Path("/x/orders-2025-01.csv.gz")) == "file:orders-2025-01"
    assert default_source_system(Path("orders.2025.01.jsonl")) == "file:orders.2025.01"
    assert default_source_system(Path("bell\x07.json")) == "file:bell?"
    assert len(default_source_system(Path("n" * 300 + ".csv"))) == 200
