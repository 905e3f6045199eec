"""`World`: the fixed part of a business (customers, catalogue, campaigns, plan) and its RNGs.

Every random draw comes from a generator seeded by `(seed, stream, chunk)`, so each chunk of each
source type can be produced alone and in any order, and the same config gives the same bytes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from threading import Lock

import numpy as np

from databank.demo.generator import fmt
from databank.demo.generator.campaigns import build_campaigns
from databank.demo.generator.catalog import build_products
from databank.demo.generator.config import BusinessConfig
from databank.demo.generator.customers import build_customers
from databank.demo.generator.frame import Frame
from databank.demo.generator.plan import build_plan, weighted_lookup

# stream numbers of the seeded generators (never reuse one for a different purpose)
DIM_CUSTOMERS, DIM_PRODUCTS, DIM_CAMPAIGNS, DIM_PLAN = 1, 2, 3, 4
SALES, EVENTS, FEEDBACK, INTERACTIONS, CUSTOMERS, REFUNDS = 10, 11, 12, 13, 14, 15
FAULTS = 100  # + the source type's code


class World:
    """The fixed part of one business; build it once per config (about 0.1 s at scale 1)."""

    def __init__(self, cfg: BusinessConfig) -> None:
        self.cfg = cfg
        self.start_epoch_day = fmt.epoch_day(cfg.start_date)
        self.start_epoch_second = self.start_epoch_day * 86_400
        self.customers = build_customers(cfg, self.rng(DIM_CUSTOMERS))
        self.products = build_products(cfg, self.rng(DIM_PRODUCTS))
        self.campaigns = build_campaigns(cfg, self.products, self.rng(DIM_CAMPAIGNS))
        self.plan = build_plan(
            cfg, self.customers, self.products, self.campaigns, self.rng(DIM_PLAN)
        )
        self.product_ids = fmt.id_matrix("PRD-", np.arange(1, len(self.products) + 1))
        self.campaign_ids = fmt.id_matrix("CMP-", np.arange(1, len(self.campaigns) + 1))
        self.channel_table = weighted_lookup(np.asarray(cfg.channel_weights), 1000).astype(np.int8)
        self.n_chunks = -(-cfg.days // cfg.resolved_chunk_days)
        self._cache: OrderedDict[tuple[str, int], Frame] = OrderedDict()
        self._lock = Lock()

    def rng(self, *stream: int) -> np.random.Generator:
        """The generator of one stream (e.g. `SALES, chunk`)."""
        return np.random.default_rng([self.cfg.seed, *stream])

    def chunk_days(self, chunk: int) -> tuple[int, int]:
        """`[first, end)` days of `chunk`."""
        first = chunk * self.cfg.resolved_chunk_days
        return first, min(self.cfg.days, first + self.cfg.resolved_chunk_days)

    def cached(self, name: str, chunk: int, build: Callable[[World, int], Frame]) -> Frame:
        """`build(self, chunk)`, kept for the few most recent chunks (sources share sales)."""
        key = (name, chunk)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        frame = build(self, chunk)
        with self._lock:
            self._cache[key] = frame
            while len(self._cache) > 4:
                self._cache.popitem(last=False)
        return frame
