"""The `products` and `campaigns` source types: small, so rendered from prepared dicts.

The catalogue arrives in one delivery on day 0; a campaign arrives on its start date.
"""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.json as pa_json

from databank.demo.generator import fmt
from databank.demo.generator.frame import Frame
from databank.demo.generator.stream import Rendered, SourceSpec
from databank.demo.generator.world import World

_S, _F, _I = pa.string(), pa.float64(), pa.int64()
PRODUCT_SCHEMA = pa.schema(
    [
        ("product_id", _S),
        ("product_name", _S),
        ("category_l1", _S),
        ("category_l2", _S),
        ("category_l3", _S),
        ("brand", _S),
        ("price", _F),
        ("cost", _F),
        ("currency", _S),
        ("launch_date", _S),
        ("status", _S),
        ("stock_quantity", _I),
        ("inventory_status", _S),
        ("seasonal_flags", pa.list_(_S)),
        ("attributes", pa.struct([("colour", _S), ("material", _S), ("size", _S)])),
        ("competitor_price", _F),
        ("updated_at", _S),
    ]
)
CAMPAIGN_SCHEMA = pa.schema(
    [
        ("campaign_id", _S),
        ("campaign_name", _S),
        ("campaign_type", _S),
        ("start_date", _S),
        ("end_date", _S),
        ("budget", _F),
        ("spent", _F),
        ("currency", _S),
        ("channels", pa.list_(_S)),
        ("objectives", pa.list_(_S)),
        (
            "target_audience",
            pa.struct(
                [("regions", pa.list_(_S)), ("age_range", _S), ("consent_required", pa.bool_())]
            ),
        ),
        ("creative_elements", pa.struct([("headline", _S), ("format", _S), ("variants", _I)])),
        ("kpi_targets", pa.struct([("roas", _F), ("ctr", _F), ("conversions", _I)])),
        ("product_ids", pa.list_(_S)),
        ("status", _S),
        (
            "performance_metrics",
            pa.struct(
                [("impressions", _I), ("clicks", _I), ("conversions", _I), ("attribution", _S)]
            ),
        ),
    ]
)
PRODUCT_FAULTS = (
    ("missing_product_name", "product_name"),
    ("negative_price", "price"),
    ("bad_currency", "currency"),
    ("missing_category_l1", "category_l1"),
)
CAMPAIGN_FAULTS = (
    ("missing_campaign_name", "campaign_name"),
    ("end_before_start", "end_date"),
    ("negative_budget", "budget"),
    ("bad_status", "status"),
)


def _break(record: dict[str, Any], reason: str, field: str) -> dict[str, Any]:
    """A copy of `record` with the defect `reason` applied to `field`."""
    out = dict(record)
    if reason.startswith("missing_"):
        del out[field]
    elif reason.startswith("negative_"):
        out[field] = -abs(out[field]) - 1.0
    elif reason == "bad_currency":
        out[field] = "EURO"
    elif reason == "bad_status":
        out[field] = "running"
    elif reason == "end_before_start":
        out[field] = (date.fromisoformat(out["start_date"]) - timedelta(days=3)).isoformat()
    return out


def _render(
    records: list[dict], faults: tuple[tuple[str, str], ...], schema: pa.Schema, frame: Frame
) -> Rendered:
    """Records (with their faults) to Arrow via JSON lines: nested fields keep the schema."""
    lines = []
    for i, fault in zip(frame["idx"].tolist(), frame["fault"].tolist(), strict=True):
        record = _break(records[i], *faults[fault - 1]) if fault else records[i]
        lines.append(json.dumps(record, ensure_ascii=False))
    if not lines:
        return Rendered(schema.empty_table())
    options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error")
    data = io.BytesIO("\n".join(lines).encode())
    return Rendered(pa_json.read_json(data, parse_options=options))


def produce_products(world: World, chunk: int) -> Frame:
    """The whole catalogue, in the first chunk."""
    n = len(world.products) if chunk == 0 else 0
    idx = np.arange(n, dtype=np.int32)
    return Frame({"idx": idx, "day": np.zeros(n, np.int32), "ts": idx.astype(np.int64)})


def produce_campaigns(world: World, chunk: int) -> Frame:
    """Campaigns starting in the chunk."""
    d0, d1 = world.chunk_days(chunk)
    start = world.campaigns.start
    idx = np.flatnonzero((start >= d0) & (start < d1)).astype(np.int32)
    return Frame({"idx": idx, "day": start[idx].copy(), "ts": start[idx] * np.int64(86_400)})


def render_products(world: World, frame: Frame) -> Rendered:
    """Product records (Arrow) with the frame's faults applied."""
    return _render(world.products.records, PRODUCT_FAULTS, PRODUCT_SCHEMA, frame)


def render_campaigns(world: World, frame: Frame) -> Rendered:
    """Campaign records (Arrow) with the frame's faults applied."""
    return _render(world.campaigns.records, CAMPAIGN_FAULTS, CAMPAIGN_SCHEMA, frame)


def product_keys(world: World, frame: Frame) -> pa.Array:
    """`product_id` of each row."""
    return fmt.ids("PRD-", frame["idx"] + 1)


def campaign_keys(world: World, frame: Frame) -> pa.Array:
    """`campaign_id` of each row."""
    return fmt.ids("CMP-", frame["idx"] + 1)


PRODUCTS = SourceSpec(
    name="products",
    code=3,
    key_field="product_id",
    faults=PRODUCT_FAULTS,
    produce=produce_products,
    render=render_products,
    keys=product_keys,
)
CAMPAIGNS = SourceSpec(
    name="campaigns",
    code=4,
    key_field="campaign_id",
    faults=CAMPAIGN_FAULTS,
    produce=produce_campaigns,
    render=render_campaigns,
    keys=campaign_keys,
)
