"""The `interactions` source type: support contacts and marketing touchpoints.

Support: refunded and late orders (and a few others) open a ticket, chat or call; most are
resolved (`resolved_at` - `occurred_at` is the resolution time), some escalate. A churner's ticket
stays open or escalated, never resolved. Marketing: each sale credited to a campaign is preceded
by 1-3 touches of that campaign (the last a click within hours of the purchase), so attribution
can be computed; other customers see the running campaigns without buying.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from databank.demo.generator import fmt
from databank.demo.generator.campaigns import MEDIA as MEDIA_OF
from databank.demo.generator.campaigns import TYPES, UTM
from databank.demo.generator.frame import Frame, segment_positions
from databank.demo.generator.sales import build_sales, draw_customers, second_of_day
from databank.demo.generator.stream import Rendered, SourceSpec
from databank.demo.generator.world import INTERACTIONS, World

ITYPES = (
    "support_ticket",
    "chat",
    "call",
    "ad_impression",
    "ad_click",
    "email_open",
    "email_click",
)
TICKET, CHAT, CALL, IMPRESSION, AD_CLICK, EMAIL_OPEN, EMAIL_CLICK = range(7)
# an e-mail campaign reaches customers without marketing consent only as an on-site banner
MEDIA = ("onsite", *(MEDIA_OF[t][0] for t in TYPES[1:]))
CHANNELS = ("email", "web_form", "chat", "phone", *MEDIA)
MEDIA_CHANNEL = np.arange(4, 4 + len(TYPES))  # channel code of each campaign type
# per channel code: placement and utm_source of a marketing touch (None: support channels)
PLACEMENT_OF = ("inbox", None, None, None, "banner", "feed", "search_results", "banner",
                "partner_link", "video")  # fmt: skip
UTM_OF = ("newsletter", None, None, None, "onsite", *(UTM[t] for t in TYPES[1:]))
STAGES = ("awareness", "consideration", "purchase", "retention", "advocacy", "loyalty")
STATUSES = ("open", "resolved", "escalated")
TOPICS = ("refund", "late_delivery", "product_question")
MEDIAN_MINUTES = np.array([18 * 60, 20, 10])  # ticket, chat, call
FAULTS = (
    ("missing_interaction_type", "interaction_type"),
    ("bad_timestamp", "occurred_at"),
    ("bad_journey_stage", "customer_journey_stage"),
)


def produce(world: World, chunk: int) -> Frame:
    """Support contacts after the chunk's sales, touches before them, background touches."""
    s = world.cached("sales", chunk, build_sales)
    rng = world.rng(INTERACTIONS, chunk)
    return Frame.concat(
        [_support(world, rng, s), _attributed(world, rng, s), _background(world, rng, s)]
    )


def _columns(n: int, **given: np.ndarray) -> Frame:
    cols = {
        "iid": np.zeros(n, np.int64),
        "itype": np.zeros(n, np.int8),
        "ts": np.zeros(n, np.int64),
        "cust": np.zeros(n, np.int32),
        "channel": np.zeros(n, np.int8),
        "stage": np.zeros(n, np.int8),
        "campaign": np.full(n, -1, np.int32),
        "resolved": np.full(n, -1, np.int64),
        "status": np.full(n, -1, np.int8),
        "escalated": np.zeros(n, bool),
        "responded": np.zeros(n, bool),
        "topic": np.full(n, -1, np.int8),
        "tx": np.full(n, -1, np.int64),
        "churn": np.zeros(n, bool),
    }
    for name, values in given.items():
        cols[name] = values.astype(cols[name].dtype)
    cols["day"] = (cols["ts"] // 86_400).astype(np.int32)
    return Frame(cols)


def _support(world: World, rng: np.random.Generator, s: Frame) -> Frame:
    rows = np.flatnonzero(s["has_ticket"])
    n = len(rows)
    ts, refund_ts = s["ts"][rows], s["refund_ts"][rows]
    refunded, late, churn = s["refunded"][rows], s["late"][rows], s["churn"][rows]
    occurred = np.select(
        [refunded, late],
        [
            ts + ((refund_ts - ts) * rng.uniform(0.2, 0.9, n)).astype(np.int64),
            ts + rng.integers(4 * 86_400, 8 * 86_400, n),
        ],
        ts + rng.integers(86_400, 10 * 86_400, n),
    )
    itype = np.select([rng.random(n) < 0.5, rng.random(n) < 0.6], [TICKET, CHAT], CALL)
    channel = np.select([itype == CHAT, itype == CALL], [2, 3], (rng.random(n) < 0.5).astype(int))
    escalated = churn & (rng.random(n) < 0.5) | ~churn & (rng.random(n) < 0.12)
    minutes = MEDIAN_MINUTES[itype] * np.exp(rng.normal(0.0, 0.8, n)) * np.where(escalated, 4, 1)
    resolved_at = occurred + (minutes * 60).astype(np.int64) + 60
    stuck = churn | escalated & (rng.random(n) < 0.3)
    unresolved = stuck | (rng.random(n) < 0.05) | (resolved_at >= world.cfg.days * 86_400)
    status = np.where(unresolved, np.where(escalated & stuck, 2, 0), 1)
    responded = (status != 0) | (~churn & (rng.random(n) < 0.5))
    topic = np.select([refunded, late], [0, 1], 2)
    return _columns(
        n,
        iid=s["seq"][rows] * 16,
        itype=itype,
        ts=occurred,
        cust=s["cust"][rows],
        channel=channel,
        stage=np.full(n, 3),
        resolved=np.where(unresolved, -1, resolved_at),
        status=status,
        escalated=escalated,
        responded=responded,
        topic=topic,
        tx=s["seq"][rows],
        churn=churn,
    )


def _attributed(world: World, rng: np.random.Generator, s: Frame) -> Frame:
    rows = np.flatnonzero(s["campaign"] >= 0)
    touches = 1 + (rng.random(len(rows)) < 0.5) + (rng.random(len(rows)) < 0.2)
    group, pos = segment_positions(touches)
    sale = rows[group]
    n = len(sale)
    campaign = s["campaign"][sale]
    cust = s["cust"][sale]
    ctype = world.campaigns.ctype[campaign]
    by_email = (ctype == 0) & world.customers.consent[cust]
    click = pos == 0
    back = np.where(click, rng.integers(60, 6 * 3600, n), rng.integers(6 * 3600, 7 * 86_400, n))
    ts = s["ts"][sale]
    first = np.minimum(world.campaigns.start[campaign].astype(np.int64) * 86_400, ts)
    inside = first + ((ts - first) * rng.random(n)).astype(np.int64)  # not before the campaign
    occurred = np.where(ts - back >= first, ts - back, inside)
    itype = np.where(
        by_email, np.where(click, EMAIL_CLICK, EMAIL_OPEN), np.where(click, AD_CLICK, IMPRESSION)
    )
    stage = np.select([click, itype == EMAIL_OPEN], [2, 1], 0)
    return _columns(
        n,
        iid=s["seq"][sale] * 16 + 1 + pos,
        itype=itype,
        ts=occurred,
        cust=cust,
        channel=np.where(by_email, 0, MEDIA_CHANNEL[ctype]),
        stage=stage,
        campaign=campaign,
    )


def _background(world: World, rng: np.random.Generator, s: Frame) -> Frame:
    camps = world.campaigns
    day = s["day"]
    if len(day) == 0:
        return _columns(0)
    d0, d1 = int(day[0]), int(day[-1]) + 1
    active = [camps.active_on(d) for d in range(d0, d1)]
    n_active = np.array([len(a) for a in active])
    table = np.full((d1 - d0, max(1, n_active.max())), -1, dtype=np.int32)
    for i, a in enumerate(active):
        table[i, : len(a)] = a
    count = np.where(n_active[day - d0] > 0, np.minimum(rng.poisson(0.6, len(day)), 4), 0)
    sale, j = segment_positions(count)
    n = len(sale)
    dd = day[sale] - d0
    campaign = table[dd, (rng.random(n) * n_active[dd]).astype(np.int64)]
    cust = draw_customers(world, rng, day[sale])  # registered, not yet gone
    ctype = camps.ctype[campaign]
    by_email = (ctype == 0) & world.customers.consent[cust]
    clicked = rng.random(n) < np.where(by_email, 0.2, 0.15)
    itype = np.where(
        by_email,
        np.where(clicked, EMAIL_CLICK, EMAIL_OPEN),
        np.where(clicked, AD_CLICK, IMPRESSION),
    )
    occurred = day[sale].astype(np.int64) * 86_400 + second_of_day(rng.random(n))
    return _columns(
        n,
        iid=s["seq"][sale] * 16 + 4 + j,
        itype=itype,
        ts=occurred,
        cust=cust,
        channel=np.where(by_email, 0, MEDIA_CHANNEL[ctype]),
        stage=np.where(clicked, 1, 0),
        campaign=campaign,
    )


def keys(world: World, frame: Frame) -> pa.Array:
    """`interaction_id` of each row."""
    return fmt.ids("INT-", frame["iid"])


def render(world: World, frame: Frame) -> Rendered:
    """Arrow records in the documented field order."""
    fault, itype, campaign, tx = frame["fault"], frame["itype"], frame["campaign"], frame["tx"]
    support = itype <= CALL
    stamp = fmt.timestamp_matrix(world.start_epoch_second + frame["ts"])
    stamp[fault == 2, 5:7] = np.frombuffer(b"13", dtype=np.uint8)
    stage = np.where(fault == 3, len(STAGES) - 1, frame["stage"])
    resolved = frame["resolved"]
    marketing = ~support
    touchpoint = pa.StructArray.from_arrays(
        [
            fmt.vocab(list(TOPICS), frame["topic"], support),
            fmt.ids("TXN-", tx, tx >= 0),
            fmt.vocab(["normal", "high"], frame["escalated"] | frame["churn"], support),
            fmt.vocab(["tier1", "tier2"], frame["escalated"], support),
            fmt.vocab([p or "" for p in PLACEMENT_OF], frame["channel"], marketing),
            fmt.ids("CRE-", np.maximum(campaign, 0) * 10 + frame["iid"] % 3, marketing),
            fmt.vocab([u or "" for u in UTM_OF], frame["channel"], marketing),
            fmt.vocab(["desktop", "mobile"], frame["iid"] % 2, marketing),
        ],
        names=[
            "topic",
            "transaction_id",
            "priority",
            "agent_team",
            "placement",
            "creative_id",
            "utm_source",
            "device",
        ],
    )
    columns: dict[str, pa.Array] = {
        "interaction_id": keys(world, frame),
        "interaction_type": fmt.categorical(list(ITYPES), itype, fault != 1),
        "customer_id": fmt.ids("CUS-", frame["cust"] + 1),
        "occurred_at": fmt.from_matrix(stamp),
        "channel": fmt.categorical(list(CHANNELS), frame["channel"]),
        "customer_journey_stage": fmt.categorical(list(STAGES), stage),
        "campaign_id": fmt.ids_of(world.campaign_ids, campaign, campaign >= 0),
        "resolved_at": fmt.timestamps(
            world.start_epoch_second + np.maximum(resolved, 0), resolved >= 0
        ),
        "resolution_status": fmt.categorical(list(STATUSES), frame["status"], support),
        "escalated": fmt.numeric(frame["escalated"], support),
        "responded": fmt.numeric(frame["responded"], support),
        "touchpoint": touchpoint,
    }
    return Rendered(pa.Table.from_arrays(list(columns.values()), names=list(columns)))


def eligible(frame: Frame) -> np.ndarray:
    """A churner's unresolved ticket stays valid: it is the visible reason for leaving."""
    return ~frame["churn"]


def tally(world: World, frame: Frame, acc: dict[str, Any]) -> None:
    """Count valid support contacts (resolved or not) and touches; remember churners' tickets."""
    valid = ~frame["dup"] & (frame["fault"] == 0)
    support = valid & (frame["itype"] <= CALL)
    acc["support_contacts"] = acc.get("support_contacts", 0) + int(support.sum())
    acc["unresolved"] = acc.get("unresolved", 0) + int((support & (frame["resolved"] < 0)).sum())
    acc["marketing_touches"] = acc.get("marketing_touches", 0) + int((valid & ~support).sum())
    tickets = np.flatnonzero(frame["churn"] & ~frame["dup"])
    if len(tickets):
        found = acc.setdefault("churn_ticket", {})
        ids = keys(world, frame.take(tickets)).to_pylist()
        for cust, iid in zip(frame["cust"][tickets].tolist(), ids, strict=True):
            found[int(cust)] = iid


SPEC = SourceSpec(
    name="interactions",
    code=7,
    key_field="interaction_id",
    faults=FAULTS,
    produce=produce,
    render=render,
    keys=keys,
    eligible=eligible,
    lookback_days=8,
    tally=tally,
)
