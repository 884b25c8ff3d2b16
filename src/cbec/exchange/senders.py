"""Registry checks at intake: every party a message names must be a registered, active enterprise
with the role it plays, and the signed-in user must be entitled to send for the sender."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cbec.exchange.model import Message
from cbec.exchange.spec import MessageSpec
from cbec.identity.model import Principal, Role
from cbec.kernel.errors import FieldError
from cbec.registry.model import Enterprise, EnterpriseRole, EnterpriseStatus

if TYPE_CHECKING:
    from cbec.storage.uow import SqlUnitOfWork

__all__ = ["ROLE_OF_FIELD", "SenderCheck", "check_senders"]

ROLE_OF_FIELD = {
    "ebpCode": EnterpriseRole.EBP,
    "ebcCode": EnterpriseRole.EBC,
    "payCode": EnterpriseRole.PAYMENT,
    "logisticsCode": EnterpriseRole.LOGISTICS,
    "agentCode": EnterpriseRole.DECLARING_AGENT,
    "operatorCode": EnterpriseRole.WAREHOUSE_OPERATOR,
}


@dataclass
class SenderCheck:
    sender_code: str = ""
    owner: Enterprise | None = None  # whose document it is (scoping, statistics)
    errors: list[FieldError] = field(default_factory=list)


def _field_problem(path: str, code: str, found: Enterprise | None, role: EnterpriseRole) -> FieldError | None:
    if found is None:
        return FieldError(
            path,
            "registry.unknown_sender",
            f"{code} is not a registered enterprise",
            "register the enterprise (主体备案) with this customs code first",
        )
    if found.status is not EnterpriseStatus.ACTIVE:
        return FieldError(
            path,
            "registry.inactive_sender",
            f"{code} ({found.name}) is {found.status.value}",
            "only active enterprises may declare",
        )
    if role not in found.roles:
        return FieldError(
            path,
            "registry.wrong_role",
            f"{code} ({found.name}) is not registered as {role.value}",
            f"add the role {role.value} to the enterprise's registration",
        )
    return None


def _may_send(
    principal: Principal, codes: set[str], owner: Enterprise | None, by_code: dict[str, Enterprise]
) -> str | None:
    if principal.is_system:
        return None
    if principal.read_only:
        return "your role is read-only"
    if principal.role is Role.ENTERPRISE:
        own = {c for c, e in by_code.items() if e.id == principal.enterprise_id}
        return None if own & codes else "you may send only messages your enterprise sends itself"
    if owner is None or owner.city_code != principal.city_code:
        return "the sending enterprise is outside your city"
    if principal.role is Role.DISTRICT_OFFICER and owner.district_code != principal.district_code:
        return "the sending enterprise is outside your district"
    return None


def check_senders(uow: SqlUnitOfWork, principal: Principal, message: Message, spec: MessageSpec) -> SenderCheck:
    # The sender first (it owns the document), then every other party the head names (DOMAIN §5:
    # platform and e-commerce enterprise must be registered too).
    order = [f for f in (*spec.sender_fields, *ROLE_OF_FIELD) if f in ROLE_OF_FIELD]
    order = list(dict.fromkeys(order))
    named: list[tuple[str, str, EnterpriseRole]] = []
    for index, unit in enumerate(message.units):
        for name in order:
            if unit.head.get(name):
                path = f"{spec.unit}[{index}]/{spec.head or spec.unit}/{name}"
                named.append((path, unit.head[name], ROLE_OF_FIELD[name]))
    by_code = uow.enterprises.by_customs_codes(code for _, code, _ in named)
    check = SenderCheck()
    for path, code, role in named:
        problem = _field_problem(path, code, by_code.get(code), role)
        if problem is not None:
            check.errors.append(problem)
    if named and named[0][2] in {ROLE_OF_FIELD.get(f) for f in spec.sender_fields}:
        check.sender_code = named[0][1]
        check.owner = by_code.get(named[0][1])
    if message.base_transfer and message.base_transfer.get("copCode"):
        check.sender_code = check.sender_code or message.base_transfer["copCode"]
    if not check.errors:
        # Only the sender's own codes entitle a user: a platform user may not file the payment
        # company's payment just because it names the platform.
        sender_roles = {ROLE_OF_FIELD[f] for f in spec.sender_fields if f in ROLE_OF_FIELD}
        senders = {code for _, code, role in named if role in sender_roles}
        refusal = _may_send(principal, senders, check.owner, by_code)
        if refusal:
            check.errors.append(
                FieldError("message", "permission.sender", refusal, "sign in as a user of the sending enterprise")
            )
    return check
