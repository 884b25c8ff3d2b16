"""Overseas-warehouse filing (海外仓备案) over JSON: the directory and the lookup are public; filing,
changing and withdrawing need a signed-in user or an API token."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from cbec.identity.model import Principal
from cbec.kernel.errors import FieldError, ValidationFailed
from cbec.registry import warehouse_services as ws
from cbec.registry.warehouses import DirectoryEntry, OverseasWarehouse, WarehouseInput, WarehouseMode
from cbec.web.deps import ApiIdentity, PlatformDep

if TYPE_CHECKING:
    from cbec.storage.uow import SqlUnitOfWork

router = APIRouter(prefix="/warehouses", tags=["warehouses"])

REQUIRED_TEXT = ("name", "country", "overseas_city", "address", "area", "mode", "operator")


def _decimal_text(value: object) -> object:
    """Areas travel as decimal text ("1200.50"); a whole JSON number is taken as its text too.
    A JSON fraction is refused by the schema: binary floats are not exact square metres."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


AreaText = Annotated[str, BeforeValidator(_decimal_text), Field(description='square metres, e.g. "1200.50"')]


class WarehouseFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    country: str = Field(description="customs country code, 3 digits, e.g. 502 (United States)")
    overseas_city: str
    address: str
    area: AreaText
    available_area: AreaText | None = Field(default=None, description="space offered to other sellers, m²")
    mode: str = Field(description="own (自营) | leased (租赁) | public (公共海外仓)")
    operator: str
    services: str | None = None
    contact: str | None = Field(default=None, description="contact person and telephone; never public")

    def to_input(self) -> WarehouseInput:
        return WarehouseInput(
            name=self.name,
            country=self.country,
            overseas_city=self.overseas_city,
            address=self.address,
            area=self.area,
            mode=self.mode,
            operator=self.operator,
            available_area=self.available_area or None,
            services=self.services or None,
            contact=self.contact or None,
        )


class WarehouseCreate(WarehouseFields):
    enterprise_uscc: str | None = Field(default=None, description="the filing enterprise's USCC (or enterprise_id)")
    enterprise_id: int | None = Field(default=None, description="enterprise users may leave both out")


class WarehouseUpdate(BaseModel):
    """Only the fields sent change; ``version`` guards against overwriting someone else's edit."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    country: str | None = None
    overseas_city: str | None = None
    address: str | None = None
    area: AreaText | None = None
    available_area: AreaText | None = None
    mode: str | None = None
    operator: str | None = None
    services: str | None = None
    contact: str | None = None
    version: int | None = Field(default=None, description="the version you read; a newer stored one is a conflict")


class WarehousePublic(BaseModel):
    filing_no: str
    name: str
    country: str
    overseas_city: str
    address: str
    area: str
    available_area: str | None
    mode: str
    operator: str
    services: str | None
    status: str
    filed_at: str
    enterprise_name: str

    @classmethod
    def of(cls, entry: DirectoryEntry) -> WarehousePublic:
        return cls.model_validate(entry.public())


class WarehouseRecord(BaseModel):
    """The full filing, for those who may see the filing enterprise."""

    id: int
    filing_no: str
    enterprise_id: int
    city_code: str
    name: str
    country: str
    overseas_city: str
    address: str
    area: str
    available_area: str | None
    mode: str
    operator: str
    services: str | None
    contact: str | None
    status: str
    filed_at: str
    version: int

    @classmethod
    def of(cls, warehouse: OverseasWarehouse) -> WarehouseRecord:
        return cls.model_validate(warehouse.snapshot())


class WarehouseDirectory(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[WarehousePublic]


@router.get("", operation_id="list_warehouses")
def list_warehouses(
    platform: PlatformDep,
    country: str | None = None,
    mode: WarehouseMode | None = None,
    min_available: Annotated[Decimal | None, Query(ge=0, description="m² offered to others, at least")] = None,
    q: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> WarehouseDirectory:
    """The public directory of filed overseas warehouses (no sign-in, no personal data)."""
    with platform.uow(read_only=True) as uow:
        entries, total = ws.directory(
            uow,
            country=country or None,
            mode=mode,
            min_available=min_available,
            text=q or None,
            offset=(page - 1) * per_page,
            limit=per_page,
        )
    return WarehouseDirectory(total=total, page=page, per_page=per_page, items=[WarehousePublic.of(e) for e in entries])


@router.get("/{filing_no}", operation_id="get_warehouse")
def get_warehouse(filing_no: str, platform: PlatformDep) -> WarehousePublic:
    """One filing as the public sees it; a withdrawn one says so in ``status``."""
    with platform.uow(read_only=True) as uow:
        return WarehousePublic.of(ws.directory_entry(uow, filing_no))


def _filing_enterprise(uow: SqlUnitOfWork, principal: Principal, body: WarehouseCreate) -> int:
    ws.check_writer(principal)
    if body.enterprise_uscc and body.enterprise_id is not None:
        message = "give enterprise_uscc or enterprise_id, not both"
        raise ValidationFailed([FieldError("enterprise_uscc", "warehouse.enterprise_ambiguous", message)])
    if body.enterprise_uscc:
        return ws.enterprise_id_by_uscc(uow, body.enterprise_uscc)
    if body.enterprise_id is not None:
        return body.enterprise_id
    if principal.enterprise_id is not None:
        return principal.enterprise_id
    raise ValidationFailed(
        [
            FieldError(
                "enterprise_uscc",
                "warehouse.enterprise_required",
                "name the filing enterprise",
                "send enterprise_uscc (统一社会信用代码) or enterprise_id",
            )
        ]
    )


@router.post("", status_code=201, operation_id="file_warehouse")
def file_warehouse(body: WarehouseCreate, identity: ApiIdentity, platform: PlatformDep) -> WarehouseRecord:
    with platform.uow() as uow:
        enterprise_id = _filing_enterprise(uow, identity.principal, body)
        created = ws.file_warehouse(uow, identity.principal, enterprise_id, body.to_input())
    return WarehouseRecord.of(created)


@router.patch("/{filing_no}", operation_id="update_warehouse")
def update_warehouse(
    filing_no: str, body: WarehouseUpdate, identity: ApiIdentity, platform: PlatformDep
) -> WarehouseRecord:
    sent = body.model_dump(exclude_unset=True, exclude={"version"})
    # A required field sent as null is a cleared field: the rules then say it is required.
    changes = {k: ("" if v is None and k in REQUIRED_TEXT else v) for k, v in sent.items()}
    with platform.uow() as uow:
        current = ws.get_warehouse(uow, identity.principal, filing_no)
        data = replace(current.as_input(), **changes)
        # Unsent fields come from this read: a change saved since then is a conflict, not overwritten.
        version = current.version if body.version is None else body.version
        updated = ws.update_warehouse(uow, identity.principal, filing_no, data, expected_version=version)
    return WarehouseRecord.of(updated)


@router.post("/{filing_no}/withdraw", operation_id="withdraw_warehouse")
def withdraw_warehouse(filing_no: str, identity: ApiIdentity, platform: PlatformDep) -> WarehouseRecord:
    with platform.uow() as uow:
        return WarehouseRecord.of(ws.withdraw_warehouse(uow, identity.principal, filing_no))
