"""Overseas-warehouse filing use cases (海外仓备案). Each write runs in one unit of work, takes the
audit head lock first (so filers queue: the duplicate check and the next serial see every earlier
filing, and all writers lock in one order), and audits what it changes.

Who may do what: an enterprise user files for its own enterprise, a district officer or a city
administrator for any enterprise they see (:meth:`Principal.sees`), the system for any; auditors
and partners only read. The directory and the lookup by filing number are public.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from cbec.audit.services import record
from cbec.identity.model import Principal
from cbec.kernel.clock import business_date
from cbec.kernel.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from cbec.registry.model import Enterprise, EnterpriseStatus
from cbec.registry.warehouses import (
    DirectoryEntry,
    DirectoryQuery,
    OverseasWarehouse,
    WarehouseInput,
    WarehouseMode,
    WarehouseStatus,
    filing_number,
    normalized_address,
    validate_warehouse,
)

if TYPE_CHECKING:
    from cbec.storage.uow import SqlUnitOfWork

__all__ = [
    "WarehouseExists",
    "WarehouseRepository",
    "check_writer",
    "directory",
    "directory_countries",
    "directory_entry",
    "enterprise_id_by_uscc",
    "file_warehouse",
    "get_warehouse",
    "may_manage",
    "update_warehouse",
    "warehouse_by_filing_no",
    "warehouses_of",
    "withdraw_warehouse",
]

MAX_SERIAL = 99999


class WarehouseRepository(Protocol):
    """What these use cases need from storage (``storage.warehouse_repo`` implements it)."""

    def get(self, filing_no: str) -> OverseasWarehouse | None: ...

    def of_enterprise(self, enterprise_id: int) -> list[OverseasWarehouse]: ...

    def last_serial(self, prefix: str) -> int: ...

    def add(
        self, *, filing_no: str, enterprise_id: int, city_code: str, data: WarehouseInput, now: datetime
    ) -> OverseasWarehouse: ...

    def update(self, warehouse: OverseasWarehouse, now: datetime) -> None: ...

    def entry(self, filing_no: str) -> DirectoryEntry | None: ...

    def search(self, query: DirectoryQuery, status: WarehouseStatus) -> tuple[list[DirectoryEntry], int]: ...

    def countries(self, status: WarehouseStatus) -> list[str]: ...


class WarehouseExists(Conflict):
    """The enterprise already filed a warehouse in this country at this address."""

    code = "warehouse.exists"

    def __init__(self, existing: OverseasWarehouse) -> None:
        super().__init__(
            f"enterprise {existing.enterprise_id} already filed a warehouse in country {existing.country} "
            f"at this address: filing number {existing.filing_no}; edit that filing instead of filing again"
        )
        self.filing_no = existing.filing_no

    def as_dict(self) -> dict[str, object]:
        return super().as_dict() | {"filing_no": self.filing_no}


# --- reads --------------------------------------------------------------------------------------


def directory(
    uow: SqlUnitOfWork,
    *,
    country: str | None = None,
    mode: WarehouseMode | None = None,
    min_available: Decimal | None = None,
    text: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[DirectoryEntry], int]:
    """The public directory: filed warehouses only, each with its filing enterprise's name.
    Callers show :meth:`DirectoryEntry.public`, which carries no personal data."""
    query = DirectoryQuery(country, mode, min_available, text or None, offset, limit)
    return uow.warehouses.search(query, WarehouseStatus.FILED)


def directory_countries(uow: SqlUnitOfWork) -> list[str]:
    """The country codes that have at least one filed warehouse (for a directory filter)."""
    return uow.warehouses.countries(WarehouseStatus.FILED)


def directory_entry(uow: SqlUnitOfWork, filing_no: str) -> DirectoryEntry:
    """One filing as the public may read it, withdrawn ones included (their status says so)."""
    entry = uow.warehouses.entry(filing_no)
    if entry is None:
        raise NotFound(f"no overseas warehouse has filing number {filing_no}")
    return entry


def warehouse_by_filing_no(uow: SqlUnitOfWork, filing_no: str, *, filed_only: bool = False) -> OverseasWarehouse | None:
    """The warehouse a 9810 list names, whatever its status (check :attr:`OverseasWarehouse.is_filed`;
    a withdrawn filing lets the refusal say so), or None when no filing has this number. With
    ``filed_only`` a withdrawn filing is None too. Any enterprise's list may name any enterprise's
    filing: filings are reusable nationwide."""
    found = uow.warehouses.get(filing_no)
    if found is None or (filed_only and not found.is_filed):
        return None
    return found


def warehouses_of(uow: SqlUnitOfWork, principal: Principal, enterprise_id: int) -> list[OverseasWarehouse]:
    """Every filing of one enterprise, withdrawn ones included, contact details included."""
    enterprise = _enterprise(uow, enterprise_id)
    _check_sees(principal, enterprise)
    return uow.warehouses.of_enterprise(enterprise_id)


def get_warehouse(uow: SqlUnitOfWork, principal: Principal, filing_no: str) -> OverseasWarehouse:
    """The full filing (contact included) for those who see its enterprise."""
    warehouse = _warehouse(uow, filing_no)
    _check_sees(principal, _enterprise(uow, warehouse.enterprise_id))
    return warehouse


def may_manage(uow: SqlUnitOfWork, principal: Principal, warehouse: OverseasWarehouse) -> bool:
    """Whether ``principal`` may change or withdraw this filing (pages show the buttons)."""
    enterprise = uow.enterprises.get(warehouse.enterprise_id)
    return enterprise is not None and not principal.read_only and _sees(principal, enterprise)


def enterprise_id_by_uscc(uow: SqlUnitOfWork, uscc: str, *, path: str = "enterprise_uscc") -> int:
    """The registered enterprise a filing names by its USCC; a refusal at ``path`` otherwise."""
    enterprise = uow.enterprises.get_by_uscc(uscc)
    if enterprise is None:
        raise ValidationFailed(
            [
                FieldError(
                    path,
                    "warehouse.enterprise_unknown",
                    f"no enterprise with USCC {uscc!r} is registered",
                    "register the enterprise (主体备案) first, or check the code",
                )
            ]
        )
    return enterprise.id


# --- writes -------------------------------------------------------------------------------------


def file_warehouse(
    uow: SqlUnitOfWork, principal: Principal, enterprise_id: int, data: WarehouseInput
) -> OverseasWarehouse:
    """File a warehouse for an enterprise; the filing number is allocated here."""
    check_writer(principal)
    uow.audit.lock()
    enterprise = _enterprise(uow, enterprise_id)
    _check_sees(principal, enterprise)
    if enterprise.status is not EnterpriseStatus.ACTIVE:
        raise Conflict(
            f"enterprise {enterprise.id} is {enterprise.status.value}; only an active enterprise may file",
            code="warehouse.enterprise_inactive",
        )
    _validate(data)
    _check_unique(uow.warehouses.of_enterprise(enterprise.id), data)
    now = uow.clock.now()
    filing_no = _next_filing_no(uow, enterprise.city_code, business_date(uow.clock).year)
    created = uow.warehouses.add(
        filing_no=filing_no, enterprise_id=enterprise.id, city_code=enterprise.city_code, data=data, now=now
    )
    record(
        uow,
        principal,
        "warehouse.file",
        "warehouse",
        created.filing_no,
        after=created.snapshot(),
        city_code=created.city_code,
    )
    uow.commit()
    return created


def update_warehouse(
    uow: SqlUnitOfWork,
    principal: Principal,
    filing_no: str,
    data: WarehouseInput,
    expected_version: int | None = None,
) -> OverseasWarehouse:
    """Change a filed warehouse; its filing number and enterprise stay. No change, no event."""
    check_writer(principal)
    uow.audit.lock()
    current = _warehouse(uow, filing_no)
    enterprise = _enterprise(uow, current.enterprise_id)
    _check_sees(principal, enterprise)
    _check_filed(current)
    if expected_version is not None and expected_version != current.version:
        raise Conflict(
            f"warehouse {filing_no} changed since you opened it (version {current.version}, you edited "
            f"{expected_version}); reload and edit again",
            code="warehouse.stale",
        )
    _validate(data)
    _check_unique(uow.warehouses.of_enterprise(enterprise.id), data, own=filing_no)
    changed = current.with_input(data, uow.clock.now())
    if changed.snapshot() | {"version": 0} == current.snapshot() | {"version": 0}:
        return current
    uow.warehouses.update(changed, changed.updated_at)
    record(
        uow,
        principal,
        "warehouse.update",
        "warehouse",
        filing_no,
        before=current.snapshot(),
        after=changed.snapshot(),
        city_code=changed.city_code,
    )
    uow.commit()
    return changed


def withdraw_warehouse(uow: SqlUnitOfWork, principal: Principal, filing_no: str) -> OverseasWarehouse:
    """Withdraw a filing: it leaves the directory and 9810 lists may no longer name it."""
    check_writer(principal)
    uow.audit.lock()
    current = _warehouse(uow, filing_no)
    _check_sees(principal, _enterprise(uow, current.enterprise_id))
    _check_filed(current)
    changed = current.withdrawn(uow.clock.now())
    uow.warehouses.update(changed, changed.updated_at)
    record(
        uow,
        principal,
        "warehouse.withdraw",
        "warehouse",
        filing_no,
        before=current.snapshot(),
        after=changed.snapshot(),
        city_code=changed.city_code,
    )
    uow.commit()
    return changed


# --- rules --------------------------------------------------------------------------------------


def _enterprise(uow: SqlUnitOfWork, enterprise_id: int) -> Enterprise:
    enterprise = uow.enterprises.get(enterprise_id)
    if enterprise is None:
        raise NotFound(f"no enterprise with id {enterprise_id}")
    return enterprise


def _warehouse(uow: SqlUnitOfWork, filing_no: str) -> OverseasWarehouse:
    warehouse = uow.warehouses.get(filing_no)
    if warehouse is None:
        raise NotFound(f"no overseas warehouse has filing number {filing_no}")
    return warehouse


def _sees(principal: Principal, enterprise: Enterprise) -> bool:
    return principal.sees(enterprise.id, enterprise.city_code, enterprise.district_code)


def _check_sees(principal: Principal, enterprise: Enterprise) -> None:
    if not _sees(principal, enterprise):
        raise PermissionDenied(f"enterprise {enterprise.id} is outside your scope")


def check_writer(principal: Principal) -> None:
    """Read-only roles are refused before anything else (entry points call it before they look
    up the enterprise a filing names)."""
    if principal.read_only:
        raise PermissionDenied("your role is read-only; it may not file or change overseas warehouses")


def _check_filed(warehouse: OverseasWarehouse) -> None:
    if not warehouse.is_filed:
        raise Conflict(
            f"warehouse {warehouse.filing_no} was withdrawn; file it again to list it",
            code="warehouse.withdrawn",
        )


def _validate(data: WarehouseInput) -> None:
    errors = validate_warehouse(data)
    if errors:
        raise ValidationFailed(errors)


def _check_unique(filed: Iterable[OverseasWarehouse], data: WarehouseInput, own: str | None = None) -> None:
    """One filing per enterprise, country and address (white space and case aside)."""
    key = (data.country, normalized_address(data.address))
    for warehouse in filed:
        same = (warehouse.country, normalized_address(warehouse.address)) == key
        if same and warehouse.is_filed and warehouse.filing_no != own:
            raise WarehouseExists(warehouse)


def _next_filing_no(uow: SqlUnitOfWork, city_code: str, year: int) -> str:
    prefix = filing_number(city_code, year, 1)[:-5]
    serial = uow.warehouses.last_serial(prefix) + 1
    if serial > MAX_SERIAL:
        raise Conflict(f"city {city_code} used all {MAX_SERIAL} filing numbers of {year}", code="warehouse.serials")
    return filing_number(city_code, year, serial)
