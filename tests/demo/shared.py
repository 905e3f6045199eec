"""Constants shared by the demo tests."""

from __future__ import annotations

from databank.demo.generator import BusinessConfig

# two years at a quarter of the default volume: about 65,000 sales, 180,000 web events
CONFIG = BusinessConfig(seed=11, scale=0.25)

KEYS = {
    "customers": "customer_id",
    "products": "product_id",
    "campaigns": "campaign_id",
    "transactions": "transaction_id",
    "events": "event_id",
    "feedback": "feedback_id",
    "interactions": "interaction_id",
}
