"""The `transactions` source type: sales and the refunds that point back to them.

A refund is its own transaction (`RFD-<n>` for the sale `TXN-<n>`) with negative amount, quantity
and tax, `transaction_type = refund` and `original_transaction_id`. From the drift day on every
transaction also carries `loyalty_points` (schema drift). Online and app sales carry the
`session_id` of the web session that converted and the buyer's e-mail.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from databank.demo.generator import fmt
from databank.demo.generator.config import CHANNELS, REGIONS
from databank.demo.generator.frame import Frame
from databank.demo.generator.sales import PAYMENTS, build_sales
from databank.demo.generator.stream import Rendered, SourceSpec
from databank.demo.generator.world import World

FAULTS = (
    ("missing_customer_id", "customer_id"),
    (
        "bad_customer_email",
        "customer_email",
    ),  # product_id is optional (the spec's example has none)
    ("bad_currency", "currency"),
    ("bad_timestamp", "timestamp"),
    ("non_numeric_amount", "amount"),
)
BAD_CURRENCY = "EURO"


def produce(world: World, chunk: int) -> Frame:
    """Sales of the chunk followed by the refunds they will get (refunds may lie days later)."""
    s = world.cached("sales", chunk, build_sales)
    refunded = s["refunded"]
    r = s.take(refunded)

    def both(name: str, refund: np.ndarray | None = None) -> np.ndarray:
        return np.concatenate([s[name], r[name] if refund is None else refund])

    ts = both("ts", r["refund_ts"])
    ordinary = ~(
        refunded
        | s["online"]
        | s["has_feedback"]
        | s["has_ticket"]
        | s["churn"]
        | (s["campaign"] >= 0)
    )
    return Frame(
        {
            "kind": np.repeat(np.array([0, 1], np.int8), [len(s), len(r)]),
            "seq": both("seq"),
            "ts": ts,
            "day": both("day", (r["refund_ts"] // 86_400).astype(np.int32)),
            "cust": both("cust"),
            "prod": both("prod"),
            "qty": both("qty", -r["qty"]),
            "amount": both("amount", -r["amount"]),
            "cur": both("cur"),
            "region": both("region"),
            "campaign": both("campaign", np.full(len(r), -1, np.int16)),
            "channel": both("channel"),
            "pay": both("pay"),
            "discount": both("discount", np.zeros(len(r), np.int32)),
            "tax": both("tax", -r["tax"]),
            "online": both("online"),
            "churn": both("churn"),
            "eligible": np.concatenate([ordinary, np.zeros(len(r), bool)]),
        }
    )


def keys(world: World, frame: Frame) -> pa.Array:
    """`transaction_id` of each row."""
    return fmt.from_matrix(fmt.prefixed_ids(["TXN-", "RFD-"], frame["kind"], frame["seq"]))


def render(world: World, frame: Frame) -> Rendered:
    """Arrow records in the documented field order (`loyalty_points` last, when present)."""
    dim = world.customers
    fault = frame["fault"]
    kind, seq, cust = frame["kind"], frame["seq"], frame["cust"]
    stamp = fmt.timestamp_matrix(world.start_epoch_second + frame["ts"])
    stamp[fault == 4, 5:7] = np.frombuffer(b"13", dtype=np.uint8)  # month 13: unparseable
    refund = kind == 1
    campaign = frame["campaign"]
    currency = np.where(fault == 3, len(dim.currency_codes), frame["cur"])
    columns: dict[str, pa.Array] = {
        "transaction_id": keys(world, frame),
        "customer_id": fmt.ids("CUS-", cust + 1, fault != 1),
        "product_id": fmt.ids_of(world.product_ids, frame["prod"]),
        "timestamp": fmt.from_matrix(stamp),
        "amount": fmt.money(frame["amount"], fault != 5),
        "currency": fmt.categorical([*dim.currency_codes, BAD_CURRENCY], currency),
        "quantity": fmt.integers(frame["qty"]),
        "transaction_type": fmt.categorical(["sale", "refund"], kind),
        "original_transaction_id": fmt.ids("TXN-", seq, refund),
        "campaign_id": fmt.ids_of(world.campaign_ids, campaign, campaign >= 0),
        "channel": fmt.categorical(list(CHANNELS), frame["channel"]),
        "region": fmt.categorical(list(REGIONS), frame["region"]),
        "payment_method": fmt.categorical(list(PAYMENTS), frame["pay"]),
        "discount_applied": fmt.money(frame["discount"]),
        "tax_amount": fmt.money(frame["tax"]),
        "session_id": fmt.ids("SES-", seq * 8, frame["online"] & ~refund),
        # online buyers' e-mails; the invalid one (at index len(dim)) on bad_customer_email
        "customer_email": fmt.take_strings(
            dim.emails_and_invalid,
            np.where(fault == 2, len(dim), cust),
            frame["online"] | (fault == 2),
        ),
    }
    drifted = frame["day"] >= world.cfg.resolved_drift_day
    if drifted.any():  # schema drift: loyalty points, one per whole currency unit
        amount = frame["amount"].astype(np.int64)
        points = np.sign(amount) * (np.abs(amount) // 100)
        columns[world.cfg.drift_field] = fmt.integers(points, drifted)
    patches: list[tuple[int, str, Any]] = []
    for row in np.flatnonzero(fault == 5):
        text = f"{abs(int(frame['amount'][row])) / 100:.2f}".replace(".", ",")
        patches.append((int(row), "amount", ("-" if frame["amount"][row] < 0 else "") + text))
    return Rendered(pa.Table.from_arrays(list(columns.values()), names=list(columns)), patches)


def eligible(frame: Frame) -> np.ndarray:
    """Only sales nothing else refers to (no refund, session, feedback, ticket, campaign)."""
    return frame["eligible"]


def tally(world: World, frame: Frame, acc: dict[str, Any]) -> None:
    """Add the valid originals of `frame` to the totals (cents per currency, churn triggers)."""
    valid = ~frame["dup"] & (frame["fault"] == 0)
    codes = world.customers.currency_codes
    for name, kind in (("sale", 0), ("refund", 1)):
        rows = valid & (frame["kind"] == kind)
        cents = np.bincount(frame["cur"][rows], weights=frame["amount"][rows], minlength=len(codes))
        counts = np.bincount(frame["cur"][rows], minlength=len(codes))
        bucket = acc.setdefault(f"{name}_cents", dict.fromkeys(codes, 0))
        tally_counts = acc.setdefault(f"{name}_count", dict.fromkeys(codes, 0))
        for i, code in enumerate(codes):
            bucket[code] += round(cents[i])
            tally_counts[code] += int(counts[i])
    online_sales = valid & frame["online"] & (frame["kind"] == 0)
    acc["online_sales"] = acc.get("online_sales", 0) + int(online_sales.sum())
    sales = valid & (frame["kind"] == 0)
    fx = np.array([dict(world.cfg.fx_per_eur)[c] for c in codes])
    days = world.cfg.days
    eur = np.bincount(
        frame["day"][sales].astype(np.int64) * len(REGIONS) + frame["region"][sales],
        weights=frame["amount"][sales] / fx[frame["cur"][sales]],
        minlength=days * len(REGIONS),
    )
    acc["region_day_eur"] = acc.get("region_day_eur", 0) + eur.reshape(days, len(REGIONS))
    triggers = np.flatnonzero(frame["churn"] & ~frame["dup"] & (frame["kind"] == 0))
    if len(triggers):
        ids = keys(world, frame.take(triggers)).to_pylist()
        found = acc.setdefault("churn_trigger", {})
        for cust, tid in zip(frame["cust"][triggers].tolist(), ids, strict=True):
            found[int(cust)] = tid


SPEC = SourceSpec(
    name="transactions",
    code=1,
    key_field="transaction_id",
    faults=FAULTS,
    produce=produce,
    render=render,
    keys=keys,
    eligible=eligible,
    lookback_days=0,
    tally=tally,
    drop_after_inject=("eligible", "churn"),
)
