"""Payload hash and dedup filter properties; hazards and their safe form."""

from __future__ import annotations

import random
import uuid
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from databank.engines import Engine
from databank.ingestion.dedup import SeenFilter, id_prefix
from databank.ingestion.safety import MAX_DEPTH, find_hazards, payload_hash, safe_form

text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)),
    max_leaves=20,
)
records = st.dictionaries(text, values, min_size=1, max_size=8)


def shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [shuffled(v, rng) for v in value]
    return value


@settings(max_examples=150, deadline=None)
@given(records, st.randoms())
def test_key_order_does_not_change_the_hash(record: dict[str, Any], rng: random.Random) -> None:
    assert payload_hash(shuffled(record, rng)) == payload_hash(record)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            found += paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += paths(v, (*prefix, i))
    return found


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


@settings(max_examples=150, deadline=None)
@given(records, st.data())
def test_any_value_change_changes_the_hash(record: dict[str, Any], data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(paths(record)))
    old = record
    for step in path:
        old = old[step]
    new = data.draw(values.filter(lambda v: orjson.dumps(v) != orjson.dumps(old)))
    assert payload_hash(replaced(record, path, new)) != payload_hash(record)


@settings(max_examples=100, deadline=None)
@given(records)
def test_storable_records_have_no_hazards_and_keep_their_form(record: dict[str, Any]) -> None:
    if max((len(p) for p in paths(record)), default=0) < MAX_DEPTH:
        assert find_hazards(record) == []
        assert safe_form(record) == record


def test_hazards_are_named_and_made_safe() -> None:
    record = {"a": "x\x00y", "b": [1.0, float("nan")], "c": {"\ud800": 2**70}}
    assert find_hazards(record) == [
        ("a", "contains a NUL character (\\u0000), which cannot be stored"),
        ("b[1]", "NaN and Infinity are not JSON numbers"),
        ("c.\\ud800", "key contains a lone surrogate (not valid Unicode / UTF-8)"),
        ("c.\\ud800", "integer beyond the 64-bit range"),
    ]
    safe = safe_form(record)
    assert find_hazards(safe) == [] and orjson.loads(orjson.dumps(safe)) == safe


@settings(max_examples=50, deadline=None)
@given(st.lists(st.uuids().map(str), min_size=1, max_size=300, unique=True), st.data())
def test_filter_never_forgets_a_stored_id(ids: list[str], data: st.DataObject) -> None:
    seen = SeenFilter()
    stored = data.draw(st.lists(st.sampled_from(ids), unique=True))
    seen.add([id_prefix(i) for i in stored])
    maybe = seen.maybe_stored([id_prefix(i) for i in ids])
    assert all(hit for i, hit in zip(ids, maybe, strict=True) if i in stored)


def test_filter_merges_recent_ids_into_its_sorted_array() -> None:
    rng = random.Random(7)
    seen = SeenFilter()
    first = [rng.getrandbits(64) for _ in range(70_000)]
    seen.add(first)  # over the threshold: merged into the array
    second = [rng.getrandbits(64) for _ in range(10)]
    seen.add(second)
    assert len(seen._base) == 70_000 and len(seen._recent) == 10
    assert all(seen.maybe_stored(first[:1000] + second))
    fresh = [rng.getrandbits(64) for _ in range(1000)]
    assert sum(seen.maybe_stored(fresh)) == 0


def test_filter_loads_every_stored_prefix_exactly(engine: Engine) -> None:
    """The database's prefixes (DuckDB computes them in SQL) equal `id_prefix` of each id."""
    rng = random.Random(11)
    ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(500)]
    ids += ["ffffffff-ffff-4fff-bfff-ffffffffffff", "00000000-0000-4000-8000-000000000000"]
    engine.execute("CREATE TABLE meta.prefix_probe (id UUID)")
    for start in range(0, len(ids), 100):
        chunk = ids[start : start + 100]
        marks = ", ".join(f"(CAST($i{n} AS UUID))" for n in range(len(chunk)))
        engine.execute(
            f"INSERT INTO meta.prefix_probe VALUES {marks}",
            {f"i{n}": value for n, value in enumerate(chunk)},
        )
    seen = SeenFilter()
    seen.load(engine, "meta.prefix_probe")
    assert seen._base.tolist() == sorted(id_prefix(i) for i in ids)


def test_a_filter_loading_in_the_background_keeps_what_was_committed_meanwhile(
    engine: Engine,
) -> None:
    """Ids committed while the filter loads (recorded with `add`, some already merged into its
    array) survive the load; until it is loaded the writer does not trust it."""
    rng = random.Random(13)
    ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(200)]
    engine.execute("CREATE TABLE meta.prefix_probe (id UUID)")
    marks = ", ".join(f"(CAST($i{n} AS UUID))" for n in range(len(ids)))
    engine.execute(
        f"INSERT INTO meta.prefix_probe VALUES {marks}", {f"i{n}": v for n, v in enumerate(ids)}
    )
    seen = SeenFilter()
    merged = [rng.getrandbits(64) for _ in range(70_000)]  # over the threshold: into the array
    seen.add(merged)
    assert not seen.loaded
    thread = seen.start_loading(engine, "meta.prefix_probe")
    assert thread is not None
    thread.join(timeout=30)
    assert seen.loaded
    late = [rng.getrandbits(64) for _ in range(5)]
    seen.add(late)
    assert seen.start_loading(engine, "meta.prefix_probe") is None  # loaded once, not twice
    assert all(seen.maybe_stored([id_prefix(i) for i in ids] + merged + late))
    assert len(seen._base) == len(ids) + len(merged)
    assert sum(seen.maybe_stored([rng.getrandbits(64) for _ in range(1000)])) == 0


def test_a_filter_that_cannot_load_is_retried(engine: Engine) -> None:
    seen = SeenFilter()
    thread = seen.start_loading(engine, "meta.no_such_table")
    assert thread is not None
    thread.join(timeout=30)
    assert not seen.loaded
    again = seen.start_loading(engine, "meta.no_such_table")  # the next use starts another load
    assert again is not None
    again.join(timeout=30)
