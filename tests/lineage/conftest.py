"""Lineage fixtures: the runner tests' toy models and toy bronze data, on each engine."""

from transform.toy import (  # noqa: F401 - fixtures
    bronze,
    duckdb_template,
    engine,
    models_dir,
    pg_template,
    runner,
)
