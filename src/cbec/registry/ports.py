"""What the registry services need from storage."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cbec.registry.model import Enterprise, EnterpriseInput, EnterpriseRole, EnterpriseStatus

__all__ = ["EnterpriseQuery", "EnterpriseRepository"]


@dataclass(frozen=True)
class EnterpriseQuery:
    text: str | None = None  # part of the name or of the USCC
    city_code: str | None = None
    district_code: str | None = None
    role: EnterpriseRole | None = None
    status: EnterpriseStatus | None = None
    only_id: int | None = None  # set by scoping for enterprise users
    offset: int = 0
    limit: int = 50


class EnterpriseRepository(Protocol):
    def get(self, enterprise_id: int) -> Enterprise | None: ...

    def get_by_uscc(self, uscc: str) -> Enterprise | None: ...

    def existing_usccs(self, usccs: Iterable[str]) -> set[str]: ...

    def add(self, data: EnterpriseInput, now: datetime) -> Enterprise: ...

    def add_many(self, rows: list[EnterpriseInput], now: datetime) -> list[Enterprise]: ...

    def update(self, enterprise: Enterprise, now: datetime) -> None: ...

    def search(self, query: EnterpriseQuery) -> tuple[list[Enterprise], int]: ...

    def count_by(self, query: EnterpriseQuery, field: str) -> dict[str, int]: ...
