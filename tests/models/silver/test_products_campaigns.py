"""silver.scout_clean_products and silver.scout_clean_campaigns: latest version, EUR, margin."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from databank.context import Databank
from databank.engines import Engine
from databank.transform.runner import Runner
from models.silver.helpers import eur, ok, rows, write


def _margin(price: str, cost: str) -> Decimal:
    p, c = Decimal(price), Decimal(cost)
    return ((p - c) / p).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def test_products(bank: Databank, engine: Engine, runner: Runner) -> None:
    write(
        bank,
        "products",
        [
            {
                "product_id": "P1",
                "product_name": "Mug",
                "category_l1": "Home",
                "category_l2": "Kitchen",
                "category_l3": "Mugs",
                "brand": "Acme",
                "price": 12.99,
                "cost": 4.5,
                "currency": "EUR",
                "status": "active",
                "inventory_status": "in_stock",
                "seasonal_flags": ["winter", "holiday"],
                "attributes": {"colour": "red"},
                "launch_date": "2023-09-01",
                "updated_at": "2024-03-01T00:00:00Z",
            },
            {
                "product_id": "P2",
                "product_name": "Lamp",
                "category_l1": "Home",
                "price": 30,
                "cost": 50,
                "currency": "GBP",
                "updated_at": "2024-03-15T10:00:00Z",
            },
            {
                "product_id": "P3",
                "product_name": "Sample",
                "category_l1": "Promo",
                "price": 0,
                "cost": 1,
                "currency": "EUR",
                "updated_at": "2024-03-01T00:00:00Z",
            },
        ],
    )
    write(
        bank,
        "products",
        [  # a newer version of P1
            {
                "product_id": "P1",
                "product_name": "Mug XL",
                "category_l1": "Home",
                "price": 14.99,
                "cost": 4.5,
                "currency": "EUR",
                "seasonal_flags": ["winter"],
                "updated_at": "2024-04-01T00:00:00Z",
            },
        ],
    )
    ok(runner.run())

    got = rows(engine, "silver.scout_clean_products", "product_id")
    p1 = got["P1"]
    assert (p1["product_name"], p1["price"], p1["cost"]) == (
        "Mug XL",
        Decimal("14.99"),
        Decimal("4.50"),
    )
    assert p1["margin"] == _margin("14.99", "4.5") == Decimal("0.6998")  # 10.49 / 14.99 = 0.69980…
    assert p1["seasonal_flags"] == ("winter",) and p1["category_l2"] is None
    # P2: GBP converted at the rate of its event day; a negative margin from its own currency
    assert got["P2"]["price"] == eur("30", "GBP", date(2024, 3, 15))
    assert got["P2"]["margin"] == _margin("30", "50") == Decimal("-0.6667")
    assert got["P3"]["margin"] is None and got["P3"]["price"] == Decimal(0)  # price 0: no margin


def test_product_attributes_and_arrays(bank: Databank, engine: Engine, runner: Runner) -> None:
    write(
        bank,
        "products",
        [
            {
                "product_id": "P1",
                "product_name": "Mug",
                "category_l1": "Home",
                "category_l2": "Kitchen",
                "category_l3": "Mugs",
                "brand": "Acme",
                "price": 12.99,
                "cost": 4.5,
                "currency": "EUR",
                "status": "active",
                "inventory_status": "in_stock",
                "seasonal_flags": ["winter", "holiday"],
                "attributes": {"colour": "red"},
                "launch_date": "2023-09-01",
            },
        ],
    )
    ok(runner.run())
    p1 = rows(engine, "silver.scout_clean_products", "product_id")["P1"]
    assert (p1["category_l1"], p1["category_l2"], p1["category_l3"], p1["brand"]) == (
        "Home",
        "Kitchen",
        "Mugs",
        "Acme",
    )
    assert p1["seasonal_flags"] == ("winter", "holiday")  # order kept
    assert (p1["status"], p1["inventory_status"], p1["launch_date"]) == (
        "active",
        "in_stock",
        date(2023, 9, 1),
    )
    assert p1["margin"] == _margin("12.99", "4.5") == Decimal("0.6536")
    colour = engine.fetch_value(
        "SELECT attributes ->> 'colour' FROM silver.scout_clean_products WHERE product_id = 'P1'"
    )
    assert colour == "red"


def test_campaigns(bank: Databank, engine: Engine, runner: Runner) -> None:
    write(
        bank,
        "campaigns",
        [
            {
                "campaign_id": "K1",
                "campaign_name": "Spring",
                "campaign_type": "email",
                "start_date": "2024-03-15",
                "end_date": "2024-04-15",
                "budget": 1000,
                "spent": 250.5,
                "currency": "USD",
                "channels": ["email", "social"],
                "objectives": ["sales", "reach"],
                "status": "active",
                "target_audience": {"age": "25-34"},
                "kpi_targets": {"roas": 3},
            },
            {
                "campaign_id": "K2",
                "campaign_name": "Summer",
                "start_date": "2024-06-01",
                "budget": 500,
            },
        ],
    )
    write(
        bank,
        "campaigns",
        [
            {
                "campaign_id": "K2",
                "campaign_name": "Summer sale",
                "start_date": "2024-06-01",
                "budget": 750,
                "status": "planned",
            },
        ],
    )
    ok(runner.run())

    got = rows(engine, "silver.scout_clean_campaigns", "campaign_id")
    k1 = got["K1"]
    assert (
        k1["budget"] == eur("1000", "USD", date(2024, 3, 15)) == Decimal("918.11")
    )  # 1000 / 1.0892 = 918.1050…
    assert k1["spent"] == eur("250.5", "USD", date(2024, 3, 15))
    assert (k1["channels"], k1["objectives"]) == (("email", "social"), ("sales", "reach"))
    assert (k1["start_date"], k1["end_date"], k1["status"], k1["campaign_type"]) == (
        date(2024, 3, 15),
        date(2024, 4, 15),
        "active",
        "email",
    )
    k2 = got["K2"]  # latest version; no currency means euros
    assert (k2["campaign_name"], k2["budget"], k2["status"], k2["objectives"]) == (
        "Summer sale",
        Decimal("750.00"),
        "planned",
        None,
    )
