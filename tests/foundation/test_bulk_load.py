"""`engine.bulk_load`: an empty table's fill with its indexes built afterwards (PostgreSQL), keys
still enforced, everything restored whether the fill commits or fails."""

from __future__ import annotations

import uuid

import pytest

from databank.engines import Engine
from databank.errors import EngineError

TABLE = "silver.scout_clean_transactions"


def _indexes(engine: Engine) -> list[tuple[str, str]]:
    if engine.dialect != "postgres":
        return []
    return engine.fetch_rows(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'silver' "
        "AND tablename = 'scout_clean_transactions' ORDER BY indexname"
    )


def _insert(engine: Engine, transaction_ids: list[str]) -> None:
    marks = ", ".join(f"(CAST($i{n} AS UUID), $t{n})" for n in range(len(transaction_ids)))
    params = {f"i{n}": str(uuid.uuid4()) for n in range(len(transaction_ids))}
    params |= {f"t{n}": t for n, t in enumerate(transaction_ids)}
    engine.execute(f"INSERT INTO {TABLE} (id, transaction_id) VALUES {marks}", params)


def test_a_fill_keeps_every_index_and_key(engine: Engine) -> None:
    before = (_indexes(engine), engine.unique_keys(TABLE))
    with engine.transaction(), engine.bulk_load(TABLE):
        _insert(engine, ["t1", "t2", "t3"])
    assert (_indexes(engine), engine.unique_keys(TABLE)) == before
    assert engine.count_rows(TABLE) == 3
    if engine.dialect == "postgres":
        assert len(before[0]) == 8  # key, unique transaction_id, 5 spec indexes, the watermark
        with pytest.raises(Exception, match=r"(?i)duplicate|unique"):
            _insert(engine, ["t1"])  # the key is back in force


def test_a_duplicate_fails_the_fill_and_everything_rolls_back(engine: Engine) -> None:
    before = (_indexes(engine), engine.unique_keys(TABLE))
    if engine.capabilities.model_keys:
        refused = pytest.raises(Exception, match=r"(?i)duplicate|unique|could not create")
        with refused, engine.transaction(), engine.bulk_load(TABLE):
            _insert(engine, ["t1", "t1"])  # accepted while the key is off, refused on re-adding
        assert engine.count_rows(TABLE) == 0
    assert (_indexes(engine), engine.unique_keys(TABLE)) == before


def test_it_refuses_to_run_outside_a_transaction(engine: Engine) -> None:
    if engine.dialect != "postgres":
        with engine.bulk_load(TABLE):  # nothing to drop: a no-op anywhere
            pass
        return
    with pytest.raises(EngineError, match="inside a transaction"), engine.bulk_load(TABLE):
        pass
