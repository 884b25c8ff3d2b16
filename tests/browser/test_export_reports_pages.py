"""The 无票免税 register, the receipts-of-payment reconciliation and export returns (退运) in a real
browser: an administrator reads an exporter's register and downloads its monthly file, sees the
exporter flagged for a list nobody paid for, and records a return of that list."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from cbec.bootstrap import Platform
from cbec.config import Settings
from cbec.exchange.customs import SimulatedCustoms, SimulationRates
from cbec.exchange.intake import IntakeContext, ingest_message
from cbec.exchange.model import Message
from cbec.exchange.xmlcodec import to_xml
from cbec.identity.model import SYSTEM
from cbec.registry.districts import load_districts
from cbec.registry.services import create_enterprise
from cbec.storage.db import make_engine
from cbec.testing.exports import Item, Shipment, arrival, party_inputs

MONTH = "2024-06"
SHIPPER = "3301E00002"  # 杭州乙跨境电商有限公司
USCC = next(p.uscc for p in party_inputs() if p.customs_code == SHIPPER)


@dataclass(frozen=True)
class Seeded:
    cop_no: str
    invt_no: str


@pytest.fixture(scope="module")
def seeded(server, admin_api) -> Iterator[Seeded]:  # type: ignore[no-untyped-def]
    """The export parties (unless stored already) and, for a fresh number, one list of 杭州乙
    exported on 2024-06-05 and released the next day: never paid for, never departed."""
    settings = Settings(
        database_url=f"sqlite:///{server.db_path}", data_dir=server.workdir, secret_key=server.env["CBEC_SECRET_KEY"]
    )
    engine = make_engine(settings.database_url)
    platform = Platform(settings, engine, load_districts())
    try:
        with platform.uow() as uow:
            known = uow.enterprises.by_customs_codes({p.customs_code or "" for p in party_inputs()})
            for data in party_inputs():
                if data.customs_code not in known:
                    create_enterprise(uow, SYSTEM, data, platform.districts)
        ctx = IntakeContext(platform.protector, SimulatedCustoms(SimulationRates(0, 0)))

        def ingest(message: Message) -> None:
            with platform.uow() as uow:
                result = ingest_message(uow, SYSTEM, to_xml(message), ctx)
            assert result.accepted, result.as_dict()

        tag = uuid.uuid4().hex[:8].upper()
        items = [Item("8517130000", "智能手机", "2", "150.00"), Item("4202920000", "手机壳", "10", "3.50", unit="011")]
        shipment = Shipment(f"R{tag}", date(2024, 6, 5), ebc=SHIPPER, owner=SHIPPER, items=items)
        for message in (shipment.order(), shipment.waybill(), shipment.inventory()):
            ingest(message)
        ingest(arrival([shipment], date(2024, 6, 6), f"AR{tag}"))
        found = admin_api.get("/api/v1/export/shipments", params={"q": shipment.cop_no}).json()
        (row,) = found["items"]
        assert row["invt_no"]
        yield Seeded(shipment.cop_no, row["invt_no"])
    finally:
        engine.dispose()


def test_the_register_shows_the_rows_and_downloads_the_month(page: Page, sign_in, admin_api, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "demo.admin")
    page.goto("/export/summary")
    page.locator('main a[href="/export/register"]').first.click()
    expect(page.locator("main h1")).to_have_text("无票免税出口登记")
    expect(page.locator("[data-testid=pick]")).to_be_visible()
    page.locator("input[name=enterprise]").fill(USCC)
    page.locator("input[name=month]").fill(MONTH)
    with page.expect_navigation():
        page.locator("[data-testid=register-filters] button[type=submit]").click()
    expect(page.locator("[data-testid=register-enterprise]")).to_contain_text("杭州乙跨境电商有限公司")
    table = page.locator("[data-testid=register-table]")
    for header in ("出口日期", "清单编号", "货物名称", "计量单位", "数量", "单价", "金额", "币制"):
        expect(table.locator("thead")).to_contain_text(header)
    mine = table.locator(f"tr[data-invt='{seeded.invt_no}']")
    expect(mine).to_have_count(2)
    expect(mine.nth(0).locator("[data-col=amount]")).to_have_text("300.00")
    expect(mine.nth(1).locator("[data-col=amount]")).to_have_text("35.00")

    expected = admin_api.get("/api/v1/export/register", params={"enterprise_id": _id(admin_api), "month": MONTH}).json()
    expect(page.locator("[data-testid=register-total][data-currency='142'] .money")).to_have_text(
        expected["totals"]["142"]
    )
    expect(page.locator("[data-testid=eligibility-reason]").first).to_be_visible()
    expect(page.locator("[data-testid=unconfirmed]")).to_contain_text("财税〔2018〕103号")
    # The deemed income defaults to the month shown; CNY lists give a known figure.
    expect(page.locator("[data-testid=income-revenue]")).to_have_text(expected["totals"]["142"])

    with page.expect_download() as downloading:
        page.locator("[data-testid=download-xlsx]").click()
    download = downloading.value
    assert download.suggested_filename == f"103-register-{USCC}-{MONTH}.xlsx"
    path = download.path()
    assert path is not None
    sheet = load_workbook(io.BytesIO(path.read_bytes())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[1][:8]) == ["出口日期", "清单编号", "货物名称", "计量单位", "数量", "单价", "金额", "币制"]
    assert [r[2] for r in rows if r[1] == seeded.invt_no] == ["智能手机", "手机壳"]


def _id(admin_api) -> int:  # type: ignore[no-untyped-def]
    found = admin_api.get("/api/v1/enterprises", params={"q": USCC}).json()
    (enterprise,) = [e for e in found["items"] if e["uscc"] == USCC]
    value: int = enterprise["id"]
    return value


def test_the_reconciliation_flags_the_unpaid_exporter(page: Page, sign_in, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "demo.admin")
    page.goto("/export/reconciliation")
    expect(page.locator("main h1")).to_have_text("收款核对")
    page.locator("input[name=from]").fill(MONTH)
    page.locator("input[name=to]").fill(MONTH)
    with page.expect_navigation():
        page.locator("main form.filters button[type=submit]").click()
    expect(page.locator("[data-testid=flagged]")).to_contain_text(SHIPPER)
    row = page.locator(f"[data-testid=recon-row][data-ebc='{SHIPPER}'][data-month='{MONTH}']")
    expect(row).to_have_attribute("data-flagged", "yes")
    expect(row.locator("[data-testid=flags]")).to_contain_text("未收款清单货值占比")
    gaps = row.locator("xpath=following-sibling::tr[1]").locator("[data-testid=gaps]")
    expect(gaps.locator("ul").first).not_to_be_visible()
    gaps.locator("summary").click()
    expect(gaps).to_contain_text(seeded.invt_no)


def test_recording_a_return_shows_the_verdict(page: Page, sign_in, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "demo.admin")
    page.goto("/export/returns")
    expect(page.locator("main h1")).to_have_text("出口退运")
    number = f"RT-{seeded.cop_no}"
    form = page.locator("[data-testid=return-form]")
    form.locator("input[name=return_no]").fill(number)
    form.locator("input[name=invt_no]").fill(seeded.invt_no)
    form.locator("input[name=returned_on]").fill("2024-07-01")
    form.locator("select[name=reason]").select_option("refused")
    form.locator("input[name=gnums]").fill("1, 2")
    with page.expect_navigation() as navigation:
        form.locator("button[type=submit]").click()
    response = navigation.value
    assert response is not None
    assert response.status == 200
    recorded = page.locator("[data-testid=recorded]")
    expect(recorded.locator("h2")).to_have_text(f"已登记退运 {number}")
    expect(recorded.locator("[data-testid=eligible]")).to_have_text("符合")
    expect(recorded.locator("[data-testid=verdict]")).to_contain_text("2024-12-05")  # six months from export
    expect(recorded.locator("[data-testid=verdict-reason][data-rule='2023-4.reason']")).to_contain_text(
        "退运原因：退货"
    )
    expect(recorded.locator("[data-testid=repeat]")).to_have_count(0)
    expect(page.locator(f"[data-testid=return-row][data-return='{number}']")).to_contain_text("335.00")

    form.locator("input[name=return_no]").fill(number)
    form.locator("input[name=invt_no]").fill(seeded.invt_no)
    form.locator("input[name=returned_on]").fill("2024-07-01")
    form.locator("input[name=gnums]").fill("1")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=repeat]")).to_be_visible()
    expect(page.locator(f"[data-testid=return-row][data-return='{number}']")).to_have_count(1)

    form.locator("input[name=return_no]").fill(f"{number}-BAD")
    form.locator("input[name=invt_no]").fill(seeded.invt_no)
    form.locator("input[name=returned_on]").fill("2024-07-01")
    form.locator("input[name=gnums]").fill("one")
    with page.expect_navigation() as navigation:
        form.locator("button[type=submit]").click()
    response = navigation.value
    assert response is not None
    assert response.status == 422
    expect(page.locator("[data-testid=form-errors]")).to_contain_text("gnums")
