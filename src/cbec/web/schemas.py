"""Pydantic models at the HTTP edge: ``XCreate`` / ``XUpdate`` in, ``XPublic`` out."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from cbec.registry.model import Enterprise, EnterpriseInput, EnterpriseRole, EnterpriseStatus


class EnterpriseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uscc: str = Field(min_length=1, max_length=18, description="统一社会信用代码, 18 characters")
    name: str = Field(min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    customs_code: str | None = Field(default=None, max_length=10)
    roles: list[EnterpriseRole] = Field(min_length=1)
    city_code: str
    district_code: str
    park: str | None = Field(default=None, max_length=100)
    registered_on: date
    status: EnterpriseStatus = EnterpriseStatus.ACTIVE

    def to_input(self) -> EnterpriseInput:
        return EnterpriseInput(
            uscc=self.uscc,
            name=self.name,
            city_code=self.city_code,
            district_code=self.district_code,
            roles=frozenset(self.roles),
            registered_on=self.registered_on,
            customs_code=self.customs_code or None,
            name_en=self.name_en or None,
            park=self.park or None,
            status=self.status,
        )


class EnterpriseUpdate(EnterpriseCreate):
    version: int | None = Field(default=None, description="the version you read; a newer stored one is a conflict")


class EnterprisePublic(BaseModel):
    id: int
    uscc: str
    name: str
    name_en: str | None
    customs_code: str | None
    roles: list[str]
    city_code: str
    district_code: str
    park: str | None
    registered_on: str
    status: str
    version: int

    @classmethod
    def of(cls, e: Enterprise) -> EnterprisePublic:
        return cls.model_validate(e.snapshot())


class EnterprisePage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[EnterprisePublic]


class UserPublic(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    enterprise_id: int | None
    city_code: str | None
    district_code: str | None
