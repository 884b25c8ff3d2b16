"""Overseas-warehouse filing (海外仓备案): pure dataclasses and the rules a filing obeys.

9810 exports (跨境电商出口海外仓, DOMAIN §2) need the exporter's overseas warehouse to be filed.
An enterprise files a warehouse once; the filing is reusable nationwide, so any enterprise's
9810 list may name any filed warehouse by its filing number. Filed warehouses form a public
directory in which sellers look for capacity (Chongqing 十一, 支持跨境電商海外倉發展).

Country codes are the customs country codes (海关国别代码, 3 digits). The repository ships no
country code table yet, so :func:`validate_warehouse` checks the shape only and refuses 142
(中国): an overseas warehouse lies outside China by definition.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation

from cbec.kernel.errors import FieldError

__all__ = [
    "CHINA",
    "DirectoryEntry",
    "DirectoryQuery",
    "OverseasWarehouse",
    "WarehouseInput",
    "WarehouseMode",
    "WarehouseStatus",
    "filing_number",
    "is_filing_number",
    "normalized_address",
    "parse_area",
    "validate_warehouse",
]

CHINA = "142"  # the customs country code of China itself

# Column lengths of ``overseas_warehouses`` (storage/tables.py). ``services`` is TEXT there; the
# platform caps it so the public directory stays readable.
NAME_MAX = 200
CITY_MAX = 100
ADDRESS_MAX = 300
OPERATOR_MAX = 200
CONTACT_MAX = 200
SERVICES_MAX = 1000
AREA_DIGITS_MAX = 12  # whole square metres; with two decimals the text fits the 24-character column

_COUNTRY = re.compile(r"^[0-9]{3}$")
_AREA = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_TWO_PLACES = Decimal("0.01")

FILING_PREFIX = "HWC"  # 海外仓
_FILING_NO = re.compile(r"^HWC[0-9]{6}[0-9]{4}[0-9]{5}$")


class WarehouseMode(enum.StrEnum):
    """How the filing enterprise holds the warehouse."""

    OWN = "own"  # 自营
    LEASED = "leased"  # 租赁
    PUBLIC = "public"  # 公共海外仓: offers space and services to other sellers


class WarehouseStatus(enum.StrEnum):
    FILED = "filed"  # 已备案
    WITHDRAWN = "withdrawn"  # 已撤回


@dataclass(frozen=True)
class WarehouseInput:
    """What an enterprise supplies, as typed: areas are decimal text in square metres and the
    mode is the wire value, so that :func:`validate_warehouse` can say what is wrong with them."""

    name: str
    country: str
    overseas_city: str
    address: str
    area: str
    mode: str
    operator: str
    available_area: str | None = None
    services: str | None = None
    contact: str | None = None  # a person and a telephone number: personal data, never public


@dataclass(frozen=True)
class OverseasWarehouse:
    id: int
    filing_no: str
    enterprise_id: int
    city_code: str  # the filing enterprise's city
    name: str
    country: str
    overseas_city: str
    address: str
    area: Decimal
    mode: WarehouseMode
    operator: str
    filed_at: datetime
    updated_at: datetime
    available_area: Decimal | None = None
    services: str | None = None
    contact: str | None = None
    status: WarehouseStatus = WarehouseStatus.FILED
    version: int = 1

    @property
    def is_filed(self) -> bool:
        return self.status is WarehouseStatus.FILED

    def as_input(self) -> WarehouseInput:
        """The stored filing as the input that would file it again (the start of an edit)."""
        return WarehouseInput(
            name=self.name,
            country=self.country,
            overseas_city=self.overseas_city,
            address=self.address,
            area=f"{self.area:.2f}",
            mode=self.mode.value,
            operator=self.operator,
            available_area=None if self.available_area is None else f"{self.available_area:.2f}",
            services=self.services,
            contact=self.contact,
        )

    def with_input(self, data: WarehouseInput, now: datetime) -> OverseasWarehouse:
        """This filing changed to ``data`` (which must be valid) at ``now``, one version on."""
        available = parse_area(data.available_area) if data.available_area else None
        return replace(
            self,
            name=data.name,
            country=data.country,
            overseas_city=data.overseas_city,
            address=data.address,
            area=_required_area(data.area),
            mode=WarehouseMode(data.mode),
            operator=data.operator,
            available_area=available,
            services=data.services or None,
            contact=data.contact or None,
            version=self.version + 1,
            updated_at=now,
        )

    def withdrawn(self, now: datetime) -> OverseasWarehouse:
        return replace(self, status=WarehouseStatus.WITHDRAWN, version=self.version + 1, updated_at=now)

    def public(self) -> dict[str, object]:
        """What anyone may read: no contact person, no internal ids."""
        return {
            "filing_no": self.filing_no,
            "name": self.name,
            "country": self.country,
            "overseas_city": self.overseas_city,
            "address": self.address,
            "area": f"{self.area:.2f}",
            "available_area": None if self.available_area is None else f"{self.available_area:.2f}",
            "mode": self.mode.value,
            "operator": self.operator,
            "services": self.services,
            "status": self.status.value,
            "filed_at": self.filed_at.isoformat(),
        }

    def snapshot(self) -> dict[str, object]:
        """The full record, JSON-ready: audit before/after and the filing enterprise's own view."""
        return self.public() | {
            "id": self.id,
            "enterprise_id": self.enterprise_id,
            "city_code": self.city_code,
            "contact": self.contact,
            "version": self.version,
        }


@dataclass(frozen=True)
class DirectoryEntry:
    """A warehouse as the public directory lists it: with the filing enterprise's name."""

    warehouse: OverseasWarehouse
    enterprise_name: str

    def public(self) -> dict[str, object]:
        return self.warehouse.public() | {"enterprise_name": self.enterprise_name}


@dataclass(frozen=True)
class DirectoryQuery:
    country: str | None = None
    mode: WarehouseMode | None = None
    min_available: Decimal | None = None  # square metres offered to other sellers, at least
    text: str | None = None  # part of the name, city, address, operator, enterprise or filing number
    offset: int = 0
    limit: int = 50


def filing_number(city_code: str, year: int, serial: int) -> str:
    """The platform's filing number: ``HWC`` + the filing enterprise's 6-digit city code + the
    4-digit year of filing + a 5-digit serial within that city and year, e.g.
    ``HWC330100202400001``. No public text prescribes a format for 海外仓备案 numbers; this one is
    the platform's own, chosen to be unique nationwide when several cities run the platform."""
    if not re.fullmatch(r"[0-9]{6}", city_code):
        raise ValueError(f"city code must be 6 digits, got {city_code!r}")
    if not 1000 <= year <= 9999:
        raise ValueError(f"year must have 4 digits, got {year}")
    if not 1 <= serial <= 99999:
        raise ValueError(f"serial must be 1 to 99999, got {serial}")
    return f"{FILING_PREFIX}{city_code}{year:04d}{serial:05d}"


def is_filing_number(text: str) -> bool:
    return bool(_FILING_NO.match(text))


def normalized_address(address: str) -> str:
    """The form two addresses are compared in: runs of white space as one space, case folded."""
    return " ".join(address.split()).casefold()


def parse_area(text: str | None) -> Decimal | None:
    """Square metres from decimal text with at most two decimals; None when it is not that."""
    if text is None or not _AREA.match(text):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None
    if value != value.quantize(_TWO_PLACES):
        return None
    return value.quantize(_TWO_PLACES)


def _required_area(text: str) -> Decimal:
    value = parse_area(text)
    if value is None:
        raise ValueError(f"area {text!r} is not valid; validate the input first")
    return value


def _text_problems(data: WarehouseInput) -> list[FieldError]:
    errors: list[FieldError] = []
    required = (
        ("name", data.name, NAME_MAX, "warehouse.name", "the warehouse's name", "e.g. 洛杉矶一号仓"),
        ("overseas_city", data.overseas_city, CITY_MAX, "warehouse.city", "the overseas city", "e.g. Los Angeles"),
        ("address", data.address, ADDRESS_MAX, "warehouse.address", "the address", "the street address abroad"),
        ("operator", data.operator, OPERATOR_MAX, "warehouse.operator", "the operator", "who runs the warehouse"),
    )
    for path, value, limit, code, what, hint in required:
        if not value.strip():
            errors.append(FieldError(path, f"{code}_required", f"{what} is required", hint))
        elif len(value) > limit:
            errors.append(FieldError(path, f"{code}_too_long", f"{what} is longer than {limit} characters", ""))
    optional = (
        ("services", data.services, SERVICES_MAX, "warehouse.services", "the services text"),
        ("contact", data.contact, CONTACT_MAX, "warehouse.contact", "the contact"),
    )
    for path, text, limit, code, what in optional:
        if text and len(text) > limit:
            errors.append(FieldError(path, f"{code}_too_long", f"{what} is longer than {limit} characters", ""))
    return errors


def _country_problems(country: str) -> list[FieldError]:
    if not _COUNTRY.match(country):
        return [
            FieldError(
                "country",
                "warehouse.country_invalid",
                f"country must be a 3-digit customs country code, got {country!r}",
                "use the customs country code (海关国别代码), e.g. 502 for the United States",
            )
        ]
    if country == CHINA:
        return [
            FieldError(
                "country",
                "warehouse.country_domestic",
                "142 is China; an overseas warehouse lies outside China",
                "use the code of the country where the warehouse is",
            )
        ]
    return []


def _area_problem(path: str, text: str, *, zero_allowed: bool) -> FieldError | None:
    code = "warehouse.area" if path == "area" else "warehouse.available"
    if not _AREA.match(text):
        return FieldError(
            path, f"{code}_invalid", f"{path} must be a number of square metres, got {text!r}", "e.g. 1200 or 1200.50"
        )
    whole = text.split(".")[0].lstrip("0")
    if len(whole) > AREA_DIGITS_MAX:
        return FieldError(path, f"{code}_invalid", f"{path} has more than {AREA_DIGITS_MAX} digits", "")
    if parse_area(text) is None:
        return FieldError(path, f"{code}_decimals", f"{path} has more than two decimals", "round to 0.01 m²")
    if Decimal(text) == 0 and not zero_allowed:
        return FieldError(path, f"{code}_not_positive", f"{path} must be greater than 0", "")
    return None


def _area_problems(data: WarehouseInput) -> list[FieldError]:
    if not data.area:
        area_problem: FieldError | None = FieldError(
            "area", "warehouse.area_required", "area is required", "the floor area in m²"
        )
    else:
        area_problem = _area_problem("area", data.area, zero_allowed=False)
    errors = [area_problem] if area_problem else []
    if not data.available_area:
        return errors
    available_problem = _area_problem("available_area", data.available_area, zero_allowed=True)
    if available_problem:
        errors.append(available_problem)
    elif area_problem is None and Decimal(data.available_area) > Decimal(data.area):
        errors.append(
            FieldError(
                "available_area",
                "warehouse.available_exceeds_area",
                f"available area {data.available_area} m² is more than the warehouse's area {data.area} m²",
                "offer at most the whole area",
            )
        )
    return errors


def validate_warehouse(data: WarehouseInput) -> list[FieldError]:
    """Every rule a filing must satisfy that needs no stored state, in the order of the form."""
    errors = _text_problems(data)
    errors.extend(_country_problems(data.country))
    errors.extend(_area_problems(data))
    if data.mode not in {m.value for m in WarehouseMode}:
        errors.append(
            FieldError(
                "mode",
                "warehouse.mode_unknown",
                f"mode must be one of {', '.join(m.value for m in WarehouseMode)}, got {data.mode!r}",
                "own 自营, leased 租赁 or public 公共海外仓",
            )
        )
    order = ("name", "country", "overseas_city", "address", "area", "available_area", "mode", "operator")
    rank = {path: i for i, path in enumerate(order)}
    return sorted(errors, key=lambda e: rank.get(e.path, len(order)))
