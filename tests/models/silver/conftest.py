"""Silver fixtures: a migrated engine per test (copied from a per-session template), the package's
silver models (and the meta models they read) in a folder of their own, and a Databank whose
BronzeWriter writes the inputs (so they have bronze's real shape)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from conftest import ENGINES, PG_ADMIN_URL, drop_pg, fresh_pg_url
from databank.context import Databank
from databank.engines import Engine, connect
from databank.migrations.runner import migrate
from databank.settings import Settings
from databank.transform.loader import default_models_dir
from databank.transform.runner import Runner

PII_KEY = "silver-test-key"


@pytest.fixture(scope="session")
def silver_duckdb_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB file migrated once per session (schema, exchange rates); each test gets a copy."""
    path = tmp_path_factory.mktemp("silver_template") / "template.duckdb"
    engine = connect(f"duckdb:///{path}")
    migrate(engine)
    engine.close()
    return path


@pytest.fixture(scope="session")
def silver_pg_template(pg_server: str) -> Iterator[str]:
    """A PostgreSQL database migrated once per session: each test's database is made from it."""
    url, name = fresh_pg_url(pg_server)
    engine = connect(url)
    migrate(engine)
    engine.close()
    yield name
    drop_pg(name)


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated engine (DuckDB, PostgreSQL) with empty bronze and silver tables."""
    if request.param == "duckdb":
        target = (
            tmp_path / "databank.duckdb"
        )  # not silver.duckdb: the catalog would clash with the schema
        shutil.copy(request.getfixturevalue("silver_duckdb_template"), target)
        engine = connect(f"duckdb:///{target}")
        yield engine
        engine.close()
        return
    template = request.getfixturevalue("silver_pg_template")
    name = f"databank_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    engine = connect(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    try:
        yield engine
    finally:
        engine.close()
        drop_pg(name)


@pytest.fixture
def silver_models(tmp_path: Path) -> Path:
    """A models folder with the package's silver models and the meta models they read."""
    root = tmp_path / "models"
    for layer, patterns in (("silver", ("*.sql",)), ("meta", ("*.sql", "*.py"))):
        (root / layer).mkdir(parents=True)
        for pattern in patterns:
            for path in sorted((default_models_dir() / layer).glob(pattern)):
                if not path.name.startswith("_"):
                    shutil.copy(path, root / layer / path.name)
    return root


@pytest.fixture
def runner(engine: Engine, silver_models: Path) -> Runner:
    """The runner over the silver models (no lineage sync, no OpenLineage events)."""
    return Runner(engine, silver_models, sync_lineage=False)


@pytest.fixture
def bank(engine: Engine, tmp_path: Path) -> Databank:
    """The installation whose BronzeWriter writes this test's bronze records."""
    return Databank(Settings(pii_key=PII_KEY, data_dir=tmp_path / "data"), engine)
