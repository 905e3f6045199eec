"""The engagement-side gold tables (campaign attribution, satisfaction, agent performance)
worked out in plain Python from the fixture records, like `expected.py` does for sales."""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from models.gold.expected import Record, Rows, q, ratio
from models.gold.world import money, utc_day

LOOKBACK = 30
MODELS = ("last_touch", "first_touch", "linear", "time_decay")


# -- attribution ----------------------------------------------------------------------------
def touch_weights(ages: Sequence[int]) -> dict[str, list[float | Fraction]]:
    """Each model's weights for touches in path order (`ages`: days from touch to sale)."""
    n = len(ages)
    decay = [2.0 ** (-a / 7) for a in ages]
    return {
        "last_touch": [Fraction(int(i == n - 1)) for i in range(n)],
        "first_touch": [Fraction(int(i == 0)) for i in range(n)],
        "linear": [Fraction(1, n)] * n,
        "time_decay": [w / sum(decay) for w in decay],
    }


def split_cents(cents: int, weights: Sequence[float | Fraction]) -> list[int]:
    """`cents` split by `weights` in whole cents: floors, then the largest remainders get +1."""
    raw = [cents * w for w in weights]
    floors = [math.floor(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[: cents - sum(floors)]:
        floors[i] += 1
    return floors


def attribution(
    sales: Sequence[Record],
    interactions: Sequence[Record],
    campaigns: Sequence[Record],
    customer_map: Mapping[str, str],
) -> Rows:
    """gold.scout_kpi_campaign_attribution from the records (interactions: latest per id wins)."""
    latest: dict[str, Record] = {}
    for r in interactions:  # in delivery order: a later delivery replaces an earlier one
        latest[r["interaction_id"]] = r
    touches = [
        r for r in latest.values()
        if r["interaction_type"] in ("ad_impression", "ad_click", "email_open", "email_click")
        and r.get("campaign_id") and r.get("customer_id")
    ]  # fmt: skip
    credits: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(
        lambda: {"sales": set(), "cents": 0}
    )
    for sale in sales:
        amount = money(sale["amount"])
        if amount <= 0:
            continue
        day = utc_day(sale["timestamp"])
        path = sorted(
            (t for t in touches
             if customer_map.get(t["customer_id"], t["customer_id"]) == sale["customer_id"]
             and day - timedelta(days=LOOKBACK) <= utc_day(t["occurred_at"]) <= day),
            key=lambda t: (datetime.fromisoformat(t["occurred_at"]), t["interaction_id"]),
        )  # fmt: skip
        if not path:
            continue
        ages = [(day - utc_day(t["occurred_at"])).days for t in path]
        for model, weights in touch_weights(ages).items():
            for touch, weight, cents in zip(
                path, weights, split_cents(int(amount * 100), weights), strict=True
            ):
                if weight > 0:
                    slot = credits[
                        (day, touch["campaign_id"], touch.get("channel") or "unknown", model)
                    ]
                    slot["sales"].add(sale["transaction_id"])
                    slot["cents"] += cents
    exposure: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    for t in touches:
        pair = exposure[
            (utc_day(t["occurred_at"]), t["campaign_id"], t.get("channel") or "unknown")
        ]
        pair[0 if t["interaction_type"] in ("ad_impression", "email_open") else 1] += 1
    daily_spend = spend_cents(campaigns)
    covered = {utc_day(t["occurred_at"]) for t in touches}  # days with any touchpoint
    spent = [k for k in daily_spend if k[0] in covered]
    keys = set(credits) | {(*k, m) for k in (*exposure, *spent) for m in MODELS}
    out: Rows = {}
    for key in keys:
        day, campaign, channel, _ = key
        credit = credits.get(key)
        conversions = len(credit["sales"]) if credit else 0
        cents = credit["cents"] if credit else 0
        spend = _spend(campaigns, campaign, channel, day)
        out[key] = {
            "impressions": exposure.get(key[:3], [0, 0])[0],
            "clicks": exposure.get(key[:3], [0, 0])[1],
            "conversions": conversions,
            "revenue_attributed": q(Fraction(cents, 100), 2),
            "cost_per_acquisition": q(spend / conversions / 100, 2)
            if spend is not None and conversions
            else None,
            "return_on_ad_spend": min(q(Fraction(cents) / spend, 4), Decimal("9999.9999"))
            if spend
            else None,
            "spend": q(Fraction(daily_spend.get(key[:3], 0), 100), 2)
            if any(k[1] == campaign for k in daily_spend)
            else None,
        }
    return out


def spend_cents(campaigns: Iterable[Record]) -> dict[tuple[date, str, str], int]:
    """(day, campaign, channel) → whole cents spent: each campaign's cents dealt out evenly over
    its running days and channels, the leftover cents one each to the first slots by day, then by
    the channel's md5 hex digest."""
    out: dict[tuple[date, str, str], int] = {}
    for c in campaigns:
        channels = set(c.get("channels") or [])
        if c.get("end_date") is None or c.get("spent") is None or not channels:
            continue
        days = (c["end_date"] - c["start_date"]).days + 1
        slots = sorted(
            ((c["start_date"] + timedelta(days=i), ch) for i in range(days) for ch in channels),
            key=lambda slot: (slot[0], hashlib.md5(slot[1].encode()).hexdigest()),
        )
        share, leftover = divmod(int(money(c["spent"]) * 100), len(slots))
        for i, (day, channel) in enumerate(slots):
            out[(day, c["campaign_id"], channel)] = share + (i < leftover)
    return out


def _spend(campaigns: Iterable[Record], campaign: str, channel: str, day: date) -> Fraction | None:
    """Cents spent on `channel` on `day`: spent spread over the campaign's days and channels."""
    for c in campaigns:
        if c["campaign_id"] != campaign or c.get("end_date") is None or c.get("spent") is None:
            continue
        channels = sorted(set(c.get("channels") or []))
        if channel not in channels or not c["start_date"] <= day <= c["end_date"]:
            return None
        days = (c["end_date"] - c["start_date"]).days + 1
        return Fraction(int(money(c["spent"]) * 100), days * len(channels))
    return None


# -- satisfaction ---------------------------------------------------------------------------
def satisfaction(feedback: Sequence[Record], interactions: Sequence[Record]) -> Rows:
    """gold.ces_kpi_satisfaction_scores from feedback records (with `sentiment`) and interactions."""
    groups: dict[tuple[Any, ...], dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for f in feedback:
        key = (
            utc_day(f["submitted_at"]),
            f.get("channel") or "unknown",
            f.get("interaction_type") or "unknown",
        )
        groups[key]["feedback"].append(f)
    latest: dict[str, Record] = {}
    for r in interactions:
        latest[r["interaction_id"]] = r
    for r in latest.values():
        if r["interaction_type"] in ("support_ticket", "chat", "call"):
            key = (utc_day(r["occurred_at"]), r.get("channel") or "unknown", r["interaction_type"])
            groups[key]["contacts"].append(r)
    out: Rows = {}
    for key, items in groups.items():
        fb, contacts = items["feedback"], items["contacts"]
        ratings = [Decimal(str(f["rating"])) for f in fb if f.get("rating") is not None]
        sentiments = [Decimal(str(f["sentiment"])) for f in fb if f.get("sentiment") is not None]
        scores = [f["nps_response"] for f in fb if f.get("nps_response") is not None]
        timed = [
            (datetime.fromisoformat(c["resolved_at"]) - datetime.fromisoformat(c["occurred_at"])).total_seconds()
            for c in contacts if c.get("resolved_at")
        ]  # fmt: skip
        n = len(contacts)
        responded = sum(1 for c in contacts if c.get("responded") is True)
        resolved = sum(1 for c in contacts if c.get("resolution_status") == "resolved")
        escalated = sum(
            1
            for c in contacts
            if c.get("escalated") is True or c.get("resolution_status") == "escalated"
        )
        net = sum(1 for s in scores if s >= 9) - sum(1 for s in scores if s <= 6)
        out[key] = {
            "avg_rating": ratio(sum(ratings, Decimal(0)), len(ratings), 2),
            "avg_sentiment_score": ratio(sum(sentiments, Decimal(0)), len(sentiments), 4),
            "response_rate": ratio(responded, n, 4),
            "resolution_rate": ratio(resolved, n, 4),
            "avg_resolution_time": ratio(Decimal(sum(timed)), len(timed) * 3600, 2),
            "nps_score": ratio(100 * net, len(scores), 2),
            "total_interactions": len(fb) + n,
            "escalation_rate": ratio(escalated, n, 4),
            "rating_count": len(ratings),
            "rating_sum": sum(ratings, Decimal(0)),
            "sentiment_count": len(sentiments),
            "sentiment_sum": sum(sentiments, Decimal(0)),
            "nps_responses": len(scores),
            "nps_net_promoters": net,
            "support_contacts": n,
            "responded_contacts": responded,
            "resolved_contacts": resolved,
            "escalated_contacts": escalated,
            "timed_contacts": len(timed),
            "resolution_seconds": sum(int(q(Decimal(str(t)), 0)) for t in timed),
        }
    return out


# -- agents ---------------------------------------------------------------------------------
def agent_performance(logs: Sequence[Record]) -> Rows:
    """gold.neural_databank_agent_performance from log records (those with a created_at)."""
    groups: dict[tuple[Any, ...], list[Record]] = defaultdict(list)
    for r in logs:
        groups[(utc_day(r["created_at"]), r["agent_id"], r["layer"])].append(r)
    out: Rows = {}
    for key, rows in groups.items():
        times = [
            Decimal(str(r["execution_time"])) for r in rows if r.get("execution_time") is not None
        ]
        ok = sum(1 for r in rows if r.get("status") == "success")
        out[key] = {
            "total_operations": len(rows),
            "successful_operations": ok,
            "success_rate": ratio(ok, len(rows), 4),
            "avg_execution_time": ratio(sum(times, Decimal(0)), len(times), 2),
            "error_count": sum(1 for r in rows if r.get("status") in ("failed", "error")),
            "throughput_per_hour": ratio(
                len(rows), len({utc_hour(r["created_at"]) for r in rows}), 2
            ),
            "resource_utilization": ratio(sum(times, Decimal(0)), 86_400, 4, Decimal("9.9999")),
            "timed_operations": len(times),
            "busy_seconds": sum((q(t, 6) for t in times), Decimal(0)),
        }
    return out


def utc_hour(text: str) -> int:
    """The UTC clock hour of an ISO-8601 time."""
    return datetime.fromisoformat(text).astimezone(UTC).hour
