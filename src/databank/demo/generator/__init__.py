"""A deterministic, vectorised generator of a coherent fictional retailer.

    from databank.demo.generator import BusinessConfig, generate_business

    business = generate_business(BusinessConfig(seed=7, days=730, scale=1.0))
    for batch in business.iter_batches("transactions", 5_000):   # lists of dicts
        ...
    for table in business.iter_tables("events", 100_000):        # pyarrow.Table
        ...
    for count, array in business.iter_json("events", 10_000):    # JSON array bytes (HTTP body)
        ...
    for delivery in business.iter_deliveries("feedback"):        # one per delivery date
        delivery.date, delivery.records()
    business.write_truth("truth.json")                           # what was injected

Source types: customers, products, campaigns, transactions, events, feedback, interactions
(records as in docs/source-records.md).
"""

from __future__ import annotations

from databank.demo.generator.business import (
    SOURCE_TYPES,
    Business,
    Delivery,
    generate_business,
)
from databank.demo.generator.config import BusinessConfig, RefundSpike, RegionDrop

__all__ = [
    "SOURCE_TYPES",
    "Business",
    "BusinessConfig",
    "Delivery",
    "RefundSpike",
    "RegionDrop",
    "generate_business",
]
