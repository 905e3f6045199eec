"""Date ranges and time buckets: `last_30_days`, `2025-01-01..2025-01-31`, ISO weeks, months, hours.

Every range is a whole number of days, both ends included. Relative ranges end on an anchor day
("today", see `docs/metrics.md`); the previous period is the range of the same length just before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from databank.metrics.errors import InvalidRequestError

GRANULARITIES = ("hour", "day", "week", "month")
MAX_DAYS = 20 * 366  # a request spanning more is a mistake, not a report
NAMED_RANGES = (
    "last_7_days",
    "last_30_days",
    "last_90_days",
    "this_month",
    "last_month",
    "year_to_date",
)
_LAST_N = re.compile(r"^last_(\d{1,4})_days$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Bucket = date | datetime


@dataclass(frozen=True, order=True)
class Period:
    """Days `start` to `end`, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        """The number of days in the period."""
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length that ends the day before this one starts."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)

    def contains(self, day: date) -> bool:
        """True if `day` falls in the period."""
        return self.start <= day <= self.end

    def to_dict(self) -> dict[str, str]:
        """ISO dates, for JSON."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def parse_date(text: str, what: str = "date") -> date:
    """`YYYY-MM-DD` as a date, or a 400-style error naming `what`."""
    text = text.strip()
    if _ISO_DATE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise InvalidRequestError(
        "invalid_date", f"{what} {text[:40]!r} is not a date", "write it as YYYY-MM-DD"
    )


def parse_date_range(text: str, today: date) -> Period:
    """A named range anchored on `today`, `YYYY-MM-DD..YYYY-MM-DD`, or one day `YYYY-MM-DD`."""
    text = (text or "").strip()
    if ".." in text:
        first, _, last = text.partition("..")
        period = Period(parse_date(first, "range start"), parse_date(last, "range end"))
        if period.end < period.start:
            raise InvalidRequestError(
                "invalid_date_range", f"date range {text!r} ends before it starts"
            )
    elif _ISO_DATE.match(text):
        day = parse_date(text)
        period = Period(day, day)
    elif text == "this_month":
        period = Period(today.replace(day=1), today)
    elif text == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        period = Period(end.replace(day=1), end)
    elif text == "year_to_date":
        period = Period(today.replace(month=1, day=1), today)
    elif match := _LAST_N.match(text):
        days = int(match[1])
        if days < 1:
            raise InvalidRequestError("invalid_date_range", "last_N_days needs N ≥ 1")
        period = Period(today - timedelta(days=min(days, MAX_DAYS + 1) - 1), today)
    else:
        raise InvalidRequestError(
            "invalid_date_range",
            f"unknown date range {text[:60]!r}",
            f"use one of {', '.join(NAMED_RANGES)}, last_N_days, or START..END as YYYY-MM-DD..YYYY-MM-DD",
        )
    if period.days > MAX_DAYS:
        raise InvalidRequestError(
            "invalid_date_range", f"date range {text!r} spans more than {MAX_DAYS} days"
        )
    try:
        period.previous()
    except OverflowError:
        raise InvalidRequestError(
            "invalid_date_range", f"date range {text!r} starts too early"
        ) from None
    return period


def bucket_of(value: Bucket, granularity: str) -> Bucket:
    """The start of the bucket holding `value`: the hour, the day, the ISO week's Monday, the month."""
    if granularity == "hour":
        assert isinstance(value, datetime)
        return value.replace(minute=0, second=0, microsecond=0)
    day = value.date() if isinstance(value, datetime) else value
    if granularity == "day":
        return day
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def buckets(period: Period, granularity: str) -> list[Bucket]:
    """Every bucket start that overlaps `period`, in order (the first and last may be partial)."""
    if granularity == "hour":
        first = datetime(period.start.year, period.start.month, period.start.day)
        return [first + timedelta(hours=h) for h in range(period.days * 24)]
    if granularity == "day":
        return [period.start + timedelta(days=d) for d in range(period.days)]
    result: list[Bucket] = []
    current = bucket_of(period.start, granularity)
    while current <= period.end:
        result.append(current)
        current = _next(current, granularity)
    return result


def label(bucket: Bucket, granularity: str) -> str:
    """A bucket's name: `2025-01-06T13:00`, `2025-01-06`, `2025-W02` (ISO week), `2025-01`."""
    if granularity == "hour":
        return bucket.strftime("%Y-%m-%dT%H:00")
    if granularity == "week":
        year, week, _ = bucket.isocalendar()
        return f"{year}-W{week:02d}"
    if granularity == "month":
        return bucket.strftime("%Y-%m")
    return bucket.isoformat()


def _next(bucket: Bucket, granularity: str) -> Bucket:
    if granularity == "week":
        return bucket + timedelta(days=7)
    assert isinstance(bucket, date) and not isinstance(bucket, datetime)
    return (bucket.replace(day=28) + timedelta(days=4)).replace(day=1)
