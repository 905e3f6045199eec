"""Source records in the shape of docs/source-records.md, made short to write in tests."""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
APP = "NordhavnShop/4.2.0 (Android 14; Pixel 8)"


def sale(tid: str, customer: str, when: str, amount: float, **fields: Any) -> Record:
    """A sale (amount >= 0) at `when` (ISO-8601 with offset)."""
    record: Record = {
        "transaction_id": tid,
        "customer_id": customer,
        "product_id": "P1",
        "timestamp": when,
        "amount": amount,
        "currency": "EUR",
        "quantity": 1,
        "transaction_type": "sale",
        "channel": "online",
        "region": "north",
        "payment_method": "card",
    }
    record.update(fields)
    return {k: v for k, v in record.items() if v is not None}


def refund(
    tid: str, original: str, customer: str, when: str, amount: float, **fields: Any
) -> Record:
    """A refund of `original`: its own transaction with a negative amount and quantity."""
    return sale(
        tid, customer, when, -abs(amount), transaction_type="refund",
        original_transaction_id=original, quantity=-abs(fields.pop("quantity", 1)), **fields,
    )  # fmt: skip


def event(
    eid: str, session: str, when: str, kind: str = "page_view", agent: str | None = BROWSER
) -> Record:
    """A web or app event of a session."""
    record: Record = {"event_id": eid, "event_type": kind, "timestamp": when, "session_id": session}
    if agent is not None:
        record["user_agent"] = agent
    return record


def touch(
    iid: str,
    customer: str,
    campaign: str,
    when: str,
    kind: str = "ad_impression",
    channel: str = "google_ads",
) -> Record:
    """A marketing touchpoint (ad_impression, ad_click, email_open, email_click)."""
    return {
        "interaction_id": iid, "interaction_type": kind, "customer_id": customer,
        "occurred_at": when, "channel": channel, "campaign_id": campaign,
    }  # fmt: skip


def contact(
    iid: str, when: str, kind: str = "support_ticket", channel: str = "email", **fields: Any
) -> Record:
    """A support contact (support_ticket, chat, call) with resolution fields."""
    record: Record = {
        "interaction_id": iid, "interaction_type": kind, "customer_id": "C1",
        "occurred_at": when, "channel": channel,
    }  # fmt: skip
    record.update(fields)
    return record


def feedback(fid: str, when: str, *, rating: float | None = None, nps: int | None = None,
             sentiment: str | None = None, channel: str = "survey", kind: str = "purchase") -> Record:  # fmt: skip
    """A feedback record; `sentiment` is silver's score for it (kept off the bronze record)."""
    record: Record = {
        "feedback_id": fid, "customer_id": "C1", "feedback_text": f"feedback {fid}",
        "channel": channel, "interaction_type": kind, "submitted_at": when,
    }  # fmt: skip
    if rating is not None:
        record["rating"] = rating
    if nps is not None:
        record["nps_response"] = nps
    if sentiment is not None:
        record["sentiment"] = sentiment
    return record


def snapshot(pid: str, when: str, *, stock: int | None = None, status: str | None = None,
             price: float = 20.0, cost: float = 12.0, category: str = "Home") -> Record:  # fmt: skip
    """A product record: the product's master data and its stock at `when`."""
    record: Record = {
        "product_id": pid, "product_name": f"Product {pid}", "category_l1": category,
        "price": price, "cost": cost, "currency": "EUR", "status": "active", "updated_at": when,
    }  # fmt: skip
    if stock is not None:
        record["stock_quantity"] = stock
    if status is not None:
        record["inventory_status"] = status
    return record


def log(
    agent: str, layer: str, when: str, status: str = "success", seconds: float | None = 1.5
) -> Record:
    """A log record of a platform agent's operation."""
    record: Record = {
        "agent_id": agent, "layer": layer, "operation": "work", "status": status, "created_at": when,
    }  # fmt: skip
    if seconds is not None:
        record["execution_time"] = seconds
    return record
