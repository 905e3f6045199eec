"""Fixtures for the transformation, view and lineage APIs: the runner's toy models and bronze."""

from transform.toy import (  # noqa: F401 - fixtures
    bronze,
    duckdb_template,
    engine,
    models_dir,
    pg_template,
    runner,
)
