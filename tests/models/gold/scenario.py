"""A small seeded business feeding all six gold models at once, delivered in two waves: the
second wave brings new days and late records for days the first wave already built."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from models.gold import records as r
from models.gold.world import World

START = datetime(2025, 1, 1, 8)
CUSTOMERS = [f"C{i}" for i in range(1, 31)]
PRODUCTS = ["P1", "P2", "P3", "P4"]
TIERS = ("gold", "silver", "bronze")


@dataclass
class Wave:
    """Records of every source type delivered together."""

    sales: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    interactions: list[dict[str, Any]] = field(default_factory=list)
    feedback: list[dict[str, Any]] = field(default_factory=list)
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)


def _at(day: int, minute: int) -> str:
    return (START + timedelta(days=day, minutes=minute)).isoformat() + "Z"


def _day(
    rng: random.Random, wave: Wave, day: int, n: int, tag: str, pool: list[str] = CUSTOMERS
) -> None:
    for i in range(n):
        tid, customer, when = f"{tag}{day}-{i}", rng.choice(pool), _at(day, 7 * i)
        amount = rng.randint(100, 20_000) / 100
        wave.sales.append(r.sale(
            tid, customer, when, amount, product_id=rng.choice(PRODUCTS),
            quantity=rng.randint(1, 3), region=rng.choice(["north", "south"]),
            channel=rng.choice(["online", "store", "mobile_app"]),
        ))  # fmt: skip
        if rng.random() < 0.15:
            wave.sales.append(
                r.refund(
                    f"R{tid}",
                    tid,
                    customer,
                    _at(day + rng.randint(0, 3), 900),
                    round(amount / 2, 2),
                )
            )
        session = f"S{tid}"
        agent = r.APP if rng.random() < 0.3 else r.BROWSER
        wave.events.append(r.event(f"E{tid}a", session, when, agent=agent))
        if rng.random() < 0.5:
            wave.events.append(r.event(f"E{tid}b", session, when, "purchase", agent=agent))
        if rng.random() < 0.4:
            kind = rng.choice(["ad_impression", "ad_click", "email_open", "email_click"])
            wave.interactions.append(r.touch(
                f"M{tid}", customer, rng.choice(["K1", "K2"]), _at(day - rng.randint(0, 20), 30 + i),
                kind, "email" if kind.startswith("email") else "google_ads",
            ))  # fmt: skip
        if rng.random() < 0.2:
            wave.interactions.append(r.contact(
                f"X{tid}", when, rng.choice(["support_ticket", "chat"]),
                resolved_at=_at(day, 7 * i + 90), responded=True,
                resolution_status=rng.choice(["resolved", "escalated"]), escalated=rng.random() < 0.3,
            ))  # fmt: skip
        if rng.random() < 0.25:
            wave.feedback.append(r.feedback(
                f"F{tid}", when, rating=rng.randint(1, 5), nps=rng.randint(0, 10),
                sentiment=str(Decimal(rng.randint(-100, 100)) / 100),
            ))  # fmt: skip
    wave.logs.append(
        r.log(rng.choice(["ingestion", "crawler"]), "bronze", _at(day, 5), "success", 2.5)
    )
    if day % 5 == 0:
        stock = rng.randint(-1, 20)
        wave.snapshots.append(r.snapshot(
            rng.choice(PRODUCTS), _at(day, 1), stock=stock,
            status="out_of_stock" if stock <= 0 else "in_stock",
        ))  # fmt: skip


def waves(seed: int = 11) -> tuple[Wave, Wave]:
    """Days 0-39 in the first wave; days 40-59 and late records of days 10-30 in the second.

    Late sales come from customers who had bought before the late day: a late sale older than a
    customer's first one is the revenue table's documented gap (tested on its own).
    """
    rng = random.Random(seed)
    first, second = Wave(), Wave()
    for day in range(40):
        _day(rng, first, day, rng.randint(2, 6), "T")
    for day in range(40, 60):
        _day(rng, second, day, rng.randint(2, 6), "T")
    for day in (10, 17, 30):
        earlier = sorted({s["customer_id"] for s in first.sales if s["timestamp"] < _at(day, 0)})
        _day(rng, second, day, 2, "L", earlier)  # late: arrives with the second wave
    return first, second


def customers() -> list[dict[str, Any]]:
    """Silver customers of most buyers (a few stay unknown), with tiers and registration days."""
    return [
        {
            "customer_id": c,
            "customer_tier": TIERS[i % 3],
            "registration_date": date(2024, 12, 1 + i % 28),
        }
        for i, c in enumerate(CUSTOMERS[:25])
    ]


CAMPAIGNS = [
    {"campaign_id": "K1", "start_date": date(2025, 1, 1), "end_date": date(2025, 2, 28),
     "spent": Decimal("5900.00"), "channels": ["google_ads"]},
    {"campaign_id": "K2", "start_date": date(2025, 1, 15), "end_date": date(2025, 3, 15),
     "spent": Decimal("1234.56"), "channels": ["email", "google_ads"]},
]  # fmt: skip


def load(world: World, wave: Wave) -> None:
    """Write one wave (bronze through the writer, silver rows by hand)."""
    if wave.snapshots:
        world.products(wave.snapshots)
    world.transactions(wave.sales)
    world.bronze("events", wave.events)
    world.bronze("interactions", wave.interactions)
    world.feedback(wave.feedback)
    world.bronze("logs", wave.logs)
