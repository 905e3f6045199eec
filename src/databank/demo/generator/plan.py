"""The day-level plan: how many sales each day has, who churns when, and the anomaly windows.

Everything here is small (one value per day, campaign or churner) and drawn once, so any chunk
of days can later be generated on its own: the sale numbers of a chunk start at the sum of the
planned counts of the chunks before it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from databank.demo.generator.campaigns import CampaignDim
from databank.demo.generator.catalog import ProductDim
from databank.demo.generator.config import REGIONS, BusinessConfig
from databank.demo.generator.customers import CustomerDim

LOOKUP_MIN = 1 << 16


@dataclass
class Plan:
    """Per-day volumes, churners, anomaly parameters and the weighted-draw tables."""

    weekday: np.ndarray  # 0 = Monday, per day
    month: np.ndarray  # 1..12, per day
    base_rate: np.ndarray  # expected ordinary sales per day (region drop included)
    extra_rate: np.ndarray  # (campaigns, days) expected extra sales of promoted products
    counts: np.ndarray  # planned sales per day (all roles, churn triggers included)
    chunk_offsets: np.ndarray  # number of sales before each chunk
    churn_customer: np.ndarray  # churners, sorted by trigger day
    churn_day: np.ndarray  # day of the last purchase (the trigger sale)
    churn_refund_days: np.ndarray  # days from the trigger sale to its refund (= churn date)
    refund_p: float  # refund probability of an ordinary sale
    customer_lookup: np.ndarray  # uniform index -> customer, by purchase weight
    buyer_lookup: np.ndarray  # the same packed: customer | first buying day << 32 | stop << 48
    other_buyer_lookup: np.ndarray  # the same without the dropping region
    safe_customers: np.ndarray  # packed fallback buyers: registered before day 0, never churn
    product_lookup: np.ndarray
    drop_region: int  # -1: no region drop
    drop_window: tuple[int, int]
    drop_keep: float  # probability to keep a drawn customer of the dropping region
    spike_product: int  # -1: no refund spike
    spike_window: tuple[int, int]


def weighted_lookup(weights: np.ndarray, size: int) -> np.ndarray:
    """A table where index `i` appears about `size * weights[i] / sum` times (exactly `size`)."""
    share = np.cumsum(np.asarray(weights, dtype=float))
    bounds = np.rint(share / share[-1] * size).astype(np.int64)
    counts = np.diff(bounds, prepend=0)
    return np.repeat(np.arange(len(counts), dtype=np.int32), counts)


def build_plan(
    cfg: BusinessConfig,
    customers: CustomerDim,
    products: ProductDim,
    campaigns: CampaignDim,
    rng: np.random.Generator,
) -> Plan:
    """Draw the day-level plan of `cfg` and mark the churners in `customers.stop_day`."""
    days = np.arange(cfg.days)
    dates = np.datetime64(cfg.start_date.isoformat()) + days
    weekday = ((dates.astype("datetime64[D]").astype(np.int64) + 3) % 7).astype(np.int8)
    month = (dates.astype("datetime64[M]").astype(np.int64) % 12 + 1).astype(np.int8)
    base = (
        cfg.daily_sales
        * cfg.scale
        * np.asarray(cfg.weekday_factors)[weekday]
        * np.asarray(cfg.month_factors)[month - 1]
        * (1 + cfg.annual_growth) ** (days / 365.0)
    )
    # the region drop lowers all volume by the region's share times the drop
    c_lookup = weighted_lookup(customers.weight, max(LOOKUP_MIN, 4 * len(customers)))
    factor = np.ones(cfg.days)
    drop_region, keep, window = -1, 1.0, cfg.region_drop_window or (0, 0)
    if cfg.region_drop is not None:
        drop_region = REGIONS.index(cfg.region_drop.region)
        share = float(np.mean(customers.region[c_lookup] == drop_region))
        drop = cfg.region_drop.drop
        factor[window[0] : window[1]] = 1 - share * drop
        keep = (1 - drop) / (1 - share * drop)
    p_weight = products.weight / products.weight.sum()
    extra = np.zeros((len(campaigns), cfg.days))
    for c in range(len(campaigns)):
        lo, hi = int(campaigns.start[c]), min(cfg.days, int(campaigns.end[c]) + 1)
        extra[c, lo:hi] = base[lo:hi] * p_weight[campaigns.products[c]].sum() * campaigns.lift[c]
    churn_customer, churn_day, churn_refund = _churners(cfg, customers, rng)
    counts = rng.poisson((base + extra.sum(axis=0)) * factor)
    np.add.at(counts, churn_day, 1)
    per_chunk = np.add.reduceat(counts, np.arange(0, cfg.days, cfg.resolved_chunk_days))
    offsets = np.concatenate([[0], np.cumsum(per_chunk)])
    spike, spike_window, spike_extra = -1, cfg.refund_spike_window or (0, 0), 0.0
    expected = float(((base + extra.sum(axis=0)) * factor).sum())
    if cfg.refund_spike is not None:
        ranked = np.argsort(-products.weight, kind="stable")
        spike = int(ranked[min(cfg.refund_spike.product_rank, len(ranked) - 1)])
        in_window = float(base[spike_window[0] : spike_window[1]].sum()) * p_weight[spike]
        spike_extra = in_window * max(0.0, cfg.refund_spike.refund_rate - cfg.refund_share)
    refund_p = (
        cfg.refund_share * (expected + len(churn_customer)) - len(churn_customer) - spike_extra
    ) / max(1.0, expected)
    stop = customers.stop_day
    never = stop > cfg.days
    safe = np.flatnonzero(never & (customers.reg_day < 0) & (customers.region != drop_region))
    other = c_lookup[customers.region[c_lookup] != drop_region] if drop_region >= 0 else c_lookup
    first_day = np.maximum(customers.reg_day + 1, 0).astype(np.int64)
    packed = (
        np.arange(len(customers), dtype=np.int64)
        | first_day << 32
        | np.minimum(stop, 32_767).astype(np.int64) << 48
    )
    return Plan(
        weekday=weekday,
        month=month,
        base_rate=base * factor,
        extra_rate=extra * factor,
        counts=counts,
        chunk_offsets=offsets,
        churn_customer=churn_customer,
        churn_day=churn_day,
        churn_refund_days=churn_refund,
        refund_p=float(np.clip(refund_p, 0.0, 1.0)),
        customer_lookup=c_lookup,
        buyer_lookup=packed[c_lookup],
        other_buyer_lookup=packed[other],
        safe_customers=packed[safe],
        product_lookup=weighted_lookup(products.weight, max(LOOKUP_MIN, 64 * len(products))),
        drop_region=drop_region,
        drop_window=window,
        drop_keep=keep,
        spike_product=spike,
        spike_window=spike_window,
    )


def _churners(
    cfg: BusinessConfig, customers: CustomerDim, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pick churners (frequent buyers registered early) and their trigger days."""
    first, last = int(cfg.days * 0.15), int(cfg.days * 0.85)
    eligible = np.flatnonzero(customers.reg_day < first - 14)
    n = min(len(eligible), round(cfg.churn_share * len(customers)))
    if n == 0:
        empty = np.zeros(0, dtype=np.int32)
        return empty, empty, empty
    weight = customers.weight[eligible]
    chosen = rng.choice(eligible, size=n, replace=False, p=weight / weight.sum())
    trigger = rng.integers(first, last, n).astype(np.int32)
    refund_days = rng.integers(2, 7, n).astype(np.int32)
    order = np.lexsort((chosen, trigger))
    chosen, trigger, refund_days = chosen[order], trigger[order], refund_days[order]
    customers.stop_day[chosen] = trigger
    return chosen.astype(np.int32), trigger, refund_days
