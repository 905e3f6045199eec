"""Sales of one chunk of days: the core every other activity source is derived from.

Each day gets its planned number of sales at times drawn from an intraday curve (already in time
order, no sort). A sale is an ordinary one, an extra sale of a running campaign's product, or the
last purchase of a churner. Buyers are drawn by purchase weight, never before they registered,
never on or after their churn trigger day, and, in the region-drop window, mostly not from the
dropping region. A sale also decides its later experience: refunded? delivered late? will the
customer write feedback or open a support ticket?
"""

from __future__ import annotations

import numpy as np

from databank.demo.generator.config import ONLINE_CHANNELS
from databank.demo.generator.frame import Frame, sorted_uniforms
from databank.demo.generator.plan import weighted_lookup
from databank.demo.generator.vocab import COUNTRIES
from databank.demo.generator.world import SALES, World

PAYMENTS = ("card", "paypal", "bank_transfer", "cash", "voucher")
PAYMENT_BY_CHANNEL = np.array(
    [  # rows as CHANNELS, columns as PAYMENTS
        [0.55, 0.33, 0.08, 0.00, 0.04],
        [0.60, 0.35, 0.02, 0.00, 0.03],
        [0.72, 0.00, 0.00, 0.24, 0.04],
        [0.50, 0.50, 0.00, 0.00, 0.00],
    ]
).cumsum(axis=1)
HOURLY = np.array(  # relative sales per UTC hour, 0-23
    [
        [0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 1.5, 2.0, 2.3, 2.5],
        [2.7, 2.5, 2.3, 2.2, 2.3, 2.5, 2.8, 3.0, 2.8, 2.2, 1.4, 0.7],
    ]
).ravel()
PAYMENT_TABLE = np.stack(
    [weighted_lookup(np.diff(row, prepend=0.0), 1000) for row in PAYMENT_BY_CHANNEL]
).astype(np.int8)
VAT = np.array([c.vat for c in COUNTRIES])
QUANTITY = np.minimum(1 + np.floor(np.log1p(-np.arange(4096) / 4096) / np.log(0.28)), 5).astype(
    np.int8
)  # geometric(p=0.72) capped at 5, as a lookup table
REFUND_HOURS = 11 * 3600
ATTRIBUTED_SHARE = 0.35  # ordinary sales of a promoted product credited to the campaign


def _intraday_table(size: int = 1 << 18) -> np.ndarray:
    """Quantile table: uniform (scaled to `size`) -> second of the day, monotone."""
    cum = np.concatenate([[0.0], np.cumsum(HOURLY / HOURLY.sum())])
    u = (np.arange(size) + 0.5) / size
    hour = np.minimum(np.searchsorted(cum, u, side="right") - 1, 23)
    frac = (u - cum[hour]) / (cum[hour + 1] - cum[hour])
    return (hour * 3600 + np.minimum(frac * 3600, 3599)).astype(np.int64)


INTRADAY = _intraday_table()


def second_of_day(u: np.ndarray) -> np.ndarray:
    """Map uniforms in [0, 1) to seconds of the day along the intraday curve (monotone)."""
    return INTRADAY[(u * len(INTRADAY)).astype(np.int64)]


def build_sales(world: World, chunk: int) -> Frame:
    """All sales whose day lies in `chunk`, numbered from the plan's chunk offset."""
    cfg, plan, dim, products = world.cfg, world.plan, world.customers, world.products
    rng = world.rng(SALES, chunk)
    d0, d1 = world.chunk_days(chunk)
    counts = plan.counts[d0:d1]
    n = int(counts.sum())
    day = np.repeat(np.arange(d0, d1, dtype=np.int32), counts)
    ts = day.astype(np.int64) * 86_400 + second_of_day(sorted_uniforms(rng, counts))
    churn, cust, churn_delay = _place_churners(world, rng, day, counts, d0, d1)
    campaign, prod = _campaign_roles(world, rng, day, churn, d0, d1)
    free = ~churn
    cust[free] = draw_customers(world, rng, day[free])
    profile = np.take(dim.profile, cust)
    u_channel = rng.random(n)
    drawn = world.channel_table[(u_channel * len(world.channel_table)).astype(np.int64)]
    channel = np.where(u_channel < 0.6, (profile >> 11).astype(np.int8), drawn)
    channel[churn] = 0
    qty = QUANTITY[rng.integers(0, len(QUANTITY), n)]
    cur = (profile & 15).astype(np.int8)
    prices = products.price_local_cents
    gross = np.take(prices, prod.astype(np.intp) * prices.shape[1] + cur) * qty  # cents
    # promoted sales: 10-30 % off; 4 % of the others: a 5-10 % voucher
    u_discount = rng.random(n)
    pct = np.where(
        campaign >= 0,
        0.1 + 0.2 * u_discount,
        np.where(u_discount < 0.04, 0.05 + 1.25 * u_discount, 0.0),
    )
    discount = np.rint(gross * pct).astype(np.int32)
    amount = (gross - discount).astype(np.int32)
    vat = np.take(VAT, (profile >> 4) & 15)
    tax = np.rint(amount * vat / (1 + vat)).astype(np.int32)
    pay = PAYMENT_TABLE.ravel()[
        channel.astype(np.int64) * PAYMENT_TABLE.shape[1]
        + (rng.random(n) * PAYMENT_TABLE.shape[1]).astype(np.int64)
    ]
    # the experience that follows
    u_refund = rng.random(n)
    refunded = (u_refund < plan.refund_p) | churn
    w0, w1 = plan.spike_window
    if plan.spike_product >= 0 and cfg.refund_spike is not None and d0 < w1 and d1 > w0:
        spiking = (prod == plan.spike_product) & (day >= w0) & (day < w1)
        refunded[spiking] = u_refund[spiking] < cfg.refund_spike.refund_rate
    # refunds come 1-30 days later (a churner's: as planned), between 09:00 and 20:00
    when = rng.integers(0, 30 * REFUND_HOURS, n)
    delay = 1 + when // REFUND_HOURS
    delay[churn] = churn_delay
    refund_ts = (day + delay).astype(np.int64) * 86_400 + 9 * 3600 + when % REFUND_HOURS
    refunded &= (day + delay) < cfg.days
    online = channel <= max(ONLINE_CHANNELS)
    late = (online & (rng.random(n) < cfg.late_delivery_share)) | churn
    u_ticket, u_feedback = rng.random(n), rng.random(n)
    has_ticket = churn | (u_ticket < np.where(refunded, 0.45, np.where(late, 0.35, 0.004)))
    has_feedback = churn | (
        u_feedback < np.where(refunded, 0.35, np.where(late, 0.25, cfg.feedback_rate))
    )
    seq = plan.chunk_offsets[chunk] + np.arange(1, n + 1, dtype=np.int64)
    return Frame(
        {
            "seq": seq,
            "ts": ts,
            "day": day,
            "cust": cust,
            "prod": prod,
            "qty": qty,
            "channel": channel,
            "pay": pay,
            "cur": cur,
            "region": ((profile >> 8) & 7).astype(np.int8),
            "amount": amount,
            "discount": discount,
            "tax": tax,
            "campaign": campaign,
            "churn": churn,
            "refunded": refunded,
            "refund_ts": refund_ts,
            "online": online,
            "late": late,
            "has_ticket": has_ticket,
            "has_feedback": has_feedback,
        }
    )


def draw_customers(world: World, rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
    """Buyers for sales on `day`, by purchase weight, each valid on their day.

    In the region-drop window a share `1 - drop_keep` of the sales is drawn from the customers
    outside the dropping region, so that region keeps `1 - drop` of its usual sales.
    """
    plan = world.plan
    full, other = plan.buyer_lookup, plan.other_buyer_lookup
    packed = full[rng.integers(0, len(full), len(day))]
    use_other = np.zeros(len(day), dtype=bool)
    w0, w1 = plan.drop_window
    if plan.drop_region >= 0 and len(day) and day.min() < w1 and day.max() >= w0:
        use_other = (day >= w0) & (day < w1) & (rng.random(len(day)) >= plan.drop_keep)
        packed[use_other] = other[rng.integers(0, len(other), int(use_other.sum()))]
    rows = np.flatnonzero((day < ((packed >> 32) & 0xFFFF)) | (day >= (packed >> 48)))
    for attempt in range(10):
        if len(rows) == 0:
            break
        if attempt == 9:  # give up on weights: anyone who can always buy
            safe = plan.safe_customers
            packed[rows] = safe[rng.integers(0, len(safe), len(rows))]
            break
        draw = rng.integers(0, 1 << 62, len(rows))
        packed[rows] = np.where(use_other[rows], other[draw % len(other)], full[draw % len(full)])
        p, d = packed[rows], day[rows]
        rows = rows[(d < ((p >> 32) & 0xFFFF)) | (d >= (p >> 48))]
    return (packed & 0xFFFF_FFFF).astype(np.int32)


def _place_churners(
    world: World, rng: np.random.Generator, day: np.ndarray, counts: np.ndarray, d0: int, d1: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Put each churner's last purchase on a distinct random sale slot of its trigger day.

    Returns the churn mask, the customers (-1 where not yet drawn) and, in slot order, the
    planned refund delay of each churner's sale.
    """
    plan = world.plan
    churn = np.zeros(len(day), dtype=bool)
    cust = np.full(len(day), -1, dtype=np.int32)
    lo, hi = np.searchsorted(plan.churn_day, [d0, d1])
    members, k = plan.churn_customer[lo:hi], plan.churn_day[lo:hi] - d0
    starts = np.cumsum(counts) - counts
    slots = starts[k] + (rng.random(len(k)) * counts[k]).astype(np.int64)
    for _ in range(100):  # redraw the rare slot collisions
        _, first = np.unique(slots, return_index=True)
        clash = np.setdiff1d(np.arange(len(slots)), first)
        if len(clash) == 0:
            break
        again = (rng.random(len(clash)) * counts[k[clash]]).astype(np.int64)
        slots[clash] = starts[k[clash]] + again
    churn[slots] = True
    cust[slots] = members
    order = np.argsort(slots)
    return churn, cust, plan.churn_refund_days[lo:hi][order]


def _campaign_roles(
    world: World, rng: np.random.Generator, day: np.ndarray, churn: np.ndarray, d0: int, d1: int
) -> tuple[np.ndarray, np.ndarray]:
    """Campaign (or -1) and product of each sale: extra promotional sales, then the rest."""
    plan, camps = world.plan, world.campaigns
    n = len(day)
    lookup = plan.product_lookup
    prod = lookup[rng.integers(0, len(lookup), n)]
    campaign = np.full(n, -1, dtype=np.int16)
    active = np.flatnonzero(plan.extra_rate[:, d0:d1].sum(axis=1) > 0)
    if len(active) == 0:
        return campaign, prod
    rates = plan.extra_rate[active, d0:d1]
    total = plan.base_rate[d0:d1] + plan.extra_rate[:, d0:d1].sum(axis=0)
    cum = np.cumsum(rates / total, axis=0)
    u = rng.random(n)
    role = np.empty(n, dtype=np.int64)
    bounds = np.searchsorted(day, np.arange(d0, d1 + 1))
    for k in range(d1 - d0):
        a, b = bounds[k], bounds[k + 1]
        role[a:b] = np.searchsorted(cum[:, k], u[a:b], side="right")
    promo_map = np.full((d1 - d0, len(world.products)), -1, dtype=np.int16)
    for i, c in enumerate(active):
        rows = np.flatnonzero((role == i) & ~churn)
        promoted = camps.products[c]
        prod[rows] = promoted[rng.integers(0, len(promoted), len(rows))]
        campaign[rows] = c
        lo, hi = max(d0, int(camps.start[c])) - d0, min(d1, int(camps.end[c]) + 1) - d0
        promo_map[lo:hi, promoted] = c
    ordinary = campaign < 0
    credited = promo_map[day - d0, prod]
    credit = ordinary & ~churn & (credited >= 0) & (rng.random(n) < ATTRIBUTED_SHARE)
    campaign[credit] = credited[credit]
    return campaign, prod
