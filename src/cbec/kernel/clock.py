"""Time is passed in, never read from the air: domain code receives a Clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Protocol

__all__ = ["SHANGHAI", "Clock", "FixedClock", "SystemClock", "business_date"]

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware datetime in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests and reproducible runs; ``advance`` moves it forward."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta


def business_date(clock: Clock) -> date:
    """Business dates are Asia/Shanghai calendar dates."""
    return clock.now().astimezone(SHANGHAI).date()
