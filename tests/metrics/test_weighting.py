"""Ratio KPIs combine gold rows the way their gold definitions say, checked end to end.

Item-level inputs (feedback with and without NPS answers, support contacts with and without a
resolution time, agent operations with and without an execution time, campaigns whose spend runs
on days and channels without conversions) go through the real gold models; each KPI over two days
is compared with the same figure computed in plain Python from the items themselves, never from
gold. The groups are built so that weighting a row's rate by the wrong count (total_interactions,
total_operations, conversions) gives a different number. Web sales and events go through the
revenue model the same way: conversion_rate over two days, several regions and both web channels
equals the events' converting session-days / session-days (counts kept since migration 0012).

The customer table's churn and retention rates are checked over hand-made gold rows whose active
customers swing from day to day, so dividing by the same day's count instead of each rate's own
base (kept since migration 0010) gives a different number.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.metrics.conftest import insert

from databank.engines import Engine
from databank.metrics import KpiService
from databank.metrics.errors import InvalidRequestError
from databank.settings import Settings
from databank.transform.loader import default_models_dir
from databank.transform.runner import Runner
from models.gold.records import APP, contact, event, feedback, log, sale, touch
from models.gold.world import World

DAY1, DAY2 = "2025-03-30", "2025-03-31"
TODAY = date(2025, 3, 31)
Record = dict[str, Any]

FEEDBACK = [  # two days, three groups; NPS answered by some feedback only
    feedback("F1", f"{DAY1}T09:00:00Z", rating=5, nps=10, sentiment="0.8"),
    feedback("F2", f"{DAY1}T10:00:00Z", rating=5, nps=10),
    feedback("F3", f"{DAY1}T11:00:00Z", rating=1),
    feedback("F4", f"{DAY1}T12:00:00Z"),
    feedback("F5", f"{DAY1}T13:00:00Z", rating=1, nps=0, sentiment="-0.6", channel="app_review", kind="delivery"),
    feedback("F6", f"{DAY2}T09:00:00Z", rating=2, nps=2, sentiment="-0.4"),
    feedback("F7", f"{DAY2}T10:00:00Z", rating=3, nps=3, sentiment="-0.2"),
    feedback("F8", f"{DAY2}T11:00:00Z", rating=4, nps=9, sentiment="0.3"),
    # feedback about a ticket lands in the support contacts' group without being a contact
    feedback("F9", f"{DAY1}T14:00:00Z", rating=2, channel="email", kind="support_ticket"),
]  # fmt: skip
CONTACTS = [
    contact("X1", f"{DAY1}T09:00:00Z", resolved_at=f"{DAY1}T11:00:00Z", responded=True, resolution_status="resolved"),
    contact("X2", f"{DAY1}T10:00:00Z", responded=False, resolution_status="open", escalated=True),
    contact("X3", f"{DAY2}T09:00:00Z", "chat", "chat", resolved_at=f"{DAY2}T10:00:00Z", responded=True, resolution_status="resolved"),
    contact("X4", f"{DAY2}T10:00:00Z", "chat", "chat", responded=True, resolution_status="resolved"),
    contact("X5", f"{DAY2}T11:00:00Z", "chat", "chat", responded=True, resolution_status="open"),
    contact("X6", f"{DAY2}T12:00:00Z", "chat", "chat", responded=False, resolution_status="resolved"),
]  # fmt: skip
LOGS = [
    log("ingestion", "bronze", f"{DAY1}T09:00:00Z", seconds=1.0),
    log("ingestion", "bronze", f"{DAY1}T09:10:00Z", seconds=1.0),
    log("ingestion", "bronze", f"{DAY1}T09:20:00Z", status="failed", seconds=None),
    log("ingestion", "bronze", f"{DAY2}T09:00:00Z", seconds=10.0),
    log("ingestion", "bronze", f"{DAY2}T09:10:00Z", seconds=None),
    log("ingestion", "bronze", f"{DAY2}T09:20:00Z", seconds=None),
    log("ingestion", "bronze", f"{DAY2}T09:30:00Z", status="error", seconds=None),
]


def _ratio(numerator: float, denominator: int) -> Decimal | None:
    return Decimal(str(numerator)) / Decimal(denominator) if denominator else None


def _nps(items: Sequence[Record]) -> Decimal | None:
    answers = [r["nps_response"] for r in items if "nps_response" in r]
    net = sum(a >= 9 for a in answers) - sum(a <= 6 for a in answers)
    return _ratio(100 * net, len(answers))


def _mean(items: Sequence[Record], field: str) -> Decimal | None:
    values = [Decimal(str(r[field])) for r in items if r.get(field) is not None]
    return sum(values, Decimal(0)) / len(values) if values else None


def _share(items: Sequence[Record], test: Callable[[Record], bool]) -> Decimal | None:
    return _ratio(sum(1 for r in items if test(r)), len(items))


def _hours(items: Sequence[Record]) -> Decimal | None:

    from models.gold.world import utc_day  # noqa: F401  (same clock rules as the fixtures)

    spans = [
        (
            datetime.fromisoformat(r["resolved_at"]) - datetime.fromisoformat(r["occurred_at"])
        ).total_seconds()
        for r in items
        if r.get("resolved_at")
    ]
    return _ratio(sum(spans) / 3600, len(spans))


def _timed_seconds(items: Sequence[Record]) -> Decimal | None:
    return _mean(items, "execution_time")


# metric → its value from the items (gold keeps the counts of each since migration 0009)
CASES: dict[str, Callable[[], Decimal | None]] = {
    "customer_interactions": lambda: Decimal(len(FEEDBACK) + len(CONTACTS)),
    "net_promoter_score": lambda: _nps(FEEDBACK),
    "average_rating": lambda: _mean(FEEDBACK, "rating"),
    "average_sentiment": lambda: _mean(FEEDBACK, "sentiment"),
    "response_rate": lambda: _share(CONTACTS, lambda r: r["responded"]),
    "resolution_rate": lambda: _share(CONTACTS, lambda r: r["resolution_status"] == "resolved"),
    "escalation_rate": lambda: _share(CONTACTS, lambda r: bool(r.get("escalated"))),
    "avg_resolution_time": lambda: _hours(CONTACTS),
    "agent_success_rate": lambda: _share(LOGS, lambda r: r["status"] == "success"),
    "agent_error_rate": lambda: _share(LOGS, lambda r: r["status"] in ("failed", "error")),
    "agent_avg_execution_time": lambda: _timed_seconds(LOGS),
}


@pytest.fixture(scope="module")
def gold_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder with the package's gold models and the campaign touches they read from
    bronze (silver rows are written by hand)."""
    root = tmp_path_factory.mktemp("weighting_models")
    (root / "gold").mkdir()
    for path in sorted((default_models_dir() / "gold").glob("*.sql")):
        shutil.copy(path, root / "gold" / path.name)
    (root / "meta").mkdir()
    shutil.copy(default_models_dir() / "meta" / "campaign_touches.sql", root / "meta")
    return root


@pytest.fixture
def built(engine: Engine, gold_only: Path, tmp_path: Path) -> KpiService:
    """The items written, the satisfaction and agent gold models run; a service on 2025-03-31."""
    world = World(engine, Settings(pii_key="test-key", data_dir=tmp_path / "data"))
    world.feedback(FEEDBACK)
    world.bronze("interactions", CONTACTS)
    world.bronze("logs", LOGS)
    runner = Runner(engine, gold_only, sync_lineage=False)
    tables = ["gold.ces_kpi_satisfaction_scores", "gold.neural_databank_agent_performance"]
    assert runner.run(tables).status == "success"
    return KpiService(engine, today=lambda: TODAY)


@pytest.mark.parametrize("name", list(CASES))
def test_two_day_value_equals_the_items(built: KpiService, name: str) -> None:
    """The KPI over both days (several groups each) equals the items' own ratio, rounded once."""
    want = CASES[name]()
    assert want is not None
    _assert_kpi(built, name, want)


def _assert_kpi(service: KpiService, name: str, want: Decimal) -> None:
    """The KPI over the last two days equals `want`, rounded once to the metric's places."""
    want = want.quantize(Decimal(1).scaleb(-service.catalog.get(name).scale), ROUND_HALF_UP)
    got = service.get(name, date_range="last_2_days").current_value
    assert got == want, f"{name}: {got} != {want} computed from the items"


# Campaigns: K1 spends 90.00 over both days on two channels (22.50 a day on each); its touches
# cover both days but not every channel, and two of its three touched customers buy. K2 has no end
# date: its spend is unknown, so its sale counts as a conversion but not against any spend.
CAMPAIGNS = [
    {"campaign_id": "K1", "start_date": date(2025, 3, 30), "end_date": date(2025, 3, 31),
     "spent": Decimal("90.00"), "channels": ["search", "social"]},
    {"campaign_id": "K2", "start_date": date(2025, 3, 1), "end_date": None,
     "spent": Decimal("40.00"), "channels": ["email"]},
]  # fmt: skip
TOUCHES = [
    touch("T1", "C1", "K1", f"{DAY1}T09:00:00Z", "ad_click", "search"),
    touch("T2", "C2", "K1", f"{DAY2}T09:00:00Z", "ad_click", "social"),
    touch("T3", "C3", "K1", f"{DAY2}T10:00:00Z", "ad_impression", "search"),
    touch("T4", "C4", "K2", f"{DAY2}T11:00:00Z", "email_click", "email"),
]
SALES = [
    sale("S1", "C1", f"{DAY1}T12:00:00Z", 40.00),
    sale("S2", "C2", f"{DAY2}T12:00:00Z", 60.00),
    sale("S3", "C4", f"{DAY2}T13:00:00Z", 10.00),
]
K1_SALES = ("S1", "S2")


def _k1_revenue() -> Decimal:
    return sum(
        (Decimal(str(s["amount"])) for s in SALES if s["transaction_id"] in K1_SALES), Decimal(0)
    )


CAMPAIGN_CASES: dict[str, Callable[[], Decimal]] = {
    "ad_spend": lambda: CAMPAIGNS[0]["spent"],
    "cost_per_acquisition": lambda: CAMPAIGNS[0]["spent"] / len(K1_SALES),
    "return_on_ad_spend": lambda: _k1_revenue() / CAMPAIGNS[0]["spent"],
    "campaign_conversions": lambda: Decimal(len(SALES)),
}


@pytest.fixture
def campaigns_built(engine: Engine, gold_only: Path, tmp_path: Path) -> KpiService:
    """Campaigns, touches and sales written, the attribution model run; a service on 2025-03-31."""
    world = World(engine, Settings(pii_key="test-key", data_dir=tmp_path / "data"))
    world.campaigns(CAMPAIGNS)
    world.bronze("interactions", TOUCHES)
    world.transactions(SALES)
    runner = Runner(engine, gold_only, sync_lineage=False)
    touches = "meta.campaign_touches"
    assert runner.run([touches, "gold.scout_kpi_campaign_attribution"]).status == "success"
    return KpiService(engine, today=lambda: TODAY)


def test_campaign_spend_kpis_equal_the_campaigns(campaigns_built: KpiService) -> None:
    """Spend counts on rows without conversions too: ad spend is all of K1's spent, CPA and ROAS
    divide it by K1's conversions and revenue (the last-touch model, the catalog's default)."""
    for name, want in CAMPAIGN_CASES.items():
        _assert_kpi(campaigns_built, name, want())


# Conversion: sales in several regions of both web channels on both days (so every day and channel
# has rows, several of them); the session-days differ in number from day to day, so the mean of
# the two daily rates (online 1/2 and 1/8) and a sum over every region's row differ from the share.
WEB_SALES = [
    sale("W1", "C1", f"{DAY1}T12:00:00Z", 10.00, region="north"),
    sale("W2", "C2", f"{DAY1}T12:10:00Z", 11.00, region="south"),
    sale("W3", "C3", f"{DAY1}T12:20:00Z", 12.00, region="east", channel="mobile_app"),
    sale("W4", "C1", f"{DAY2}T12:00:00Z", 13.00, region="north"),
    sale("W5", "C4", f"{DAY2}T12:10:00Z", 14.00, region="west"),
    sale("W6", "C5", f"{DAY2}T12:20:00Z", 15.00, region="east"),
    sale("W7", "C6", f"{DAY2}T12:30:00Z", 16.00, region="south", channel="mobile_app"),
    sale("W8", "C7", f"{DAY2}T12:40:00Z", 17.00, region="north", channel="mobile_app"),
    sale("W9", "C8", f"{DAY2}T12:50:00Z", 18.00, region="north", channel="store"),
]
WEB_EVENTS = [
    # DAY1 online: A1 buys, A2 browses; mobile_app: A3 buys.
    event("V1", "A1", f"{DAY1}T08:00:00Z"),
    event("V2", "A1", f"{DAY1}T08:05:00Z", "purchase"),
    event("V3", "A2", f"{DAY1}T09:00:00Z"),
    event("V4", "A3", f"{DAY1}T10:00:00Z", "purchase", agent=APP),
    # DAY2 online: eight session-days, B1 buys; mobile_app: B9 buys, B10 and B11 browse. A2 comes
    # back on DAY2: a session-day of its own.
    event("V5", "B1", f"{DAY2}T08:00:00Z", "purchase"),
    *[event(f"V{5 + i}", f"B{i}", f"{DAY2}T09:0{i}:00Z") for i in range(2, 8)],
    event("V13", "A2", f"{DAY2}T10:00:00Z", "add_to_cart"),
    event("V14", "B9", f"{DAY2}T11:00:00Z", agent=APP),
    event("V15", "B9", f"{DAY2}T11:05:00Z", "purchase", agent=APP),
    event("V16", "B10", f"{DAY2}T11:10:00Z", agent=APP),
    event("V17", "B11", f"{DAY2}T11:20:00Z", agent=APP),
]


def _session_share(events: Sequence[Record], channel: str | None = None) -> Decimal:
    """Converting session-days / session-days, straight from the events (a session-day is a
    session on one UTC day; an app's user agent does not start with Mozilla/)."""
    days: dict[tuple[str, str], list[Record]] = {}
    for e in events:
        days.setdefault((e["timestamp"][:10], e["session_id"]), []).append(e)
    wanted = [
        group
        for group in days.values()
        if channel is None
        or channel
        == (
            "mobile_app"
            if any(not e.get("user_agent", "Mozilla/").startswith("Mozilla/") for e in group)
            else "online"
        )
    ]
    bought = sum(any(e["event_type"] == "purchase" for e in group) for group in wanted)
    return Decimal(bought) / Decimal(len(wanted))


@pytest.fixture
def web_built(engine: Engine, gold_only: Path, tmp_path: Path) -> KpiService:
    """Web sales and events written, the revenue model run; a service on 2025-03-31."""
    world = World(engine, Settings(pii_key="test-key", data_dir=tmp_path / "data"))
    world.transactions(WEB_SALES)
    world.bronze("events", WEB_EVENTS)
    runner = Runner(engine, gold_only, sync_lineage=False)
    assert runner.run(["gold.scout_kpi_revenue_daily"]).status == "success"
    return KpiService(engine, today=lambda: TODAY)


def test_conversion_rate_is_converting_session_days_over_session_days(
    web_built: KpiService,
) -> None:
    """Over both days, all regions and both web channels, and per channel, conversion_rate is the
    events' converting session-days / session-days (4 / 14), not the mean of the daily rates nor
    a sum that counts a day's sessions once per region; store rows hold no sessions."""
    assert _session_share(WEB_EVENTS) == Decimal(4) / 14
    _assert_kpi(web_built, "conversion_rate", _session_share(WEB_EVENTS))
    for channel in ("online", "mobile_app"):
        want = _session_share(WEB_EVENTS, channel).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        got = web_built.get(
            "conversion_rate", date_range="last_2_days", filters=f"channel:{channel}"
        )
        assert got.current_value == want, channel
    store = web_built.get("conversion_rate", date_range="last_2_days", filters="channel:store")
    assert store.current_value is None
    daily = web_built.get("conversion_rate", date_range="last_2_days", granularity="day")
    assert [p.value for p in daily.time_series] == [
        Decimal("0.6667"),
        Decimal("0.1818"),
    ]  # 2/3, 2/11


def test_conversion_rate_refuses_a_region(web_built: KpiService) -> None:
    """Events carry no region: a region filter or grouping is refused, not answered from whichever
    region's row holds a day's session counts."""
    for asked in ({"filters": "region:north"}, {"dimensions": "region"}):
        with pytest.raises(InvalidRequestError, match="channel") as caught:
            web_built.get("conversion_rate", date_range="last_2_days", **asked)
        assert caught.value.code in ("invalid_filter", "invalid_dimension")


CUSTOMERS = "gold.scout_kpi_customer_metrics"


def _customer_days(first: date, count: int) -> list[Record]:
    """Gold customer rows of one tier on consecutive days, rates and their counts derived as the
    model defines them: churn_rate = churn_count / churn_base, the active customers of the day
    before; retention_rate = retained / retention_base, the active customers 90 days before (both
    bases 0 before the first row). Activity swings, so the same-day count is a poor stand-in."""
    rows: list[Record] = []
    for i in range(count):
        active = 100 + 90 * (i % 4)  # a cycle of 4 days: neither 7 nor 90 is a multiple
        churned, retained = 3 + i % 5, 40 + i % 7
        before = rows[i - 1]["active_customers"] if i else None
        window = rows[i - 90]["active_customers"] if i >= 90 else None
        rows.append(
            {
                "date": date.fromordinal(first.toordinal() + i),
                "customer_tier": "bronze",
                "total_customers": 1000,
                "active_customers": active,
                "new_acquisitions": 0,
                "churn_count": churned,
                "churn_rate": _rate(churned, before),
                "retention_rate": _rate(retained, window),
                "churn_base": before or 0,
                "retention_base": window or 0,
                "retained": retained if window else 0,
            }
        )
    return rows


def _rate(numerator: int, denominator: int | None) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / denominator).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def test_churn_rate_weights_by_the_day_befores_active_customers(engine: Engine) -> None:
    """Σ churned / Σ active customers of each day's previous day, over the last 7 days."""
    rows = _customer_days(date(2025, 3, 1), 31)
    _insert_customers(engine, rows)
    service = KpiService(engine, today=lambda: TODAY)
    period = rows[-7:]
    previous = {r["date"]: r["active_customers"] for r in rows}
    base = sum(previous[date.fromordinal(r["date"].toordinal() - 1)] for r in period)
    want = (Decimal(sum(r["churn_count"] for r in period)) / base).quantize(
        Decimal("0.0001"), ROUND_HALF_UP
    )
    assert service.get("churn_rate", date_range="last_7_days").current_value == want


def test_retention_rate_weights_by_the_cohort_90_days_before(engine: Engine) -> None:
    """Σ retained / Σ active customers 90 days before each day, over the last 7 days."""
    rows = _customer_days(date(2024, 12, 1), 121)
    _insert_customers(engine, rows)
    service = KpiService(engine, today=lambda: TODAY)
    period = rows[-7:]
    cohort = sum(rows[len(rows) - 7 + i - 90]["active_customers"] for i in range(7))
    want = (Decimal(sum(r["retained"] for r in period)) / cohort).quantize(
        Decimal("0.0001"), ROUND_HALF_UP
    )
    assert service.get("retention_rate", date_range="last_7_days").current_value == want


def _insert_customers(engine: Engine, rows: list[Record]) -> None:
    insert(engine, CUSTOMERS, rows)
