"""The eight source types, their bronze tables, and how a record fills each table's spec columns.

Every bronze row keeps the whole (pseudonymised) record as JSON in the table's payload column; the
spec's other columns are filled from the record where it has the value, typed and checked (a value
of the wrong type leaves the column NULL; the record's validation says why). docs/bronze.md lists
this mapping: silver models read exactly these columns and JSON keys.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import pyarrow as pa

from databank.ingestion.formats import utc_timestamp_text

SOURCE_TYPES: dict[str, str] = {
    "transactions": "bronze.scout_raw_transactions",
    "customers": "bronze.scout_raw_customers",
    "products": "bronze.scout_raw_products",
    "campaigns": "bronze.scout_raw_campaigns",
    "events": "bronze.scout_raw_events",
    "feedback": "bronze.ces_raw_feedback",
    "interactions": "bronze.ces_raw_interactions",
    "logs": "bronze.neural_databank_raw_logs",
}

Extract = Callable[[dict[str, Any]], Any]


def text(key: str) -> Extract:
    """The string value of `key`, else None."""
    return lambda r: v if isinstance(v := r.get(key), str) else None


def number(key: str) -> Extract:
    """A finite number of `key` within ±1e15 (fits every numeric column), else None."""

    def get(r: dict[str, Any]) -> float | None:
        v = r.get(key)
        if v.__class__ is bool or not isinstance(v, int | float):
            return None
        return float(v) if math.isfinite(v) and abs(v) <= 1e15 else None

    return get


def timestamp(key: str) -> Extract:
    """A valid ISO-8601 time of `key` as naive UTC text, else None."""
    return lambda r: utc_timestamp_text(r.get(key))


def json_object(key: str) -> Extract:
    """The object under `key` as JSON text, else None."""
    return lambda r: orjson.dumps(v).decode() if isinstance(v := r.get(key), dict) else None


def text_list(key: str) -> Extract:
    """The array of strings under `key`, else None."""

    def get(r: dict[str, Any]) -> list[str] | None:
        v = r.get(key)
        return v if isinstance(v, list) and all(isinstance(x, str) for x in v) else None

    return get


def picked(keys: dict[str, str], require: str | None = None) -> Extract:
    """A JSON object of the present record keys, renamed (`{"l1": "category_l1"}`), else None.

    With `require`, None unless that record key is present.
    """

    def get(r: dict[str, Any]) -> str | None:
        if require is not None and r.get(require) is None:
            return None
        found = {name: r[key] for name, key in keys.items() if r.get(key) is not None}
        return orjson.dumps(found).decode() if found else None

    return get


def nested_text(key: str, inner: str) -> Extract:
    """A string `inner` inside the object under `key`, else None."""

    def get(r: dict[str, Any]) -> str | None:
        v = r.get(key)
        found = v.get(inner) if isinstance(v, dict) else None
        return found if isinstance(found, str) else None

    return get


@dataclass(frozen=True)
class SpecColumn:
    """A spec column filled from the record: name, Arrow type, how to get the value."""

    name: str
    type: pa.DataType
    extract: Extract


def _cols(*items: tuple[str, pa.DataType, Extract]) -> tuple[SpecColumn, ...]:
    return tuple(SpecColumn(*item) for item in items)


_S, _F, _L = pa.string(), pa.float64(), pa.list_(pa.string())


@dataclass(frozen=True)
class BronzeLayout:
    """Where one source type lands: table, payload column, spec columns and per-status columns."""

    source_type: str
    table: str
    payload_column: str
    columns: tuple[SpecColumn, ...] = ()
    flags_column: str | None = None  # varchar[] of failed check names (customers.quality_flags)
    errors_column: str | None = None  # jsonb list of failed checks (products.validation_errors)
    lineage_column: str | None = None  # "source_system/batch_id" (customers.data_lineage)
    constants: tuple[tuple[str, str], ...] = ()
    time_column: str | None = None  # a NOT-NULL-ish time column that falls back to ingestion time


LAYOUTS: dict[str, BronzeLayout] = {
    "transactions": BronzeLayout("transactions", SOURCE_TYPES["transactions"], "transaction_data"),
    "customers": BronzeLayout(
        "customers",
        SOURCE_TYPES["customers"],
        "customer_data",
        flags_column="quality_flags",
        lineage_column="data_lineage",
    ),
    "products": BronzeLayout(
        "products",
        SOURCE_TYPES["products"],
        "product_data",
        columns=_cols(
            (
                "category_hierarchy",
                _S,
                picked({"l1": "category_l1", "l2": "category_l2", "l3": "category_l3"}),
            )
        ),
        errors_column="validation_errors",
        constants=(("enrichment_status", "pending"),),
    ),
    "campaigns": BronzeLayout(
        "campaigns",
        SOURCE_TYPES["campaigns"],
        "campaign_data",
        columns=_cols(
            ("media_channels", _L, text_list("channels")),
            (
                "budget_data",
                _S,
                picked({"budget": "budget", "spent": "spent", "currency": "currency"}),
            ),
            ("performance_metrics", _S, json_object("performance_metrics")),
            ("attribution_model", _S, nested_text("performance_metrics", "attribution_model")),
        ),
    ),
    "events": BronzeLayout(
        "events",
        SOURCE_TYPES["events"],
        "event_data",
        columns=_cols(
            ("event_type", _S, text("event_type")),
            ("timestamp", _S, timestamp("timestamp")),
            ("user_agent", _S, text("user_agent")),
            ("session_id", _S, text("session_id")),
        ),
    ),
    "feedback": BronzeLayout(
        "feedback",
        SOURCE_TYPES["feedback"],
        "interaction_context",
        columns=_cols(
            ("feedback_text", _S, text("feedback_text")),
            ("rating", _F, number("rating")),
            ("channel", _S, text("channel")),
            ("customer_id", _S, text("customer_id")),
        ),
    ),
    "interactions": BronzeLayout(
        "interactions",
        SOURCE_TYPES["interactions"],
        "interaction_data",
        columns=_cols(
            ("interaction_type", _S, text("interaction_type")),
            ("customer_journey_stage", _S, text("customer_journey_stage")),
            ("touchpoint_data", _S, json_object("touchpoint")),
            (
                "attribution_data",
                _S,
                picked({"campaign_id": "campaign_id", "channel": "channel"}, require="campaign_id"),
            ),
        ),
    ),
    "logs": BronzeLayout(
        "logs",
        SOURCE_TYPES["logs"],
        "payload",
        columns=_cols(
            ("agent_id", _S, text("agent_id")),
            ("layer", _S, text("layer")),
            ("operation", _S, text("operation")),
            ("execution_time", _F, number("execution_time")),
            ("status", _S, text("status")),
            ("error_details", _S, json_object("error_details")),
        ),
        time_column="created_at",
    ),
}
