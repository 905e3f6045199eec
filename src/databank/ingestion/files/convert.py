"""Value conversions for foreign exports: local number formats, date formats with a time zone, flags.

Each converter takes what the file holds (text from CSV, any JSON value) and returns a JSON value in
the shape docs/source-records.md wants, or raises `ValueError` with a reason a person can act on.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

TYPES: tuple[str, ...] = ("string", "number", "integer", "boolean", "date", "datetime", "list")
TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "ja", "j", "oui", "si", "sí"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "nee", "nein", "non"})
# Spaces (incl. no-break and narrow no-break, used as thousands separators) and currency signs.
_NOISE = re.compile(r"[\s\u00a0\u202f€$£¥₹₽]")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DATE_ONLY = re.compile(r"%[HIMSfpzZXcT]")


def to_number(value: Any, decimal: str = ".", thousands: str | None = None) -> float | int:
    """A number from `1.234,56`, `-12,50`, `12,50-`, `(12.50)`, `€ 1 234,56` or a JSON number.

    Thousands separators must group digits by three (`1.234`, not `12.50`), so a file whose
    separators are not what the mapping says fails loudly instead of turning 12.50 into 1250.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is a boolean, not a number")
    if isinstance(value, int | float):
        return value
    text = _NOISE.sub("", str(value))
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    elif text.endswith("-") and not text.startswith(("-", "+")):
        negative, text = True, text[:-1]
    whole, _, fraction = text.partition(decimal) if decimal != "." else text.partition(".")
    if thousands and thousands in whole:
        sign = whole[:1] if whole[:1] in "+-" else ""
        groups = whole[len(sign) :].split(thousands)
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            raise ValueError(f"{value!r} does not group digits by three around {thousands!r}")
        whole = sign + "".join(groups)
    text = f"{whole}.{fraction}" if fraction or text.endswith(decimal) else whole
    if not _PLAIN_NUMBER.match(text):
        raise ValueError(f"{value!r} is not a number")
    if len(text) > 40:
        raise ValueError(f"{text[:20]}… has more digits than any amount or count can")
    try:
        number = Decimal(text)
    except ArithmeticError:
        raise ValueError(f"{value!r} is out of range") from None
    if negative:
        number = -number
    if "." in text or "e" in text.lower():
        try:
            result = float(number)
        except OverflowError:
            raise ValueError(f"{value!r} is out of range") from None
        if result in (float("inf"), float("-inf")):
            raise ValueError(f"{value!r} is out of range")
        return result
    return int(number)


def to_integer(value: Any, decimal: str = ".", thousands: str | None = None) -> int:
    """A whole number (`3`, `3,0`, `-2`); a fraction is an error, never rounded."""
    number = to_number(value, decimal, thousands)
    if isinstance(number, float):
        if not number.is_integer():
            raise ValueError(f"{value!r} is not a whole number")
        return int(number)
    return number


def to_boolean(
    value: Any, true_words: frozenset[str] = TRUE_WORDS, false_words: frozenset[str] = FALSE_WORDS
) -> bool:
    """A flag from `true/false`, `yes/no`, `1/0`, `ja/nee`, … (case-insensitive)."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in true_words:
        return True
    if word in false_words:
        return False
    raise ValueError(f"{value!r} is not a yes/no value")


def is_date_format(fmt: str) -> bool:
    """True when a strptime format has no time-of-day or offset directive."""
    return not _DATE_ONLY.search(fmt)


def to_datetime(value: Any, fmt: str | None, timezone: str | None) -> str:
    """An ISO-8601 timestamp with offset, from text in `fmt` read as local time in `timezone`."""
    text = str(value).strip()
    try:
        moment = datetime.strptime(text, fmt) if fmt else datetime.fromisoformat(text)
    except ValueError:
        shown = f"format {fmt!r}" if fmt else "ISO-8601"
        raise ValueError(f"{text!r} does not match {shown}") from None
    if moment.tzinfo is None:
        if timezone is None:
            raise ValueError(f"{text!r} has no offset and the mapping gives no timezone")
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment.isoformat()


def to_date(value: Any, fmt: str | None) -> str:
    """An ISO date (`YYYY-MM-DD`) from text in `fmt`."""
    text = str(value).strip()
    try:
        day = datetime.strptime(text, fmt).date() if fmt else date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} does not match format {fmt or 'YYYY-MM-DD'!r}") from None
    return day.isoformat()


def to_list(value: Any, separator: str) -> list[Any]:
    """A JSON array, or text split at `separator` with blanks dropped."""
    if isinstance(value, list):
        return value
    return [part.strip() for part in str(value).split(separator) if part.strip()]
