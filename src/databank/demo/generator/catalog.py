"""The product catalogue: three category levels, brands, list prices and costs (cost < price).

The catalogue is small (hundreds to a few thousand products), so its records are built once as
dicts; sales use the numeric arrays (price per currency in cents, popularity weight).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from databank.demo.generator.config import BusinessConfig

# l1 -> (price range in EUR, brands, {l2: (l3, ...)})
TAXONOMY: dict[str, tuple[tuple[float, float], tuple[str, ...], dict[str, tuple[str, ...]]]] = {
    "Apparel": (
        (15, 160),
        ("Nordhavn", "Linnea", "Urban Fjord", "Ostra"),
        {
            "Women": ("Dresses", "Tops", "Knitwear"),
            "Men": ("Shirts", "Jackets", "Trousers"),
            "Footwear": ("Sneakers", "Boots", "Sandals"),
        },
    ),
    "Electronics": (
        (20, 900),
        ("Voltra", "Sonique", "Kelvin", "Pixelwerk"),
        {
            "Audio": ("Headphones", "Speakers"),
            "Computing": ("Laptops", "Monitors", "Accessories"),
            "Phones": ("Smartphones", "Cases"),
        },
    ),
    "Home & Garden": (
        (10, 400),
        ("Hygge Home", "Terra", "Maison Claire", "Woodlark"),
        {
            "Kitchen": ("Cookware", "Small Appliances"),
            "Furniture": ("Chairs", "Tables", "Storage"),
            "Garden": ("Tools", "Planters"),
        },
    ),
    "Beauty": (
        (8, 120),
        ("Lumière", "Pure Alba", "Seren", "Botanika"),
        {
            "Skincare": ("Cleansers", "Moisturisers"),
            "Fragrance": ("Perfume", "Aftershave"),
            "Haircare": ("Shampoo", "Styling"),
        },
    ),
    "Sports & Outdoors": (
        (10, 450),
        ("Trailmark", "Velo Nord", "Summit", "Aktiv"),
        {
            "Fitness": ("Yoga", "Weights"),
            "Outdoor": ("Tents", "Backpacks"),
            "Cycling": ("Helmets", "Lights"),
        },
    ),
    "Toys & Games": (
        (8, 120),
        ("Bricklet", "Kimo", "Playvard", "Tinker & Co"),
        {
            "Board Games": ("Strategy", "Family"),
            "Building": ("Blocks", "Models"),
            "Outdoor Play": ("Balls", "Kites"),
        },
    ),
}
L1_WEIGHTS = (0.30, 0.18, 0.17, 0.13, 0.12, 0.10)
# fmt: off
SEASONAL = {
    "Knitwear": ["winter"], "Jackets": ["winter"], "Boots": ["winter"], "Sandals": ["summer"],
    "Tools": ["summer"], "Planters": ["summer"], "Kites": ["summer"], "Tents": ["summer"],
    "Strategy": ["holiday"], "Family": ["holiday"], "Blocks": ["holiday"], "Models": ["holiday"],
    "Perfume": ["holiday"], "Laptops": ["back_to_school"], "Backpacks": ["back_to_school"],
    "Accessories": ["back_to_school"]
}
# fmt: on
ADJECTIVES = ("Classic", "Essential", "Pro", "Everyday", "Premium", "Compact", "Signature", "Eco")
COLOURS = ("black", "white", "navy", "sand", "forest green", "burgundy", "grey", "red")
MATERIALS = ("cotton", "wool", "aluminium", "recycled plastic", "oak", "steel", "glass", "linen")
SIZES = ("XS", "S", "M", "L", "XL")


@dataclass
class ProductDim:
    """One entry per product, index = product number - 1."""

    records: list[dict]  # the catalogue records (valid form)
    l1: np.ndarray  # index into TAXONOMY keys
    price_eur_cents: np.ndarray
    price_local_cents: np.ndarray  # (products, currencies of the config)
    weight: np.ndarray  # popularity; 0 for products that do not sell (draft, discontinued)

    def __len__(self) -> int:
        return len(self.l1)


def build_products(cfg: BusinessConfig, rng: np.random.Generator) -> ProductDim:
    """Draw the catalogue of `cfg`: `products * sqrt(scale)` products, at least 30."""
    n = max(30, round(cfg.products * cfg.scale**0.5))
    l1_names = list(TAXONOMY)
    l1 = rng.choice(len(l1_names), size=n, p=np.array(L1_WEIGHTS) / sum(L1_WEIGHTS))
    status = rng.choice(3, size=n, p=[0.95, 0.03, 0.02])  # active, discontinued, draft
    weight = rng.lognormal(0.0, 1.0, n) * (status == 0)
    start = cfg.start_date.toordinal()
    fx = dict(cfg.fx_per_eur)
    price = np.zeros(n, dtype=np.int64)
    records: list[dict] = []
    for i in range(n):
        name1 = l1_names[l1[i]]
        (low, high), brands, subtree = TAXONOMY[name1]
        l2 = list(subtree)[rng.integers(len(subtree))]
        l3 = subtree[l2][rng.integers(len(subtree[l2]))]
        euros = float(np.exp(rng.uniform(np.log(low), np.log(high))))
        price[i] = max(1, round(euros)) * 100 - 1  # charm price: x.99
        cost = int(price[i] * rng.uniform(0.35, 0.7))
        brand = brands[rng.integers(len(brands))]
        stock = int(rng.integers(0, 500)) if status[i] != 2 else 0
        attributes = {
            "colour": COLOURS[rng.integers(len(COLOURS))],
            "material": MATERIALS[rng.integers(len(MATERIALS))],
        }
        if name1 == "Apparel":
            attributes["size"] = SIZES[rng.integers(len(SIZES))]
        record = {
            "product_id": f"PRD-{i + 1:012d}",
            "product_name": f"{brand} {ADJECTIVES[rng.integers(len(ADJECTIVES))]} {l3}",
            "category_l1": name1,
            "category_l2": l2,
            "category_l3": l3,
            "brand": brand,
            "price": price[i] / 100,
            "cost": cost / 100,
            "currency": "EUR",
            "launch_date": _iso(start - int(rng.integers(30, 1500))),
            "status": ("active", "discontinued", "draft")[status[i]],
            "stock_quantity": stock,
            "inventory_status": "out_of_stock"
            if stock == 0
            else ("low_stock" if stock < 25 else "in_stock"),
            "seasonal_flags": SEASONAL.get(l3, []),
            "attributes": attributes,
            "updated_at": f"{cfg.start_date.isoformat()}T00:{i // 60 % 60:02d}:{i % 60:02d}Z",
        }
        if rng.random() < 0.7:
            record["competitor_price"] = round(price[i] * rng.uniform(0.85, 1.15)) / 100
        records.append(record)
    local = np.zeros((n, len(cfg.currency_weights)), dtype=np.int64)
    for j, (code, _) in enumerate(cfg.currency_weights):
        local[:, j] = np.maximum(1, np.ceil(price / 100 * fx[code])).astype(np.int64) * 100 - 1
    return ProductDim(records, l1.astype(np.int8), price, local, weight)


def _iso(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()
