"""The business behaves like a business: seasons, promotions, refunds, churn, web, voice."""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from tests.demo.shared import CONFIG

from databank.demo.generator.phrases import OPENERS


def _day(ts: str) -> date:
    return date.fromisoformat(ts[:10])


def _seconds(ts: str) -> float:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


def _sales(valid: dict[str, list[dict]]) -> list[dict]:
    return [r for r in valid["transactions"] if r["transaction_type"] == "sale"]


def _daily_counts(sales: list[dict]) -> np.ndarray:
    counts = np.zeros(CONFIG.days)
    for row in sales:
        counts[(_day(row["timestamp"]) - CONFIG.start_date).days] += 1
    return counts


def _expected_rate() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per day: configured relative rate, weekday (0 = Monday) and month."""
    days = [CONFIG.start_date + timedelta(days=i) for i in range(CONFIG.days)]
    weekday = np.array([d.weekday() for d in days])
    month = np.array([d.month for d in days])
    growth = (1 + CONFIG.annual_growth) ** (np.arange(CONFIG.days) / 365)
    rate = np.array(CONFIG.weekday_factors)[weekday] * np.array(CONFIG.month_factors)[month - 1]
    return rate * growth, weekday, month


def test_weekly_seasonality_is_as_configured(valid: dict[str, list[dict]]) -> None:
    counts = _daily_counts(_sales(valid))
    rate, weekday, _ = _expected_rate()
    weekend = weekday >= 5
    observed = counts[weekend].mean() / counts[~weekend].mean()
    expected = rate[weekend].mean() / rate[~weekend].mean()
    assert expected > 1.15
    assert abs(observed / expected - 1) < 0.05, (observed, expected)
    saturday = counts[weekday == 5].mean() / counts[weekday == 1].mean()
    assert abs(saturday / (CONFIG.weekday_factors[5] / CONFIG.weekday_factors[1]) - 1) < 0.08


def test_yearly_seasonality_peaks_in_december(valid: dict[str, list[dict]]) -> None:
    counts = _daily_counts(_sales(valid))
    rate, _, month = _expected_rate()
    december, ordinary = month == 12, (month >= 2) & (month <= 10)
    observed = counts[december].mean() / counts[ordinary].mean()
    expected = rate[december].mean() / rate[ordinary].mean()
    assert observed > 1.4
    assert abs(observed / expected - 1) < 0.1, (observed, expected)


def test_refund_share_and_refunds_point_to_earlier_sales(valid: dict[str, list[dict]]) -> None:
    sales = {r["transaction_id"]: r for r in _sales(valid)}
    refunds = [r for r in valid["transactions"] if r["transaction_type"] == "refund"]
    assert abs(len(refunds) / len(sales) - CONFIG.refund_share) < 0.005
    for refund in refunds:
        sale = sales[refund["original_transaction_id"]]
        assert refund["amount"] == -sale["amount"] and refund["quantity"] == -sale["quantity"]
        assert refund["customer_id"] == sale["customer_id"]
        assert _seconds(refund["timestamp"]) > _seconds(sale["timestamp"])
        assert refund["currency"] == sale["currency"]


def test_promotions_lift_the_promoted_products(valid: dict[str, list[dict]]) -> None:
    sales = _sales(valid)
    total = _daily_counts(sales)
    by_product: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(CONFIG.days))
    for row in sales:
        by_product[row["product_id"]][(_day(row["timestamp"]) - CONFIG.start_date).days] += 1
    promoted_any = np.zeros((len(by_product) + 1, CONFIG.days), dtype=bool)
    index = {p: i for i, p in enumerate(by_product)}
    windows = []
    for campaign in valid["campaigns"]:
        first = (date.fromisoformat(campaign["start_date"]) - CONFIG.start_date).days
        last = min(
            CONFIG.days - 1, (date.fromisoformat(campaign["end_date"]) - CONFIG.start_date).days
        )
        products = [p for p in campaign["product_ids"] if p in index]
        windows.append((first, last, products))
        for p in products:
            promoted_any[index[p], first : last + 1] = True
    lifts = []
    for first, last, products in windows:
        inside = sum(by_product[p][first : last + 1].sum() for p in products)
        share_in = inside / total[first : last + 1].sum()
        outside = ~promoted_any[[index[p] for p in products]].any(axis=0)
        out = sum(by_product[p][outside].sum() for p in products)
        share_out = out / total[outside].sum()
        if share_out > 0:
            lifts.append(share_in / share_out)
    assert len(lifts) >= 20
    assert statistics.median(lifts) > 1.8, sorted(lifts)
    credited = [r for r in sales if "campaign_id" in r]
    assert 0.05 < len(credited) / len(sales) < 0.5


def test_churned_customers_stop_buying_after_a_bad_experience(
    valid: dict[str, list[dict]], truth: dict[str, Any]
) -> None:
    churn = truth["churn"]["customers"]
    assert abs(len(churn) / truth["sources"]["customers"]["originals"] - CONFIG.churn_share) < 0.01
    last_sale: dict[str, date] = {}
    for row in _sales(valid):
        day = _day(row["timestamp"])
        if row["customer_id"] not in last_sale or day > last_sale[row["customer_id"]]:
            last_sale[row["customer_id"]] = day
    transactions = {r["transaction_id"]: r for r in valid["transactions"]}
    feedback = {r["feedback_id"]: r for r in valid["feedback"]}
    contacts = {r["interaction_id"]: r for r in valid["interactions"]}
    for person in churn:
        customer = person["customer_id"]
        assert last_sale[customer].isoformat() == person["last_purchase_date"]
        trigger = transactions[person["trigger_transaction_id"]]
        assert trigger["customer_id"] == customer
        refund = transactions[person["refund_transaction_id"]]
        assert refund["original_transaction_id"] == trigger["transaction_id"]
        assert refund["timestamp"][:10] == person["churn_date"] > person["last_purchase_date"]
        complaint = feedback[person["feedback_id"]]
        assert complaint["rating"] == 1 and complaint["nps_response"] <= 2
        assert complaint["transaction_id"] == trigger["transaction_id"]
        ticket = contacts[person["interaction_id"]]
        assert ticket["touchpoint"]["transaction_id"] == trigger["transaction_id"]
        assert "resolved_at" not in ticket and ticket["resolution_status"] in ("open", "escalated")
    # the others keep buying: many more customers than the churners buy in the last half-year
    churned = {p["customer_id"] for p in churn}
    late_cut = CONFIG.start_date + timedelta(days=CONFIG.days - 180)
    active = [c for c, d in last_sale.items() if d >= late_cut and c not in churned]
    assert len(active) > 3 * len(churned)


def test_purchase_events_are_the_online_sales(valid: dict[str, list[dict]]) -> None:
    online = {
        r["transaction_id"]: r
        for r in _sales(valid)
        if r.get("channel") in ("online", "mobile_app")
    }
    purchases = [e for e in valid["events"] if e["event_type"] == "purchase"]
    assert {e["properties"]["transaction_id"] for e in purchases} == set(online)
    assert len(purchases) == len(online)
    for event in purchases:
        sale = online[event["properties"]["transaction_id"]]
        assert event["session_id"] == sale["session_id"]
        assert event["timestamp"] == sale["timestamp"]
        assert event["customer_id"] == sale["customer_id"]
    sessions: dict[str, list[dict]] = defaultdict(list)
    for event in valid["events"]:
        sessions[event["session_id"]].append(event)
    converting = {e["session_id"] for e in purchases}
    assert abs(len(converting) / len(sessions) - CONFIG.web_conversion_rate) < 0.05
    checked = 0
    for session in sorted(converting)[:3000]:
        events = sorted(sessions[session], key=lambda e: e["event_id"])
        steps = [e["event_type"] for e in events]
        funnel = ("page_view", "product_view", "add_to_cart", "checkout_started", "purchase")
        if not set(funnel) <= set(steps):  # one of its events was made invalid
            continue
        assert steps[0] == "page_view" and steps[-1] == "purchase"
        assert steps.index("add_to_cart") < steps.index("checkout_started")
        stamps = [e["timestamp"] for e in events]
        assert stamps == sorted(stamps)
        checked += 1
    assert checked > 2500


def test_feedback_tone_follows_the_experience(valid: dict[str, list[dict]]) -> None:
    refunded = {
        r["original_transaction_id"]
        for r in valid["transactions"]
        if r["transaction_type"] == "refund"
    }
    ratings = defaultdict(list)
    for row in valid["feedback"]:
        if "transaction_id" in row:
            ratings[row["transaction_id"] in refunded].append(row["rating"])
        opener_sets = OPENERS[row["language"]]
        tone = 0 if row["rating"] >= 4 else 1 if row["rating"] == 3 else 2
        assert row["feedback_text"].startswith(opener_sets[tone]), row
        assert 0 <= row["nps_response"] <= 10
    assert statistics.mean(ratings[True]) < 2.2 < 3.8 < statistics.mean(ratings[False])
    languages = Counter(r["language"] for r in valid["feedback"])
    assert set(languages) == {"en", "de", "fr", "es", "nl"}


def test_support_contacts_resolve_or_escalate(valid: dict[str, list[dict]]) -> None:
    support = [r for r in valid["interactions"] if "resolution_status" in r]
    hours = defaultdict(list)
    for row in support:
        if "resolved_at" in row:
            spent = (_seconds(row["resolved_at"]) - _seconds(row["occurred_at"])) / 3600
            assert spent > 0 and row["resolution_status"] == "resolved"
            hours[row["interaction_type"]].append(spent)
        else:
            assert row["resolution_status"] in ("open", "escalated")
    assert statistics.median(hours["chat"]) < statistics.median(hours["support_ticket"])
    escalated = sum(r["escalated"] for r in support) / len(support)
    assert 0.05 < escalated < 0.4


def test_marketing_touches_precede_campaign_sales(valid: dict[str, list[dict]]) -> None:
    touches: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in valid["interactions"]:
        if "campaign_id" in row:
            touches[(row["customer_id"], row["campaign_id"])].append(_seconds(row["occurred_at"]))
    credited = [r for r in _sales(valid) if "campaign_id" in r]
    preceded = sum(
        any(t <= _seconds(r["timestamp"]) for t in touches[(r["customer_id"], r["campaign_id"])])
        for r in credited
    )
    assert preceded / len(credited) > 0.97


def test_region_revenue_drop_and_refund_spike(
    valid: dict[str, list[dict]], truth: dict[str, Any]
) -> None:
    drop, spike = truth["anomalies"]
    first = (date.fromisoformat(drop["start_date"]) - CONFIG.start_date).days
    last = (date.fromisoformat(drop["end_date"]) - CONFIG.start_date).days
    mine = np.zeros(CONFIG.days)
    rest = np.zeros(CONFIG.days)
    fx = dict(CONFIG.fx_per_eur)
    for row in _sales(valid):
        day = (_day(row["timestamp"]) - CONFIG.start_date).days
        target = mine if row["region"] == drop["region"] else rest
        target[day] += row["amount"] / fx[row["currency"]]
    ratio_mine = mine[first : last + 1].mean() / mine[first - 28 : first].mean()
    ratio_rest = rest[first : last + 1].mean() / rest[first - 28 : first].mean()
    observed = 1 - ratio_mine / ratio_rest
    assert abs(observed - drop["expected_drop"]) < 0.15
    assert abs(observed - drop["observed_drop"]) < 0.01
    sales = [
        r
        for r in _sales(valid)
        if r["product_id"] == spike["product_id"]
        and spike["start_date"] <= r["timestamp"][:10] <= spike["end_date"]
    ]
    refunded = {
        r["original_transaction_id"]
        for r in valid["transactions"]
        if "original_transaction_id" in r
    }
    rate = sum(r["transaction_id"] in refunded for r in sales) / len(sales)
    assert len(sales) >= 10 and rate > 3 * CONFIG.refund_share


def test_customers_and_catalogue_are_well_formed(valid: dict[str, list[dict]]) -> None:
    customers = valid["customers"]
    emails = [c["email"] for c in customers]
    assert len(set(emails)) == len(emails)
    assert all(re.fullmatch(r"\+\d{8,15}", c["phone"]) for c in customers if "phone" in c)
    assert {c["address"]["region"] for c in customers} == {
        "north",
        "south",
        "east",
        "west",
        "central",
    }
    consent = sum(c["marketing_consent"] for c in customers) / len(customers)
    assert 0.5 < consent < 0.8
    email_of = {c["customer_id"]: c["email"] for c in customers}
    paired = [
        (r["customer_email"], email_of[r["customer_id"]])
        for r in valid["transactions"]
        if "customer_email" in r and r["customer_id"] in email_of
    ]
    assert len(paired) > 1000 and all(a == b for a, b in paired)
    products = valid["products"]
    assert all(p["cost"] < p["price"] for p in products)
    assert all(p["category_l1"] and p["category_l2"] and p["category_l3"] for p in products)
    assert len({p["category_l1"] for p in products}) >= 5
    assert len({p["brand"] for p in products}) >= 10
