"""The audit hash chain on real databases: it verifies, and edits or deletions are caught."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import text

from cbec.audit.model import ChainReport
from cbec.audit.services import record, verify
from cbec.bootstrap import Platform
from cbec.identity.model import SYSTEM, Principal, Role
from cbec.kernel.errors import ValidationFailed
from cbec.kernel.ids import uscc_with_check
from cbec.registry.model import EnterpriseInput, EnterpriseRole
from cbec.registry.services import create_enterprise, update_enterprise

CountRows = Callable[[str], int]
ADMIN = Principal(1, "admin", Role.CITY_ADMIN, city_code="330100")


def enterprise_input(n: int, name: str | None = None) -> EnterpriseInput:
    return EnterpriseInput(
        uscc=uscc_with_check(f"91330100MA{n:07d}"),
        name=name or f"审计测试有限公司{n}",
        city_code="330100",
        district_code="330108",
        roles=frozenset({EnterpriseRole.EBC}),
        registered_on=date(2021, 9, 1),
    )


def make_changes(platform: Platform) -> None:
    """Five events: three creations and two updates."""
    with platform.uow() as uow:
        first = create_enterprise(uow, ADMIN, enterprise_input(1), platform.districts)
    for n in (2, 3):
        with platform.uow() as uow:
            create_enterprise(uow, ADMIN, enterprise_input(n), platform.districts)
    for name in ("改名一次有限公司", "改名两次有限公司"):
        with platform.uow() as uow:
            update_enterprise(uow, ADMIN, first.id, enterprise_input(1, name), platform.districts)


def check(platform: Platform) -> ChainReport:
    with platform.uow(read_only=True) as uow:
        return verify(uow.audit)


def sql(platform: Platform, statement: str) -> None:
    with platform.engine.begin() as conn:
        conn.execute(text(statement))


def test_an_empty_trail_verifies(platform: Platform) -> None:
    assert check(platform).as_dict() == {"ok": True, "checked": 0, "first_bad_seq": None, "problem": None}


def test_changes_verify_with_the_exact_event_count(platform: Platform, count_rows: CountRows) -> None:
    make_changes(platform)
    assert check(platform).as_dict() == {"ok": True, "checked": 5, "first_bad_seq": None, "problem": None}
    assert count_rows("audit_events") == 5
    with platform.uow(read_only=True) as uow:
        events = list(uow.audit.events())
        assert uow.audit.head() == (5, events[-1].hash)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert [e.action for e in events] == ["enterprise.create"] * 3 + ["enterprise.update"] * 2
    assert all(e.prev_hash == p.hash for p, e in itertools.pairwise(events))
    assert {e.occurred_at for e in events} == {"2024-11-26T02:00:00.000000+00:00"}


def test_editing_a_stored_event_is_detected_at_its_seq(platform: Platform) -> None:
    make_changes(platform)
    sql(platform, "UPDATE audit_events SET actor = 'user:99:mallory' WHERE seq = 3")
    report = check(platform)
    assert (report.ok, report.checked, report.first_bad_seq) == (False, 2, 3)
    assert report.problem == "event 3 was altered: its content does not match its hash"


def test_editing_the_after_state_is_detected(platform: Platform) -> None:
    make_changes(platform)
    sql(platform, """UPDATE audit_events SET "after" = replace("after", '改名两次', '改名三次') WHERE seq = 5""")
    report = check(platform)
    assert (report.ok, report.checked, report.first_bad_seq) == (False, 4, 5)


def test_deleting_a_middle_event_names_the_missing_seq(platform: Platform) -> None:
    make_changes(platform)
    sql(platform, "DELETE FROM audit_events WHERE seq = 2")
    report = check(platform)
    assert (report.ok, report.checked, report.first_bad_seq) == (False, 1, 2)
    assert report.problem == "event 2 is missing (next stored event is 3)"


def test_deleting_the_newest_event_is_detected_by_the_head(platform: Platform) -> None:
    make_changes(platform)
    sql(platform, "DELETE FROM audit_events WHERE seq = 5")
    report = check(platform)
    assert (report.ok, report.checked, report.first_bad_seq) == (False, 4, 5)
    assert report.problem == ("the chain head records event 5 but the last stored event is 4: events were removed")


def test_a_failed_service_call_adds_no_event(platform: Platform, count_rows: CountRows) -> None:
    make_changes(platform)
    with platform.uow() as uow, pytest.raises(ValidationFailed):
        create_enterprise(uow, ADMIN, replace(enterprise_input(9), uscc="91330100MA000000I9"), platform.districts)
    assert (count_rows("audit_events"), count_rows("enterprises")) == (5, 3)
    assert check(platform).as_dict() == {"ok": True, "checked": 5, "first_bad_seq": None, "problem": None}


def test_an_event_recorded_without_commit_is_rolled_back(platform: Platform, count_rows: CountRows) -> None:
    with platform.uow() as uow:
        record(uow, SYSTEM, "test.note", "test", 1)
    assert count_rows("audit_events") == 0
    with platform.uow(read_only=True) as uow:
        assert uow.audit.head() == (0, "0" * 64)  # the head row from the migration, untouched


ON_POSTGRESQL = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def run_writers(platform: Platform, names: tuple[str, ...], per_thread: int) -> list[BaseException]:
    """Each thread appends ``per_thread`` events, one unit of work each; returns what failed."""
    start = threading.Barrier(len(names))
    failures: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            start.wait(timeout=30)
            for n in range(per_thread):
                with platform.uow() as uow:
                    record(uow, SYSTEM, "test.concurrent", name, n)
                    uow.commit()
        except BaseException as exc:  # handed to the main thread
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return failures


@ON_POSTGRESQL
def test_concurrent_writers_keep_one_chain(platform: Platform, count_rows: CountRows) -> None:
    # One event first, so the writers race on a non-empty trail (the empty case has its own test).
    with platform.uow() as uow:
        record(uow, SYSTEM, "test.start", "test", 0)
        uow.commit()
    assert run_writers(platform, ("a", "b"), 50) == []
    assert count_rows("audit_events") == 101
    assert check(platform).as_dict() == {"ok": True, "checked": 101, "first_bad_seq": None, "problem": None}
    with platform.uow(read_only=True) as uow:
        events = list(uow.audit.events())
    assert [e.seq for e in events] == list(range(1, 102))
    for name in ("a", "b"):
        assert sorted(int(e.subject_id) for e in events if e.subject_type == name) == list(range(50))


def _wait_for_lock_waiter(platform: Platform, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with platform.engine.connect() as conn:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        if waiting:
            return
        time.sleep(0.02)
    raise AssertionError("the second writer never waited for the first")


@ON_POSTGRESQL
def test_two_first_writers_on_an_empty_trail_both_succeed(platform: Platform, count_rows: CountRows) -> None:
    failures: list[BaseException] = []

    def second() -> None:
        try:
            with platform.uow() as uow:
                record(uow, SYSTEM, "test.second", "test", 2)
                uow.commit()
        except BaseException as exc:  # handed to the main thread
            failures.append(exc)

    with platform.uow() as first:
        record(first, SYSTEM, "test.first", "test", 1)
        thread = threading.Thread(target=second)
        thread.start()
        _wait_for_lock_waiter(platform)
        first.commit()
    thread.join(timeout=30)
    assert [type(f).__name__ for f in failures] == []
    assert count_rows("audit_events") == 2
    assert check(platform).ok


def test_events_carry_the_subject_city_and_city_views_see_only_theirs(platform: Platform) -> None:
    make_changes(platform)  # five events about 杭州 enterprises
    with platform.uow() as uow:
        record(uow, SYSTEM, "test.guangzhou", "test", 1, city_code="440100")
        uow.commit()
    with platform.uow(read_only=True) as uow:
        hangzhou = uow.audit.recent(50, "330100")
        guangzhou = uow.audit.recent(50, "440100")
        everything = uow.audit.recent(50)
    assert [e.seq for e in hangzhou] == [5, 4, 3, 2, 1]
    assert [(e.seq, e.action) for e in guangzhou] == [(6, "test.guangzhou")]
    assert len(everything) == 6


def test_moving_an_event_to_another_city_breaks_the_chain(platform: Platform) -> None:
    make_changes(platform)
    sql(platform, "UPDATE audit_events SET city_code = '440100' WHERE seq = 2")
    report = check(platform)
    assert (report.ok, report.first_bad_seq) == (False, 2)
