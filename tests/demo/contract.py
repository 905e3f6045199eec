"""An independent reading of docs/source-records.md: what makes a record valid.

Written from the document, not from the generator, so that a generator bug shows up here.
`violations(source_type, record)` returns the fields that break the contract (empty: valid).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

Check = Callable[[Any], bool]

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def is_string(v: Any) -> bool:
    return isinstance(v, str) and v != ""


def is_timestamp(v: Any) -> bool:
    if not isinstance(v, str) or not _TIMESTAMP.match(v):
        return False
    try:
        datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def is_date(v: Any) -> bool:
    if not isinstance(v, str) or not _DATE.match(v):
        return False
    try:
        date.fromisoformat(v)
    except ValueError:
        return False
    return True


def is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def is_money(v: Any) -> bool:
    return is_number(v) and abs(round(v * 100) - v * 100) < 1e-6


def is_integer(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def one_of(*values: str) -> Check:
    return lambda v: v in values


def both(a: Check, b: Check) -> Check:
    return lambda v: a(v) and b(v)


def at_least(low: float) -> Check:
    return lambda v: is_number(v) and v >= low


def between(low: float, high: float) -> Check:
    return lambda v: is_number(v) and low <= v <= high


is_currency: Check = lambda v: isinstance(v, str) and bool(_CURRENCY.match(v))  # noqa: E731
is_email: Check = lambda v: isinstance(v, str) and bool(_EMAIL.match(v))  # noqa: E731
is_bool: Check = lambda v: isinstance(v, bool)  # noqa: E731
is_object: Check = lambda v: isinstance(v, dict)  # noqa: E731
is_strings: Check = lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v)  # noqa: E731
CHANNEL = one_of("online", "store", "mobile_app", "marketplace")

# source type -> field -> (required, check)
FIELDS: dict[str, dict[str, tuple[bool, Check]]] = {
    "transactions": {
        "transaction_id": (True, is_string),
        "customer_id": (True, is_string),
        "product_id": (False, is_string),
        "timestamp": (True, is_timestamp),
        "amount": (True, is_money),
        "currency": (True, is_currency),
        "quantity": (False, is_integer),
        "transaction_type": (False, one_of("sale", "refund")),
        "original_transaction_id": (False, is_string),
        "campaign_id": (False, is_string),
        "channel": (False, CHANNEL),
        "region": (False, is_string),
        "payment_method": (False, one_of("card", "paypal", "bank_transfer", "cash", "voucher")),
        "discount_applied": (False, both(is_money, at_least(0))),
        "tax_amount": (False, is_money),
        "session_id": (False, is_string),
        "customer_email": (False, is_email),
    },
    "customers": {
        "customer_id": (True, is_string),
        "email": (True, is_email),
        "first_name": (False, is_string),
        "last_name": (False, is_string),
        "phone": (False, is_string),
        "birth_date": (False, is_date),
        "gender": (False, one_of("female", "male", "other", "unknown")),
        "address": (False, is_object),
        "registration_date": (True, is_date),
        "marketing_consent": (False, is_bool),
        "preferred_channel": (False, is_string),
        "updated_at": (False, is_timestamp),
    },
    "products": {
        "product_id": (True, is_string),
        "product_name": (True, is_string),
        "category_l1": (True, is_string),
        "category_l2": (False, is_string),
        "category_l3": (False, is_string),
        "brand": (False, is_string),
        "price": (True, both(is_money, at_least(0))),
        "cost": (False, both(is_money, at_least(0))),
        "currency": (True, is_currency),
        "launch_date": (False, is_date),
        "status": (False, one_of("active", "discontinued", "draft")),
        "stock_quantity": (False, is_integer),
        "inventory_status": (False, one_of("in_stock", "low_stock", "out_of_stock")),
        "seasonal_flags": (
            False,
            lambda v: (
                is_strings(v)
                and all(x in ("summer", "winter", "holiday", "back_to_school") for x in v)
            ),
        ),
        "attributes": (False, is_object),
        "competitor_price": (False, is_money),
        "updated_at": (False, is_timestamp),
    },
    "campaigns": {
        "campaign_id": (True, is_string),
        "campaign_name": (True, is_string),
        "campaign_type": (False, one_of("email", "social", "search", "display", "affiliate", "tv")),
        "start_date": (True, is_date),
        "end_date": (False, is_date),
        "budget": (False, both(is_money, at_least(0))),
        "spent": (False, both(is_money, at_least(0))),
        "currency": (False, is_currency),
        "channels": (False, is_strings),
        "objectives": (False, is_strings),
        "target_audience": (False, is_object),
        "creative_elements": (False, is_object),
        "kpi_targets": (False, is_object),
        "product_ids": (False, is_strings),
        "status": (False, one_of("planned", "active", "completed", "paused")),
        "performance_metrics": (False, is_object),
    },
    "events": {
        "event_id": (True, is_string),
        "event_type": (True, is_string),
        "timestamp": (True, is_timestamp),
        "session_id": (False, is_string),
        "customer_id": (False, is_string),
        "anonymous_id": (False, is_string),
        "user_agent": (False, is_string),
        "properties": (False, is_object),
    },
    "feedback": {
        "feedback_id": (True, is_string),
        "customer_id": (False, is_string),
        "feedback_text": (True, is_string),
        "rating": (False, between(1, 5)),
        "nps_response": (False, both(is_integer, between(0, 10))),
        "channel": (False, is_string),
        "interaction_type": (False, is_string),
        "submitted_at": (True, is_timestamp),
        "transaction_id": (False, is_string),
        "language": (False, lambda v: isinstance(v, str) and bool(re.fullmatch(r"[a-z]{2}", v))),
    },
    "interactions": {
        "interaction_id": (True, is_string),
        "interaction_type": (True, is_string),
        "customer_id": (False, is_string),
        "occurred_at": (True, is_timestamp),
        "channel": (False, is_string),
        "customer_journey_stage": (
            False,
            one_of("awareness", "consideration", "purchase", "retention", "advocacy"),
        ),
        "campaign_id": (False, is_string),
        "resolved_at": (False, is_timestamp),
        "resolution_status": (False, one_of("open", "resolved", "escalated")),
        "escalated": (False, is_bool),
        "responded": (False, is_bool),
        "touchpoint": (False, is_object),
    },
}


def violations(source_type: str, record: dict[str, Any]) -> set[str]:
    """Fields of `record` that break the contract of `source_type`."""
    bad = set()
    for name, (required, check) in FIELDS[source_type].items():
        value = record.get(name)
        if value is None:
            if required:
                bad.add(name)
        elif not check(value):
            bad.add(name)
    refund = source_type == "transactions" and record.get("transaction_type") == "refund"
    if refund and not record.get("original_transaction_id"):
        bad.add("original_transaction_id")
    start, end = record.get("start_date"), record.get("end_date")
    if source_type == "campaigns" and is_date(start) and is_date(end) and end < start:
        bad.add("end_date")
    return bad
