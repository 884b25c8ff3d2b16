"""Enterprise registry domain model: pure dataclasses and the rules an enterprise record obeys."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import date

from cbec.kernel.errors import FieldError
from cbec.kernel.ids import customs_code_problem, uscc_problem
from cbec.registry.districts import DistrictBook

__all__ = [
    "Enterprise",
    "EnterpriseInput",
    "EnterpriseRole",
    "EnterpriseStatus",
    "validate_enterprise",
]


class EnterpriseRole(enum.StrEnum):
    """The roles a registered enterprise plays in cross-border trade (DOMAIN §1)."""

    EBP = "ebp"  # 电商平台
    EBC = "ebc"  # 电商企业
    LOGISTICS = "logistics"  # 物流企业
    PAYMENT = "payment"  # 支付企业
    DECLARING_AGENT = "declaring_agent"  # 申报企业 / 报关企业
    WAREHOUSE_OPERATOR = "warehouse_operator"  # 监管场所 / 仓储经营企业
    SERVICE_PROVIDER = "service_provider"  # 综合服务企业


class EnterpriseStatus(enum.StrEnum):
    ACTIVE = "active"  # 正常
    SUSPENDED = "suspended"  # 暂停
    CANCELLED = "cancelled"  # 注销


NAME_MAX = 200
PARK_MAX = 100


@dataclass(frozen=True)
class EnterpriseInput:
    """What a clerk or an import row supplies; validated by :func:`validate_enterprise`."""

    uscc: str
    name: str
    city_code: str
    district_code: str
    roles: frozenset[EnterpriseRole]
    registered_on: date
    customs_code: str | None = None
    name_en: str | None = None
    park: str | None = None
    status: EnterpriseStatus = EnterpriseStatus.ACTIVE


@dataclass(frozen=True)
class Enterprise:
    id: int
    uscc: str
    name: str
    city_code: str
    district_code: str
    roles: frozenset[EnterpriseRole]
    registered_on: date
    customs_code: str | None = None
    name_en: str | None = None
    park: str | None = None
    status: EnterpriseStatus = EnterpriseStatus.ACTIVE
    version: int = 1
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    def with_input(self, data: EnterpriseInput) -> Enterprise:
        return replace(
            self,
            uscc=data.uscc,
            name=data.name,
            city_code=data.city_code,
            district_code=data.district_code,
            roles=data.roles,
            registered_on=data.registered_on,
            customs_code=data.customs_code,
            name_en=data.name_en,
            park=data.park,
            status=data.status,
            version=self.version + 1,
        )

    def snapshot(self) -> dict[str, object]:
        """A JSON-ready view used for audit before/after and the API."""
        return {
            "id": self.id,
            "uscc": self.uscc,
            "name": self.name,
            "name_en": self.name_en,
            "customs_code": self.customs_code,
            "roles": sorted(r.value for r in self.roles),
            "city_code": self.city_code,
            "district_code": self.district_code,
            "park": self.park,
            "registered_on": self.registered_on.isoformat(),
            "status": self.status.value,
            "version": self.version,
        }


def validate_enterprise(data: EnterpriseInput, districts: DistrictBook, *, today: date) -> list[FieldError]:
    """Every rule an enterprise record must satisfy that needs no stored state."""
    errors: list[FieldError] = []
    problem = uscc_problem(data.uscc)
    if problem:
        errors.append(
            FieldError(
                "uscc",
                "uscc.invalid",
                f"unified social credit code {problem}",
                "copy the 18-character code from the business licence (营业执照)",
            )
        )
    if data.customs_code:
        problem = customs_code_problem(data.customs_code)
        if problem:
            errors.append(
                FieldError(
                    "customs_code",
                    "customs_code.invalid",
                    f"customs code {problem}",
                    "leave empty if the enterprise has no customs registration",
                )
            )
    if not data.name.strip():
        errors.append(
            FieldError(
                "name", "name.required", "enterprise name is required", "enter the name as on the business licence"
            )
        )
    elif len(data.name) > NAME_MAX:
        errors.append(FieldError("name", "name.too_long", f"name is longer than {NAME_MAX} characters", ""))
    if data.park and len(data.park) > PARK_MAX:
        errors.append(FieldError("park", "park.too_long", f"park is longer than {PARK_MAX} characters", ""))
    if not data.roles:
        errors.append(
            FieldError(
                "roles",
                "roles.required",
                "at least one role is required",
                "choose from: " + ", ".join(r.value for r in EnterpriseRole),
            )
        )
    errors.extend(districts.problems(data.city_code, data.district_code))
    if data.registered_on > today:
        errors.append(
            FieldError(
                "registered_on",
                "registered_on.future",
                f"registration date {data.registered_on.isoformat()} is in the future",
                "use the date on the business licence",
            )
        )
    return errors
