"""The `feedback` source type: ratings, NPS and free text whose tone follows the experience.

An order that went well is mostly rated 4-5 (NPS 7-10) and praised; a late one is rated 2-3 and
talks about the delivery; a refunded one is rated 1-2 and talks about the return; a churner's
last order is rated 1 with NPS 0-2. Texts are in the customer's language (en, de, fr, es, nl).
A few customers also leave general feedback not tied to an order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from databank.demo.generator import fmt
from databank.demo.generator.frame import Frame
from databank.demo.generator.phrases import VARIANTS, all_texts, text_index
from databank.demo.generator.sales import build_sales
from databank.demo.generator.stream import Rendered, SourceSpec
from databank.demo.generator.vocab import LANGUAGES
from databank.demo.generator.world import FEEDBACK, World

CHANNELS = ("survey", "app_review", "social", "email", "support")
INTERACTIONS = ("purchase", "support", "delivery", "general")
TEXTS = all_texts()
# rating 1..5 probabilities per tier: fine, late delivery, refunded, churner's last order
RATING_CUM = np.cumsum(
    [
        [0.01, 0.02, 0.09, 0.33, 0.55],
        [0.15, 0.40, 0.35, 0.08, 0.02],
        [0.45, 0.35, 0.15, 0.04, 0.01],
        [1.00, 0.00, 0.00, 0.00, 0.00],
    ],
    axis=1,
)
NPS_RANGE = np.array([[0, 3], [2, 5], [5, 7], [7, 9], [9, 10]])  # by rating 1..5
GENERAL_RATE = 0.005
FAULTS = (
    ("rating_out_of_range", "rating"),
    ("nps_out_of_range", "nps_response"),
    ("missing_feedback_text", "feedback_text"),
    ("bad_timestamp", "submitted_at"),
)


def produce(world: World, chunk: int) -> Frame:
    """Feedback on the chunk's orders (submitted days later) and a little general feedback."""
    s = world.cached("sales", chunk, build_sales)
    rng = world.rng(FEEDBACK, chunk)
    rows = np.flatnonzero(s["has_feedback"])
    k = len(rows)
    churn, refunded, late = s["churn"][rows], s["refunded"][rows], s["late"][rows]
    tier = np.select([churn, refunded, late], [3, 2, 1], 0)
    ts = s["ts"][rows]
    after_refund = s["refund_ts"][rows] + rng.integers(0, 3 * 86_400, k)
    submitted = np.select(
        [tier >= 2, tier == 1],
        [after_refund, ts + rng.integers(6 * 86_400, 13 * 86_400, k)],
        ts + rng.integers(2 * 86_400, 10 * 86_400, k),
    )
    rating = 1 + (rng.random(k)[:, None] >= RATING_CUM[tier]).sum(axis=1).clip(0, 4)
    topic = np.select([tier >= 2, tier == 1], [2, 1], np.where(rng.random(k) < 0.6, 0, 1))
    ticket = s["has_ticket"][rows]
    channel = np.where((tier >= 2) & ticket, 4, _channel(rng, k, s["channel"][rows] == 1))
    interaction = np.select([tier == 1, (tier >= 2) & ticket], [2, 1], 0)
    linked = _frame(
        rng,
        world,
        s["seq"][rows] * 4,
        submitted,
        s["cust"][rows],
        rating,
        topic,
        channel,
        interaction,
        s["seq"][rows],
        churn,
    )
    general = np.flatnonzero(rng.random(len(s)) < GENERAL_RATE)
    g = len(general)
    g_rating = 1 + (rng.random(g)[:, None] >= RATING_CUM[0]).sum(axis=1).clip(0, 4)
    g_submitted = s["day"][general].astype(np.int64) * 86_400 + rng.integers(0, 2 * 86_400, g)
    unlinked = _frame(
        rng,
        world,
        s["seq"][general] * 4 + 1,
        g_submitted,
        s["cust"][general],
        g_rating,
        np.where(rng.random(g) < 0.5, 0, 3),
        _channel(rng, g, None),
        np.full(g, 3),
        np.full(g, -1),
        np.zeros(g, bool),
    )
    return Frame.concat([linked, unlinked])


def _channel(rng: np.random.Generator, n: int, app: np.ndarray | None) -> np.ndarray:
    """survey 50 %, email 20 %, app review 20 % (app buyers; else survey), social 10 %."""
    u = rng.random(n)
    channel = np.select([u < 0.5, u < 0.7, u < 0.9], [0, 3, 1], 2)
    if app is not None:
        channel = np.where((channel == 1) & ~app, 0, channel)
    return channel


def _frame(
    rng: np.random.Generator,
    world: World,
    fid: np.ndarray,
    submitted: np.ndarray,
    cust: np.ndarray,
    rating: np.ndarray,
    topic: np.ndarray,
    channel: np.ndarray,
    interaction: np.ndarray,
    tx: np.ndarray,
    churn: np.ndarray,
) -> Frame:
    n = len(fid)
    low, high = NPS_RANGE[rating - 1, 0], NPS_RANGE[rating - 1, 1]
    nps = low + (rng.random(n) * (high - low + 1)).astype(np.int64)
    nps = np.where(churn, np.minimum(nps, 2), nps)
    tone = np.select([rating >= 4, rating == 3], [0, 1], 2)
    language = world.customers.language[cust]
    text = text_index(language.astype(np.int64), tone, topic, rng.integers(0, VARIANTS, n))
    return Frame(
        {
            "fid": fid,
            "ts": submitted.astype(np.int64),
            "day": (submitted // 86_400).astype(np.int32),
            "cust": cust,
            "rating": rating.astype(np.int64),
            "nps": nps.astype(np.int64),
            "text": np.asarray(text, dtype=np.int32),
            "channel": channel.astype(np.int8),
            "interaction": interaction.astype(np.int8),
            "tx": tx.astype(np.int64),
            "language": language,
            "churn": churn,
        }
    )


def keys(world: World, frame: Frame) -> pa.Array:
    """`feedback_id` of each row."""
    return fmt.ids("FBK-", frame["fid"])


def render(world: World, frame: Frame) -> Rendered:
    """Arrow records in the documented field order."""
    fault, tx = frame["fault"], frame["tx"]
    stamp = fmt.timestamp_matrix(world.start_epoch_second + frame["ts"])
    stamp[fault == 4, 5:7] = np.frombuffer(b"13", dtype=np.uint8)
    columns: dict[str, pa.Array] = {
        "feedback_id": keys(world, frame),
        "customer_id": fmt.ids("CUS-", frame["cust"] + 1),
        "feedback_text": fmt.categorical(TEXTS, frame["text"], fault != 3),
        "rating": fmt.integers(np.where(fault == 1, 6, frame["rating"])),
        "nps_response": fmt.integers(np.where(fault == 2, 11, frame["nps"])),
        "channel": fmt.categorical(list(CHANNELS), frame["channel"]),
        "interaction_type": fmt.categorical(list(INTERACTIONS), frame["interaction"]),
        "submitted_at": fmt.from_matrix(stamp),
        "transaction_id": fmt.ids("TXN-", tx, tx >= 0),
        "language": fmt.categorical(list(LANGUAGES), frame["language"]),
    }
    return Rendered(pa.Table.from_arrays(list(columns.values()), names=list(columns)))


def eligible(frame: Frame) -> np.ndarray:
    """A churner's complaint stays valid: it is the visible reason for leaving."""
    return ~frame["churn"]


def tally(world: World, frame: Frame, acc: dict[str, Any]) -> None:
    """Count valid feedback and sum ratings per interaction type; remember churners' complaints."""
    valid = ~frame["dup"] & (frame["fault"] == 0)
    for i, name in enumerate(INTERACTIONS):
        rows = valid & (frame["interaction"] == i)
        bucket = acc.setdefault(name, {"count": 0, "rating_sum": 0})
        bucket["count"] += int(rows.sum())
        bucket["rating_sum"] += int(frame["rating"][rows].sum())
    complaints = np.flatnonzero(frame["churn"] & ~frame["dup"])
    if len(complaints):
        found = acc.setdefault("churn_feedback", {})
        ids = keys(world, frame.take(complaints)).to_pylist()
        for cust, fid in zip(frame["cust"][complaints].tolist(), ids, strict=True):
            found[int(cust)] = fid


SPEC = SourceSpec(
    name="feedback",
    code=6,
    key_field="feedback_id",
    faults=FAULTS,
    produce=produce,
    render=render,
    keys=keys,
    eligible=eligible,
    lookback_days=0,
    tally=tally,
)
