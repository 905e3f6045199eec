"""The server's garbage-collection policy: start-up objects frozen, young collections rarer."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from databank.api import gc_policy


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_settling_freezes_what_exists_and_raises_the_thresholds(restored_gc: None) -> None:
    survivor = [object() for _ in range(1000)]
    gc_policy.settle_after_startup()
    assert gc.get_freeze_count() >= len(survivor)
    assert gc.get_threshold() == (
        gc_policy.YOUNG_THRESHOLD,
        gc_policy.MIDDLE_THRESHOLD,
        gc_policy.OLD_THRESHOLD,
    )


def test_cycles_made_after_settling_are_still_collected(restored_gc: None) -> None:
    """Without an explicit gc.collect(): the young collection comes after enough allocations."""
    gc_policy.settle_after_startup()

    class Node:
        def __init__(self) -> None:
            self.me = self

    ref = weakref.ref(Node())
    assert ref() is not None  # only its own cycle holds it
    keep = [[] for _ in range(2 * gc_policy.YOUNG_THRESHOLD)]  # container allocations
    assert len(keep) == 2 * gc_policy.YOUNG_THRESHOLD
    assert ref() is None
