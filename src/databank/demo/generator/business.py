"""`generate_business(config) -> Business`: the streaming API over every source type.

Nothing is generated up front except the small fixed part (customers, catalogue, campaigns, the
day plan); each iterator produces its records chunk by chunk, so memory stays flat whatever the
scale. Iterating the same source type twice gives the same records.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from databank.demo.generator import (
    catalog_records,
    customer_records,
    fmt,
    interactions,
    stream,
    transactions,
    voice,
    web,
)
from databank.demo.generator.config import BusinessConfig
from databank.demo.generator.stream import Rendered, SourceSpec
from databank.demo.generator.truth import TruthCollector
from databank.demo.generator.world import World

SOURCES: dict[str, SourceSpec] = {
    spec.name: spec
    for spec in (
        customer_records.SPEC,
        catalog_records.PRODUCTS,
        catalog_records.CAMPAIGNS,
        transactions.SPEC,
        web.SPEC,
        voice.SPEC,
        interactions.SPEC,
    )
}
SOURCE_TYPES: tuple[str, ...] = tuple(SOURCES)


@dataclass(frozen=True)
class Delivery:
    """The records of one source type delivered on one date."""

    date: date
    rendered: Rendered

    @property
    def table(self) -> pa.Table:
        """The records as Arrow (plain string columns)."""
        return fmt.decoded(self.rendered.table)

    def records(self) -> list[dict[str, Any]]:
        """The records as JSON-able dicts (absent optional fields left out)."""
        return self.rendered.to_records()

    def __len__(self) -> int:
        return len(self.rendered)


class Business:
    """A fictional retailer: stream its records per source type, read its truth."""

    def __init__(self, config: BusinessConfig) -> None:
        self.config = config
        self.world = World(config)
        self._truth: dict[str, Any] | None = None

    @property
    def source_types(self) -> tuple[str, ...]:
        """The source types this business emits (`transactions`, `events`, …)."""
        return SOURCE_TYPES

    def _spec(self, source_type: str) -> SourceSpec:
        try:
            return SOURCES[source_type]
        except KeyError:
            raise ValueError(
                f"unknown source type {source_type!r}; one of {SOURCE_TYPES}"
            ) from None

    def iter_tables(
        self,
        source_type: str,
        batch_size: int | None = 100_000,
        *,
        dictionary: bool = False,
        threaded: bool = True,
    ) -> Iterator[pa.Table]:
        """Arrow tables of `batch_size` rows (the last shorter), in delivery order.

        The fast path (about 1.3 million transactions per CPU-second). Nested fields are structs and
        lists; a drifted field appears as a column from the batch where it first occurs. With
        `batch_size=None` each table is one generated chunk. With `dictionary=True`, columns with
        a small vocabulary (currency, channel, event_type, …) stay dictionary-encoded strings
        (same values, no copy: the fastest form, read as VARCHAR by DuckDB).
        """
        for piece in stream.rendered(
            self.world, self._spec(source_type), batch_size, threaded=threaded
        ):
            yield piece.table if dictionary else fmt.decoded(piece.table)

    def iter_batches(self, source_type: str, batch_size: int = 10_000) -> Iterator[list[dict]]:
        """Lists of up to `batch_size` JSON-able records (dicts), in delivery order."""
        for piece in stream.rendered(self.world, self._spec(source_type), batch_size):
            yield piece.to_records()

    def iter_json(self, source_type: str, batch_size: int = 10_000) -> Iterator[tuple[int, bytes]]:
        """`(records, bytes)`: the records of `iter_batches` as ready-made JSON arrays.

        The fast way to send them over HTTP: the JSON text is built from Arrow columns, with no
        dict per record; parsed, each array equals the matching `iter_batches` list.
        """
        yield from stream.json_batches(self.world, self._spec(source_type), batch_size)

    def iter_records(self, source_type: str) -> Iterator[dict[str, Any]]:
        """Every record of `source_type` as a dict, in delivery order."""
        for batch in self.iter_batches(source_type):
            yield from batch

    def iter_deliveries(self, source_type: str) -> Iterator[Delivery]:
        """One `Delivery` per delivery date that has records, in date order.

        Late records are in the delivery of a later date than their event time; re-deliveries
        follow their original within 0-2 days.
        """
        start = self.config.start_date
        for day, piece in stream.deliveries(self.world, self._spec(source_type)):
            yield Delivery(start + timedelta(days=day), piece)

    def truth(self) -> dict[str, Any]:
        """What was injected and the totals of valid records (computed once, without rendering)."""
        if self._truth is None:
            collector = TruthCollector(self.world)
            for spec in SOURCES.values():
                for _ in stream.frames(self.world, spec, collector.observe, threaded=True):
                    pass
            self._truth = collector.build()
        return self._truth

    def write_truth(self, path: str | Path) -> Path:
        """Write the truth as JSON to `path` (parents created); return the path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(self.truth(), indent=1, sort_keys=False) + "\n")
        return target


def generate_business(config: BusinessConfig | None = None) -> Business:
    """The business of `config` (default: two years, ~260,000 sales, ~1.2 million records)."""
    return Business(config or BusinessConfig())
