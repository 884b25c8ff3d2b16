"""Fixtures shared by the API tests: each test module defines its own ``platform`` (what it
seeds differs); the client over it and API tokens for its users are the same everywhere."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from cbec.bootstrap import Platform
from cbec.config import Settings
from cbec.demo.seed import seed_demo
from cbec.identity.services import issue_token
from cbec.kernel.clock import FixedClock
from cbec.registry.districts import load_districts
from cbec.storage import migrate
from cbec.storage.db import make_engine
from cbec.web.app import create_app


@pytest.fixture
def demo_platform(tmp_path: Path, fixed_clock: FixedClock) -> Iterator[Callable[[int], Platform]]:
    """``demo_platform(30)``: a migrated SQLite file with 30 demo enterprises and the demo accounts
    (no traffic) on the test clock, for modules whose ``platform`` needs nothing more."""
    engines: list[Engine] = []

    def build(count: int) -> Platform:
        url = f"sqlite:///{tmp_path / 'cbec.sqlite3'}"
        migrate.upgrade(url)
        settings = Settings(database_url=url, data_dir=tmp_path)
        engines.append(make_engine(url))
        built = Platform(settings, engines[-1], load_districts(), fixed_clock)
        seed_demo(built.uow, built.districts, seed=settings.demo_seed, password=settings.demo_password, count=count)
        return built

    yield build
    for engine in engines:
        engine.dispose()


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as test_client:
        yield test_client


@pytest.fixture
def bearer(platform: Platform) -> Callable[[str], dict[str, str]]:
    """``bearer("demo.admin")``: headers with a freshly issued API token of that user."""

    def headers(username: str) -> dict[str, str]:
        with platform.uow() as uow:
            user = uow.users.by_username(username)
            assert user is not None
            token = issue_token(uow, user.principal(), "e2e")
        return {"Authorization": f"Bearer {token}"}

    return headers
