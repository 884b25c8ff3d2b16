"""Fixtures shared by the API tests: each test module defines its own ``platform`` (what it
seeds differs); the client over it and API tokens for its users are the same everywhere."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from cbec.bootstrap import Platform
from cbec.identity.services import issue_token
from cbec.web.app import create_app


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
