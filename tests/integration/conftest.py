"""Integration fixtures: every test runs once on a fresh SQLite file and once on a fresh
PostgreSQL database, never against a mock, and never sees another test's rows."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from cbec.bootstrap import Platform
from cbec.config import Settings
from cbec.kernel.clock import FixedClock
from cbec.registry.districts import load_districts
from cbec.storage import migrate
from cbec.storage import tables as t
from cbec.storage.db import make_engine
from cbec.testing.postgres import scratch_database

PG_ENV = "CBEC_TEST_DATABASE_URL"


def _postgres_base_url() -> str:
    url = os.environ.get(PG_ENV)
    if url:
        return url
    if os.environ.get("CBEC_SKIP_PG") == "1":
        pytest.skip(f"CBEC_SKIP_PG=1 and {PG_ENV} is not set: PostgreSQL tests skipped on request")
    pytest.fail(
        f"{PG_ENV} is not set: run the tests with `make test` (it starts a throw-away "
        "PostgreSQL), or start one with scripts/pg.sh start and export "
        f"{PG_ENV}=$(scripts/pg.sh url); set CBEC_SKIP_PG=1 to skip PostgreSQL on purpose",
        pytrace=False,
    )


@pytest.fixture
def pg_base_url() -> str:
    """The test server's URL (from `make test`); fails, or skips on request, when there is none."""
    return _postgres_base_url()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables) of each kind; the PostgreSQL one is dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cbec.sqlite3'}"
        return
    with scratch_database(_postgres_base_url()) as url:
        yield url


@pytest.fixture
def platform(db_url: str, fixed_clock: FixedClock, tmp_path: Path) -> Iterator[Platform]:
    """The real wiring over a migrated database, with the test clock and its own analytics file."""
    migrate.upgrade(db_url)
    settings = Settings(database_url=db_url, analytics_file=str(tmp_path / "analytics.duckdb"))
    engine = make_engine(db_url)
    try:
        yield Platform(settings, engine, load_districts(), fixed_clock)
    finally:
        engine.dispose()


def row_count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.metadata.tables[table])).scalar_one())


@pytest.fixture
def count_rows(platform: Platform) -> Callable[[str], int]:
    """``count_rows("enterprises")``: rows now stored in that table of the platform's database."""
    return lambda table: row_count(platform.engine, table)
