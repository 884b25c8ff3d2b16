"""The one place that wires concrete adapters: settings → engine → units of work."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine

from cbec.config import Settings, get_settings
from cbec.identity.services import LoginPolicy
from cbec.kernel.clock import Clock, SystemClock
from cbec.registry.districts import DistrictBook, load_districts
from cbec.storage.db import make_engine
from cbec.storage.uow import SqlUnitOfWork

__all__ = ["Platform", "bootstrap"]


@dataclass
class Platform:
    settings: Settings
    engine: Engine
    districts: DistrictBook
    clock: Clock = field(default_factory=SystemClock)

    def uow(self, *, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.clock, read_only=read_only)

    @property
    def login_policy(self) -> LoginPolicy:
        return LoginPolicy(
            max_failures=self.settings.login_max_failures, window=timedelta(minutes=self.settings.login_window_minutes)
        )


def bootstrap(settings: Settings | None = None, clock: Clock | None = None) -> Platform:
    settings = settings or get_settings()
    return Platform(settings, make_engine(settings.database_url), load_districts(), clock or SystemClock())
