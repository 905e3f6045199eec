"""The sales-side gold tables (revenue, customers, products) worked out in plain Python from the
fixture records, by the written definitions (docs/definitions.md, "Gold"), without the models' SQL
or their tricks: day-by-day loops and `Decimal` arithmetic, rounded once, half away from zero
(ROUND_HALF_UP in `decimal`). `expected_engagement.py` does the same for the other three tables.

Each function returns {primary key tuple: {column: value}} for the columns it computes.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from models.gold.world import money, utc_day

Record = Mapping[str, Any]
Rows = dict[tuple[Any, ...], dict[str, Any]]
WINDOW = 90
WEB_CHANNELS = ("online", "mobile_app")
HORIZON = 28


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
    conversion, counts = _conversion(events)
    holders = _count_holders(groups)
    out: Rows = {}
    for key, rows in groups.items():
        day, _, channel = key
        amounts = [money(r["amount"]) for r in rows]
        buyers = [r for r in rows if money(r["amount"]) > 0]
        total, n = sum(amounts, Decimal(0)), len(buyers)
        refunds = sum(1 for a in amounts if a < 0)
        sessions, converted = counts.get((day, channel), (0, 0))
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
            # 0012: the day and web channel's session-days on one region's row, None elsewhere
            "sessions": sessions if key in holders else None,
            "converted_sessions": converted if key in holders else None,
        }
    return out


def _count_holders(groups: Mapping[tuple[Any, ...], Any]) -> set[tuple[Any, ...]]:
    """The row of each day and web channel that holds its session counts: the region whose md5
    hex digest is smallest (then the smaller region)."""
    regions: dict[tuple[date, str], list[str]] = defaultdict(list)
    for day, region, channel in groups:
        if channel in WEB_CHANNELS:
            regions[(day, channel)].append(region)
    return {
        (day, min(names, key=lambda r: (hashlib.md5(r.encode()).hexdigest(), r)), channel)
        for (day, channel), names in regions.items()
    }


def _conversion(
    events: Sequence[Record],
) -> tuple[dict[tuple[date, str], Decimal | None], dict[tuple[date, str], tuple[int, int]]]:
    """The rate and the (session-days, converting ones) of each day and web channel."""
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
    rates = {key: ratio(bought, total, 4) for key, (total, bought) in counts.items()}
    return rates, {key: (total, bought) for key, (total, bought) in counts.items()}


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
                # the rates' counts (0010): nobody is active before the first day, so 0 there
                "churn_base": before,
                "retention_base": len(was_active),
                "retained": kept,
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
