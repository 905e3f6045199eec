"""The gold models' inputs, written the way they arrive: bronze records through the BronzeWriter,
silver rows as the silver models would leave them (typed by hand here, with known values).

Each record is a plain dict in the shape of docs/source-records.md; the expected gold rows are
computed from the same dicts in `expected.py`, independently of the SQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa

from databank.engines import Engine
from databank.ingestion.writer import BronzeWriter
from databank.settings import Settings

Record = dict[str, Any]
BRONZE = {
    "transactions": "bronze.scout_raw_transactions",
    "products": "bronze.scout_raw_products",
    "events": "bronze.scout_raw_events",
    "feedback": "bronze.ces_raw_feedback",
    "interactions": "bronze.ces_raw_interactions",
    "logs": "bronze.neural_databank_raw_logs",
}


def utc_day(text: str) -> date:
    """The UTC calendar day of an ISO-8601 time with an offset."""
    return datetime.fromisoformat(text).astimezone(UTC).date()


def money(value: Any) -> Decimal:
    """A JSON amount as the exact Decimal silver would hold (numeric(12,2))."""
    return Decimal(str(value)).quantize(Decimal("0.01"))


class World:
    """Writes the inputs of the gold models on one engine."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.writer = BronzeWriter(engine, settings)

    # -- bronze -----------------------------------------------------------------------------
    def bronze(self, source_type: str, records: Sequence[Record], system: str = "fixture") -> None:
        """Write records through the BronzeWriter; every one must pass its contract."""
        result = self.writer.write_batch(source_type, list(records), source_system=system)
        assert result.failed == 0, result.errors
        assert result.passed + result.duplicates == len(records), result

    def bronze_ids(self, source_type: str, keys: Iterable[str]) -> dict[str, str]:
        """record_key → id of the newest bronze row of each natural key."""
        wanted = list(keys)
        rows = self.engine.fetch_rows(
            f"SELECT record_key, CAST(id AS VARCHAR), ingested_at FROM {BRONZE[source_type]} "
            "ORDER BY ingested_at, record_index"
        )
        found = {key: row_id for key, row_id, _ in rows}
        return {key: found[key] for key in wanted}

    def append(self, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Append rows (dicts of column → value) to a table."""
        if rows:
            self.engine.append_arrow(table, pa.Table.from_pylist([dict(r) for r in rows]))

    # -- sources with a silver table ----------------------------------------------------------
    def transactions(self, records: Sequence[Record]) -> None:
        """Bronze transaction records and their silver rows (one per transaction_id, as given)."""
        self.bronze("transactions", records)
        ids = self.bronze_ids("transactions", [r["transaction_id"] for r in records])
        self.append(
            "silver.scout_clean_transactions",
            [
                {
                    "id": str(uuid.uuid4()),
                    "transaction_id": r["transaction_id"],
                    "customer_id": r["customer_id"],
                    "product_id": r["product_id"],
                    "campaign_id": r.get("campaign_id"),
                    "transaction_date": utc_day(r["timestamp"]),
                    "amount": money(r["amount"]),
                    "currency": "EUR",
                    "channel": r.get("channel"),
                    "region": r.get("region"),
                    "payment_method": r.get("payment_method"),
                    "source_bronze_id": ids[r["transaction_id"]],
                    "quantity": abs(int(r["quantity"])) if r.get("quantity") is not None else 1,
                }
                for r in records
            ],
        )

    def customers(self, rows: Sequence[Record]) -> None:
        """Silver customers: customer_id, customer_tier, registration_date (and the rest NULL)."""
        self.append(
            "silver.scout_clean_customers",
            [{"email": f"tok_{r['customer_id']}", **r} for r in rows],
        )

    def products(self, snapshots: Sequence[Record]) -> None:
        """Bronze product records (stock snapshots) and each product's newest silver row."""
        self.bronze("products", snapshots)
        newest: dict[str, Record] = {}
        for record in snapshots:
            newest[record["product_id"]] = record
        existing = {
            r[0]
            for r in self.engine.fetch_rows("SELECT product_id FROM silver.scout_clean_products")
        }
        for product_id in newest:
            if product_id in existing:
                self.engine.execute(
                    "DELETE FROM silver.scout_clean_products WHERE product_id = $p",
                    {"p": product_id},
                )
        self.append(
            "silver.scout_clean_products",
            [
                {
                    "product_id": r["product_id"],
                    "product_name": r["product_name"],
                    "category_l1": r.get("category_l1"),
                    "price": money(r["price"]),
                    "cost": money(r["cost"]),
                    "margin": margin(r),
                    "status": r.get("status"),
                    "inventory_status": r.get("inventory_status"),
                }
                for r in newest.values()
            ],
        )

    def campaigns(self, rows: Sequence[Record]) -> None:
        """Silver campaigns: campaign_id, start_date, end_date, spent, channels (and names)."""
        self.append(
            "silver.scout_clean_campaigns",
            [{"campaign_name": r["campaign_id"], **r} for r in rows],
        )

    def customer_map(self, pairs: Mapping[str, str]) -> None:
        """meta.customer_id_map: a source system's customer id → the person's silver id."""
        self.append(
            "meta.customer_id_map",
            [{"source_customer_id": s, "customer_id": p} for s, p in pairs.items()],
        )

    def feedback(self, records: Sequence[Record]) -> None:
        """Bronze feedback records and their silver rows; `sentiment` rides on the record here.

        The sentiment is silver's (VADER) score: the fixture states it instead of running VADER.
        """
        clean = [{k: v for k, v in r.items() if k != "sentiment"} for r in records]
        self.bronze("feedback", clean)
        ids = self.bronze_ids("feedback", [r["feedback_id"] for r in records])
        self.append(
            "silver.ces_clean_feedback",
            [
                {
                    "feedback_id": str(uuid.uuid5(uuid.NAMESPACE_URL, r["feedback_id"])),
                    "customer_id": r.get("customer_id"),
                    "feedback_text": r["feedback_text"],
                    "rating": Decimal(str(r["rating"])) if r.get("rating") is not None else None,
                    "sentiment_score": Decimal(r["sentiment"]) if r.get("sentiment") else None,
                    "channel": r.get("channel"),
                    "interaction_type": r.get("interaction_type"),
                    "submission_date": utc_day(r["submitted_at"]),
                    "source_bronze_id": ids[r["feedback_id"]],
                }
                for r in records
            ],
        )


def margin(product: Mapping[str, Any]) -> Decimal:
    """(price - cost) / price to 4 decimals, as silver's `margin`."""
    price, cost = money(product["price"]), money(product["cost"])
    return ((price - cost) / price).quantize(Decimal("0.0001"))
