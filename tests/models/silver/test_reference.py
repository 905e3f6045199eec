"""The exchange-rate reference: the ECB file, the day each rate applies to, idempotent loads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from databank.context import Databank
from databank.engines import Engine
from databank.reference import ReferenceDataError, load_exchange_rates, rate_on, read_ecb_csv
from databank.reference.rates import MAX_STALE_DAYS, daily_rates, default_rates_file
from databank.transform.runner import Runner
from models.silver.helpers import eur, ok, rows, write

ECB_SAMPLE = """Date,USD,HRK,JPY,
2024-03-19,1.0865,N/A,162.80,
2024-03-18,1.0872,N/A,162.83,
2024-03-15,1.0892,7.5345,162.65,
"""


def _spread(tmp_path: Path) -> dict[tuple[str, date], tuple[str, date]]:
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text(ECB_SAMPLE)
    table = daily_rates(read_ecb_csv(path)).to_pylist()
    return {(r["currency"], r["rate_date"]): (r["rate_text"], r["published_date"]) for r in table}


def test_latest_rate_on_or_before_each_day(tmp_path: Path) -> None:
    spread = _spread(tmp_path)
    friday = date(2024, 3, 15)
    assert (
        spread[("USD", date(2024, 3, 16))]
        == spread[("USD", date(2024, 3, 17))]
        == ("1.0892", friday)
    )
    assert spread[("USD", date(2024, 3, 18))] == ("1.0872", date(2024, 3, 18))
    # the file's last rates carry on until the end of the next year
    assert spread[("JPY", date(2025, 12, 31))] == ("162.80", date(2024, 3, 19))
    assert ("JPY", date(2026, 1, 1)) not in spread
    # a currency the ECB stopped quoting: at most MAX_STALE_DAYS more days, no stale rate after
    assert spread[("HRK", date(2024, 3, 15 + MAX_STALE_DAYS))] == ("7.5345", friday)
    assert ("HRK", date(2024, 3, 16 + MAX_STALE_DAYS)) not in spread
    assert not any(c == "EUR" for c, _ in spread)  # euros need no rate


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Day,USD\n2024-03-15,1.0\n", "not an ECB rates file"),
        ("Date,USD\n2024-03-15,1,0892\n", "more values than the header"),
        ("Date,USD\n2024-03-15,1.08x\n", "not a number"),
        ("Date,USD\n2024-03-15,-1.0892\n", "must be positive"),
        ("Date,USD\n15/03/2024,1.0892\n", "is not a date"),
        ("Date,usd\n2024-03-15,1.0892\n", "not an ISO 4217"),
    ],
)
def test_bad_files_are_refused_clearly(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "rates.csv"
    path.write_text(text)
    with pytest.raises(ReferenceDataError, match=message):
        read_ecb_csv(path)


def test_the_shipped_file() -> None:
    published = read_ecb_csv()
    assert {"USD", "GBP", "SEK", "PLN", "CHF"} <= set(published)
    assert published["USD"][0][0] == date(2022, 1, 3) and published["USD"][-1][0] == date(
        2026, 10, 30
    )
    assert dict(published["USD"])[date(2024, 3, 15)] == Decimal("1.0892")
    assert dict(published["GBP"])[date(2024, 3, 15)] == Decimal("0.8541")


def test_reload_is_idempotent_and_a_correction_rebuilds_its_days(
    bank: Databank, engine: Engine, runner: Runner, tmp_path: Path
) -> None:
    assert load_exchange_rates(engine).inserted == 0  # the migration loaded the same file
    saturday = date(2024, 3, 16)
    assert rate_on(engine, "USD", saturday) == Decimal("1.0892")
    write(
        bank,
        "transactions",
        [
            {
                "transaction_id": "T1",
                "customer_id": "C1",
                "product_id": "P1",
                "amount": 100,
                "currency": "USD",
                "timestamp": "2024-03-16T10:00:00Z",
            },
            {
                "transaction_id": "T2",
                "customer_id": "C1",
                "product_id": "P1",
                "amount": 100,
                "currency": "USD",
                "timestamp": "2024-03-20T10:00:00Z",
            },
        ],
    )
    ok(runner.run())
    before = rows(engine, "silver.scout_clean_transactions", "transaction_id")
    assert before["T1"]["amount"] == eur("100", "USD", saturday) == Decimal("91.81")

    corrected = tmp_path / "corrected.csv"
    corrected.write_text(
        default_rates_file().read_text().replace("2024-03-15,1.0892,", "2024-03-15,1.0900,")
    )
    loaded = load_exchange_rates(engine, corrected)
    assert (loaded.inserted, loaded.deleted) == (3, 3)  # Friday, Saturday, Sunday
    assert load_exchange_rates(engine, corrected).inserted == 0
    report = ok(runner.run())
    result = next(m for m in report.models if m.model == "silver.scout_clean_transactions")
    assert set(result.partition_values) <= {date(2024, 3, d) for d in (14, 15, 16, 17)}
    after = rows(engine, "silver.scout_clean_transactions", "transaction_id")
    assert (
        after["T1"]["amount"]
        == (Decimal(100) / Decimal("1.0900")).quantize(Decimal("0.01"))
        == Decimal("91.74")
    )
    assert after["T2"] == before["T2"]
