"""Registry use cases. Each runs in one unit of work and audits what it changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cbec.audit.model import EventDraft
from cbec.audit.services import record, record_many
from cbec.identity.model import Principal
from cbec.kernel.clock import business_date
from cbec.kernel.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from cbec.registry import scoping
from cbec.registry.districts import DistrictBook
from cbec.registry.model import Enterprise, EnterpriseInput, validate_enterprise
from cbec.registry.ports import EnterpriseQuery
from cbec.registry.spreadsheet import ParsedSheet, RowError

if TYPE_CHECKING:
    from cbec.storage.uow import SqlUnitOfWork

__all__ = [
    "ImportRefused",
    "ImportReport",
    "create_enterprise",
    "get_enterprise",
    "import_enterprises",
    "list_enterprises",
    "summarize",
    "update_enterprise",
]

USCC_COLUMN = "统一社会信用代码"
DISTRICT_COLUMN = "区县/镇街/功能区"


def list_enterprises(uow: SqlUnitOfWork, principal: Principal, query: EnterpriseQuery) -> tuple[list[Enterprise], int]:
    return uow.enterprises.search(scoping.scoped_query(principal, query))


def summarize(uow: SqlUnitOfWork, principal: Principal) -> dict[str, dict[str, int]]:
    """Counts for a home page, within the principal's scope: by district and by status."""
    query = scoping.scoped_query(principal, EnterpriseQuery())
    return {field: uow.enterprises.count_by(query, field) for field in ("district_code", "status")}


def get_enterprise(uow: SqlUnitOfWork, principal: Principal, enterprise_id: int) -> Enterprise:
    enterprise = uow.enterprises.get(enterprise_id)
    if enterprise is None:
        raise NotFound(f"no enterprise with id {enterprise_id}")
    scoping.check_view(principal, enterprise)
    return enterprise


def _validate(uow: SqlUnitOfWork, data: EnterpriseInput, districts: DistrictBook, own_id: int | None = None) -> None:
    errors = validate_enterprise(data, districts, today=business_date(uow.clock))
    existing = uow.enterprises.get_by_uscc(data.uscc) if not errors else None
    if existing is not None and existing.id != own_id:
        errors.append(
            FieldError(
                "uscc",
                "uscc.exists",
                f"an enterprise with USCC {data.uscc} is already registered (id {existing.id})",
                "open the existing record instead of registering it again",
            )
        )
    if errors:
        raise ValidationFailed(errors)


def create_enterprise(
    uow: SqlUnitOfWork, principal: Principal, data: EnterpriseInput, districts: DistrictBook
) -> Enterprise:
    scoping.check_create(principal, data)
    _validate(uow, data, districts)
    enterprise = uow.enterprises.add(data, uow.clock.now())
    record(
        uow,
        principal,
        "enterprise.create",
        "enterprise",
        enterprise.id,
        after=enterprise.snapshot(),
        city_code=enterprise.city_code,
    )
    uow.commit()
    return enterprise


def update_enterprise(
    uow: SqlUnitOfWork,
    principal: Principal,
    enterprise_id: int,
    data: EnterpriseInput,
    districts: DistrictBook,
    expected_version: int | None = None,
) -> Enterprise:
    current = get_enterprise(uow, principal, enterprise_id)
    scoping.check_edit(principal, current, data)
    if expected_version is not None and expected_version != current.version:
        raise Conflict(
            f"enterprise {enterprise_id} changed since you opened it (version "
            f"{current.version}, you edited {expected_version}); reload and edit again",
            code="enterprise.stale",
        )
    _validate(uow, data, districts, own_id=enterprise_id)
    changed = current.with_input(data)
    if changed.snapshot() | {"version": 0} == current.snapshot() | {"version": 0}:
        return current  # nothing changed: no write, no event
    uow.enterprises.update(changed, uow.clock.now())
    record(
        uow,
        principal,
        "enterprise.update",
        "enterprise",
        enterprise_id,
        before=current.snapshot(),
        after=changed.snapshot(),
        city_code=changed.city_code,
    )
    uow.commit()
    return changed


@dataclass(frozen=True)
class ImportReport:
    total_rows: int
    imported: int
    errors: list[RowError]

    def as_dict(self) -> dict[str, object]:
        return {
            "total_rows": self.total_rows,
            "imported": self.imported,
            "rejected_rows": sorted({e.row for e in self.errors}),
            "errors": [e.as_dict() for e in self.errors],
        }


class ImportRefused(ValidationFailed):
    """The file has bad rows and the user did not ask for valid rows only: nothing was stored."""

    code = "import.refused"

    def __init__(self, report: ImportReport) -> None:
        rows = sorted({e.row for e in report.errors})
        super().__init__(
            [FieldError(f"row {e.row}/{e.column}", e.code, e.message) for e in report.errors],
            message=f"{len(rows)} of {report.total_rows} rows are invalid; nothing was imported",
        )
        self.report = report

    def as_dict(self) -> dict[str, object]:
        return super().as_dict() | {"refused": True} | self.report.as_dict()


def _stored_state_errors(
    uow: SqlUnitOfWork, principal: Principal, rows: list[tuple[int, EnterpriseInput]]
) -> list[RowError]:
    errors: list[RowError] = []
    taken = uow.enterprises.existing_usccs(data.uscc for _, data in rows)
    for row, data in rows:
        if data.uscc in taken:
            errors.append(RowError(row, USCC_COLUMN, "uscc.exists", f"USCC {data.uscc} is already registered"))
            continue
        try:
            scoping.check_create(principal, data)
        except PermissionDenied as exc:  # reported per row rather than failing the whole file
            errors.append(RowError(row, DISTRICT_COLUMN, "district.out_of_scope", str(exc)))
    return errors


def import_enterprises(
    uow: SqlUnitOfWork, principal: Principal, sheet: ParsedSheet, *, valid_rows_only: bool, source: str
) -> ImportReport:
    """All or nothing, unless ``valid_rows_only``: then every valid row is stored in one transaction."""
    errors = sorted(sheet.errors + _stored_state_errors(uow, principal, sheet.valid), key=lambda e: (e.row, e.column))
    bad = {e.row for e in errors}
    good = [data for row, data in sheet.valid if row not in bad]
    report = ImportReport(sheet.total_rows, len(good) if (valid_rows_only or not bad) else 0, errors)
    if bad and not valid_rows_only:
        raise ImportRefused(report)
    created = uow.enterprises.add_many(good, uow.clock.now())
    record_many(
        uow,
        [
            EventDraft(principal.actor, "enterprise.create", "enterprise", str(e.id), None, e.snapshot(), e.city_code)
            for e in created
        ],
    )
    record(
        uow,
        principal,
        "enterprise.import",
        "import",
        source,
        after={"total_rows": sheet.total_rows, "imported": len(created), "rejected_rows": sorted(bad)},
    )
    uow.commit()
    return report
