"""The gold tables worked out in plain Python from the fixture records, by the written definitions
(docs/definitions.md, "Gold"), without the models' SQL or their tricks: day-by-day loops and
`Decimal` arithmetic, rounded once, half away from zero (ROUND_HALF_UP in `decimal`).

Each function returns {primary key tuple: {column: value}} for the columns it computes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from models.gold.world import money, utc_day

Record = Mapping[str, Any]
Rows = dict[tuple[Any, ...], dict[str, Any]]
WINDOW = 90
LOOKBACK = 30
HORIZON = 28
MODELS = ("last_touch", "first_touch", "linear", "time_decay")


def q(value: Fraction | Decimal | int, places: int) -> Decimal:
    """`value` rounded half away from zero to `places` decimals."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def ratio(
    num: int | Decimal, den: int | Decimal, places: int, cap: Decimal | None = None
) -> Decimal | None:
    """num / den rounded (None when den is 0), capped at `cap`."""
    if not den:
        return None
    value = q(Fraction(Decimal(num)) / Fraction(Decimal(den)), places)
    return min(value, cap) if cap is not None else value


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# -- revenue --------------------------------------------------------------------------------
def revenue_daily(sales: Sequence[Record], events: Sequence[Record]) -> Rows:
    """gold.scout_kpi_revenue_daily from transaction and event records."""
    first: dict[str, date] = {}
    for r in sales:
        day = utc_day(r["timestamp"])
        if money(r["amount"]) > 0:
            first[r["customer_id"]] = min(first.get(r["customer_id"], day), day)
    groups: dict[tuple[Any, ...], list[Record]] = defaultdict(list)
    for r in sales:
        key = (utc_day(r["timestamp"]), r.get("region") or "unknown", r.get("channel") or "unknown")
        groups[key].append(r)
    conversion = _conversion(events)
    out: Rows = {}
    for key, rows in groups.items():
        day, _, channel = key
        amounts = [money(r["amount"]) for r in rows]
        buyers = [r for r in rows if money(r["amount"]) > 0]
        total, n = sum(amounts, Decimal(0)), len(buyers)
        refunds = sum(1 for a in amounts if a < 0)
        out[key] = {
            "total_revenue": total,
            "total_transactions": n,
            "avg_order_value": ratio(total, n, 2),
            "new_customers": len(
                {r["customer_id"] for r in buyers if first[r["customer_id"]] == day}
            ),
            "returning_customers": len(
                {r["customer_id"] for r in buyers if first[r["customer_id"]] < day}
            ),
            "conversion_rate": conversion.get((day, channel)),
            "refund_rate": ratio(refunds, n, 4, Decimal("9.9999")),
        }
    return out


def _conversion(events: Sequence[Record]) -> dict[tuple[date, str], Decimal | None]:
    sessions: dict[tuple[date, str], dict[str, bool]] = defaultdict(
        lambda: {"app": False, "buy": False}
    )
    for e in events:
        if not e.get("session_id"):
            continue
        state = sessions[(utc_day(e["timestamp"]), e["session_id"])]
        agent = e.get("user_agent")
        state["app"] |= agent is not None and not agent.startswith("Mozilla/")
        state["buy"] |= e["event_type"] == "purchase"
    counts: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0])
    for (day, _), state in sessions.items():
        pair = counts[(day, "mobile_app" if state["app"] else "online")]
        pair[0] += 1
        pair[1] += state["buy"]
    return {key: ratio(bought, total, 4) for key, (total, bought) in counts.items()}


# -- customers ------------------------------------------------------------------------------
def customer_metrics(sales: Sequence[Record], customers: Sequence[Record]) -> Rows:
    """gold.scout_kpi_customer_metrics, day by day and customer by customer."""
    tier = {c["customer_id"]: c.get("customer_tier") or "unknown" for c in customers}
    registered = {c["customer_id"]: c.get("registration_date") for c in customers}
    bought: dict[str, set[date]] = defaultdict(set)
    net: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
    for r in sales:
        day, amount = utc_day(r["timestamp"]), money(r["amount"])
        net[(r["customer_id"], day)] += amount
        if amount > 0:
            bought[r["customer_id"]].add(day)
    people = set(tier) | set(bought) | {c for c, _ in net}
    known_from: dict[str, date] = {}
    for person in people:
        candidates = [d for d in (registered.get(person), min(bought[person], default=None)) if d]
        if candidates:
            known_from[person] = min(candidates)
    first_day = min(known_from.values())
    last_day = max(utc_day(r["timestamp"]) for r in sales)

    def active(person: str, day: date) -> bool:
        return any(day - timedelta(days=WINDOW - 1) <= b <= day for b in bought[person])

    out: Rows = {}
    for t in sorted({tier.get(p, "unknown") for p in people if p in known_from}):
        members = [p for p in people if tier.get(p, "unknown") == t]
        for day in _days(first_day, last_day):
            total = sum(1 for p in members if p in known_from and known_from[p] <= day)
            act = [p for p in members if active(p, day)]
            before = sum(1 for p in members if active(p, day - timedelta(days=1)))
            ago = day - timedelta(days=WINDOW)
            was_active = [p for p in members if active(p, ago)]
            churned = sum(
                1 for p in members
                if ago in bought[p] and not any(ago < b <= day for b in bought[p])
            )  # fmt: skip
            kept = sum(
                1 for p in was_active
                if all(active(p, ago + timedelta(days=i)) for i in range(WINDOW + 1))
            )  # fmt: skip
            value = sum(
                (v for (p, d), v in net.items() if d <= day and tier.get(p, "unknown") == t),
                Decimal(0),
            )
            engaged = sum(
                sum(1 for b in bought[p] if day - timedelta(days=WINDOW - 1) <= b <= day)
                for p in act
            )
            out[(day, t)] = {
                "total_customers": total,
                "active_customers": len(act),
                "new_acquisitions": sum(1 for p in members if bought[p] and min(bought[p]) == day),
                "churn_count": churned,
                "churn_rate": ratio(churned, before, 4) if day > first_day else None,
                "avg_lifetime_value": ratio(value, total, 2),
                "avg_engagement_score": ratio(engaged, len(act), 2),
                "retention_rate": ratio(kept, len(was_active), 4) if ago >= first_day else None,
            }
    return out


# -- products -------------------------------------------------------------------------------
def product_performance(sales: Sequence[Record], snapshots: Sequence[Record]) -> Rows:
    """gold.scout_kpi_product_performance from transaction records and product snapshots."""
    revenue: dict[tuple[date, str], Decimal] = defaultdict(Decimal)
    sold: dict[tuple[date, str], int] = defaultdict(int)
    returned: dict[tuple[date, str], int] = defaultdict(int)
    for r in sales:
        key = (utc_day(r["timestamp"]), r["product_id"])
        amount, units = money(r["amount"]), abs(int(r.get("quantity", 1)))
        revenue[key] += amount
        if amount > 0:
            sold[key] += units
        elif amount < 0:
            returned[key] += units
    product = {}
    stock: dict[str, dict[date, Record]] = defaultdict(dict)
    for s in sorted(snapshots, key=lambda s: datetime.fromisoformat(s["updated_at"])):
        product[s["product_id"]] = s
        stock[s["product_id"]][utc_day(s["updated_at"])] = s  # the day's last snapshot wins
    rows: set[tuple[date, str]] = set()
    by_product: dict[str, list[date]] = defaultdict(list)
    for day, pid in revenue:
        by_product[pid].append(day)
    for pid, days in by_product.items():
        days.sort()
        for i, day in enumerate(days):
            stop = day + timedelta(days=HORIZON)
            if i + 1 < len(days):
                stop = min(stop, days[i + 1] - timedelta(days=1))
            rows.update((d, pid) for d in _days(day, stop))
    out: Rows = {}
    for day, pid in rows:
        snap_days = [d for d in stock[pid] if d <= day]
        snap = stock[pid][max(snap_days)] if snap_days else None
        level = snap.get("stock_quantity") if snap else None
        out_of_stock = snap is not None and (
            snap.get("inventory_status") == "out_of_stock" or (level is not None and level <= 0)
        )
        units = sold.get((day, pid), 0)
        trailing = sum(sold.get((day - timedelta(days=k), pid), 0) for k in range(1, HORIZON + 1))
        info = product.get(pid)
        out[(day, pid)] = {
            "category_l1": info.get("category_l1") if info else None,
            "revenue": revenue.get((day, pid), Decimal("0.00")),
            "units_sold": units,
            "inventory_turnover": ratio(units, level, 4, Decimal("9999.9999"))
            if level and level > 0
            else None,
            "margin_percentage": _margin(info) if info else None,
            "return_rate": ratio(returned.get((day, pid), 0), units, 4, Decimal("9.9999")),
            "stock_out_days": 1 if out_of_stock else 0,
            "demand_forecast": q(Fraction(trailing, HORIZON), 2),
        }
    return out


def _margin(product: Record) -> Decimal:
    price, cost = money(product["price"]), money(product["cost"])
    return ((price - cost) / price).quantize(Decimal("0.0001"))


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
    keys = set(credits) | {(*k, m) for k in exposure for m in MODELS}
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
        }
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
        out[key] = {
            "avg_rating": ratio(sum(ratings, Decimal(0)), len(ratings), 2),
            "avg_sentiment_score": ratio(sum(sentiments, Decimal(0)), len(sentiments), 4),
            "response_rate": ratio(sum(1 for c in contacts if c.get("responded") is True), n, 4),
            "resolution_rate": ratio(
                sum(1 for c in contacts if c.get("resolution_status") == "resolved"), n, 4
            ),
            "avg_resolution_time": ratio(Decimal(sum(timed)), len(timed) * 3600, 2),
            "nps_score": ratio(
                100 * (sum(1 for s in scores if s >= 9) - sum(1 for s in scores if s <= 6)),
                len(scores),
                2,
            ),
            "total_interactions": len(fb) + n,
            "escalation_rate": ratio(
                sum(
                    1
                    for c in contacts
                    if c.get("escalated") is True or c.get("resolution_status") == "escalated"
                ),
                n,
                4,
            ),
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
        }
    return out


def utc_hour(text: str) -> int:
    """The UTC clock hour of an ISO-8601 time."""
    return datetime.fromisoformat(text).astimezone(UTC).hour
