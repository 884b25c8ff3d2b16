"""The one place that wires concrete adapters: settings → engine → units of work."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property

from sqlalchemy import Engine

from cbec.config import Settings, analytics_path, get_settings
from cbec.exchange.customs import SimulatedCustoms, SimulationRates
from cbec.exchange.intake import IntakeContext
from cbec.export.summary import SummaryKeys, load_keys
from cbec.identity.services import LoginPolicy
from cbec.kernel.clock import Clock, SystemClock
from cbec.kernel.privacy import Protector
from cbec.kernel.workdays import WorkdayCalendar, load_calendar
from cbec.registry.districts import DistrictBook, load_districts
from cbec.storage.analytics import AnalyticsStore
from cbec.storage.db import make_engine
from cbec.storage.uow import SqlUnitOfWork

__all__ = ["Platform", "bootstrap"]


@dataclass
class Platform:
    settings: Settings
    engine: Engine
    districts: DistrictBook
    clock: Clock = field(default_factory=SystemClock)
    # Key derivation (HKDF) once per platform, not once per request.
    _protector: Protector | None = field(default=None, init=False, repr=False, compare=False)

    @cached_property
    def calendar(self) -> WorkdayCalendar:
        extra = [path for path in self.settings.workdays_files.split(",") if path.strip()]
        return load_calendar(*extra)

    @cached_property
    def summary_keys(self) -> SummaryKeys:
        return load_keys(self.settings.summary_keys_file or None)

    @cached_property
    def analytics(self) -> AnalyticsStore:
        return AnalyticsStore(analytics_path(self.settings))

    def uow(self, *, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.clock, read_only=read_only)

    def intake_context(self) -> IntakeContext:
        rates = SimulationRates(self.settings.customs_reject_per_mille, self.settings.customs_inspect_per_mille)
        return IntakeContext(
            self.protector,
            SimulatedCustoms(rates),
            self.settings.arith_tolerance,
            self.settings.max_message_bytes,
            self.summary_keys,
        )

    @property
    def protector(self) -> Protector:
        if self._protector is None:
            self._protector = Protector(self.settings.secret_key)
        return self._protector

    @property
    def login_policy(self) -> LoginPolicy:
        return LoginPolicy(
            max_failures=self.settings.login_max_failures, window=timedelta(minutes=self.settings.login_window_minutes)
        )


def bootstrap(settings: Settings | None = None, clock: Clock | None = None) -> Platform:
    settings = settings or get_settings()
    return Platform(settings, make_engine(settings.database_url), load_districts(), clock or SystemClock())
