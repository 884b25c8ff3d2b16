"""Entered target figures (target_inputs) on real SQLite and PostgreSQL: who may enter, the
checks, one figure per target and date, audit, and that a refusal stores nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from cbec.bootstrap import Platform
from cbec.identity.model import Principal
from cbec.identity.services import NewUser, create_user
from cbec.kernel.errors import Conflict, PermissionDenied, ValidationFailed
from cbec.stats.target_services import enter_target_input, entered_figures

CountRows = Callable[[str], int]


def admin(platform: Platform, username: str, city: str, role: str = "city_admin") -> Principal:
    with platform.uow() as uow:
        user = create_user(
            uow, NewUser(username, "王五", role, "correct horse battery", city_code=city), platform.districts
        )
    return user.principal()


def test_city_admin_enters_a_figure_audited(platform: Platform, count_rows: CountRows) -> None:
    hz = admin(platform, "hz.admin", "330100")
    events = count_rows("audit_events")
    with platform.uow() as uow:
        stored = enter_target_input(uow, hz, "hz-plan-3-brands", date(2024, 11, 20), " 12 ", "省商务厅公布名单 2024")
    assert (stored.target_id, stored.as_of, stored.value, stored.source) == (
        "hz-plan-3-brands",
        date(2024, 11, 20),
        Decimal(12),
        "省商务厅公布名单 2024",
    )
    assert stored.entered_by == hz.user_id
    assert count_rows("target_inputs") == 1
    assert count_rows("audit_events") == events + 1
    with platform.uow(read_only=True) as uow:
        listed = entered_figures(uow, city="330100")
        assert entered_figures(uow, city="500000") == []
    assert [(f.target_id, f.value) for f in listed] == [("hz-plan-3-brands", Decimal(12))]
    with platform.uow() as uow, pytest.raises(Conflict):
        enter_target_input(uow, hz, "hz-plan-3-brands", date(2024, 11, 20), "13", "again")
    assert count_rows("target_inputs") == 1
    assert count_rows("audit_events") == events + 1


def test_refusals_store_nothing_and_audit_nothing(platform: Platform, count_rows: CountRows) -> None:
    hz = admin(platform, "hz.admin", "330100")
    cq = admin(platform, "cq.admin", "500000")
    auditor = admin(platform, "hz.auditor", "330100", role="auditor")
    events = count_rows("audit_events")

    def refused(principal: Principal, target: str, as_of: date, value: str, source: str) -> list[tuple[str, str]]:
        with platform.uow() as uow, pytest.raises(ValidationFailed) as caught:
            enter_target_input(uow, principal, target, as_of, value, source)
        for e in caught.value.errors:
            assert e.message
            assert e.hint
        return [(e.path, e.code) for e in caught.value.errors]

    assert refused(hz, "hz-plan-3-brands", date(2024, 11, 20), "12.5", "") == [
        ("value", "value.not_whole"),
        ("source", "source.required"),
    ]
    assert refused(hz, "hz-plan-3-brands", date(2024, 12, 1), "-1", "x") == [
        ("as_of", "date.future"),
        ("value", "value.negative"),
    ]
    assert refused(hz, "hz-plan-export-2024", date(2024, 11, 1), "1", "x") == [("target_id", "target.measured")]
    assert refused(hz, "no-such-target", date(2024, 11, 1), "1", "x") == [("target_id", "target.unknown_id")]
    assert refused(hz, "hz-plan-3-brands", date(2024, 11, 1), "abc", "x") == [("value", "value.not_decimal")]
    with platform.uow() as uow, pytest.raises(PermissionDenied):
        enter_target_input(uow, cq, "hz-plan-3-brands", date(2024, 11, 20), "1", "x")
    with platform.uow() as uow, pytest.raises(PermissionDenied):
        enter_target_input(uow, auditor, "hz-plan-3-brands", date(2024, 11, 20), "1", "x")
    assert count_rows("target_inputs") == 0
    assert count_rows("audit_events") == events
