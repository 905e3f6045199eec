"""Runner fixtures: toy models copied per test, toy bronze data, a runner on each engine."""

from transform.toy import (  # noqa: F401 - fixtures
    bronze,
    duckdb_template,
    engine,
    models_dir,
    pg_template,
    runner,
)
