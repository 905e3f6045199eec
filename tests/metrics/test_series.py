"""Time series on every engine: buckets, filled gaps, balances, hours, periods, trend, exact money."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from tests.metrics.conftest import TODAY, insert

from databank.engines import Engine
from databank.metrics import InvalidRequestError, KpiService, load_catalog

REVENUE = "gold.scout_kpi_revenue_daily"
CUSTOMERS = "gold.scout_kpi_customer_metrics"


def revenue(
    day: date, amount: str, transactions: int = 1, region: str = "north", channel: str = "online"
) -> dict:
    """One revenue_daily row."""
    return {
        "date": day,
        "region": region,
        "channel": channel,
        "total_revenue": Decimal(amount),
        "total_transactions": transactions,
    }


def test_weeks_across_new_year_and_months_fill_gaps(engine: Engine, service: KpiService) -> None:
    """ISO weeks split at Mondays across the year end; empty weeks are 0 for sums, null for ratios."""
    insert(
        engine,
        REVENUE,
        [
            revenue(date(2024, 12, 29), "10.00", 1),  # Sunday: week 2024-W52
            revenue(date(2024, 12, 30), "20.00", 2),  # Monday: week 2025-W01
            revenue(date(2025, 1, 5), "30.00", 3),  # Sunday: still 2025-W01
            revenue(date(2025, 1, 20), "40.00", 4),  # Monday: 2025-W04 (W02 and W03 empty)
        ],
    )
    span = "2024-12-23..2025-01-26"
    weekly = service.get("daily_revenue", date_range=span, granularity="week")
    assert [(p.period, p.value) for p in weekly.time_series] == [
        ("2024-W52", Decimal("10.00")),
        ("2025-W01", Decimal("50.00")),
        ("2025-W02", Decimal("0.00")),
        ("2025-W03", Decimal("0.00")),
        ("2025-W04", Decimal("40.00")),
    ]
    aov = service.get("average_order_value", date_range=span, granularity="week")
    assert [p.value for p in aov.time_series] == [
        Decimal("10.00"),
        Decimal("10.00"),
        None,
        None,
        Decimal("10.00"),
    ]
    monthly = service.get("daily_revenue", date_range=span, granularity="month")
    assert [(p.period, p.value) for p in monthly.time_series] == [
        ("2024-12", Decimal("30.00")),
        ("2025-01", Decimal("70.00")),
    ]
    assert monthly.current_value == Decimal("100.00")
    daily = service.get("daily_revenue", date_range="2025-01-04..2025-01-06")
    assert [(p.period, p.value) for p in daily.time_series] == [
        ("2025-01-04", Decimal("0.00")),
        ("2025-01-05", Decimal("30.00")),
        ("2025-01-06", Decimal("0.00")),
    ]


def test_balances_take_the_latest_day(engine: Engine, service: KpiService) -> None:
    """total_customers over a week is the week's last recorded day, summed over tiers; never a sum of days."""
    rows = []
    for offset, (bronze, gold) in enumerate([(100, 10), (110, 11), (120, 12)]):
        day = date(2025, 3, 3) + timedelta(days=offset)
        rows += [
            {
                "date": day,
                "customer_tier": "bronze",
                "total_customers": bronze,
                "active_customers": bronze // 2,
            },
            {
                "date": day,
                "customer_tier": "gold",
                "total_customers": gold,
                "active_customers": gold,
            },
        ]
    insert(engine, CUSTOMERS, rows)
    result = service.get("total_customers", date_range="2025-03-03..2025-03-16", granularity="week")
    assert [(p.period, p.value) for p in result.time_series] == [
        ("2025-W10", 132),
        ("2025-W11", None),
    ]
    assert result.current_value == 132
    by_tier = service.get(
        "active_customer_rate",
        date_range="2025-03-03..2025-03-09",
        dimensions="customer_tier",
        granularity="week",
    )
    assert {p.dimensions["customer_tier"]: p.value for p in by_tier.time_series} == {
        "bronze": Decimal("0.5000"),
        "gold": Decimal("1.0000"),
    }
    assert by_tier.current_value == Decimal("0.5455")  # (60 + 12) / 132 on the latest day


def test_hour_granularity(engine: Engine, tmp_path: Path) -> None:
    """Gold tables hold days: hour is a 400 naming the supported ones; a timestamp metric buckets hours."""
    plain = KpiService(engine, today=lambda: TODAY)
    with pytest.raises(InvalidRequestError) as caught:
        plain.get("daily_revenue", granularity="hour")
    assert caught.value.code == "unsupported_granularity"
    assert "day, week, month" in str(caught.value)
    path = tmp_path / "catalog.toml"
    path.write_text(
        '[metric.revenue_by_load_hour]\ndescription = "x"\ntable = "gold.scout_kpi_revenue_daily"\n'
        'expression = "sum(total_revenue)"\ntime_column = "updated_at"\ndimensions = ["region"]\n'
        'unit = "currency"\nhigher_is_better = true\n'
    )
    hourly = KpiService(engine, load_catalog(path), today=lambda: TODAY)
    rows = [revenue(date(2025, 3, d), "1.00", region=f"r{d}") for d in (1, 2, 3)]
    for row, stamp in zip(
        rows, ["2025-03-31 09:15", "2025-03-31 09:45", "2025-03-31 23:59:59"], strict=True
    ):
        row["updated_at"] = datetime.fromisoformat(stamp)
    insert(engine, REVENUE, rows)
    result = hourly.get("revenue_by_load_hour", date_range="last_1_days", granularity="hour")
    assert len(result.time_series) == 24
    assert {p.period: p.value for p in result.time_series if p.value} == {
        "2025-03-31T09:00": Decimal("2.00"),
        "2025-03-31T23:00": Decimal("1.00"),
    }
    assert result.time_series[0].timestamp == datetime(2025, 3, 31, 0, 0)
    assert (
        hourly.get(
            "revenue_by_load_hour", date_range="last_1_days", granularity="day"
        ).current_value
        == 3
    )


@pytest.mark.parametrize(
    ("before", "now", "change", "trend"),
    [
        ("100.00", "110.00", Decimal("10.00"), "up"),
        ("100.00", "101.99", Decimal("1.99"), "stable"),
        ("100.00", "98.00", Decimal("-2.00"), "down"),
        ("0.00", "5.00", None, "up"),
        (None, "5.00", None, "up"),
        (None, None, None, "stable"),
    ],
)
def test_previous_period_change_and_trend(
    engine: Engine,
    service: KpiService,
    before: str | None,
    now: str | None,
    change: Decimal | None,
    trend: str,
) -> None:
    """Previous = the 7 days before; change in %; |change| < 2 % is stable; from 0 any rise is up."""
    rows = []
    if before is not None:
        rows.append(revenue(date(2025, 3, 20), before))
    if now is not None:
        rows.append(revenue(date(2025, 3, 30), now))
    insert(engine, REVENUE, rows)
    result = service.get("daily_revenue", date_range="last_7_days")
    assert result.query.previous.to_dict() == {"start": "2025-03-18", "end": "2025-03-24"}
    assert result.previous_period_value == Decimal(before or "0")
    assert result.current_value == Decimal(now or "0")
    assert result.change_percentage == change
    assert result.trend == trend


def test_today_as_of_and_latest(engine: Engine, service: KpiService) -> None:
    """Relative ranges end on the injected today, on as_of, or on the newest day in the table."""
    insert(engine, REVENUE, [revenue(date(2024, 6, 30), "7.00")])
    assert service.get("daily_revenue").query.period.end == TODAY
    assert service.get("daily_revenue").current_value == 0
    pinned = service.get("daily_revenue", date_range="last_7_days", as_of="2024-07-01")
    assert pinned.query.period.to_dict() == {"start": "2024-06-25", "end": "2024-07-01"}
    latest = service.get("daily_revenue", date_range="this_month", as_of="latest")
    assert latest.query.period.to_dict() == {"start": "2024-06-01", "end": "2024-06-30"}
    assert latest.current_value == Decimal("7.00")
    with pytest.raises(InvalidRequestError, match="as_of"):
        service.get("daily_revenue", as_of="tomorrow")


def test_dimensions_and_filters(engine: Engine, service: KpiService) -> None:
    """Grouping gives every seen combination every bucket; filters keep only matching rows."""
    day = date(2025, 3, 30)
    insert(
        engine,
        REVENUE,
        [
            revenue(day, "10.00", region="north", channel="online"),
            revenue(day, "20.00", region="south", channel="online"),
            revenue(day + timedelta(days=1), "40.00", region="south", channel="store"),
        ],
    )
    both = service.get("daily_revenue", date_range="last_2_days", dimensions="region,channel")
    assert both.query.dimensions == ("channel", "region")
    assert [(p.period, p.dimensions, p.value) for p in both.time_series] == [
        ("2025-03-30", {"channel": "online", "region": "north"}, Decimal("10.00")),
        ("2025-03-31", {"channel": "online", "region": "north"}, 0),
        ("2025-03-30", {"channel": "online", "region": "south"}, Decimal("20.00")),
        ("2025-03-31", {"channel": "online", "region": "south"}, 0),
        ("2025-03-30", {"channel": "store", "region": "south"}, 0),
        ("2025-03-31", {"channel": "store", "region": "south"}, Decimal("40.00")),
    ]
    south = service.get(
        "daily_revenue", date_range="2025-03-30..2025-03-31", filters="region:south"
    )
    assert south.current_value == Decimal("60.00")
    either = service.get(
        "daily_revenue",
        date_range="2025-03-30..2025-03-31",
        filters="region:south,region:north,channel=online",
    )
    assert either.current_value == Decimal("30.00")
    assert either.query.filters == (("channel", ("online",)), ("region", ("north", "south")))
    as_json = service.get(
        "daily_revenue",
        date_range="2025-03-30..2025-03-31",
        filters='{"region": ["north", "south"]}',
    )
    assert as_json.current_value == Decimal("70.00")
    for bad, code in [("dimensions", "invalid_dimension"), ("filters", "invalid_filter")]:
        with pytest.raises(InvalidRequestError) as caught:
            service.get(
                "daily_revenue", **{bad: "total_revenue:1" if bad == "filters" else "total_revenue"}
            )
        assert caught.value.code == code
        assert "region, channel" in str(caught.value)


def test_default_filter_reads_one_attribution_model(engine: Engine, service: KpiService) -> None:
    """Campaign metrics read last_touch rows unless the caller filters or groups by the model."""
    day = date(2025, 3, 31)
    insert(
        engine,
        "gold.scout_kpi_campaign_attribution",
        [
            {
                "date": day,
                "campaign_id": "c",
                "channel": "search",
                "conversions": 3,
                "attribution_model": "last_touch",
            },
            {
                "date": day,
                "campaign_id": "c",
                "channel": "email",
                "conversions": 5,
                "attribution_model": "first_touch",
            },
        ],
    )
    assert service.get("campaign_conversions", date_range="last_1_days").current_value == 3
    first = service.get(
        "campaign_conversions", date_range="last_1_days", filters="attribution_model:first_touch"
    )
    assert first.current_value == 5
    grouped = service.get(
        "campaign_conversions", date_range="last_1_days", dimensions="attribution_model"
    )
    assert {p.dimensions["attribution_model"]: p.value for p in grouped.time_series} == {
        "first_touch": 5,
        "last_touch": 3,
    }


def test_money_is_exact_to_the_cent(engine: Engine, service: KpiService) -> None:
    """AOV divides in Decimal and rounds once, half up: 2.01 / 2 = 1.01 (floating point says 1.00).

    Also: random days whose float quotient rounds the wrong way, and a 3-month total, all equal a
    plain-Python Decimal computation to the cent.
    """
    rng = random.Random(5)
    rows, expected = [revenue(date(2025, 1, 1), "2.01", 2)], {date(2025, 1, 1): Decimal("1.01")}
    day = date(2025, 1, 2)
    while len(expected) < 12:
        amount, count = Decimal(rng.randint(100, 10**7)) / 100, rng.randint(2, 400)
        exact = (amount / count).quantize(Decimal("0.01"), ROUND_HALF_UP)
        if Decimal(str(round(float(amount) / count, 2))) != exact:  # float would be a cent off here
            rows.append(revenue(day, str(amount), count))
            expected[day] = exact
            day += timedelta(days=1)
    for offset in range(90 - len(rows)):
        rows.append(
            revenue(
                day + timedelta(days=offset),
                str(Decimal(rng.randint(1, 10**8)) / 100),
                rng.randint(1, 999),
            )
        )
    insert(engine, REVENUE, rows)
    span = f"2025-01-01..{max(r['date'] for r in rows)}"
    aov = service.get("average_order_value", date_range=span)
    got = {p.timestamp: p.value for p in aov.time_series}
    assert {d: got[d] for d in expected} == expected
    total = sum((r["total_revenue"] for r in rows), Decimal(0))
    count = sum(r["total_transactions"] for r in rows)
    assert service.get("daily_revenue", date_range=span).current_value == total
    assert aov.current_value == (total / count).quantize(Decimal("0.01"), ROUND_HALF_UP)
