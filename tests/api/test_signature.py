"""The idempotency signature (hash of the canonical body): key order is irrelevant, any change of
a value, a key or the source type matters."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from databank.api.envelope import body_signature

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=30,
)
bodies = st.dictionaries(st.text(max_size=10), json_values, min_size=1, max_size=6)


def _shuffled(value: Any, rng: random.Random) -> Any:
    """The same JSON value with every object's keys in another order."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every position of a scalar (or an empty container) inside `value`."""
    if isinstance(value, dict | list) and not value:
        return [prefix]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _paths(v, (*prefix, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _paths(v, (*prefix, i))]
    return [prefix]


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {k: (_replace(v, rest, new) if k == head else v) for k, v in value.items()}
    return [(_replace(v, rest, new) if i == head else v) for i, v in enumerate(value)]


@given(bodies, st.randoms(use_true_random=False))
@settings(max_examples=200, deadline=None)
def test_key_order_does_not_matter(body: dict[str, Any], rng: random.Random) -> None:
    """Reordering the keys of any object gives the same signature."""
    assert body_signature("transactions", _shuffled(body, rng)) == body_signature(
        "transactions", body
    )


@given(bodies, st.data())
@settings(max_examples=200, deadline=None)
def test_any_value_change_matters(body: dict[str, Any], data: st.DataObject) -> None:
    """Changing one scalar anywhere (also its type: 1 vs 1.0 vs "1" vs true) changes the signature."""
    path = data.draw(st.sampled_from(_paths(body)))
    old: Any = body
    for step in path:
        old = old[step]
    new = data.draw(scalars.filter(lambda v: not (v == old and type(v) is type(old))))
    changed = _replace(body, path, new)
    assert body_signature("transactions", changed) != body_signature("transactions", body)


@given(bodies, st.text(min_size=1, max_size=10))
@settings(max_examples=200, deadline=None)
def test_added_key_and_source_type_matter(body: dict[str, Any], key: str) -> None:
    """A new key, a dropped key or another source type changes the signature."""
    base = body_signature("transactions", body)
    if key not in body:
        assert body_signature("transactions", {**body, key: None}) != base
    dropped = dict(list(body.items())[1:])
    assert body_signature("transactions", dropped) != base
    assert body_signature("customers", body) != base
