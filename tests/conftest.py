"""Shared fixtures: one test body runs on every engine (DuckDB always, PostgreSQL when reachable).

PostgreSQL tests get a fresh database per test session on 127.0.0.1, dropped afterwards. Without a
server they are skipped with the reason shown — except in CI (`CI=true`), where a missing server is
a failure.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from databank.engines import Engine, connect
from databank.migrations.runner import migrate

PG_ADMIN_URL = os.environ.get("DATABANK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _pg_admin():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The admin URL of a reachable PostgreSQL (skip or, in CI, fail without one)."""
    try:
        _pg_admin().close()
    except Exception as exc:  # any failure to reach it means "no server here"
        message = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {str(exc).strip().splitlines()[-1]}"
        if IN_CI:
            pytest.fail(message + " (CI needs it: .ci/run starts it)")
        pytest.skip(message)
    return PG_ADMIN_URL


@pytest.fixture(scope="session")
def pg_database(pg_server: str) -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    name = f"databank_test_{uuid.uuid4().hex[:10]}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = pg_server.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fresh_pg_url(pg_server: str) -> tuple[str, str]:
    """Create another empty database; returns (url, name). The caller drops it with `drop_pg`."""
    name = f"databank_test_{uuid.uuid4().hex[:10]}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return pg_server.rsplit("/", 1)[0] + f"/{name}", name


def drop_pg(name: str) -> None:
    """Drop a database made by `fresh_pg_url`."""
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


ENGINES = ["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def duckdb_template_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB file migrated once per session; tests get copies (migrating takes seconds)."""
    path = tmp_path_factory.mktemp("template") / "migrated.duckdb"
    engine = connect(f"duckdb:///{path}")
    migrate(engine)
    engine.close()
    return path


@pytest.fixture(scope="session")
def pg_template_name(pg_server: str) -> Iterator[str]:
    """A PostgreSQL database migrated once per session, used as the template of each test's own."""
    url, name = fresh_pg_url(pg_server)
    engine = connect(url)
    migrate(engine)
    engine.close()  # a template must have no open connections
    yield name
    drop_pg(name)


@pytest.fixture(params=ENGINES)
def engine_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of this test's own migrated, empty database, on each engine.

    DuckDB: a copy of a migrated file; PostgreSQL: `CREATE DATABASE … TEMPLATE` of a migrated one
    (a file copy, far faster than migrating), dropped after the test.
    """
    if request.param == "duckdb":
        target = tmp_path / "test.duckdb"
        shutil.copy(request.getfixturevalue("duckdb_template_file"), target)
        yield f"duckdb:///{target}"
        return
    server = request.getfixturevalue("pg_server")
    template = request.getfixturevalue("pg_template_name")
    name = f"databank_test_{uuid.uuid4().hex[:10]}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        drop_pg(name)


@pytest.fixture(params=ENGINES)
def empty_engine_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An engine URL with an empty, unmigrated database, for each engine."""
    if request.param == "duckdb":
        yield f"duckdb:///{tmp_path / 'empty.duckdb'}"
        return
    server = request.getfixturevalue("pg_server")
    url, name = fresh_pg_url(server)
    try:
        yield url
    finally:
        drop_pg(name)


@pytest.fixture
def raw_engine(empty_engine_url: str) -> Iterator[Engine]:
    """An open engine on an empty, unmigrated database."""
    engine = connect(empty_engine_url)
    try:
        yield engine
    finally:
        engine.close()


@pytest.fixture
def engine(engine_url: str) -> Iterator[Engine]:
    """An open engine on this test's own migrated database."""
    engine = connect(engine_url)
    try:
        migrate(engine)  # a no-op on the template copy; kept so the contract is explicit
        yield engine
    finally:
        engine.close()
