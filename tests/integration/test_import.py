"""Bulk import on real databases: all or nothing, or valid rows only, with per-row errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from cbec.audit.services import verify
from cbec.bootstrap import Platform
from cbec.identity.model import SYSTEM, Principal, Role
from cbec.kernel.clock import business_date
from cbec.kernel.ids import uscc_with_check
from cbec.registry.model import EnterpriseInput, EnterpriseRole
from cbec.registry.services import ImportRefused, create_enterprise, import_enterprises
from cbec.registry.spreadsheet import ParsedSheet, RowError, build_workbook, parse_workbook

CountRows = Callable[[str], int]
HANGZHOU, BINJIANG, XIHU = "330100", "330108", "330106"
USCC_HEADER, DISTRICT_HEADER = "统一社会信用代码", "区县/镇街/功能区"


def parse(platform: Platform, content: bytes) -> ParsedSheet:
    return parse_workbook(content, platform.districts, today=business_date(platform.clock))


def small_row(n: int, district: str = BINJIANG) -> EnterpriseInput:
    return EnterpriseInput(
        uscc=uscc_with_check(f"91{HANGZHOU}MA{n:07d}"),
        name=f"导入测试有限公司{n}",
        city_code=HANGZHOU,
        district_code=district,
        roles=frozenset({EnterpriseRole.LOGISTICS}),
        registered_on=date(2022, 1, 4),
    )


def errors_of(report_errors: list[RowError]) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.code) for e in report_errors]


def test_the_generated_file_has_1000_rows_and_exactly_three_bad_ones(platform: Platform, bad_workbook: Any) -> None:
    sheet = parse(platform, bad_workbook.content)
    assert sheet.total_rows == 1000
    assert len(sheet.valid) == 997
    assert errors_of(sheet.errors) == bad_workbook.expected_errors


def test_bad_rows_refuse_the_whole_file_and_store_nothing(
    platform: Platform, count_rows: CountRows, bad_workbook: Any
) -> None:
    sheet = parse(platform, bad_workbook.content)
    with platform.uow() as uow, pytest.raises(ImportRefused) as caught:
        import_enterprises(uow, SYSTEM, sheet, valid_rows_only=False, source="bad.xlsx")
    refused = caught.value
    assert refused.code == "import.refused"
    assert refused.message == "3 of 1000 rows are invalid; nothing was imported"
    assert errors_of(refused.report.errors) == bad_workbook.expected_errors
    assert [(e.path, e.code) for e in refused.errors] == [
        ("row 11/统一社会信用代码", "uscc.invalid"),
        ("row 501/统一社会信用代码", "uscc.duplicate_in_file"),
        ("row 999/区县/镇街/功能区", "district.unknown"),
    ]
    report = refused.report.as_dict()
    assert (report["total_rows"], report["imported"], report["rejected_rows"]) == (1000, 0, [11, 501, 999])
    assert "row 4" in refused.report.errors[1].message
    assert (count_rows("enterprises"), count_rows("audit_events")) == (0, 0)


def test_valid_rows_only_stores_the_997_good_rows(platform: Platform, count_rows: CountRows, bad_workbook: Any) -> None:
    sheet = parse(platform, bad_workbook.content)
    with platform.uow() as uow:
        report = import_enterprises(uow, SYSTEM, sheet, valid_rows_only=True, source="bad.xlsx")
    assert (report.total_rows, report.imported) == (1000, 997)
    assert errors_of(report.errors) == bad_workbook.expected_errors
    assert count_rows("enterprises") == 997
    assert count_rows("audit_events") == 998  # one per enterprise and one for the import
    with platform.uow(read_only=True) as uow:
        chain = verify(uow.audit)
        last = uow.audit.for_subject("import", "bad.xlsx")
        stored = uow.enterprises.existing_usccs(r.uscc for r in bad_workbook.rows)
        fourth = uow.enterprises.get_by_uscc(bad_workbook.rows[2].uscc)
    assert (chain.ok, chain.checked) == (True, 998)
    assert [(e.seq, e.action) for e in last] == [(998, "enterprise.import")]
    assert json.loads(str(last[0].after)) == {"total_rows": 1000, "imported": 997, "rejected_rows": [11, 501, 999]}
    good = [r for i, r in enumerate(bad_workbook.rows) if i not in (9, 499, 997)]
    assert stored == {r.uscc for r in good}
    assert fourth is not None
    assert fourth.name == bad_workbook.rows[2].name  # row 4 kept, not row 501


def test_a_uscc_already_registered_is_reported_per_row(platform: Platform, count_rows: CountRows) -> None:
    with platform.uow() as uow:
        create_enterprise(uow, SYSTEM, small_row(2), platform.districts)
    sheet = parse(platform, build_workbook([small_row(1), small_row(2), small_row(3)], platform.districts))
    assert sheet.errors == []
    with platform.uow() as uow, pytest.raises(ImportRefused) as caught:
        import_enterprises(uow, SYSTEM, sheet, valid_rows_only=False, source="again.xlsx")
    assert errors_of(caught.value.report.errors) == [(3, USCC_HEADER, "uscc.exists")]
    assert (count_rows("enterprises"), count_rows("audit_events")) == (1, 1)

    with platform.uow() as uow:
        report = import_enterprises(uow, SYSTEM, sheet, valid_rows_only=True, source="again.xlsx")
    assert (report.imported, errors_of(report.errors)) == (2, [(3, USCC_HEADER, "uscc.exists")])
    assert (count_rows("enterprises"), count_rows("audit_events")) == (3, 4)


def test_a_district_officer_may_not_import_another_district(platform: Platform, count_rows: CountRows) -> None:
    officer = Principal(7, "officer", Role.DISTRICT_OFFICER, city_code=HANGZHOU, district_code=BINJIANG)
    rows = [small_row(1), small_row(2, district=XIHU), small_row(3)]
    sheet = parse(platform, build_workbook(rows, platform.districts))
    with platform.uow() as uow, pytest.raises(ImportRefused) as caught:
        import_enterprises(uow, officer, sheet, valid_rows_only=False, source="officer.xlsx")
    assert errors_of(caught.value.report.errors) == [(3, DISTRICT_HEADER, "district.out_of_scope")]
    assert (count_rows("enterprises"), count_rows("audit_events")) == (0, 0)

    with platform.uow() as uow:
        report = import_enterprises(uow, officer, sheet, valid_rows_only=True, source="officer.xlsx")
    assert report.imported == 2
    with platform.uow(read_only=True) as uow:
        assert uow.enterprises.existing_usccs(r.uscc for r in rows) == {rows[0].uscc, rows[2].uscc}
        assert [e.actor for e in uow.audit.events()] == ["user:7:officer"] * 3


def test_a_file_without_errors_imports_everything(platform: Platform, count_rows: CountRows) -> None:
    sheet = parse(platform, build_workbook([small_row(n) for n in range(1, 6)], platform.districts))
    with platform.uow() as uow:
        report = import_enterprises(uow, SYSTEM, sheet, valid_rows_only=False, source="clean.xlsx")
    assert (report.total_rows, report.imported, report.errors) == (5, 5, [])
    assert (count_rows("enterprises"), count_rows("audit_events")) == (5, 6)
