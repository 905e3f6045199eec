"""`BusinessConfig`: every knob of the fictional retailer, frozen so a config is a value.

Volumes are given at `scale=1` (about 260,000 sales over two years) and multiplied by `scale`.
Shares of injected faults are relative to the number of distinct records of a source type
(its *originals*): `duplicate_share=0.02` means about 2 re-deliveries per 100 distinct records.
Days (`drift_day`, anomaly windows) count from `start_date` (day 0); `None` picks a day that fits
any period length.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from databank.errors import ConfigError

REGIONS: tuple[str, ...] = ("north", "south", "east", "west", "central")
CHANNELS: tuple[str, ...] = ("online", "mobile_app", "store", "marketplace")
ONLINE_CHANNELS: tuple[int, ...] = (0, 1)  # indexes into CHANNELS that carry a web session


@dataclass(frozen=True)
class RegionDrop:
    """One region's sales collapse by `drop` (0.7 = 70 % less revenue) for `length_days`."""

    region: str = "east"
    start_day: int | None = None  # None: 55 % into the period
    length_days: int = 10
    drop: float = 0.7


@dataclass(frozen=True)
class RefundSpike:
    """One product is refunded at `refund_rate` for `length_days` (a faulty batch)."""

    product_rank: int = 3  # the n-th best-selling product (0 = best seller)
    start_day: int | None = None  # None: 35 % into the period
    length_days: int = 14
    refund_rate: float = 0.6


@dataclass(frozen=True)
class BusinessConfig:
    """The whole business: size, calendar, behaviour and the faults to inject."""

    seed: int = 42
    start_date: date = date(2023, 1, 2)
    days: int = 730
    scale: float = 1.0
    # volumes at scale 1
    daily_sales: float = 300.0
    customers: int = 20_000
    products: int = 400
    campaign_every_days: float = 20.0
    # calendar shape: Monday..Sunday and January..December multipliers, yearly growth
    weekday_factors: tuple[float, ...] = (0.92, 0.90, 0.93, 0.97, 1.08, 1.30, 1.15)
    # fmt: off
    month_factors: tuple[float, ...] = (
        0.85, 0.80, 0.90, 0.95, 1.00, 0.95, 0.95, 0.95, 1.00, 1.05, 1.25, 1.60
    )
    # fmt: on
    annual_growth: float = 0.08
    # who buys where and how: the customer's currency decides the country and the region
    # fmt: off
    currency_weights: tuple[tuple[str, float], ...] = (
        ("EUR", 0.72), ("GBP", 0.10), ("USD", 0.07), ("SEK", 0.06), ("PLN", 0.05)
    )
    fx_per_eur: tuple[tuple[str, float], ...] = (
        ("EUR", 1.0), ("GBP", 0.86), ("USD", 1.08), ("SEK", 11.4), ("PLN", 4.35)
    )
    # fmt: on
    channel_weights: tuple[float, ...] = (0.30, 0.15, 0.45, 0.10)  # as CHANNELS
    campaign_lift: tuple[float, float] = (1.0, 2.5)  # extra sales of promoted products, x base
    # experience
    refund_share: float = 0.05  # refunds / sales, overall (churn triggers included)
    late_delivery_share: float = 0.06  # of online orders
    feedback_rate: float = 0.04  # of uneventful orders
    web_conversion_rate: float = 0.3  # converting sessions / all sessions
    churn_share: float = 0.06  # of customers
    # faults
    duplicate_share: float = 0.02
    invalid_share: float = 0.01
    late_share: float = 0.01
    late_days: tuple[int, int] = (2, 10)
    drift_field: str = "loyalty_points"
    drift_day: int | None = None  # None: 60 % into the period
    region_drop: RegionDrop | None = field(default_factory=RegionDrop)
    refund_spike: RefundSpike | None = field(default_factory=RefundSpike)
    # engine: days generated together (None: about 60,000 sales per chunk, 7 to 91 days)
    chunk_days: int | None = None

    def __post_init__(self) -> None:
        _check(28 <= self.days <= 30_000, "days must be in [28, 30000]")
        _check(self.scale > 0, "scale must be positive")
        _check(len(self.weekday_factors) == 7, "weekday_factors needs 7 values (Mon..Sun)")
        _check(len(self.month_factors) == 12, "month_factors needs 12 values")
        _check(len(self.channel_weights) == len(CHANNELS), "channel_weights needs 4 values")
        fx = dict(self.fx_per_eur)
        for code, weight in self.currency_weights:
            _check(code in fx, f"currency {code} has no rate in fx_per_eur")
            _check(weight >= 0, "currency weights must be >= 0")
        for name in ("refund_share", "duplicate_share", "invalid_share", "late_share"):
            _check(0 <= getattr(self, name) < 0.5, f"{name} must be in [0, 0.5)")
        for name in ("late_delivery_share", "feedback_rate", "churn_share"):
            _check(0 <= getattr(self, name) < 1, f"{name} must be in [0, 1)")
        _check(0 < self.web_conversion_rate <= 1, "web_conversion_rate must be in (0, 1]")
        _check(1 <= self.late_days[0] <= self.late_days[1], "late_days must be (min, max) >= 1")
        _check(
            self.chunk_days is None or 1 <= self.chunk_days <= 366, "chunk_days must be in [1, 366]"
        )
        if self.region_drop is not None:
            _check(self.region_drop.region in REGIONS, f"unknown region {self.region_drop.region}")
            _check(0 < self.region_drop.drop < 1, "region_drop.drop must be in (0, 1)")

    # derived values, resolved so that any period length works

    @property
    def resolved_chunk_days(self) -> int:
        """Days per generated chunk."""
        if self.chunk_days is not None:
            return self.chunk_days
        return int(min(91, max(7, round(60_000 / (self.daily_sales * self.scale)))))

    @property
    def resolved_drift_day(self) -> int:
        """The first day (from 0) on which transactions carry the drift field."""
        return self.drift_day if self.drift_day is not None else int(self.days * 0.6)

    @property
    def region_drop_window(self) -> tuple[int, int] | None:
        """`[start, end)` days of the region drop, clipped to the period."""
        spec = self.region_drop
        if spec is None:
            return None
        start = spec.start_day if spec.start_day is not None else int(self.days * 0.55)
        return _window(start, spec.length_days, self.days)

    @property
    def refund_spike_window(self) -> tuple[int, int] | None:
        """`[start, end)` days of the refund spike, clipped to the period."""
        spec = self.refund_spike
        if spec is None:
            return None
        start = spec.start_day if spec.start_day is not None else int(self.days * 0.35)
        return _window(start, spec.length_days, self.days)

    def to_json(self) -> dict[str, Any]:
        """The config as JSON-able data (for the truth file)."""
        data = dataclasses.asdict(self)
        data["start_date"] = self.start_date.isoformat()
        data["resolved_drift_day"] = self.resolved_drift_day
        data["resolved_chunk_days"] = self.resolved_chunk_days
        return data


def _window(start: int, length: int, days: int) -> tuple[int, int]:
    start = max(0, min(start, days - 1))
    return start, max(start + 1, min(days, start + length))


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(f"BusinessConfig: {message}")
