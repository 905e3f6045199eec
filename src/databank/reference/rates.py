"""The dated exchange-rate table that silver uses to express money in the reporting currency.

Source: the ECB's daily euro foreign exchange reference rates (`data/ecb_eurofxref_hist.csv`, its
provenance in `data/README.md`). The ECB quotes `1 EUR = x units`, so the reporting currency is the
euro and an amount converts as `amount / x`.

`meta.exchange_rates` holds one row per (currency, calendar day) with the rate that applies that
day, so silver joins it on equality (fast on every engine) instead of searching for "the latest
rate on or before": that rule is applied here, once, when the table is loaded:

- a published rate applies from its ECB business day until the day before the currency's next
  publication, at most `MAX_STALE_DAYS` days (weekends and TARGET holidays are covered; a currency
  the ECB stopped quoting — HRK, RUB, BGN — gets no rate after that, rather than a stale one);
- the rates of the file's last day apply until the end of the following calendar year, so data
  newer than the shipped file still converts (with the newest known rate) until it is refreshed;
- the euro itself needs no row: silver takes EUR amounts as they are.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pyarrow as pa

from databank.engines.base import Engine
from databank.errors import DatabankError

log = logging.getLogger(__name__)

REPORTING_CURRENCY = "EUR"  # the ECB's base currency: every silver money column is in euros
RATES_TABLE = "meta.exchange_rates"
RATE_SCALE = 6  # decimals kept: the ECB publishes at most 5 (GBP 0.86953)
MAX_STALE_DAYS = 7  # a rate older than this many days is not used (except at the file's end)
SOURCE = "ECB euro foreign exchange reference rates (eurofxref-hist)"
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
_STAGING = "_databank_rates_next"
_EPOCH = date(1970, 1, 1)


class ReferenceDataError(DatabankError):
    """A reference data file cannot be read or holds an invalid value."""

    exit_code = 2


@dataclass(frozen=True)
class LoadResult:
    """What `load_exchange_rates` changed."""

    rows: int  # rows the table should hold
    inserted: int  # (currency, day) rows written (new or with a changed rate)
    deleted: int  # rows removed (no longer covered, or replaced by a changed rate)


def default_rates_file() -> Path:
    """The ECB file shipped with the package."""
    return Path(str(resources.files("databank.reference") / "data" / "ecb_eurofxref_hist.csv"))


def read_ecb_csv(path: Path | None = None) -> dict[str, list[tuple[date, Decimal]]]:
    """Published rates per currency, oldest first, from a file in the ECB's `eurofxref-hist` layout.

    Accepts the ECB's own file (a `Date` column, one column per currency, `N/A` or empty where no
    rate was published, a trailing empty column) and the package's subset of it.
    """
    path = path or default_rates_file()
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise ReferenceDataError(f"cannot read the exchange-rate file {path}: {exc}") from None
    if not rows or not rows[0] or rows[0][0].strip() != "Date":
        raise ReferenceDataError(
            f"{path} is not an ECB rates file",
            "its first line must start with `Date,` (eurofxref-hist.csv)",
        )
    header = [h.strip() for h in rows[0]]
    for name in header[1:]:
        if name and not _CURRENCY_RE.match(name):
            raise ReferenceDataError(f"{path}: column {name!r} is not an ISO 4217 currency code")
    rates: dict[str, list[tuple[date, Decimal]]] = {name: [] for name in header[1:] if name}
    for line, row in enumerate(rows[1:], start=2):
        if not row or not row[0].strip():
            continue
        day = _day(row[0], path, line)
        if any(cell.strip() for cell in row[len(header) :]):
            raise ReferenceDataError(f"{path}:{line}: more values than the header has currencies")
        for name, cell in zip(header[1:], row[1:], strict=False):
            value = cell.strip()
            if not name or value in ("", "N/A"):
                continue
            rates[name].append((day, _rate(value, path, line, name)))
    for name, series in rates.items():
        series.sort()
        days = [d for d, _ in series]
        if len(set(days)) != len(days):
            raise ReferenceDataError(f"{path}: currency {name} has two rates for the same day")
    return {name: series for name, series in rates.items() if series}


def _day(text: str, path: Path, line: int) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ReferenceDataError(f"{path}:{line}: {text!r} is not a date (YYYY-MM-DD)") from None


def _rate(text: str, path: Path, line: int, currency: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ReferenceDataError(
            f"{path}:{line}: {currency} rate {text!r} is not a number"
        ) from None
    if not value.is_finite() or value <= 0 or value.as_tuple().exponent < -RATE_SCALE:  # type: ignore[operator]
        raise ReferenceDataError(
            f"{path}:{line}: {currency} rate {text!r} must be positive with at most {RATE_SCALE} decimals"
        )
    return value


def daily_rates(published: dict[str, list[tuple[date, Decimal]]]) -> pa.Table:
    """One row per (currency, day) with the rate that applies that day (module docstring rules).

    The rate travels as text (`rate_text`): the engine casts it to DECIMAL exactly.
    """
    if not published:
        raise ReferenceDataError("the exchange-rate file holds no rate")
    last_day = max(series[-1][0] for series in published.values())
    horizon = date(last_day.year + 1, 12, 31)
    currencies: list[str] = []
    days: list[int] = []
    rates: list[str] = []
    published_days: list[int] = []
    for currency in sorted(published):
        if currency == REPORTING_CURRENCY:
            continue
        for day, rate, published_on in _spread(published[currency], last_day, horizon):
            currencies.append(currency)
            days.append(day)
            rates.append(rate)
            published_days.append(published_on)
    return pa.table(
        {
            "currency": pa.array(currencies, pa.string()),
            "rate_date": pa.array(days, pa.int32()).cast(pa.date32()),
            "rate_text": pa.array(rates, pa.string()),
            "published_date": pa.array(published_days, pa.int32()).cast(pa.date32()),
            "source": pa.repeat(pa.scalar(SOURCE, pa.string()), len(currencies)),
        }
    )


def _spread(
    series: list[tuple[date, Decimal]], last_day: date, horizon: date
) -> Iterator[tuple[int, str, int]]:
    """(day, rate text, publication day) for every day a publication applies; days since 1970."""
    epoch = _EPOCH
    for i, (published_on, rate) in enumerate(series):
        if i + 1 < len(series):
            end = min(series[i + 1][0], published_on + timedelta(days=MAX_STALE_DAYS + 1))
        elif published_on == last_day:
            end = horizon + timedelta(days=1)
        else:
            end = published_on + timedelta(days=MAX_STALE_DAYS + 1)
        first, stop, text = (published_on - epoch).days, (end - epoch).days, str(rate)
        for day in range(first, stop):
            yield day, text, first


@lru_cache(maxsize=4)
def _daily_rates_of(path: Path, mtime_ns: int) -> pa.Table:
    """Read and spread a file once per process (every test database migrates the same file)."""
    return daily_rates(read_ecb_csv(path))


def load_exchange_rates(engine: Engine, path: Path | None = None) -> LoadResult:
    """Make `meta.exchange_rates` hold exactly the daily rates of `path` (default: the shipped file).

    Idempotent: rows whose rate is unchanged are left alone (their `updated_at` too), so a reload
    of the same file changes nothing and a corrected rate re-derives only the days it covers.
    """
    path = path or default_rates_file()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise ReferenceDataError(f"cannot read the exchange-rate file {path}: {exc}") from None
    table = _daily_rates_of(path, mtime)
    keys = ("currency", "rate_date")
    same = " AND ".join(
        f"n.{c} = t.{c}" for c in (*keys, "rate_per_eur", "published_date", "source")
    )
    match = " AND ".join(f"t.{c} = n.{c}" for c in keys)
    columns = "currency, rate_date, rate_per_eur, published_date, source"
    if not engine.fetch_value(f"SELECT count(*) FROM {RATES_TABLE}"):  # a new database: no diff
        with engine.transaction():
            engine.append_arrow(RATES_TABLE, table.rename_columns(columns.split(", ")))
        log.info("exchange rates: %d rows written", table.num_rows)
        return LoadResult(table.num_rows, table.num_rows, 0)
    with engine.transaction():
        engine.execute(f"DROP TABLE IF EXISTS {_STAGING}")
        engine.execute(
            f"CREATE TEMP TABLE {_STAGING} AS SELECT currency, rate_date, "
            f"CAST(NULL AS VARCHAR) AS rate_text, published_date, source FROM {RATES_TABLE} LIMIT 0"
        )
        engine.append_arrow(_STAGING, table)
        staged = (
            f"(SELECT currency, rate_date, CAST(rate_text AS DECIMAL(18, {RATE_SCALE})) AS rate_per_eur, "
            f"published_date, source FROM {_STAGING})"
        )
        stale = (
            f"FROM {RATES_TABLE} AS t WHERE NOT EXISTS (SELECT 1 FROM {staged} AS n WHERE {same})"
        )
        deleted = int(engine.fetch_value(f"SELECT count(*) {stale}") or 0)
        if deleted:
            engine.execute(
                f"DELETE FROM {RATES_TABLE} WHERE (currency, rate_date) IN "
                f"(SELECT t.currency, t.rate_date {stale})"
            )
        fresh = (
            f"FROM {staged} AS n WHERE NOT EXISTS (SELECT 1 FROM {RATES_TABLE} AS t WHERE {match})"
        )
        inserted = int(engine.fetch_value(f"SELECT count(*) {fresh}") or 0)
        if inserted:
            engine.execute(f"INSERT INTO {RATES_TABLE} ({columns}) SELECT {columns} {fresh}")
        engine.execute(f"DROP TABLE IF EXISTS {_STAGING}")
    log.info("exchange rates: %d rows, %d written, %d removed", table.num_rows, inserted, deleted)
    return LoadResult(table.num_rows, inserted, deleted)


def rate_on(engine: Engine, currency: str, day: date) -> Decimal | None:
    """The rate (units per euro) that applies to `currency` on `day`, as silver uses it."""
    value = engine.fetch_value(
        f"SELECT rate_per_eur FROM {RATES_TABLE} WHERE currency = $c AND rate_date = $d",
        {"c": currency, "d": day},
    )
    return None if value is None else Decimal(str(value))
