"""Date ranges, previous periods and buckets (ISO weeks, months, hours): pure functions."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from databank.metrics import InvalidRequestError, Period, parse_date_range
from databank.metrics.periods import bucket_of, buckets, label

TODAY = date(2024, 3, 15)  # a leap year


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("last_7_days", date(2024, 3, 9), date(2024, 3, 15)),
        ("last_30_days", date(2024, 2, 15), date(2024, 3, 15)),
        ("last_1_days", TODAY, TODAY),
        ("this_month", date(2024, 3, 1), TODAY),
        ("last_month", date(2024, 2, 1), date(2024, 2, 29)),
        ("year_to_date", date(2024, 1, 1), TODAY),
        ("2023-12-30..2024-01-02", date(2023, 12, 30), date(2024, 1, 2)),
        (" 2024-01-02 ", date(2024, 1, 2), date(2024, 1, 2)),
    ],
)
def test_ranges(text: str, start: date, end: date) -> None:
    """Named ranges end on the anchor day (included); explicit ranges include both ends."""
    assert parse_date_range(text, TODAY) == Period(start, end)


def test_last_month_in_january_and_previous_periods() -> None:
    """last_month crosses the year; the previous period has the same length and ends the day before."""
    january = date(2025, 1, 10)
    assert parse_date_range("last_month", january) == Period(date(2024, 12, 1), date(2024, 12, 31))
    assert Period(date(2024, 3, 1), date(2024, 3, 15)).previous() == Period(
        date(2024, 2, 15), date(2024, 2, 29)
    )
    assert Period(date(2024, 2, 1), date(2024, 2, 29)).previous() == Period(
        date(2024, 1, 3), date(2024, 1, 31)
    )


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("yesterday-ish", "invalid_date_range"),
        ("2024-02-30..2024-03-01", "invalid_date"),
        ("2024-03-02..2024-03-01", "invalid_date_range"),
        ("2024-3-2..2024-03-05", "invalid_date"),
        ("1990-01-01..2024-01-01", "invalid_date_range"),  # more than 20 years
        ("last_0_days", "invalid_date_range"),
        ("0001-01-01..0001-01-05", "invalid_date_range"),  # its previous period is before year 1
        ("'; DROP TABLE gold.scout_kpi_revenue_daily; --", "invalid_date_range"),
    ],
)
def test_bad_ranges(text: str, code: str) -> None:
    """A range that cannot be read says so, with the code the API returns."""
    with pytest.raises(InvalidRequestError) as caught:
        parse_date_range(text, TODAY)
    assert caught.value.code == code


def test_iso_weeks_months_and_hours() -> None:
    """Weeks start on Monday and are named by ISO year and week; months and hours likewise."""
    assert bucket_of(date(2025, 1, 1), "week") == date(2024, 12, 30)
    assert label(date(2024, 12, 30), "week") == "2025-W01"  # ISO year differs from calendar year
    assert label(bucket_of(date(2021, 1, 3), "week"), "week") == "2020-W53"
    assert bucket_of(date(2024, 2, 29), "month") == date(2024, 2, 1)
    assert label(date(2024, 2, 1), "month") == "2024-02"
    week_buckets = buckets(Period(date(2024, 12, 28), date(2025, 1, 12)), "week")
    assert week_buckets == [date(2024, 12, 23), date(2024, 12, 30), date(2025, 1, 6)]
    month_buckets = buckets(Period(date(2023, 12, 31), date(2024, 3, 1)), "month")
    assert month_buckets == [
        date(2023, 12, 1),
        date(2024, 1, 1),
        date(2024, 2, 1),
        date(2024, 3, 1),
    ]
    hours = buckets(Period(date(2024, 3, 10), date(2024, 3, 11)), "hour")
    assert (
        len(hours) == 48
        and hours[0] == datetime(2024, 3, 10)
        and hours[-1] == datetime(2024, 3, 11, 23)
    )
    assert label(hours[13], "hour") == "2024-03-10T13:00"
    assert bucket_of(datetime(2024, 3, 10, 13, 59, 59), "hour") == datetime(2024, 3, 10, 13)


@given(
    start=st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)),
    length=st.integers(min_value=1, max_value=800),
    granularity=st.sampled_from(["day", "week", "month"]),
)
def test_every_day_falls_in_exactly_one_listed_bucket(
    start: date, length: int, granularity: str
) -> None:
    """Buckets are sorted, unique, and every day of the period maps to one of them."""
    period = Period(start, start + timedelta(days=length - 1))
    listed = buckets(period, granularity)
    assert listed == sorted(set(listed))
    used = {bucket_of(period.start + timedelta(days=d), granularity) for d in range(period.days)}
    assert used == set(listed)
    assert period.previous().days == period.days
    assert period.previous().end + timedelta(days=1) == period.start
