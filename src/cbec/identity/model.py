"""Roles and the principal on whose behalf a use case runs. Pure; no framework."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

__all__ = ["SYSTEM", "Principal", "Role", "User"]


class Role(enum.StrEnum):
    ENTERPRISE = "enterprise"  # 企业用户: bound to one enterprise
    DISTRICT_OFFICER = "district_officer"  # 区县（功能区）经办人: one district of one city
    CITY_ADMIN = "city_admin"  # 市级管理员
    AUDITOR = "auditor"  # 审计: read-only, city-wide
    PARTNER = "partner"  # 合作单位 (customs, tax, banks): read-only API, city-wide


READ_ONLY_ROLES = frozenset({Role.AUDITOR, Role.PARTNER})


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: Role
    password_hash: str
    enterprise_id: int | None = None
    city_code: str | None = None
    district_code: str | None = None
    is_active: bool = True

    def principal(self) -> Principal:
        return Principal(self.id, self.username, self.role, self.enterprise_id, self.city_code, self.district_code)


@dataclass(frozen=True)
class Principal:
    """Who is acting. Services decide scope from this, never from what a page chose to show."""

    user_id: int | None
    username: str
    role: Role | None  # None for the system itself (CLI maintenance, migrations, seeding)
    enterprise_id: int | None = None
    city_code: str | None = None
    district_code: str | None = None

    @property
    def is_system(self) -> bool:
        return self.role is None

    @property
    def read_only(self) -> bool:
        return self.role in READ_ONLY_ROLES

    def sees(self, enterprise_id: int | None, city_code: str | None, district_code: str | None) -> bool:
        """The one visibility rule: an enterprise user sees its enterprise's records, a district
        officer its district's, the city-wide roles their city's, the system everything."""
        if self.is_system:
            return True
        if self.role is Role.ENTERPRISE:
            return enterprise_id is not None and enterprise_id == self.enterprise_id
        if city_code != self.city_code:
            return False
        return self.role is not Role.DISTRICT_OFFICER or district_code == self.district_code

    def scope_filters(self) -> dict[str, Any]:
        """The same rule as ``sees``, as column filters for a listing: {} for the system, the
        enterprise id for an enterprise user, else the city (and the district for an officer)."""
        if self.is_system:
            return {}
        if self.role is Role.ENTERPRISE:
            return {"enterprise_id": self.enterprise_id if self.enterprise_id is not None else -1}
        if self.role is Role.DISTRICT_OFFICER:
            return {"city_code": self.city_code, "district_code": self.district_code}
        return {"city_code": self.city_code}

    @property
    def actor(self) -> str:
        """How the audit trail names this principal."""
        return "system" if self.is_system else f"user:{self.user_id}:{self.username}"


SYSTEM = Principal(user_id=None, username="system", role=None)


def binding_problems(
    role: Role, enterprise_id: int | None, city_code: str | None, district_code: str | None
) -> list[str]:
    """Which scope a role needs: the fields that must (and must not) be set."""
    need = {
        Role.ENTERPRISE: ("enterprise_id",),
        Role.DISTRICT_OFFICER: ("city_code", "district_code"),
        Role.CITY_ADMIN: ("city_code",),
        Role.AUDITOR: ("city_code",),
        Role.PARTNER: ("city_code",),
    }[role]
    given = {"enterprise_id": enterprise_id, "city_code": city_code, "district_code": district_code}
    problems = [f"{name} is required for role {role.value}" for name in need if given[name] is None]
    if role is Role.ENTERPRISE and (city_code or district_code):
        problems.append("an enterprise user takes its city and district from its enterprise")
    if role is not Role.ENTERPRISE and enterprise_id is not None:
        problems.append(f"enterprise_id applies only to role {Role.ENTERPRISE.value}")
    if role is not Role.DISTRICT_OFFICER and district_code is not None:
        problems.append(f"district_code applies only to role {Role.DISTRICT_OFFICER.value}")
    return problems
