"""The truth file: everything the generator injected, so tests can check what the platform found.

Counts are per source type and exact: they come from the same frames that are delivered.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np

from databank.demo.generator.config import REGIONS
from databank.demo.generator.frame import Frame
from databank.demo.generator.stream import SourceSpec
from databank.demo.generator.world import World

TRUTH_FORMAT = "databank-demo-truth/1"
CONTRACT_VERSION = "1.0.0"
DEFINITIONS = {
    "original": "a distinct record (one natural key); originals = valid + invalid",
    "emitted": "every record delivered: originals + duplicates",
    "duplicate": "an exact re-delivery of an already-emitted valid record: identical JSON (same "
    "keys, same values), delivered 0-2 days after the original, at most once per "
    "record; duplicate_ids lists their natural keys",
    "invalid": "an original that violates docs/source-records.md (contract 1.0.0) in exactly one "
    "way (reason, field); never duplicated and never late. In the Arrow path a "
    "non-numeric amount cannot be typed and arrives as a null amount",
    "late": "a valid original delivered late_days after its event date (event_date < "
    "delivery_date); all other originals are delivered on their event date",
    "delivery_order": "records are yielded by delivery date, originals of a day before its "
    "re-deliveries",
    "totals": "over valid originals only (no duplicates, no invalid records); money in the "
    "record's currency, *_cents are exact integers",
    "churn": "a churned customer makes no purchase after last_purchase_date (the trigger sale, "
    "refunded on churn_date with a 1-star complaint and an unresolved support contact)",
}


class TruthCollector:
    """Collects, per source type, what `faults.inject` did and the totals of valid records."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.sources: dict[str, dict[str, Any]] = {}

    def observe(self, spec: SourceSpec, frame: Frame) -> None:
        """Record one injected frame (called once per produced chunk)."""
        entry = self.sources.setdefault(
            spec.name,
            {
                "originals": 0,
                "duplicates": 0,
                "invalid": 0,
                "late": 0,
                "duplicate_ids": [],
                "invalid_records": [],
                "late_records": [],
                "totals": {},
            },
        )
        dup, fault = frame["dup"], frame["fault"]
        day, deliv = frame["day"], frame["deliv"]
        entry["originals"] += int((~dup).sum())
        rows = np.flatnonzero(dup)
        entry["duplicates"] += len(rows)
        entry["duplicate_ids"].extend(self._ids(spec, frame, rows))
        rows = np.flatnonzero(fault > 0)
        entry["invalid"] += len(rows)
        for key, code in zip(self._ids(spec, frame, rows), fault[rows].tolist(), strict=True):
            reason, field = spec.faults[code - 1]
            entry["invalid_records"].append({"id": key, "reason": reason, "field": field})
        rows = np.flatnonzero(~dup & (deliv > day))
        entry["late"] += len(rows)
        for key, d, dv in zip(
            self._ids(spec, frame, rows), day[rows].tolist(), deliv[rows].tolist(), strict=True
        ):
            entry["late_records"].append(
                {"id": key, "event_date": self._date(d), "delivery_date": self._date(dv)}
            )
        if spec.tally is not None:
            spec.tally(self.world, frame, entry["totals"])

    def _ids(self, spec: SourceSpec, frame: Frame, rows: np.ndarray) -> list[str]:
        return spec.keys(self.world, frame.take(rows)).to_pylist() if len(rows) else []

    def _date(self, day: int) -> str:
        return (self.world.cfg.start_date + timedelta(days=int(day))).isoformat()

    def build(self) -> dict[str, Any]:
        """The truth document (JSON-able)."""
        cfg = self.world.cfg
        sources = {}
        for name, entry in self.sources.items():
            sources[name] = {
                "originals": entry["originals"],
                "emitted": entry["originals"] + entry["duplicates"],
                "valid": entry["originals"] - entry["invalid"],
                "duplicates": entry["duplicates"],
                "invalid": entry["invalid"],
                "late": entry["late"],
                "invalid_by_reason": _count_reasons(entry["invalid_records"]),
                "duplicate_ids": sorted(entry["duplicate_ids"]),
                "invalid_records": sorted(entry["invalid_records"], key=lambda r: r["id"]),
                "late_records": sorted(entry["late_records"], key=lambda r: r["id"]),
            }
        totals = {name: entry["totals"] for name, entry in self.sources.items()}
        tx = totals.get("transactions", {})
        region_day = tx.pop("region_day_eur", None)
        if tx:
            tx.update(_money(tx))
        return {
            "format": TRUTH_FORMAT,
            "contract_version": CONTRACT_VERSION,
            "config": cfg.to_json(),
            "period": {
                "start_date": cfg.start_date.isoformat(),
                "days": cfg.days,
                "end_date": self._date(cfg.days - 1),
            },
            "definitions": DEFINITIONS,
            "sources": sources,
            "schema_drift": [
                {
                    "source_type": "transactions",
                    "field": cfg.drift_field,
                    "type": "integer",
                    "first_date": self._date(cfg.resolved_drift_day),
                    "first_day": cfg.resolved_drift_day,
                    "rule": "on every transaction whose timestamp is on or after first_date",
                }
            ],
            "anomalies": self._anomalies(region_day),
            "churn": self._churn(totals),
            "totals": totals,
        }

    def _anomalies(self, region_day: np.ndarray | None) -> list[dict[str, Any]]:
        world, cfg, out = self.world, self.world.cfg, []
        if cfg.region_drop is not None and cfg.region_drop_window is not None:
            w0, w1 = cfg.region_drop_window
            item: dict[str, Any] = {
                "kind": "region_revenue_drop",
                "source_type": "transactions",
                "region": cfg.region_drop.region,
                "start_date": self._date(w0),
                "end_date": self._date(w1 - 1),
                "expected_drop": cfg.region_drop.drop,
            }
            if region_day is not None and w0 > 0:
                r = REGIONS.index(cfg.region_drop.region)
                before, inside = region_day[max(0, w0 - 28) : w0], region_day[w0:w1]
                mine_before, mine_inside = before[:, r].mean(), inside[:, r].mean()
                rest_before = before.sum(axis=1).mean() - mine_before
                rest_inside = inside.sum(axis=1).mean() - mine_inside
                if mine_before > 0 and rest_before > 0 and rest_inside > 0:
                    ratio = (mine_inside / mine_before) / (rest_inside / rest_before)
                    item["baseline_daily_revenue_eur"] = round(float(mine_before) / 100, 2)
                    item["window_daily_revenue_eur"] = round(float(mine_inside) / 100, 2)
                    item["observed_drop"] = round(1 - float(ratio), 3)
                    item["observed_drop_rule"] = (
                        "1 - (region revenue in window / in the 28 days before) / (the same "
                        "ratio for the other regions), revenue in EUR at the config's fx rates"
                    )
            out.append(item)
        if cfg.refund_spike is not None and world.plan.spike_product >= 0:
            w0, w1 = world.plan.spike_window
            out.append(
                {
                    "kind": "refund_spike",
                    "source_type": "transactions",
                    "product_id": f"PRD-{world.plan.spike_product + 1:012d}",
                    "start_date": self._date(w0),
                    "end_date": self._date(w1 - 1),
                    "refund_rate": cfg.refund_spike.refund_rate,
                    "baseline_refund_rate": round(world.plan.refund_p, 4),
                    "rule": "sales of the product in the window are refunded at refund_rate "
                    "(refunds follow 1-30 days later)",
                }
            )
        return out

    def _churn(self, totals: dict[str, Any]) -> dict[str, Any]:
        plan = self.world.plan
        tx = totals.get("transactions", {}).get("churn_trigger", {})
        fb = totals.get("feedback", {}).get("churn_feedback", {})
        it = totals.get("interactions", {}).get("churn_ticket", {})
        customers = []
        for cust, last, delay in zip(
            plan.churn_customer.tolist(),
            plan.churn_day.tolist(),
            plan.churn_refund_days.tolist(),
            strict=True,
        ):
            trigger = tx.get(cust)
            customers.append(
                {
                    "customer_id": f"CUS-{cust + 1:012d}",
                    "churn_date": self._date(last + delay),
                    "last_purchase_date": self._date(last),
                    "trigger_transaction_id": trigger,
                    "refund_transaction_id": trigger.replace("TXN-", "RFD-") if trigger else None,
                    "feedback_id": fb.get(cust),
                    "interaction_id": it.get(cust),
                }
            )
        for key in ("churn_trigger", "churn_feedback", "churn_ticket"):
            for name in ("transactions", "feedback", "interactions"):
                totals.get(name, {}).pop(key, None)
        customers.sort(key=lambda c: c["customer_id"])
        return {"count": len(customers), "customers": customers}


def _count_reasons(records: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in records:
        counts[record["reason"]] = counts.get(record["reason"], 0) + 1
    return dict(sorted(counts.items()))


def _money(tx: dict[str, Any]) -> dict[str, Any]:
    """Cents to 2-decimal amounts, and net = sales + refunds (refunds are negative)."""
    sale, refund = tx.get("sale_cents", {}), tx.get("refund_cents", {})
    net = {c: sale.get(c, 0) + refund.get(c, 0) for c in sale}
    return {
        "valid_sale_amount_by_currency": {c: round(v / 100, 2) for c, v in sale.items()},
        "valid_refund_amount_by_currency": {c: round(v / 100, 2) for c, v in refund.items()},
        "net_amount_by_currency": {c: round(v / 100, 2) for c, v in net.items()},
        "net_cents": net,
    }
