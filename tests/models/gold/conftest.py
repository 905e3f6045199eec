"""Gold fixtures: a migrated engine per test (from a per-session template), the gold models only,
and a `World` that writes the inputs: bronze records through the BronzeWriter (their real shape)
and silver rows by hand (known values; the silver models are tested on their own)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from conftest import ENGINES, PG_ADMIN_URL, drop_pg, fresh_pg_url
from databank.engines import Engine, connect
from databank.migrations.runner import migrate
from databank.settings import Settings
from databank.transform.loader import default_models_dir
from databank.transform.runner import Runner
from models.gold.world import World


@pytest.fixture(scope="session")
def gold_duckdb_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB file migrated once per session; each test works on a copy."""
    path = tmp_path_factory.mktemp("gold_template") / "template.duckdb"
    engine = connect(f"duckdb:///{path}")
    migrate(engine)
    engine.close()
    return path


@pytest.fixture(scope="session")
def gold_pg_template(pg_server: str) -> Iterator[str]:
    """A PostgreSQL database migrated once per session: the template of each test's database."""
    url, name = fresh_pg_url(pg_server)
    engine = connect(url)
    migrate(engine)
    engine.close()
    yield name
    drop_pg(name)


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated engine (DuckDB, PostgreSQL) with empty tables."""
    if request.param == "duckdb":
        target = tmp_path / "test.duckdb"
        shutil.copy(request.getfixturevalue("gold_duckdb_template"), target)
        engine = connect(f"duckdb:///{target}")
        yield engine
        engine.close()
        return
    template = request.getfixturevalue("gold_pg_template")
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
def gold_models(tmp_path: Path) -> Path:
    """A models folder holding the package's gold models and the meta models they read (customer
    activity from silver, campaign touches from bronze); silver rows are written by hand."""
    root = tmp_path / "models"
    for layer, pattern in (
        ("gold", "*.sql"),
        ("meta", "customer_activity.sql"),
        ("meta", "campaign_touches.sql"),
    ):
        target = root / layer
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted((default_models_dir() / layer).glob(pattern)):
            shutil.copy(path, target / path.name)
    return root


@pytest.fixture
def runner(engine: Engine, gold_models: Path) -> Runner:
    """The runner over the gold models (no lineage sync, no OpenLineage events)."""
    return Runner(engine, gold_models, sync_lineage=False)


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    """Writes the gold models' inputs on this test's engine."""
    return World(engine, Settings(pii_key="test-key", data_dir=tmp_path / "data"))
