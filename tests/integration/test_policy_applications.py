"""Benefit applications (政策兑现) on real SQLite and PostgreSQL: the whole chain with every step
visible to the applicant, a return that goes back to the returning step only, idempotent
requests, attachments, scope, queues and overdue lists."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from cbec.bootstrap import Platform
from cbec.identity.model import SYSTEM
from cbec.kernel.clock import FixedClock
from cbec.kernel.errors import Conflict, PermissionDenied, ValidationFailed
from cbec.policy import application_services as aps
from cbec.policy.workflow import NewAttachment, Status
from cbec.testing.policy_apps import Actors, actors, after_notice, hangzhou_enterprise

PROMOTION = "hz-3-own-brand-promotion"  # 25 % of the promotion cost, 50万 per enterprise per year


@pytest.fixture
def who(platform: Platform) -> Actors:
    return actors(platform, hangzhou_enterprise(platform, 1))


def _policy_audit(count_rows: Callable[[str], int], platform: Platform) -> list[str]:
    with platform.uow(read_only=True) as uow:
        return [e.action for e in uow.audit.events() if e.action.startswith("policy.")]


def test_the_full_chain_is_visible_to_the_applicant_at_every_step(
    platform: Platform, who: Actors, fixed_clock: FixedClock, count_rows: Callable[[str], int]
) -> None:
    contract = NewAttachment("C:\\docs\\推广合同.pdf", b"%PDF-1.7 contract")
    with platform.uow() as uow:
        app = aps.apply(
            uow,
            who.enterprise,
            benefit_id=PROMOTION,
            facts={"promotion_cost": "400000.02"},
            attachments=[contract],
            calendar=platform.calendar,
        )
    assert (app.ref, app.status, app.origin.value) == ("PA-2024-000001", Status.SUBMITTED, "application")
    assert str(app.amount_quoted) == "100000.01"  # 400000.02 × 25 % = 100000.005, half up to the fen
    assert app.due_on == date(2024, 12, 3)  # 5 working days after Tuesday 2024-11-26
    assert [a.as_dict() for a in app.attachments] == [
        {"id": 1, "name": "推广合同.pdf", "size": 17, "sha256": hashlib.sha256(b"%PDF-1.7 contract").hexdigest()}
    ]
    with platform.uow() as uow:
        assert aps.queue(uow, who.officer)[0].ref == app.ref
        assert aps.queue(uow, who.admin) == []
        app = aps.review(uow, who.officer, app.ref, decision="pass", amount="90000", calendar=platform.calendar)
    assert (app.status, str(app.amount_reviewed), app.due_on) == (
        Status.DISTRICT_PASSED,
        "90000.00",
        date(2024, 12, 10),
    )
    with platform.uow() as uow:
        app = aps.review(uow, who.admin, app.ref, decision="pass", calendar=platform.calendar)
    assert (app.status, app.notice_ends, app.due_on) == (Status.PUBLICISED, date(2024, 12, 3), date(2024, 12, 10))
    with platform.uow() as uow, pytest.raises(Conflict) as early:
        aps.approve(uow, who.admin, app.ref)
    assert early.value.code == "policy.notice_running"
    assert "publicised (公示) until 2024-12-03" in early.value.message

    fixed_clock.advance(after_notice(app))  # Wednesday 2024-12-04
    with platform.uow() as uow:
        assert [a.ref for a in aps.queue(uow, who.admin)] == [app.ref]
        app = aps.approve(uow, who.admin, app.ref, calendar=platform.calendar)
    assert (app.status, str(app.amount_awarded), app.capped_by, app.due_on) == (
        Status.APPROVED,
        "90000.00",
        None,
        date(2024, 12, 25),
    )
    fixed_clock.advance(timedelta(days=1))
    with platform.uow() as uow:
        app = aps.disburse(uow, who.admin, app.ref, voucher="HZCZ-2024-0001", paid_on=date(2024, 12, 5))
    assert app.status is Status.DISBURSED

    with platform.uow(read_only=True) as uow:
        seen = aps.get(uow, who.enterprise, app.ref).as_dict()
    events: Any = seen["events"]
    steps = [(e["action"], e["role"], e["from"], e["to"]) for e in events]
    assert steps == [
        ("apply", "enterprise", None, "submitted"),
        ("pass", "district_officer", "submitted", "district_passed"),
        ("pass", "city_admin", "district_passed", "publicised"),
        ("approve", "city_admin", "publicised", "approved"),
        ("disburse", "city_admin", "approved", "disbursed"),
    ]
    assert seen["disbursement"] == {"voucher": "HZCZ-2024-0001", "paid_on": "2024-12-05"}
    assert (seen["amount_awarded"], seen["step"], seen["due_on"], seen["overdue"]) == ("90000.00", None, None, False)
    assert seen["enterprise"] == {"id": 1, "name": "杭州政策测试跨境电商有限公司1", "credit_code": app.credit_code}
    assert _policy_audit(count_rows, platform) == [
        "policy.apply",
        "policy.pass",
        "policy.pass",
        "policy.approve",
        "policy.disburse",
    ]
    with platform.uow(read_only=True) as uow:
        info, content = aps.attachment(uow, who.enterprise, app.ref, 1)
    assert (info.name, content) == ("推广合同.pdf", b"%PDF-1.7 contract")


def test_a_return_goes_back_to_the_returning_step_only(platform: Platform, who: Actors) -> None:
    with platform.uow() as uow:
        app = aps.apply(uow, who.enterprise, benefit_id=PROMOTION, facts={"promotion_cost": "100000"})
    with platform.uow() as uow:
        aps.review(uow, who.officer, app.ref, decision="pass")
    with platform.uow() as uow, pytest.raises(ValidationFailed) as no_reason:
        aps.review(uow, who.admin, app.ref, decision="return")
    assert [(e.path, e.code) for e in no_reason.value.errors] == [("reason", "policy.reason_required")]
    with platform.uow() as uow:
        app = aps.review(uow, who.admin, app.ref, decision="return", reason="合同金额与发票不符")
    assert (app.status, app.returned_from, app.due_on) == (Status.RETURNED, "city_review", date(2024, 12, 10))
    with platform.uow() as uow:
        assert [a.ref for a in aps.queue(uow, who.enterprise)] == [app.ref]
        app = aps.resubmit(uow, who.enterprise, app.ref, facts={"promotion_cost": "80000"})
    assert (app.status, app.returned_from, str(app.amount_quoted)) == (Status.DISTRICT_PASSED, None, "20000.00")
    with platform.uow() as uow, pytest.raises(PermissionDenied):  # the district review is not repeated
        aps.review(uow, who.officer, app.ref, decision="pass")
    with platform.uow() as uow:
        app = aps.review(uow, who.admin, app.ref, decision="pass")
    assert app.status is Status.PUBLICISED
    assert [(e.action, e.to_status, e.reason) for e in app.events] == [
        ("apply", "submitted", ""),
        ("pass", "district_passed", ""),
        ("return", "returned", "合同金额与发票不符"),
        ("resubmit", "district_passed", ""),
        ("pass", "publicised", ""),
    ]
    # An objection during the notice: the corrected application is publicised again, not reviewed again.
    with platform.uow() as uow:
        aps.review(uow, who.admin, app.ref, decision="return", reason="公示期收到异议")
    with platform.uow() as uow:
        app = aps.resubmit(uow, who.enterprise, app.ref, facts={"promotion_cost": "80000"})
    assert (app.status, app.notice_ends) == (Status.PUBLICISED, date(2024, 12, 3))


def test_the_same_request_twice_changes_nothing(
    platform: Platform, who: Actors, count_rows: Callable[[str], int]
) -> None:
    def apply(facts: dict[str, str], key: str | None = "form-1") -> str:
        with platform.uow() as uow:
            return aps.apply(uow, who.enterprise, benefit_id=PROMOTION, facts=facts, client_ref=key).ref

    first = apply({"promotion_cost": "1000"})
    assert apply({"promotion_cost": "1000.00"}) == first
    with pytest.raises(Conflict) as reused:
        apply({"promotion_cost": "2000"})
    assert reused.value.code == "policy.client_ref_reused"
    assert apply({"promotion_cost": "1000.000"}, key=None) == first  # still open with the same facts
    assert (count_rows("policy_applications"), count_rows("policy_events")) == (1, 1)
    with platform.uow() as uow:
        aps.review(uow, who.officer, first, decision="pass")
    with platform.uow() as uow:
        again = aps.review(uow, who.officer, first, decision="pass")
    assert (again.status, again.version) == (Status.DISTRICT_PASSED, 2)
    assert count_rows("policy_events") == 2
    assert _policy_audit(count_rows, platform) == ["policy.apply", "policy.pass"]


def test_bad_input_names_the_field_and_stores_nothing(
    platform: Platform, who: Actors, count_rows: Callable[[str], int]
) -> None:
    big = NewAttachment("huge.pdf", b"x" * (10 * 1024 * 1024 + 1))
    with platform.uow() as uow, pytest.raises(ValidationFailed) as failed:
        aps.apply(
            uow, who.enterprise, benefit_id=PROMOTION, facts={"promotion_cost": "abc", "extra": "1"}, attachments=[big]
        )
    assert [(e.path, e.code) for e in failed.value.errors] == [("facts.promotion_cost", "fact.not_a_number")]
    with platform.uow() as uow, pytest.raises(ValidationFailed) as failed:
        aps.apply(uow, who.enterprise, benefit_id=PROMOTION, facts={"promotion_cost": "1"}, attachments=[big])
    assert [(e.path, e.code) for e in failed.value.errors] == [("attachments[0].size", "policy.file_too_large")]
    with platform.uow() as uow, pytest.raises(ValidationFailed) as failed:
        aps.apply(uow, who.enterprise, benefit_id="gz-nothing", facts={})
    assert [(e.path, e.code) for e in failed.value.errors] == [("benefit_id", "policy.benefit_unknown")]
    with platform.uow() as uow, pytest.raises(ValidationFailed) as failed:
        aps.apply(uow, who.enterprise, benefit_id=PROMOTION, facts={})
    assert [(e.path, e.code) for e in failed.value.errors] == [("facts.promotion_cost", "fact.missing")]
    assert [count_rows(t) for t in ("policy_applications", "policy_attachments", "policy_events")] == [0, 0, 0]


def test_scope(platform: Platform, who: Actors) -> None:
    other = hangzhou_enterprise(platform, 2, district="330106")
    with platform.uow() as uow:
        mine = aps.apply(uow, who.enterprise, benefit_id=PROMOTION, facts={"promotion_cost": "1000"})
    with platform.uow() as uow:
        theirs = aps.apply(uow, SYSTEM, benefit_id=PROMOTION, facts={"promotion_cost": "1000"}, enterprise_id=other.id)
    with platform.uow(read_only=True) as uow:
        assert [a.ref for a in aps.applications(uow, who.enterprise)] == [mine.ref]
        assert [a.ref for a in aps.applications(uow, who.officer)] == [mine.ref]
        assert [a.ref for a in aps.applications(uow, who.auditor, status="submitted", year=2024)] == [
            mine.ref,
            theirs.ref,
        ]
        with pytest.raises(PermissionDenied):
            aps.get(uow, who.enterprise, theirs.ref)
        with pytest.raises(PermissionDenied):
            aps.get(uow, who.officer, theirs.ref)
        with pytest.raises(PermissionDenied):
            aps.budget(uow, who.enterprise, year=2024)
    with platform.uow() as uow, pytest.raises(PermissionDenied):
        aps.apply(uow, who.enterprise, benefit_id=PROMOTION, facts={"promotion_cost": "1"}, enterprise_id=other.id)
    with platform.uow() as uow, pytest.raises(PermissionDenied):
        aps.review(uow, who.auditor, mine.ref, decision="pass")
    with platform.uow() as uow, pytest.raises(PermissionDenied):
        aps.review(uow, who.other_officer, mine.ref, decision="pass")


def test_overdue_lists(platform: Platform, who: Actors, fixed_clock: FixedClock) -> None:
    with platform.uow() as uow:
        app = aps.apply(uow, who.enterprise, benefit_id=PROMOTION, facts={"promotion_cost": "1000"})
    fixed_clock.advance(timedelta(days=7))  # Tuesday 2024-12-03: due today, not yet overdue
    with platform.uow(read_only=True) as uow:
        assert aps.overdue(uow, who.officer) == []
    fixed_clock.advance(timedelta(days=1))
    with platform.uow(read_only=True) as uow:
        assert [(a.ref, a.overdue) for a in aps.overdue(uow, who.officer)] == [(app.ref, True)]
        assert [a.ref for a in aps.overdue(uow, who.admin)] == [app.ref]
        assert aps.overdue(uow, who.other_officer) == []
        assert aps.overdue(uow, who.enterprise) == []  # the task is the district's, not the applicant's


def test_withdraw_and_propose(platform: Platform, who: Actors, count_rows: Callable[[str], int]) -> None:
    with platform.uow() as uow:
        app = aps.apply(uow, who.enterprise, benefit_id=PROMOTION, facts={"promotion_cost": "1000"})
    with platform.uow() as uow, pytest.raises(ValidationFailed) as no_reason:
        aps.withdraw(uow, who.enterprise, app.ref, reason=" ")
    assert [(e.path, e.code) for e in no_reason.value.errors] == [("reason", "policy.reason_required")]
    with platform.uow() as uow, pytest.raises(PermissionDenied):
        aps.withdraw(uow, who.officer, app.ref, reason="不再申请")
    with platform.uow() as uow:
        gone = aps.withdraw(uow, who.enterprise, app.ref, reason="不再申请")
    with platform.uow() as uow:
        again = aps.withdraw(uow, who.enterprise, app.ref, reason="不再申请")
    assert (gone.status, gone.due_on, again.version) == (Status.WITHDRAWN, None, gone.version)

    evidence = {"promotion_cost": "platform: released export lists 2024 (stats caliber)"}
    with platform.uow() as uow:
        proposed = aps.propose(
            uow,
            enterprise_id=1,
            benefit_id=PROMOTION,
            facts={"promotion_cost": Decimal("8000")},
            on=date(2024, 11, 26),
            evidence=evidence,
        )
    with platform.uow() as uow:
        same = aps.propose(
            uow,
            enterprise_id=1,
            benefit_id=PROMOTION,
            facts={"promotion_cost": "8000.00"},
            on=date(2024, 11, 26),
            evidence=evidence,
        )
    assert same.ref == proposed.ref
    shown = proposed.as_dict()
    assert (shown["origin"], shown["status"], shown["amount_quoted"], shown["evidence"]) == (
        "proposed",
        "submitted",
        "2000.00",
        evidence,
    )
    assert [(e.action, e.role, e.actor) for e in proposed.events] == [("propose", "system", "system")]
    assert count_rows("policy_applications") == 2
