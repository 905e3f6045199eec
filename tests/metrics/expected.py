"""Every catalog KPI written again in plain Python over row dicts: the independent side of the checks.

These formulas are written from the metric descriptions, not from the catalog expressions, and use
only `decimal.Decimal` (the engines are never asked). Each takes the rows of one period (already
filtered) and returns the unrounded value, or None.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

Row = dict[str, Any]
Formula = Callable[[Sequence[Row]], Decimal | None]


def _sum(rows: Sequence[Row], terms: list[Decimal]) -> Decimal | None:
    """SQL's SUM: 0 over no rows here (an empty bucket of a flow), NULL when no row has a value."""
    if rows and not terms:
        return None
    return sum(terms, Decimal(0))


def total(rows: Sequence[Row], column: str) -> Decimal | None:
    """Σ column (missing values skipped)."""
    return _sum(rows, [Decimal(r[column]) for r in rows if r[column] is not None])


def weighted(rows: Sequence[Row], column: str, weight: str) -> Decimal | None:
    """Σ column × weight over rows where both are present."""
    return _sum(
        rows,
        [
            Decimal(r[column]) * r[weight]
            for r in rows
            if r[column] is not None and r[weight] is not None
        ],
    )


def div(numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    """numerator / denominator at 50 digits; None for a zero or missing denominator."""
    if numerator is None or not denominator:
        return None
    with localcontext() as ctx:
        ctx.prec = 50
        return numerator / denominator


def latest(rows: Sequence[Row]) -> list[Row]:
    """The rows of the newest date (for balances)."""
    if not rows:
        return []
    newest = max(r["date"] for r in rows)
    return [r for r in rows if r["date"] == newest]


def _customers(rows: Sequence[Row]) -> Decimal | None:
    new, back = total(rows, "new_customers"), total(rows, "returning_customers")
    return None if new is None or back is None else new + back


def _with_spend(rows: Sequence[Row]) -> list[Row]:
    """The rows whose campaign spend is known."""
    return [r for r in rows if r["spend"] is not None]


def _times(rows: Sequence[Row], column: str, factor: int) -> Decimal | None:
    value = total(rows, column)
    return None if value is None else value * factor


def _balance(formula: Formula) -> Formula:
    return lambda rows: formula(latest(rows)) if rows else None


EXPECTED: dict[str, Formula] = {
    # revenue
    "daily_revenue": lambda r: total(r, "total_revenue"),
    "total_transactions": lambda r: total(r, "total_transactions"),
    "average_order_value": lambda r: div(total(r, "total_revenue"), total(r, "total_transactions")),
    "new_customers": lambda r: total(r, "new_customers"),
    "returning_customers": lambda r: total(r, "returning_customers"),
    "new_customer_share": lambda r: div(total(r, "new_customers"), _customers(r)),
    "revenue_per_customer": lambda r: div(total(r, "total_revenue"), _customers(r)),
    "transactions_per_customer": lambda r: div(total(r, "total_transactions"), _customers(r)),
    "conversion_rate": lambda r: div(total(r, "converted_sessions"), total(r, "sessions")),
    "refund_rate": lambda r: div(
        weighted(r, "refund_rate", "total_transactions"), total(r, "total_transactions")
    ),
    # customers
    "total_customers": _balance(lambda r: total(r, "total_customers")),
    "active_customers": _balance(lambda r: total(r, "active_customers")),
    "active_customer_rate": _balance(
        lambda r: div(total(r, "active_customers"), total(r, "total_customers"))
    ),
    "new_acquisitions": lambda r: total(r, "new_acquisitions"),
    "churned_customers": lambda r: total(r, "churn_count"),
    "churn_rate": lambda r: div(total(r, "churn_count"), total(r, "churn_base")),
    "retention_rate": lambda r: div(total(r, "retained"), total(r, "retention_base")),
    "avg_customer_lifetime_value": _balance(
        lambda r: div(
            weighted(r, "avg_lifetime_value", "total_customers"), total(r, "total_customers")
        )
    ),
    "avg_engagement_score": lambda r: div(
        weighted(r, "avg_engagement_score", "active_customers"), total(r, "active_customers")
    ),
    # products
    "product_revenue": lambda r: total(r, "revenue"),
    "units_sold": lambda r: total(r, "units_sold"),
    "average_selling_price": lambda r: div(total(r, "revenue"), total(r, "units_sold")),
    "gross_profit": lambda r: weighted(r, "margin_percentage", "revenue"),
    "gross_margin_rate": lambda r: div(
        weighted(r, "margin_percentage", "revenue"), total(r, "revenue")
    ),
    "product_return_rate": lambda r: div(
        weighted(r, "return_rate", "units_sold"), total(r, "units_sold")
    ),
    "stock_out_days": lambda r: total(r, "stock_out_days"),
    "forecast_demand_units": lambda r: total(r, "demand_forecast"),
    # campaigns (rows already restricted to one attribution model)
    "impressions": lambda r: total(r, "impressions"),
    "clicks": lambda r: total(r, "clicks"),
    "click_through_rate": lambda r: div(total(r, "clicks"), total(r, "impressions")),
    "campaign_conversions": lambda r: total(r, "conversions"),
    "click_conversion_rate": lambda r: div(total(r, "conversions"), total(r, "clicks")),
    "attributed_revenue": lambda r: total(r, "revenue_attributed"),
    "ad_spend": lambda r: total(r, "spend"),
    "cost_per_acquisition": lambda r: div(total(r, "spend"), total(_with_spend(r), "conversions")),
    "return_on_ad_spend": lambda r: div(
        total(_with_spend(r), "revenue_attributed"), total(r, "spend")
    ),
    # customer experience
    "customer_interactions": lambda r: total(r, "total_interactions"),
    "average_rating": lambda r: div(total(r, "rating_sum"), total(r, "rating_count")),
    "average_sentiment": lambda r: div(total(r, "sentiment_sum"), total(r, "sentiment_count")),
    "response_rate": lambda r: div(total(r, "responded_contacts"), total(r, "support_contacts")),
    "resolution_rate": lambda r: div(total(r, "resolved_contacts"), total(r, "support_contacts")),
    "avg_resolution_time": lambda r: div(
        total(r, "resolution_seconds"), _times(r, "timed_contacts", 3600)
    ),
    "net_promoter_score": lambda r: div(
        _times(r, "nps_net_promoters", 100), total(r, "nps_responses")
    ),
    "escalation_rate": lambda r: div(total(r, "escalated_contacts"), total(r, "support_contacts")),
    # agents
    "agent_operations": lambda r: total(r, "total_operations"),
    "agent_success_rate": lambda r: div(
        total(r, "successful_operations"), total(r, "total_operations")
    ),
    "agent_errors": lambda r: total(r, "error_count"),
    "agent_error_rate": lambda r: div(total(r, "error_count"), total(r, "total_operations")),
    "agent_avg_execution_time": lambda r: div(
        total(r, "busy_seconds"), total(r, "timed_operations")
    ),
}

PLACES = {"currency": 2, "percent": 4, "ratio": 4, "count": 2, "score": 4, "seconds": 2, "hours": 2}


def rounded(value: Decimal | None, unit: str) -> Decimal | None:
    """Round half away from zero to the unit's places, like the API promises."""
    if value is None:
        return None
    return value.quantize(Decimal(1).scaleb(-PLACES[unit]), ROUND_HALF_UP)
