"""Direct reports (统计直报) on real SQLite and PostgreSQL, with a real DuckDB fact table:
pre-filled figures equal the fact table to the fen, a re-submission changes nothing, a refused
submission stores and audits nothing, and everyone sees only their scope."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from cbec.bootstrap import Platform
from cbec.config import Settings
from cbec.identity.model import SYSTEM, Principal, Role
from cbec.identity.services import NewUser, create_user
from cbec.kernel.clock import FixedClock
from cbec.kernel.errors import Conflict, PermissionDenied, ValidationFailed
from cbec.kernel.ids import uscc_with_check
from cbec.registry.districts import load_districts
from cbec.registry.model import Enterprise, EnterpriseInput, EnterpriseRole
from cbec.registry.services import create_enterprise
from cbec.registry.warehouse_services import file_warehouse, withdraw_warehouse
from cbec.registry.warehouses import WarehouseInput
from cbec.stats import report_services as rs
from cbec.stats.facts import FactLine
from cbec.stats.refresh import open_lines
from cbec.stats.report_deadlines import Urgency
from cbec.stats.reporting import ReportStatus, Submission
from cbec.storage import migrate
from cbec.storage import tables as t
from cbec.storage.db import make_engine

GUANGZHOU, YUEXIU, TIANHE = "440100", "440104", "440106"
FORM = rs.DEFAULT_FORM
PERIOD = "2024-10"  # the fixed clock says 2024-11-26: October is the period due now
ENTERED = Submission({"platform_sales": "88000.10", "independent_site_sales": "0", "employees": "35"})


@pytest.fixture
def platform(db_url: str, fixed_clock: FixedClock, tmp_path: Path) -> Iterator[Platform]:
    """The real wiring with an analytics store of this test's own (PostgreSQL runs would share ./var)."""
    migrate.upgrade(db_url)
    settings = Settings(database_url=db_url, analytics_file=str(tmp_path / "facts.duckdb"))
    engine = make_engine(db_url)
    try:
        yield Platform(settings, engine, load_districts(), fixed_clock)
    finally:
        engine.dispose()


def _enterprise(platform: Platform, n: int, district: str) -> Enterprise:
    data = EnterpriseInput(
        uscc=uscc_with_check(f"91{GUANGZHOU}MA{n:07d}"),
        name=f"广州测试跨境电商有限公司{n}",
        city_code=GUANGZHOU,
        district_code=district,
        roles=frozenset({EnterpriseRole.EBC}),
        registered_on=date(2023, 5, 17),
    )
    with platform.uow() as uow:
        return create_enterprise(uow, SYSTEM, data, platform.districts)


def _user(
    platform: Platform,
    name: str,
    role: Role,
    enterprise_id: int | None = None,
    city_code: str | None = None,
    district_code: str | None = None,
) -> Principal:
    new = NewUser(name, name, role.value, "correct horse battery 9", enterprise_id, city_code, district_code)
    with platform.uow() as uow:
        user = create_user(uow, new, platform.districts)
    return user.principal()


def row_count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.metadata.tables[table])).scalar_one())


def _line(n: int, enterprise_id: int, direction: str, month: str | None, cny_fen: int | None) -> FactLine:
    released = month is not None
    day = date.fromisoformat(f"{month}-15") if month else None
    return FactLine(
        line_key=f"L{n}#1",
        list_key=f"L{n}",
        direction=direction,
        trade_mode="9610",
        statistics_flag="",
        city_code=GUANGZHOU,
        district_code=YUEXIU,
        enterprise_id=enterprise_id,
        hs_code="6109100021",
        hs_chapter="61",
        origin_country="142",
        destination_country="502",
        currency="142",
        value_fen=cny_fen or 0,
        cny_fen=cny_fen,
        returned_fen=0,
        declared_on=date(2024, 9, 1),
        released_on=day,
        month=month,
        year=day.year if day else None,
        status="800" if released else "120",
        released=released,
        first_line=True,  # one line per list
    )


class World:
    def __init__(self, platform: Platform) -> None:
        self.a = _enterprise(platform, 1, YUEXIU)
        self.b = _enterprise(platform, 2, YUEXIU)
        self.c = _enterprise(platform, 3, TIANHE)
        self.user_a = _user(platform, "ent_a", Role.ENTERPRISE, enterprise_id=self.a.id)
        self.user_b = _user(platform, "ent_b", Role.ENTERPRISE, enterprise_id=self.b.id)
        self.officer = _user(platform, "officer_yx", Role.DISTRICT_OFFICER, city_code=GUANGZHOU, district_code=YUEXIU)
        self.tianhe = _user(platform, "officer_th", Role.DISTRICT_OFFICER, city_code=GUANGZHOU, district_code=TIANHE)
        self.admin = _user(platform, "admin_gz", Role.CITY_ADMIN, city_code=GUANGZHOU)
        self.auditor = _user(platform, "auditor_gz", Role.AUDITOR, city_code=GUANGZHOU)
        a, b = self.a.id, self.b.id
        self.lines = [
            _line(1, a, "export", PERIOD, 12_345_678_901),  # 123,456,789.01 yuan
            _line(2, a, "export", PERIOD, 1),  # one fen
            _line(3, a, "export", PERIOD, None),  # no exchange rate: left out, noted
            _line(4, a, "import", PERIOD, 50_000),
            _line(5, a, "export", "2024-09", 777),  # another month
            _line(6, a, "export", None, 999),  # not released
            _line(7, b, "export", PERIOD, 333),  # another enterprise
        ]
        platform.analytics.replace([line.list_key for line in self.lines], [line.row() for line in self.lines])
        for name, area in (("一号仓", "12000.50"), ("二号仓", "800.25"), ("三号仓", "100")):
            data = WarehouseInput(name, "502", "Los Angeles", f"{name} 1 Harbor Ave", area, "own", "Op Inc.")
            with platform.uow() as uow:
                filed = file_warehouse(uow, SYSTEM, a, data)
        with platform.uow() as uow:
            withdraw_warehouse(uow, SYSTEM, filed.filing_no)  # a withdrawn filing counts for nothing


@pytest.fixture
def world(platform: Platform) -> World:
    return World(platform)


def _draft(platform: Platform, principal: Principal, enterprise_id: int, period: str = PERIOD) -> rs.StatReport:
    with open_lines(platform, fresh=False) as lines, platform.uow() as uow:
        return rs.draft_report(uow, principal, lines, enterprise_id, FORM, period)


def _submit(
    platform: Platform, principal: Principal, enterprise_id: int, submission: Submission = ENTERED
) -> rs.StatReport:
    with open_lines(platform, fresh=False) as lines, platform.uow() as uow:
        return rs.submit_report(uow, principal, lines, enterprise_id, FORM, PERIOD, submission)


def _fen_in_store(platform: Platform, sql: str) -> int:
    with platform.analytics.raw() as con:
        found = con.execute(sql).fetchone()
    assert found is not None
    return int(found[0])


def test_prefilled_figures_equal_the_fact_table_to_the_fen(platform: Platform, world: World) -> None:
    report = _draft(platform, world.user_a, world.a.id)
    assert report.status is ReportStatus.DRAFT
    assert report.version == 1
    expected_fen = _fen_in_store(
        platform,
        f"SELECT sum(cny_fen) FROM list_lines WHERE enterprise_id = {world.a.id} AND month = '{PERIOD}' "
        "AND released AND direction = 'export'",
    )
    assert expected_fen == 12_345_678_902
    export = report.figures["export_value"]
    assert export.value == Decimal("123456789.02")
    assert export.value * 100 == expected_fen
    assert export.source == "platform"
    assert export.metric == "trade_value[direction=export]"
    assert export.caliber is not None
    assert export.caliber.startswith("Sum of the CNY value of released list lines")
    assert export.note == "1 released lines left out: no exchange rate loaded for their currency"
    assert export.at == platform.clock.now()
    assert report.figures["import_value"].value == Decimal("500.00")
    assert report.figures["export_lists"].value == Decimal(3)
    assert report.figures["import_lists"].value == Decimal(1)
    assert report.figures["warehouse_area"].value == Decimal("12800.75")
    assert report.figures["warehouse_count"].value == Decimal(2)
    assert report.figures["employees"].value is None
    assert report.figures["employees"].source == "entered"
    with platform.uow(read_only=True) as uow:
        stored = uow.reports.get(world.a.id, FORM, PERIOD)
    assert stored == report


def test_drafting_again_changes_nothing_until_the_platform_data_does(
    platform: Platform, world: World, fixed_clock: FixedClock
) -> None:
    first = _draft(platform, world.user_a, world.a.id)
    audit_before = row_count(platform.engine, "audit_events")
    assert _draft(platform, world.user_a, world.a.id) == first
    fixed_clock.advance(timedelta(hours=1))
    late = _line(8, world.a.id, "export", PERIOD, 99)
    platform.analytics.replace([late.list_key], [late.row()])
    again = _draft(platform, world.user_a, world.a.id)
    assert again.version == 2
    assert again.figures["export_value"].value == Decimal("123456790.01")
    assert again.figures["warehouse_area"] == first.figures["warehouse_area"]  # unchanged: same time taken
    assert row_count(platform.engine, "audit_events") == audit_before  # drafts are the platform's own work


def test_submit_then_the_same_submission_again_changes_nothing(platform: Platform, world: World) -> None:
    _draft(platform, world.user_a, world.a.id)
    audit_before = row_count(platform.engine, "audit_events")
    submitted = _submit(platform, world.user_a, world.a.id)
    assert submitted.status is ReportStatus.SUBMITTED
    assert submitted.version == 2
    assert submitted.submitted_by == world.user_a.user_id
    assert submitted.figures["platform_sales"].value == Decimal("88000.10")
    assert submitted.figures["platform_sales"].by == world.user_a.actor
    assert row_count(platform.engine, "audit_events") == audit_before + 1
    again = _submit(platform, world.user_a, world.a.id)
    assert again == submitted
    assert row_count(platform.engine, "audit_events") == audit_before + 1
    with platform.uow(read_only=True) as uow:
        events = uow.audit.for_subject("stat_report", f"{world.a.id}:{FORM}:{PERIOD}")
    assert [e.action for e in events] == ["report.submit"]
    with pytest.raises(Conflict) as changed:
        _submit(platform, world.user_a, world.a.id, Submission(dict(ENTERED.values) | {"employees": "36"}))
    assert changed.value.code == "report.already_submitted"


def test_submit_without_a_draft_prefills_in_the_same_step(platform: Platform, world: World) -> None:
    submitted = _submit(platform, world.user_b, world.b.id)
    assert submitted.version == 1
    assert submitted.figures["export_value"].value == Decimal("3.33")
    assert submitted.figures["warehouse_area"].value == Decimal("0.00")


def test_a_refused_submission_stores_nothing_and_audits_nothing(platform: Platform, world: World) -> None:
    audit_before = row_count(platform.engine, "audit_events")
    bad = Submission(
        {"export_value": "1.00", "platform_sales": "1.001", "employees": "", "independent_site_sales": "0"}
    )
    with pytest.raises(ValidationFailed) as refused:
        _submit(platform, world.user_a, world.a.id, bad)
    assert [(e.path, e.code) for e in refused.value.errors] == [
        ("figures/export_value", "report.platform_figure"),
        ("figures/platform_sales", "report.too_many_places"),
        ("figures/employees", "report.required"),
    ]
    assert row_count(platform.engine, "stat_reports") == 0  # not even the draft it computed
    assert row_count(platform.engine, "audit_events") == audit_before
    draft = _draft(platform, world.user_a, world.a.id)
    with pytest.raises(ValidationFailed):
        _submit(platform, world.user_a, world.a.id, bad)
    with platform.uow(read_only=True) as uow:
        assert uow.reports.get(world.a.id, FORM, PERIOD) == draft
    assert row_count(platform.engine, "audit_events") == audit_before


def test_an_open_month_cannot_be_reported(platform: Platform, world: World) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _draft(platform, world.user_a, world.a.id, "2024-11")
    assert [(e.path, e.code) for e in refused.value.errors] == [("period", "report.period_open")]


def test_a_correction_request_travels_with_the_unchanged_platform_figure(platform: Platform, world: World) -> None:
    note = "10月有一票出口清单未计入"
    submitted = _submit(platform, world.user_a, world.a.id, Submission(ENTERED.values, {"export_lists": note}))
    assert submitted.figures["export_lists"].value == Decimal(3)
    assert submitted.figures["export_lists"].correction == note


def test_scope(platform: Platform, world: World) -> None:
    _submit(platform, world.user_a, world.a.id)
    _draft(platform, world.user_b, world.b.id)
    _draft(platform, SYSTEM, world.c.id)
    with pytest.raises(PermissionDenied):
        _draft(platform, world.user_b, world.a.id)  # another enterprise's report
    with pytest.raises(PermissionDenied):
        _draft(platform, world.tianhe, world.a.id)  # another district's enterprise
    with pytest.raises(PermissionDenied):
        _draft(platform, world.auditor, world.a.id)  # read-only
    with platform.uow(read_only=True) as uow:
        with pytest.raises(PermissionDenied):
            rs.get_report(uow, world.user_b, world.a.id, FORM, PERIOD)
        assert [r.enterprise_id for r in rs.reports_for(uow, world.user_b, PERIOD)] == [world.b.id]
        assert [r.enterprise_id for r in rs.reports_for(uow, world.officer, PERIOD)] == [world.a.id, world.b.id]
        assert [r.enterprise_id for r in rs.reports_for(uow, world.tianhe, PERIOD)] == [world.c.id]
        assert len(rs.reports_for(uow, world.auditor, PERIOD)) == 3


def test_reminders_for_officers_and_admins(platform: Platform, world: World) -> None:
    _submit(platform, world.user_a, world.a.id)
    _draft(platform, world.user_b, world.b.id)
    today = date(2024, 11, 26)  # due 2024-11-14 (10th working day of November): overdue
    with platform.uow(read_only=True) as uow:
        officer = rs.reminders(uow, world.officer, PERIOD, today, calendar=platform.calendar)
        admin = rs.reminders(uow, world.admin, PERIOD, today, calendar=platform.calendar)
        early = rs.reminders(uow, world.admin, PERIOD, date(2024, 11, 12), calendar=platform.calendar)
        with pytest.raises(PermissionDenied):
            rs.reminders(uow, world.user_a, PERIOD, today, calendar=platform.calendar)
    assert [(r.enterprise_id, r.status, r.urgency) for r in officer] == [(world.b.id, "draft", Urgency.OVERDUE)]
    assert officer[0].due == date(2024, 11, 14)
    assert [(r.enterprise_id, r.status) for r in admin] == [(world.b.id, "draft"), (world.c.id, "missing")]
    assert {(r.urgency, r.working_days_left) for r in early} == {(Urgency.DUE_SOON, 3)}


def test_a_returned_report_is_submitted_again(platform: Platform, world: World) -> None:
    _submit(platform, world.user_a, world.a.id)
    with platform.uow() as uow, pytest.raises(PermissionDenied):
        rs.return_report(uow, world.user_a, world.a.id, FORM, PERIOD, "自己退回")
    with platform.uow() as uow:
        returned = rs.return_report(uow, world.officer, world.a.id, FORM, PERIOD, "从业人员数与社保人数不符")
    assert returned.status is ReportStatus.RETURNED
    again = _submit(platform, world.user_a, world.a.id, Submission(dict(ENTERED.values) | {"employees": "40"}))
    assert again.status is ReportStatus.SUBMITTED
    assert again.version == returned.version + 1
    assert again.figures["employees"].value == Decimal(40)
    with platform.uow(read_only=True) as uow:
        events = uow.audit.for_subject("stat_report", f"{world.a.id}:{FORM}:{PERIOD}")
    assert sorted(e.action for e in events) == ["report.return", "report.submit", "report.submit"]
