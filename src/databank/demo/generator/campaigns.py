"""Marketing campaigns: when they run, which products they promote and how much they lift them.

A campaign promotes 3-8 sellable products of one top category; while it runs those products sell
`1 + lift` times their usual volume (the extra sales carry the `campaign_id`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from databank.demo.generator.catalog import TAXONOMY, ProductDim
from databank.demo.generator.config import REGIONS, BusinessConfig

TYPES = ("email", "social", "search", "display", "affiliate", "tv")
TYPE_WEIGHTS = (0.30, 0.25, 0.20, 0.10, 0.10, 0.05)
MEDIA = {
    "email": ("email",),
    "social": ("instagram", "facebook", "tiktok"),
    "search": ("google_ads", "bing_ads"),
    "display": ("programmatic", "partner_sites"),
    "affiliate": ("affiliate_network",),
    "tv": ("tv", "youtube"),
}
UTM = {
    "email": "newsletter",
    "social": "instagram",
    "search": "google",
    "display": "dv360",
    "affiliate": "awin",
    "tv": "youtube",
}
THEMES = ("Spring", "Summer", "Back to School", "Autumn", "Black Week", "Winter", "New Year")


@dataclass
class CampaignDim:
    """One entry per campaign, index = campaign number - 1."""

    records: list[dict]
    ctype: np.ndarray  # index into TYPES
    start: np.ndarray  # first day (from the start date)
    end: np.ndarray  # last day, inclusive (may lie after the period)
    products: list[np.ndarray]  # promoted product indexes
    lift: np.ndarray

    def __len__(self) -> int:
        return len(self.start)

    def active_on(self, day: int) -> np.ndarray:
        """Indexes of the campaigns running on `day`."""
        return np.flatnonzero((self.start <= day) & (self.end >= day))


def build_campaigns(
    cfg: BusinessConfig, products: ProductDim, rng: np.random.Generator
) -> CampaignDim:
    """Draw about one campaign per `campaign_every_days` over the period."""
    n = max(2, round(cfg.days / cfg.campaign_every_days))
    start = np.sort(rng.integers(0, cfg.days - 7, n))
    length = rng.integers(7, 29, n)
    end = start + length - 1
    ctype = rng.choice(len(TYPES), size=n, p=np.array(TYPE_WEIGHTS) / sum(TYPE_WEIGHTS))
    lift = rng.uniform(*cfg.campaign_lift, n)
    sellable = products.weight > 0
    records, promoted = [], []
    for i in range(n):
        l1 = int(rng.integers(len(TAXONOMY)))
        pool = np.flatnonzero(sellable & (products.l1 == l1))
        pool = pool if len(pool) >= 3 else np.flatnonzero(sellable)
        chosen = np.sort(
            rng.choice(pool, size=min(len(pool), int(rng.integers(3, 9))), replace=False)
        )
        promoted.append(chosen)
        records.append(
            _record(
                cfg, rng, i, TYPES[ctype[i]], list(TAXONOMY)[l1], chosen, int(start[i]), int(end[i])
            )
        )
    return CampaignDim(
        records, ctype.astype(np.int8), start.astype(np.int32), end.astype(np.int32), promoted, lift
    )


def _record(
    cfg: BusinessConfig,
    rng: np.random.Generator,
    i: int,
    ctype: str,
    l1: str,
    product_idx: np.ndarray,
    start: int,
    end: int,
) -> dict:
    first = cfg.start_date + timedelta(days=start)
    budget = int(rng.integers(50, 800)) * 100.0
    running = end >= cfg.days - 1
    elapsed = min(1.0, (cfg.days - start) / (end - start + 1))
    spent = round(budget * rng.uniform(0.6, 1.0) * elapsed, 2)
    impressions = int(budget * rng.uniform(80, 200))
    clicks = int(impressions * rng.uniform(0.005, 0.03))
    media = MEDIA[ctype]
    channels = [m for m in media if rng.random() < 0.7] or [media[0]]
    regions = [r for r in REGIONS if rng.random() < 0.7] or list(REGIONS)
    theme = THEMES[min(len(THEMES) - 1, first.month * len(THEMES) // 13)]
    return {
        "campaign_id": f"CMP-{i + 1:012d}",
        "campaign_name": f"{theme} {l1} {ctype.title()} {first.year}",
        "campaign_type": ctype,
        "start_date": first.isoformat(),
        "end_date": (cfg.start_date + timedelta(days=end)).isoformat(),
        "budget": budget,
        "spent": spent,
        "currency": "EUR",
        "channels": channels,
        "objectives": ["sales"] + (["retention"] if ctype == "email" else ["awareness"]),
        "target_audience": {
            "regions": regions,
            "age_range": "25-54",
            "consent_required": ctype == "email",
        },
        "creative_elements": {
            "headline": f"{theme}: up to 30% off {l1.lower()}",
            "format": {"email": "newsletter", "tv": "video"}.get(ctype, "banner"),
            "variants": int(rng.integers(1, 5)),
        },
        "kpi_targets": {
            "roas": round(float(rng.uniform(2.0, 5.0)), 1),
            "ctr": round(float(rng.uniform(0.01, 0.03)), 3),
            "conversions": int(clicks * 0.04),
        },
        "product_ids": [f"PRD-{p + 1:012d}" for p in product_idx],
        "status": "active" if running else "completed",
        "performance_metrics": {
            "impressions": impressions,
            "clicks": clicks,
            "conversions": int(clicks * rng.uniform(0.02, 0.06)),
            "attribution": "last_click",
        },
    }
