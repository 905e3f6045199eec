"""Format checks the contracts name (ISO-8601 times, e-mail, ISO codes) and time normalisation.

Each check takes a `str` and returns a bool; compiled validators call them directly. Times are
normalised to UTC here once, so bronze's `partition_key` and timestamp columns never depend on the
session time zone (PostgreSQL's `timestamp` silently drops an offset; DuckDB does too).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources

_DATETIME_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})", re.ASCII
)
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
# Practical e-mail shape: one @, a dot in the domain, no spaces; 254 characters at most (RFC 5321).
_EMAIL_RE = re.compile(r"[^@\s]{1,64}@[^@\s.]+(?:\.[^@\s.]+)+")
# E.164 preferred, national formats tolerated: digits with spaces, dots, dashes and brackets.
_PHONE_RE = re.compile(r"\+?[0-9 ().\-]{6,24}", re.ASCII)
_ISO639_1_RE = re.compile(r"[a-z]{2}", re.ASCII)
_valid_dates: dict[str, bool] = {}


@cache
def code_list(name: str) -> frozenset[str]:
    """A code list of `contracts/codes.toml` (iso4217, iso3166)."""
    text = (
        resources.files("databank.ingestion").joinpath("contracts", "codes.toml").read_text("utf-8")
    )
    return frozenset(tomllib.loads(text)[name])


def valid_date(text: str) -> bool:
    """True when `text` (`YYYY-MM-DD` shaped) is a real calendar date; memoised (dates repeat)."""
    known = _valid_dates.get(text)
    if known is None:
        try:
            date.fromisoformat(text)
            known = True
        except ValueError:
            known = False
        if len(_valid_dates) > 50_000:  # bounded memo: dates repeat, garbage must not grow it
            _valid_dates.clear()
        _valid_dates[text] = known
    return known


def is_datetime(text: str) -> bool:
    """ISO-8601 date-time `YYYY-MM-DDTHH:MM[:SS[.ffffff]]` with an offset or `Z` (naive is ambiguous)."""
    # fromisoformat alone would also take week dates, ordinals and naive times: shape first.
    if len(text) < 17 or text[4] != "-" or text[10] not in "T " or not _DATETIME_RE.fullmatch(text):
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def is_date(text: str) -> bool:
    """ISO-8601 calendar date `YYYY-MM-DD`."""
    return len(text) == 10 and _DATE_RE.fullmatch(text) is not None and valid_date(text)


def is_email(text: str) -> bool:
    """A plausible e-mail address (shape only: no DNS)."""
    text = text.strip()  # surrounding blanks are noise: pseudonymisation strips them too
    return len(text) <= 254 and _EMAIL_RE.fullmatch(text) is not None


def is_phone(text: str) -> bool:
    """A phone number: E.164 or a national format with separators, 6–15 digits."""
    if not _PHONE_RE.fullmatch(text):
        return False
    digits = sum(c.isdigit() for c in text)
    return 6 <= digits <= 15


def is_iso4217(text: str) -> bool:
    """An ISO 4217 currency code (EUR, USD, …)."""
    return text in code_list("iso4217")


def is_iso3166(text: str) -> bool:
    """An ISO 3166-1 alpha-2 country code (DE, SE, …)."""
    return text in code_list("iso3166")


def is_iso639_1(text: str) -> bool:
    """A two-letter ISO 639-1 language code, lower case (en, de, …)."""
    return _ISO639_1_RE.fullmatch(text) is not None


FORMATS: dict[str, tuple[Callable[[str], bool], str]] = {
    "email": (is_email, "not a valid e-mail address"),
    "phone": (is_phone, "not a valid phone number (E.164 preferred)"),
    "iso4217": (is_iso4217, "not an ISO 4217 currency code"),
    "iso3166": (is_iso3166, "not an ISO 3166-1 alpha-2 country code"),
    "iso639_1": (is_iso639_1, "not an ISO 639-1 language code"),
}


def utc_datetime(text: object) -> datetime | None:
    """A valid ISO-8601 date-time (with offset) as naive UTC, else None."""
    if not isinstance(text, str) or not is_datetime(text):
        return None
    return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)


def utc_timestamp_text(text: object) -> str | None:
    """A valid date-time as naive UTC text `YYYY-MM-DD HH:MM:SS[.ffffff]` (both engines parse it)."""
    moment = utc_datetime(text)
    return None if moment is None else moment.isoformat(sep=" ")


def event_date(text: object, valid: bool = False) -> str | None:
    """The UTC calendar date (`YYYY-MM-DD`) of a date or date-time string, else None.

    `valid=True` says the value already passed its contract check (skips checking it again).
    """
    if not isinstance(text, str):
        return None
    if len(text) == 10:
        return text if valid or is_date(text) else None
    # Fast path: a `Z` time's UTC date is its own date part.
    if text[-1:] == "Z" and (valid or (valid_date(text[:10]) and is_datetime(text))):
        return text[:10]
    moment = utc_datetime(text)
    return None if moment is None else moment.date().isoformat()
