"""The `events` source type: web and app sessions, most of which do not convert.

Every online or app sale has the session that converted: page_view -> product_view(s) ->
add_to_cart -> checkout_started -> purchase, the purchase at the sale's second and carrying its
`transaction_id` (the sale's `session_id` is this session). Around the sales, browsing sessions
come and go without buying, so that converting sessions are `web_conversion_rate` of all.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from databank.demo.generator import fmt
from databank.demo.generator.campaigns import UTM
from databank.demo.generator.frame import Frame, segment_positions
from databank.demo.generator.sales import build_sales, second_of_day
from databank.demo.generator.stream import Rendered, SourceSpec
from databank.demo.generator.vocab import APP_AGENTS, BROWSER_AGENTS
from databank.demo.generator.world import EVENTS, World

EVENT_TYPES = ("page_view", "product_view", "add_to_cart", "checkout_started", "purchase")
PAGE_VIEW, PRODUCT_VIEW, ADD_TO_CART, CHECKOUT, PURCHASE = range(5)
URLS = ("/", "/p/", "/cart", "/checkout", "/checkout/confirmation")
AGENTS = (*BROWSER_AGENTS, *APP_AGENTS)
UTM_SOURCES = tuple(UTM.values())
LOGGED_IN_VISITOR = 100_000_000_000  # anonymous_id of a known customer: this + customer index
ANONYMOUS_VISITOR = 500_000_000_000
FAULTS = (("missing_event_type", "event_type"), ("bad_timestamp", "timestamp"))


def produce(world: World, chunk: int) -> Frame:
    """Converting sessions of the chunk's online sales, then the browsing sessions around them."""
    s = world.cached("sales", chunk, build_sales)
    rng = world.rng(EVENTS, chunk)
    return Frame.concat([_converting(world, rng, s), _browsing(world, rng, s)])


def _converting(world: World, rng: np.random.Generator, s: Frame) -> Frame:
    rows = np.flatnonzero(s["online"])
    k = len(rows)
    views = 1 + (rng.random(k) < 0.4) + (rng.random(k) < 0.15)
    sizes = views + 4
    group, pos = segment_positions(sizes)
    sale_ts = s["ts"][rows]
    duration = np.minimum(rng.integers(120, 2400, k), sale_ts)
    start = sale_ts - duration
    last = sizes[group] - 1
    ts = np.where(pos == last, sale_ts[group], start[group] + duration[group] * pos // last.clip(1))
    v = views[group]
    etype = np.select(
        [pos == 0, pos < v, pos == v, pos == v + 1, pos == v + 2],
        [PAGE_VIEW, PRODUCT_VIEW, PRODUCT_VIEW, ADD_TO_CART, CHECKOUT],
        PURCHASE,
    )
    sold = s["prod"][rows][group]
    lookup = world.plan.product_lookup
    browsed = lookup[rng.integers(0, len(lookup), len(pos))]
    prod = np.where(etype == PAGE_VIEW, -1, np.where(pos < v, browsed, sold))
    campaign = s["campaign"][rows][group]
    tagged = (etype == PAGE_VIEW) | (etype == PURCHASE)
    seq = s["seq"][rows][group]
    cust = s["cust"][rows][group].astype(np.int64)
    app = s["channel"][rows][group] == 1
    agent = np.where(app, len(BROWSER_AGENTS) + cust % len(APP_AGENTS), cust % len(BROWSER_AGENTS))
    return _frame(
        ts,
        seq * 8,
        pos,
        etype,
        cust,
        LOGGED_IN_VISITOR + cust,
        agent,
        prod,
        np.where(etype == PURCHASE, seq, -1),
        np.where(tagged, campaign, -1),
        s["churn"][rows][group],
    )


def _browsing(world: World, rng: np.random.Generator, s: Frame) -> Frame:
    n = len(s)
    per_sale = float(s["online"].mean()) * (1 / world.cfg.web_conversion_rate - 1) if n else 0.0
    count = np.minimum(rng.poisson(per_sale, n), 7)
    sale, j = segment_positions(count)
    m = len(sale)
    views = (rng.random(m) < 0.55).astype(np.int64) + (rng.random(m) < 0.2)
    cart = (views > 0) & (rng.random(m) < 0.25)
    checkout = cart & (rng.random(m) < 0.3)
    sizes = 1 + views + cart + checkout
    group, pos = segment_positions(sizes)
    start = s["day"][sale].astype(np.int64) * 86_400 + second_of_day(rng.random(m))
    step = rng.integers(15, 180, m)
    ts = start[group] + pos * step[group]
    v = views[group]
    etype = np.select(
        [pos == 0, pos <= v, pos == v + 1], [PAGE_VIEW, PRODUCT_VIEW, ADD_TO_CART], CHECKOUT
    )
    lookup = world.plan.product_lookup
    browsed = lookup[rng.integers(0, len(lookup), m * 3)].reshape(m, 3)
    last_viewed = browsed[np.arange(m), np.maximum(views - 1, 0)]
    prod = np.where(
        etype == PAGE_VIEW,
        -1,
        np.where(
            etype == PRODUCT_VIEW,
            browsed[group, np.minimum(pos - 1, 2).clip(0)],
            last_viewed[group],
        ),
    )
    session = s["seq"][sale] * 8 + j + 1
    known = rng.random(m) < 0.35
    cust = np.where(known, s["cust"][sale].astype(np.int64), -1)
    visitor = np.where(known, LOGGED_IN_VISITOR + cust, ANONYMOUS_VISITOR + session % 10**11)
    agent = rng.integers(0, len(AGENTS), m)
    return _frame(
        ts,
        session[group],
        pos,
        etype,
        cust[group],
        visitor[group],
        agent[group],
        prod,
        np.full(len(pos), -1),
        np.full(len(pos), -1),
        np.zeros(len(pos), bool),
    )


def _frame(
    ts: np.ndarray,
    session: np.ndarray,
    pos: np.ndarray,
    etype: np.ndarray,
    cust: np.ndarray,
    visitor: np.ndarray,
    agent: np.ndarray,
    prod: np.ndarray,
    tx: np.ndarray,
    campaign: np.ndarray,
    churn: np.ndarray,
) -> Frame:
    return Frame(
        {
            "eid": session * 16 + pos,
            "etype": etype.astype(np.int8),
            "ts": ts.astype(np.int64),
            "day": (ts // 86_400).astype(np.int32),
            "session": session.astype(np.int64),
            "cust": cust.astype(np.int32),
            "visitor": visitor.astype(np.int64),
            "agent": agent.astype(np.int8),
            "prod": prod.astype(np.int32),
            "tx": tx.astype(np.int64),
            "campaign": campaign.astype(np.int32),
            "churn": churn,
        }
    )


def keys(world: World, frame: Frame) -> pa.Array:
    """`event_id` of each row."""
    return fmt.ids("EVT-", frame["eid"])


def render(world: World, frame: Frame) -> Rendered:
    """Arrow records in the documented field order."""
    fault, etype, prod, campaign = frame["fault"], frame["etype"], frame["prod"], frame["campaign"]
    stamp = fmt.timestamp_matrix(world.start_epoch_second + frame["ts"])
    stamp[fault == 2, 5:7] = np.frombuffer(b"13", dtype=np.uint8)
    product_id = fmt.ids_of(world.product_ids, prod, prod >= 0)
    url = _urls(world, etype, prod)
    ctype = world.campaigns.ctype
    properties = pa.StructArray.from_arrays(
        [
            product_id,
            fmt.ids("TXN-", frame["tx"], frame["tx"] >= 0),
            fmt.ids_of(world.campaign_ids, campaign, campaign >= 0),
            fmt.vocab(
                list(UTM_SOURCES), np.where(campaign >= 0, ctype[campaign], 0), campaign >= 0
            ),
            url,
        ],
        names=["product_id", "transaction_id", "campaign_id", "utm_source", "url"],
    )
    cust = frame["cust"]
    columns: dict[str, pa.Array] = {
        "event_id": keys(world, frame),
        "event_type": fmt.categorical(list(EVENT_TYPES), etype, fault != 1),
        "timestamp": fmt.from_matrix(stamp),
        "session_id": fmt.ids("SES-", frame["session"]),
        "customer_id": fmt.ids("CUS-", cust + 1, cust >= 0),
        "anonymous_id": fmt.ids("ANO-", frame["visitor"]),
        "user_agent": fmt.categorical(list(AGENTS), frame["agent"]),
        "properties": properties,
    }
    return Rendered(pa.Table.from_arrays(list(columns.values()), names=list(columns)))


def _urls(world: World, etype: np.ndarray, prod: np.ndarray) -> pa.Array:
    """`/`, `/p/<product_id>`, `/cart`, `/checkout` or `/checkout/confirmation`."""
    width = max(len(u) for u in URLS) + 16
    table = np.zeros((len(URLS), width), dtype=np.uint8)
    for i, u in enumerate(URLS):
        table[i, : len(u)] = np.frombuffer(u.encode(), dtype=np.uint8)
    mat = table[etype]
    lengths = np.array([len(u) for u in URLS], dtype=np.int32)[etype]
    viewing = np.flatnonzero(etype == PRODUCT_VIEW)
    mat[viewing, 3:19] = world.product_ids[prod[viewing]]
    lengths[viewing] += 16
    return fmt.from_ragged(mat, lengths)


def eligible(frame: Frame) -> np.ndarray:
    """Purchase events stay valid: each must point at its sale."""
    return frame["etype"] != PURCHASE


def tally(world: World, frame: Frame, acc: dict[str, Any]) -> None:
    """Count valid events, purchases and sessions (by their first page view)."""
    valid = ~frame["dup"] & (frame["fault"] == 0)
    etype = frame["etype"]
    acc["valid_events"] = acc.get("valid_events", 0) + int(valid.sum())
    acc["purchase_events"] = acc.get("purchase_events", 0) + int(
        (valid & (etype == PURCHASE)).sum()
    )
    first = ~frame["dup"] & (frame["eid"] % 16 == 0)
    acc["sessions"] = acc.get("sessions", 0) + int(first.sum())
    acc["converting_sessions"] = acc.get("converting_sessions", 0) + int(
        (first & (frame["session"] % 8 == 0)).sum()
    )


SPEC = SourceSpec(
    name="events",
    code=5,
    key_field="event_id",
    faults=FAULTS,
    produce=produce,
    render=render,
    keys=keys,
    eligible=eligible,
    lookback_days=1,
    tally=tally,
)
