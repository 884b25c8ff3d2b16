from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, UploadFile

from cbec.kernel.clock import business_date
from cbec.registry import services
from cbec.registry.model import EnterpriseRole, EnterpriseStatus
from cbec.registry.ports import EnterpriseQuery
from cbec.registry.spreadsheet import parse_workbook
from cbec.web.deps import ApiIdentity, PlatformDep
from cbec.web.schemas import EnterpriseCreate, EnterprisePage, EnterprisePublic, EnterpriseUpdate
from cbec.web.uploads import read_limited

router = APIRouter(prefix="/enterprises", tags=["registry"])


@router.get("", operation_id="list_enterprises")
def list_enterprises(
    identity: ApiIdentity,
    platform: PlatformDep,
    q: str | None = None,
    city: str | None = None,
    district: str | None = None,
    role: EnterpriseRole | None = None,
    status: EnterpriseStatus | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> EnterprisePage:
    query = EnterpriseQuery(
        text=q or None,
        city_code=city,
        district_code=district,
        role=role,
        status=status,
        offset=(page - 1) * per_page,
        limit=per_page,
    )
    with platform.uow(read_only=True) as uow:
        items, total = services.list_enterprises(uow, identity.principal, query)
    return EnterprisePage(total=total, page=page, per_page=per_page, items=[EnterprisePublic.of(e) for e in items])


@router.post("", status_code=201, operation_id="create_enterprise")
def create_enterprise(body: EnterpriseCreate, identity: ApiIdentity, platform: PlatformDep) -> EnterprisePublic:
    with platform.uow() as uow:
        created = services.create_enterprise(uow, identity.principal, body.to_input(), platform.districts)
    return EnterprisePublic.of(created)


@router.get("/{enterprise_id}", operation_id="get_enterprise")
def get_enterprise(enterprise_id: int, identity: ApiIdentity, platform: PlatformDep) -> EnterprisePublic:
    with platform.uow(read_only=True) as uow:
        return EnterprisePublic.of(services.get_enterprise(uow, identity.principal, enterprise_id))


@router.put("/{enterprise_id}", operation_id="update_enterprise")
def update_enterprise(
    enterprise_id: int, body: EnterpriseUpdate, identity: ApiIdentity, platform: PlatformDep
) -> EnterprisePublic:
    with platform.uow() as uow:
        updated = services.update_enterprise(
            uow, identity.principal, enterprise_id, body.to_input(), platform.districts, expected_version=body.version
        )
    return EnterprisePublic.of(updated)


@router.post("/import", operation_id="import_enterprises")
def import_enterprises(
    file: UploadFile, identity: ApiIdentity, platform: PlatformDep, valid_only: Annotated[bool, Form()] = False
) -> dict[str, object]:
    """Upload an .xlsx made from the template. 422 with every bad row unless ``valid_only``."""
    data = read_limited(file, platform.settings.max_upload_bytes)
    sheet = parse_workbook(data, platform.districts, today=business_date(platform.clock))
    with platform.uow() as uow:  # ImportRefused (422) carries the full report of bad rows
        report = services.import_enterprises(
            uow, identity.principal, sheet, valid_rows_only=valid_only, source=file.filename or "upload.xlsx"
        )
    return {"refused": False} | report.as_dict()
