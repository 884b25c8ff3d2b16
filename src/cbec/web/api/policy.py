"""Policy cash-out (政策兑现) over JSON: the catalog (documents, measures, benefits, targets), the
calculator, matching and simulation, applications with their review, the queues and the budget.

The catalog is public policy text shipped with the platform, so reading it and quoting a benefit
need no sign-in (an enterprise may try the calculator anonymously); everything that touches an
enterprise's data or the workflow needs a token or a session, and the services decide the scope.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import quote as quote_url

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from cbec.bootstrap import Platform
from cbec.kernel.clock import business_date
from cbec.kernel.errors import FieldError, ValidationFailed
from cbec.policy import application_services as aps
from cbec.policy.application_queries import catalog as shipped_catalog
from cbec.policy.catalog import Catalog
from cbec.policy.engine import Quote, parse_decimal, quote
from cbec.policy.model import Benefit
from cbec.policy.targets import targets_by_measure, targets_of
from cbec.policy.workflow import Application, NewAttachment
from cbec.stats.targets import TargetCatalog, load_targets
from cbec.web.deps import ApiIdentity, Identity, PlatformDep, require_csrf, resolve_identity

router = APIRouter(prefix="/policy", tags=["policy"])

OnQuery = Annotated[date | None, Query(description="the date, YYYY-MM-DD (default: today in Shanghai)")]


def policy_catalog() -> Catalog:
    """The shipped catalog, read once per process and shared with the workflow's use cases."""
    return shipped_catalog()


@lru_cache(maxsize=1)
def target_catalog() -> TargetCatalog:
    return load_targets()


def today(platform: Platform) -> date:
    return business_date(platform.clock)


def optional_identity(request: Request) -> Identity | None:
    """Who is asking, if anyone: anonymous callers are welcome on the public endpoints; a session
    caller's writes still prove they come from our pages (CSRF), a bad token is still refused."""
    identity = resolve_identity(request)
    if identity is not None:
        require_csrf(request, identity, "")
    return identity


MaybeIdentity = Annotated[Identity | None, Depends(optional_identity)]


def _decimal_text(value: object) -> object:
    """Facts travel as decimal text ("3000000.00"); a whole JSON number is taken as its text too.
    A JSON fraction is refused by the schema: binary floats are not exact yuan."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


FactText = Annotated[str, BeforeValidator(_decimal_text)]


def parse_fact_texts(facts: Mapping[str, str], prefix: str = "facts") -> dict[str, Decimal]:
    """Decimal text per fact name into Decimals; every bad one reported at once with its path."""
    parsed: dict[str, Decimal] = {}
    errors: list[FieldError] = []
    for name, text in facts.items():
        try:
            parsed[name] = parse_decimal(text, f"{prefix}.{name}")
        except ValidationFailed as failed:
            errors.extend(failed.errors)
    if errors:
        raise ValidationFailed(errors)
    return parsed


def quote_of(benefit: Benefit, facts: Mapping[str, str], on: date) -> Quote:
    return quote(benefit, parse_fact_texts(facts), on)


def benefit_view(benefit: Benefit, on: date) -> dict[str, Any]:
    """A benefit as the catalog encodes it, plus each parameter's value on ``on`` for display."""
    out = benefit.as_dict()
    current: dict[str, object] = {}
    for parameter in benefit.parameters:
        dated = parameter.at(on)
        current[parameter.id] = (
            None
            if dated is None
            else (str(dated.value) if isinstance(dated.value, Decimal) else {"unknown": dated.value.reason})
        )
    out["in_force"] = benefit.in_force(on)
    out["values_on"] = {"on": on.isoformat(), "values": current}
    return out


def measures_view(catalog: Catalog, doc_id: str) -> list[dict[str, Any]]:
    """Each measure of a document with its text, the ids of its encoded benefits and its targets."""
    linked = targets_by_measure(catalog, target_catalog())
    return [m.as_dict() | {"targets": [t.as_dict() for t in linked.get(m.id, [])]} for m in catalog.measures_of(doc_id)]


# --- the catalog (public) -----------------------------------------------------------------------


@router.get("/documents", operation_id="policy_documents")
def documents(platform: PlatformDep, on: OnQuery = None) -> dict[str, Any]:
    """The seed documents with their validity and whether each is in force on ``on`` (true, false,
    or null where the text states no end), with how many measures and benefits are encoded."""
    day = on or today(platform)
    catalog = policy_catalog()
    return {
        "on": day.isoformat(),
        "documents": [
            d.as_dict(day) | {"measures": len(catalog.measures_of(d.id)), "benefits": len(catalog.benefits_of(d.id))}
            for d in catalog.documents.values()
        ],
    }


@router.get("/documents/{doc_id}", operation_id="policy_document")
def document(doc_id: str, platform: PlatformDep, on: OnQuery = None) -> dict[str, Any]:
    day = on or today(platform)
    return policy_catalog().document(doc_id).as_dict(day)


@router.get("/documents/{doc_id}/benefits", operation_id="policy_benefits")
def benefits(doc_id: str, platform: PlatformDep, on: OnQuery = None) -> dict[str, Any]:
    """The benefits encoded for a document: inputs, formula, parameters with every dated value and
    its source, caps, conditions, pool, co-funding, and the values in force on ``on``."""
    day = on or today(platform)
    found = policy_catalog().benefits_of(doc_id)
    return {"document": doc_id, "on": day.isoformat(), "benefits": [benefit_view(b, day) for b in found]}


@router.get("/documents/{doc_id}/measures", operation_id="policy_measures")
def measures(doc_id: str) -> dict[str, Any]:
    """Every numbered measure of a document: its own words, departments, how it is encoded, the
    benefits encoded from it and the quantitative targets it sets."""
    catalog = policy_catalog()
    return {"document": doc_id, "measures": measures_view(catalog, doc_id)}


@router.get("/targets", operation_id="policy_targets")
def targets(
    city: Annotated[str | None, Query(description="city code (330100) or name (Hangzhou)")] = None,
) -> dict[str, Any]:
    """The seeds' quantitative targets, each tied to the measure that sets it."""
    linked = targets_of(policy_catalog(), target_catalog(), city)
    return {"city": city, "targets": [t.as_dict() for t in linked]}


class QuoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document: str = Field(description="policy document id, e.g. hangzhou-2024")
    benefit: str = Field(description="benefit id, e.g. hz-3-own-brand-promotion")
    facts: dict[str, FactText] = Field(
        default_factory=dict, description='the inputs as decimal text, e.g. {"promotion_cost": "3000000"}'
    )
    on: date | None = Field(default=None, description="the date, YYYY-MM-DD (default: today)")


@router.post("/quote", operation_id="policy_quote")
def quote_benefit(body: QuoteIn, platform: PlatformDep, _identity: MaybeIdentity) -> dict[str, Any]:
    """The most a benefit grants for the facts on a date: ``amount`` (decimal text, or null where
    the text sets no figure), ``capped_by`` and the trace of every step. No sign-in needed."""
    benefit = policy_catalog().benefit(body.document, body.benefit)
    result = quote_of(benefit, body.facts, body.on or today(platform))
    return {"document": body.document, "title": benefit.title, "clause": benefit.clause, **result.as_dict()}


# --- applications and their review (token or session) ---------------------------------------------


class FileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="the file name, e.g. contract.pdf")
    content_base64: str = Field(description="the file's bytes, base64-encoded")


def new_attachments(files: list[FileIn]) -> list[NewAttachment]:
    out: list[NewAttachment] = []
    errors: list[FieldError] = []
    for n, item in enumerate(files):
        try:
            out.append(NewAttachment(item.name, base64.b64decode(item.content_base64, validate=True)))
        except (binascii.Error, ValueError):
            errors.append(FieldError(f"attachments[{n}].content_base64", "policy.file_base64", "not valid base64"))
    if errors:
        raise ValidationFailed(errors)
    return out


class ApplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    benefit: str = Field(description="benefit id, e.g. hz-3-own-brand-promotion")
    facts: dict[str, FactText] = Field(default_factory=dict, description="the declared inputs as decimal text")
    on: date | None = Field(default=None, description="the date the benefit is judged on (default: today)")
    enterprise_id: int | None = Field(default=None, description="only the system may name another enterprise")
    client_ref: str | None = Field(
        default=None, description="your idempotency key: the same key again returns the stored application"
    )
    attachments: list[FileIn] = Field(default_factory=list)


class ResubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    facts: dict[str, FactText] = Field(default_factory=dict)
    attachments: list[FileIn] = Field(default_factory=list)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: str = Field(description="pass | return | reject")
    reason: str = ""
    amount: FactText | None = Field(
        default=None, description="pass only: a lower amount than quoted, as decimal text (the text grants 'up to')"
    )


class DisburseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    voucher: str = Field(description="the payment voucher number")
    paid_on: date


def app_out(app: Application) -> dict[str, Any]:
    return app.as_dict()


@router.post("/applications", status_code=201, operation_id="policy_apply")
def apply(body: ApplyIn, identity: ApiIdentity, platform: PlatformDep) -> dict[str, Any]:
    """An enterprise applies for a benefit with its declared facts (and files). The same
    ``client_ref`` again returns the stored application."""
    files = new_attachments(body.attachments)
    with platform.uow() as uow:
        app = aps.apply(
            uow,
            identity.principal,
            benefit_id=body.benefit,
            facts=dict(body.facts),
            attachments=files,
            on=body.on,
            enterprise_id=body.enterprise_id,
            client_ref=body.client_ref,
            calendar=platform.calendar,
        )
    return app_out(app)


@router.get("/applications", operation_id="policy_applications")
def list_applications(
    identity: ApiIdentity,
    platform: PlatformDep,
    status: Annotated[str | None, Query(description="one status, e.g. submitted")] = None,
    year: Annotated[int | None, Query(description="award year")] = None,
) -> list[dict[str, Any]]:
    """The applications within your scope (an enterprise: its own), oldest first."""
    with platform.uow(read_only=True) as uow:
        found = aps.applications(uow, identity.principal, status=status, year=year)
    return [app_out(a) for a in found]


@router.get("/applications/{ref}", operation_id="policy_application")
def get_application(ref: str, identity: ApiIdentity, platform: PlatformDep) -> dict[str, Any]:
    """One application with every event, its quote, due date, gate result and disbursement."""
    with platform.uow(read_only=True) as uow:
        return app_out(aps.get(uow, identity.principal, ref))


@router.get("/applications/{ref}/attachments/{attachment_id}", operation_id="policy_attachment")
def get_attachment(ref: str, attachment_id: int, identity: ApiIdentity, platform: PlatformDep) -> Response:
    with platform.uow(read_only=True) as uow:
        info, content = aps.attachment(uow, identity.principal, ref, attachment_id)
    return attachment_response(info.name, content)


def attachment_response(name: str, content: bytes) -> Response:
    """The stored bytes as a download, never rendered inline (the content is the applicant's)."""
    return Response(
        content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote_url(name)}"},
    )


@router.post("/applications/{ref}/resubmit", operation_id="policy_resubmit")
def resubmit(ref: str, body: ResubmitIn, identity: ApiIdentity, platform: PlatformDep) -> dict[str, Any]:
    """The applicant corrects a returned application; it resumes at the step that returned it."""
    files = new_attachments(body.attachments)
    with platform.uow() as uow:
        app = aps.resubmit(
            uow, identity.principal, ref, facts=dict(body.facts), attachments=files, calendar=platform.calendar
        )
    return app_out(app)


@router.post("/applications/{ref}/withdraw", operation_id="policy_withdraw")
def withdraw(ref: str, body: ReasonIn, identity: ApiIdentity, platform: PlatformDep) -> dict[str, Any]:
    with platform.uow() as uow:
        return app_out(aps.withdraw(uow, identity.principal, ref, reason=body.reason))


@router.post("/applications/{ref}/review", operation_id="policy_review")
def review(ref: str, body: ReviewIn, identity: ApiIdentity, platform: PlatformDep) -> dict[str, Any]:
    """District pre-review, city review, or an objection during the notice (``return``)."""
    with platform.uow() as uow:
        app = aps.review(
            uow,
            identity.principal,
            ref,
            decision=body.decision,
            reason=body.reason,
            amount=body.amount,
            calendar=platform.calendar,
        )
    return app_out(app)


@router.post("/applications/{ref}/approve", operation_id="policy_approve")
def approve(ref: str, identity: ApiIdentity, platform: PlatformDep) -> dict[str, Any]:
    """Award after the notice period: the anti-fraud gate, caps across awards, then the pool; a
    refusal is 409 with the reason (the gate's result stays on the application)."""
    with platform.uow() as uow:
        app = aps.approve(
            uow, identity.principal, ref, threshold=platform.settings.reconcile_threshold, calendar=platform.calendar
        )
    return app_out(app)


@router.post("/applications/{ref}/disburse", operation_id="policy_disburse")
def disburse(ref: str, body: DisburseIn, identity: ApiIdentity, platform: PlatformDep) -> dict[str, Any]:
    with platform.uow() as uow:
        app = aps.disburse(uow, identity.principal, ref, voucher=body.voucher, paid_on=body.paid_on)
    return app_out(app)


@router.get("/queue", operation_id="policy_queue")
def queue(identity: ApiIdentity, platform: PlatformDep) -> list[dict[str, Any]]:
    """What awaits your action, the earliest due first (an enterprise: its returned applications)."""
    with platform.uow(read_only=True) as uow:
        return [app_out(a) for a in aps.queue(uow, identity.principal)]


@router.get("/overdue", operation_id="policy_overdue")
def overdue(identity: ApiIdentity, platform: PlatformDep) -> list[dict[str, Any]]:
    with platform.uow(read_only=True) as uow:
        return [app_out(a) for a in aps.overdue(uow, identity.principal)]


YearQuery = Annotated[int | None, Query(ge=2000, le=2100, description="calendar year (default: this year)")]


@router.get("/budget", operation_id="policy_budget")
def budget(identity: ApiIdentity, platform: PlatformDep, year: YearQuery = None) -> dict[str, Any]:
    """Pool use, awards by benefit and by district, and the co-funding split (unknown where the
    text states no ratio)."""
    with platform.uow(read_only=True) as uow:
        found = aps.budget(uow, identity.principal, year=year or today(platform).year)
    return found.as_dict()
