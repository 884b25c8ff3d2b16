"""The application workflow as a pure state machine: who may take which step, where a returned
application goes back to (no repeated reviews), and the working-day due dates."""

from __future__ import annotations

from datetime import date

import pytest

from cbec.identity.model import Role
from cbec.kernel.errors import Conflict, PermissionDenied
from cbec.kernel.workdays import load_calendar
from cbec.policy import workflow as wf
from cbec.policy.workflow import Action, Status, Step

CAL = load_calendar()
SLA = wf.settings().sla


@pytest.mark.parametrize(
    ("status", "action", "role", "to"),
    [
        (Status.SUBMITTED, Action.PASS, Role.DISTRICT_OFFICER, Status.DISTRICT_PASSED),
        (Status.DISTRICT_PASSED, Action.PASS, Role.CITY_ADMIN, Status.PUBLICISED),
        (Status.PUBLICISED, Action.APPROVE, Role.CITY_ADMIN, Status.APPROVED),
        (Status.APPROVED, Action.DISBURSE, Role.CITY_ADMIN, Status.DISBURSED),
        (Status.SUBMITTED, Action.REJECT, Role.DISTRICT_OFFICER, Status.REJECTED),
        (Status.PUBLICISED, Action.WITHDRAW, Role.ENTERPRISE, Status.WITHDRAWN),
        (Status.SUBMITTED, Action.PASS, None, Status.DISTRICT_PASSED),  # the system may act
    ],
)
def test_the_main_chain(status: Status, action: Action, role: Role | None, to: Status) -> None:
    assert wf.transition(status, action, role, has_district=True) == wf.Move(to, None)


@pytest.mark.parametrize(
    ("status", "action", "role"),
    [
        (Status.SUBMITTED, Action.PASS, Role.CITY_ADMIN),  # the district pre-reviews first
        (Status.SUBMITTED, Action.PASS, Role.ENTERPRISE),
        (Status.DISTRICT_PASSED, Action.PASS, Role.DISTRICT_OFFICER),  # no second district review
        (Status.PUBLICISED, Action.APPROVE, Role.DISTRICT_OFFICER),
        (Status.APPROVED, Action.DISBURSE, Role.AUDITOR),
        (Status.RETURNED, Action.RESUBMIT, Role.DISTRICT_OFFICER),
        (Status.SUBMITTED, Action.WITHDRAW, Role.CITY_ADMIN),
    ],
)
def test_a_wrong_role_is_refused(status: Status, action: Action, role: Role) -> None:
    with pytest.raises(PermissionDenied) as refused:
        wf.transition(status, action, role, has_district=True, returned_from=Step.CITY_REVIEW)
    assert role.value in refused.value.message


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (Status.SUBMITTED, Action.APPROVE),
        (Status.DISTRICT_PASSED, Action.APPROVE),
        (Status.APPROVED, Action.PASS),
        (Status.DISBURSED, Action.DISBURSE),
        (Status.APPROVED, Action.WITHDRAW),  # withdrawal ends with approval
        (Status.REJECTED, Action.RESUBMIT),
    ],
)
def test_a_wrong_status_is_a_conflict(status: Status, action: Action) -> None:
    with pytest.raises(Conflict) as refused:
        wf.transition(status, action, Role.CITY_ADMIN, has_district=True)
    assert refused.value.code == "policy.wrong_status"


def test_without_a_district_the_city_pre_reviews() -> None:
    move = wf.transition(Status.SUBMITTED, Action.PASS, Role.CITY_ADMIN, has_district=False)
    assert move.to is Status.DISTRICT_PASSED
    with pytest.raises(PermissionDenied):
        wf.transition(Status.SUBMITTED, Action.PASS, Role.DISTRICT_OFFICER, has_district=False)


@pytest.mark.parametrize(
    ("status", "role", "step", "resumes"),
    [
        (Status.SUBMITTED, Role.DISTRICT_OFFICER, Step.DISTRICT_REVIEW, Status.SUBMITTED),
        (Status.DISTRICT_PASSED, Role.CITY_ADMIN, Step.CITY_REVIEW, Status.DISTRICT_PASSED),
        (Status.PUBLICISED, Role.CITY_ADMIN, Step.NOTICE, Status.PUBLICISED),  # objection during 公示
    ],
)
def test_a_return_goes_back_to_the_returning_step_only(status: Status, role: Role, step: Step, resumes: Status) -> None:
    returned = wf.transition(status, Action.RETURN, role, has_district=True)
    assert returned == wf.Move(Status.RETURNED, step)
    again = wf.transition(Status.RETURNED, Action.RESUBMIT, Role.ENTERPRISE, has_district=True, returned_from=step)
    assert again == wf.Move(resumes, None)


def test_due_dates_count_working_days_on_the_state_council_calendar() -> None:
    # Tuesday 2024-11-26: five working days later is Tuesday 2024-12-03.
    assert wf.due_dates(Status.SUBMITTED, date(2024, 11, 26), CAL, SLA) == (date(2024, 12, 3), None)
    # Monday 2024-09-30: 1-7 October is the National Day holiday; 2024-10-12 (Sat) is a working day.
    assert wf.add_workdays(CAL, date(2024, 9, 30), 1) == date(2024, 10, 8)
    assert wf.due_dates(Status.DISTRICT_PASSED, date(2024, 9, 30), CAL, SLA)[0] == date(2024, 10, 18)
    # Publicised on Tuesday 2024-11-26: notice until 2024-12-03, approval due 5 working days later.
    assert wf.due_dates(Status.PUBLICISED, date(2024, 11, 26), CAL, SLA) == (date(2024, 12, 10), date(2024, 12, 3))
    assert wf.due_dates(Status.DISBURSED, date(2024, 11, 26), CAL, SLA) == (None, None)


def test_sla_data_is_the_platform_choice() -> None:
    assert dict(SLA) == {
        "district_review": 5,
        "city_review": 10,
        "notice": 5,
        "approval": 5,
        "disbursement": 15,
        "correction": 10,
    }
    assert wf.settings().cities["Hangzhou"] == "330100"
