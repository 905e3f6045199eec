"""Table refresh versions: bumped on refresh, read in bulk, heard by listeners."""

from __future__ import annotations

from databank.engines import Engine
from databank.refresh import mark_refreshed, on_refresh, table_versions


def test_versions_increase_and_listeners_hear(engine: Engine) -> None:
    """Each refresh adds one; untouched tables read 0; listeners get the table name."""
    heard: list[str] = []
    unsubscribe = on_refresh(heard.append)
    try:
        assert table_versions(engine, ["gold.a", "gold.b"]) == {"gold.a": 0, "gold.b": 0}
        mark_refreshed(engine, "gold.a")
        mark_refreshed(engine, "gold.a")
        mark_refreshed(engine, "gold.b")
        assert table_versions(engine, ["gold.a", "gold.b", "gold.c"]) == {
            "gold.a": 2,
            "gold.b": 1,
            "gold.c": 0,
        }
    finally:
        unsubscribe()
    mark_refreshed(engine, "gold.c")
    assert heard == ["gold.a", "gold.a", "gold.b"]
