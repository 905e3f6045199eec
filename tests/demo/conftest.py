"""One small business (two years, a quarter of the default volume) shared by the demo tests."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.demo.shared import CONFIG, KEYS

from databank.demo.generator import Business, generate_business


@pytest.fixture(scope="session")
def business() -> Business:
    """The shared business."""
    return generate_business(CONFIG)


@pytest.fixture(scope="session")
def records(business: Business) -> dict[str, list[dict[str, Any]]]:
    """Every emitted record per source type, in delivery order (dict path)."""
    return {
        source: [r for batch in business.iter_batches(source, 25_000) for r in batch]
        for source in business.source_types
    }


@pytest.fixture(scope="session")
def truth(business: Business, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The truth, read back from the JSON file the business writes."""
    path = business.write_truth(tmp_path_factory.mktemp("truth") / "truth.json")
    return json.loads(path.read_text())


@pytest.fixture(scope="session")
def valid(
    records: dict[str, list[dict[str, Any]]], truth: dict[str, Any]
) -> dict[str, list[dict[str, Any]]]:
    """Valid originals per source type: no re-deliveries, no invalid records."""
    out = {}
    for source, rows in records.items():
        invalid = {r["id"] for r in truth["sources"][source]["invalid_records"]}
        key = KEYS[source]
        seen: set[str] = set()
        kept = []
        for row in rows:
            if row[key] in invalid or row[key] in seen:
                continue
            seen.add(row[key])
            kept.append(row)
        out[source] = kept
    return out
