"""Independent computations and small readers for the silver tests (plain Python, no SQL models)."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

from databank.context import Databank
from databank.engines import Engine
from databank.engines.base import quote_ident, quote_table
from databank.reference.rates import default_rates_file
from databank.transform.report import FAILED, RunReport

CENT = Decimal("0.01")
BOOKKEEPING = ("created_at", "updated_at")


def write(
    bank: Databank,
    source_type: str,
    records: Sequence[Mapping[str, Any]],
    source_system: str = "shop",
    failed: int = 0,
    duplicates: int = 0,
) -> None:
    """Write one bronze batch and check how many records failed validation or were re-deliveries."""
    result = bank.bronze.write_batch(source_type, list(records), source_system=source_system)
    assert (result.failed, result.duplicates) == (failed, duplicates), result.errors
    assert result.passed == len(records) - failed - duplicates


def ok(report: RunReport) -> RunReport:
    """The report, after checking that no model failed."""
    failed = [(m.model, m.error) for m in report.models if m.status == FAILED]
    assert not failed, failed
    return report


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, list | tuple):
        return tuple(_plain(v) for v in value)
    return value


def rows(
    engine: Engine, table: str, key: str, columns: Sequence[str] | None = None
) -> dict[Any, dict[str, Any]]:
    """Rows of `table` by `key`, engine differences smoothed (UUIDs as text, decimals compared by value)."""
    names = list(columns or [c for c in engine.column_types(table) if c not in BOOKKEEPING])
    if key not in names:
        names.insert(0, key)
    found = engine.fetch_rows(
        f"SELECT {', '.join(quote_ident(c) for c in names)} FROM {quote_table(table)}"
    )
    out = {}
    for row in found:
        record = {n: _plain(v) for n, v in zip(names, row, strict=True)}
        assert record[key] not in out, f"{table}: {key} {record[key]} twice"
        out[record[key]] = record
    return out


def table(engine: Engine, name: str, bookkeeping: bool = False) -> list[tuple[Any, ...]]:
    """Every row of `name` (without its created_at/updated_at unless asked), sorted: whole-table comparisons."""
    names = [c for c in engine.column_types(name) if bookkeeping or c not in BOOKKEEPING]
    found = engine.fetch_rows(
        f"SELECT {', '.join(quote_ident(c) for c in names)} FROM {quote_table(name)}"
    )
    return sorted((tuple(_plain(v) for v in row) for row in found), key=repr)


@cache
def _ecb() -> dict[str, list[tuple[date, Decimal]]]:
    """The shipped ECB file read with the csv module (not with databank.reference)."""
    with default_rates_file().open(newline="") as handle:
        lines = list(csv.reader(handle))
    header = lines[0]
    series: dict[str, list[tuple[date, Decimal]]] = {c: [] for c in header[1:]}
    for line in lines[1:]:
        for currency, value in zip(header[1:], line[1:], strict=True):
            if value != "N/A":
                series[currency].append((date.fromisoformat(line[0]), Decimal(value)))
    return {c: sorted(s) for c, s in series.items()}


def ecb_rate(currency: str, day: date) -> Decimal:
    """The latest ECB rate published on or before `day` (as the ECB file lists it)."""
    published = [(d, r) for d, r in _ecb()[currency] if d <= day]
    assert published and (day - published[-1][0]).days <= 7, f"no recent {currency} rate for {day}"
    return published[-1][1]


def eur(amount: str, currency: str, day: date) -> Decimal:
    """`amount` (in `currency`) in euros on `day`, exactly, rounded half up to the cent."""
    value = Decimal(amount)
    if currency != "EUR":
        value = value / ecb_rate(currency, day)
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
