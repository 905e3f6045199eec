"""Metric fixtures: hand-made gold rows with known values, a KPI service with a pinned "today"."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from databank.api.app import create_app
from databank.auth import KeyStore
from databank.context import Databank
from databank.engines import Engine
from databank.metrics import KpiService
from databank.settings import load_settings

TODAY = date(2025, 3, 31)
FIRST_DAY = date(2024, 12, 20)
Row = dict[str, Any]


def insert(engine: Engine, table: str, rows: list[Row]) -> None:
    """Append rows (dicts of column → value) to a gold table."""
    if rows:
        engine.append_arrow(table, pa.Table.from_pylist(rows))


def days(first: date = FIRST_DAY, last: date = TODAY) -> Iterator[date]:
    """Every day from `first` to `last`, both included."""
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100


def _rate(rng: random.Random, low: float = 0.0, high: float = 1.0) -> Decimal:
    return Decimal(rng.randint(int(low * 10_000), int(high * 10_000))) / 10_000


def gold_rows(seed: int = 7) -> dict[str, list[Row]]:
    """Rows for all six gold tables, with gaps (about one row in eight is missing)."""
    rng = random.Random(seed)
    tables: dict[str, list[Row]] = {name: [] for name in GOLD_TABLES}
    for day in days():
        for region in ("north", "south", "east"):
            for channel in ("online", "store"):
                if rng.random() < 0.12:
                    continue
                new, back = rng.randint(0, 20), rng.randint(0, 40)
                tables["gold.scout_kpi_revenue_daily"].append(
                    {
                        "date": day,
                        "region": region,
                        "channel": channel,
                        "total_revenue": _money(rng, 0, 9000),
                        "total_transactions": rng.randint(0, 120),
                        "avg_order_value": _money(rng, 10, 90),
                        "new_customers": new,
                        "returning_customers": back,
                        "conversion_rate": _rate(rng, 0.0, 0.2) if channel == "online" else None,
                        "refund_rate": _rate(rng, 0.0, 0.1),
                    }
                )
        for tier in ("bronze", "silver", "gold"):
            if rng.random() < 0.12:
                continue
            total = rng.randint(50, 5000)
            tables["gold.scout_kpi_customer_metrics"].append(
                {
                    "date": day,
                    "customer_tier": tier,
                    "total_customers": total,
                    "active_customers": rng.randint(0, total),
                    "new_acquisitions": rng.randint(0, 60),
                    "churn_count": rng.randint(0, 30),
                    "churn_rate": _rate(rng, 0, 0.05),
                    "avg_lifetime_value": _money(rng, 20, 4000),
                    "avg_engagement_score": _money(rng, 0, 90),
                    "retention_rate": _rate(rng, 0.5, 1.0) if rng.random() < 0.9 else None,
                }
            )
        for product, category in (("p1", "food"), ("p2", "food"), ("p3", "toys")):
            if rng.random() < 0.12:
                continue
            tables["gold.scout_kpi_product_performance"].append(
                {
                    "date": day,
                    "product_id": product,
                    "category_l1": category,
                    "revenue": _money(rng, 0, 3000),
                    "units_sold": rng.randint(0, 300),
                    "inventory_turnover": _rate(rng, 0, 9),
                    "margin_percentage": _rate(rng, 0.05, 0.6),
                    "return_rate": _rate(rng, 0, 0.2),
                    "stock_out_days": rng.randint(0, 1),
                    "demand_forecast": _money(rng, 0, 400),
                }
            )
        for campaign in ("spring", "brand"):
            for channel, model in (
                ("search", "last_touch"),
                ("social", "last_touch"),
                ("email", "first_touch"),
            ):
                if rng.random() < 0.12:
                    continue
                tables["gold.scout_kpi_campaign_attribution"].append(
                    {
                        "date": day,
                        "campaign_id": campaign,
                        "channel": channel,
                        "impressions": rng.randint(0, 100_000),
                        "clicks": rng.randint(0, 4000),
                        "conversions": rng.randint(0, 90),
                        "revenue_attributed": _money(rng, 0, 8000),
                        "cost_per_acquisition": _money(rng, 1, 80) if rng.random() < 0.8 else None,
                        "return_on_ad_spend": _rate(rng, 0, 9),
                        "attribution_model": model,
                    }
                )
        for channel in ("email", "chat"):
            for kind in ("support", "survey"):
                if rng.random() < 0.12:
                    continue
                survey, support = kind == "survey", kind == "support"  # each measure null elsewhere
                tables["gold.ces_kpi_satisfaction_scores"].append(
                    {
                        "date": day,
                        "channel": channel,
                        "interaction_type": kind,
                        "avg_rating": _money(rng, 1, 5) if survey else None,
                        "avg_sentiment_score": _rate(rng, -1, 1) if survey else None,
                        "response_rate": _rate(rng) if support else None,
                        "resolution_rate": _rate(rng) if support else None,
                        "avg_resolution_time": _money(rng, 0, 72)
                        if support and rng.random() < 0.8
                        else None,
                        "nps_score": _money(rng, -60, 90) if survey else None,
                        "total_interactions": rng.randint(0, 500),
                        "escalation_rate": _rate(rng, 0, 0.3) if support else None,
                    }
                )
        for agent, layer in (
            ("ingestion", "bronze"),
            ("transformer", "silver"),
            ("transformer", "gold"),
        ):
            if rng.random() < 0.12:
                continue
            total = rng.randint(0, 1000)
            ok = rng.randint(0, total)
            tables["gold.neural_databank_agent_performance"].append(
                {
                    "date": day,
                    "agent_id": agent,
                    "layer": layer,
                    "total_operations": total,
                    "successful_operations": ok,
                    "success_rate": Decimal(ok) / total if total else None,
                    "avg_execution_time": _money(rng, 0, 300) if rng.random() < 0.9 else None,
                    "error_count": total - ok,
                    "throughput_per_hour": _money(rng, 0, 900),
                    "resource_utilization": _rate(rng),
                }
            )
    for rows in tables.values():
        for row in rows:
            for key, value in row.items():
                if key == "success_rate" and value is not None:
                    row[key] = value.quantize(Decimal("0.0001"))
    _add_counts(tables, random.Random(seed + 1))
    return tables


def _add_counts(tables: dict[str, list[Row]], rng: random.Random) -> None:
    """The columns migrations 0009, 0010 and 0012 add, drawn from their own generator (the rows
    above keep their values): counts unrelated to total_interactions and total_operations, so a KPI
    that still weighted a row's rounded rate by those would differ from the ratio of the counts."""
    for row in tables["gold.scout_kpi_campaign_attribution"]:
        row["spend"] = _money(rng, 0, 3000) if rng.random() < 0.85 else None
    for row in tables["gold.ces_kpi_satisfaction_scores"]:
        survey, n = row["avg_rating"] is not None, row["total_interactions"]
        rated, answered = (rng.randint(0, n), rng.randint(0, n)) if survey else (0, 0)
        contacts = n if row["response_rate"] is not None else 0
        timed = rng.randint(0, contacts) if row["avg_resolution_time"] is not None else 0
        row.update(
            {
                "rating_count": rated,
                "rating_sum": _money(rng, 1, 5) * rated,
                "sentiment_count": rated,
                "sentiment_sum": _rate(rng, -1, 1) * rated,
                "nps_responses": answered,
                "nps_net_promoters": rng.randint(-answered, answered),
                "support_contacts": contacts,
                "responded_contacts": rng.randint(0, contacts),
                "resolved_contacts": rng.randint(0, contacts),
                "escalated_contacts": rng.randint(0, contacts),
                "timed_contacts": timed,
                "resolution_seconds": rng.randint(0, 72 * 3600) * timed,
            }
        )
    for row in tables["gold.neural_databank_agent_performance"]:
        operations = row["total_operations"]
        timed = rng.randint(0, operations) if row["avg_execution_time"] is not None else 0
        row.update({"timed_operations": timed, "busy_seconds": _money(rng, 0, 300) * timed})
    # 0010, drawn last so the columns above keep their values: bases unrelated to the row's
    # active_customers, so weighting its rounded rates by that would differ from the counts
    for row in tables["gold.scout_kpi_customer_metrics"]:
        cohort = rng.randint(0, 3000) if row["retention_rate"] is not None else 0
        row.update(
            {
                "churn_base": rng.randint(row["churn_count"], row["churn_count"] + 4000),
                "retention_base": cohort,
                "retained": rng.randint(0, cohort),
            }
        )
    # 0012, drawn last: the web session-days of a day on its first online row only (the gold model
    # picks one row per day and web channel), None on the others and on store rows; unrelated to
    # the rounded conversion_rate, so an average of rates would differ from the ratio of counts
    held: set[tuple[date, str]] = set()
    for row in tables["gold.scout_kpi_revenue_daily"]:
        day_channel = (row["date"], row["channel"])
        sessions = converted = None
        if row["channel"] == "online" and day_channel not in held:
            held.add(day_channel)
            sessions = rng.randint(0, 5000)
            converted = rng.randint(0, sessions)
        row.update({"sessions": sessions, "converted_sessions": converted})


GOLD_TABLES = (
    "gold.scout_kpi_revenue_daily",
    "gold.scout_kpi_customer_metrics",
    "gold.scout_kpi_product_performance",
    "gold.scout_kpi_campaign_attribution",
    "gold.ces_kpi_satisfaction_scores",
    "gold.neural_databank_agent_performance",
)


@pytest.fixture
def gold(engine: Engine) -> dict[str, list[Row]]:
    """All six gold tables filled with `gold_rows()`; returns the rows inserted."""
    rows = gold_rows()
    for table, table_rows in rows.items():
        insert(engine, table, table_rows)
    return rows


@pytest.fixture
def service(engine: Engine) -> KpiService:
    """A KPI service over the test engine whose "today" is TODAY."""
    return KpiService(engine, today=lambda: TODAY)


def make_bank(engine: Engine, tmp_path: Path, **settings: Any) -> Databank:
    """A `Databank` over the test's engine."""
    return Databank(load_settings(data_dir=tmp_path, engine=engine.url, **settings), engine=engine)


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    """A TestClient over the whole app (auth on), KPI "today" pinned to TODAY."""
    bank = make_bank(engine, tmp_path, api_queue_worker=False)
    app = create_app(bank)
    app.state.kpis = KpiService(bank, today=lambda: TODAY)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def read_key(engine: Engine) -> Callable[..., dict[str, str]]:
    """Make an API key with the given scopes (default read); returns its Authorization header."""

    def make(*scopes: str) -> dict[str, str]:
        _, plaintext = KeyStore(engine).create(list(scopes or ("read",)))
        return {"Authorization": f"Bearer {plaintext}"}

    return make
