"""Export pages in a real browser: the city administrator files a month's summary (汇总申报)
and follows a shipment whose goods never arrived."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
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

MONTH = "2024-08"  # due the 15th of September 2024, a Sunday of the Mid-Autumn break: moved to the 18th
SHIPPER = "3301E00003"


@dataclass(frozen=True)
class Seeded:
    released: list[str]  # cop numbers of the B lists released in MONTH
    stuck: str  # the cop number of a list whose goods never arrived


@pytest.fixture(scope="module")
def seeded(server) -> Iterator[Seeded]:  # type: ignore[no-untyped-def]
    """The export parties (unless a test stored them already) and, for a fresh number, two B
    lists of 杭州丙工厂 released in MONTH plus one that customs cleared but never saw arrive."""
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
        plan = [
            Shipment(f"{tag}1", date(2024, 8, 5), ebc=SHIPPER, owner=SHIPPER),
            Shipment(
                f"{tag}2",
                date(2024, 8, 5),
                ebc=SHIPPER,
                owner=SHIPPER,
                items=[Item("4202920000", "手机壳", "10", "3.50", unit="011")],
            ),
            Shipment(f"{tag}3", date(2024, 8, 5), ebc=SHIPPER, owner=SHIPPER),
        ]
        for shipment in plan:
            for message in (shipment.order(), shipment.waybill(), shipment.inventory()):
                ingest(message)
        ingest(arrival(plan[:2], date(2024, 8, 6), f"AR{tag}"))
        yield Seeded([s.cop_no for s in plan[:2]], plan[2].cop_no)
    finally:
        engine.dispose()


def test_admin_files_the_monthly_summary(page: Page, sign_in, admin_api, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    before = admin_api.get("/api/v1/export/summary", params={"month": MONTH}).json()
    assert before["deadline"] == {"nominal": "2024-09-15", "due": "2024-09-18"}
    pending = before["pending_b_lists"]
    (mine,) = [e for e in before["enterprises"] if e["ebc_code"] == SHIPPER]
    assert mine["pending_b_lists"] >= 2

    sign_in(page, "demo.admin")
    page.goto("/export/summary")  # no main-navigation link yet: test_roles pins that list
    expect(page.locator("main h1")).to_have_text("出口汇总申报")
    page.locator("input[name=month]").fill(MONTH)
    with page.expect_navigation():
        page.locator("main form.filters button[type=submit]").click()
    deadline = page.locator("[data-testid=deadline]")
    expect(deadline).to_contain_text("汇总申报截止日: 2024-09-18")
    expect(deadline).to_contain_text("次月15日 2024-09-15 为休息日，顺延")
    expect(page.locator("[data-testid=overdue]")).to_have_text(
        f"已逾期：尚有 {pending} 票B类清单未汇总，截止日 2024-09-18 已过。"
    )
    expect(page.locator("[data-testid=pending-count]")).to_have_text(f"待汇总B类清单共 {pending} 票")
    row = page.locator(f"[data-testid=summary-table] tr[data-ebc='{SHIPPER}']")
    expect(row.locator("[data-col=pending]")).to_have_text(str(mine["pending_b_lists"]))
    expect(row.locator("[data-col=drafts]")).to_have_text(str(len(mine["draft"]["declarations"])))

    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="生成汇总申请").click()
    response = navigation.value
    assert response is not None
    assert response.status == 200
    expect(page.locator("[data-testid=application]").first).to_contain_text("已受理")
    expect(page.locator("[data-testid=pending-count]")).to_have_text("待汇总B类清单共 0 票")
    expect(page.locator("[data-testid=overdue]")).to_have_count(0)
    expect(row.locator("[data-testid=summary-state]").last).to_have_text("已申报")
    expect(page.locator("[data-testid=apply-form]")).to_have_count(0)

    page.locator("[data-testid=lang-switch]").click()
    page.goto(f"/export/summary?month={MONTH}")
    expect(row.locator("[data-testid=summary-state]").last).to_have_text("declared")
    after = admin_api.get("/api/v1/export/summary", params={"month": MONTH}).json()
    assert after["pending_b_lists"] == 0


def test_the_auditor_sees_no_apply_button(page: Page, sign_in, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "demo.auditor")
    page.goto(f"/export/summary?month={MONTH}")
    expect(page.locator("[data-testid=deadline]")).to_contain_text("2024-09-18")
    expect(page.locator("[data-testid=apply-form]")).to_have_count(0)


def test_shipments_name_the_missing_steps(page: Page, sign_in, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "demo.admin")
    page.goto("/export/summary")
    page.locator('main a[href="/export/shipments"]').click()
    expect(page.locator("main h1")).to_have_text("出口货物跟踪")
    page.locator("input[name=q]").fill(seeded.stuck)
    with page.expect_navigation():
        page.locator("main form.filters button[type=submit]").click()
    expect(page.locator("[data-testid=result-count]")).to_have_text("共 1 份")
    row = page.locator(f"[data-testid=shipment-table] tr[data-cop='{seeded.stuck}']")
    expect(row.locator("[data-step=arrival]")).to_have_text("✗运抵")
    expect(row.locator("[data-step=order]")).to_have_text("✓订单")
    expect(row.locator("[data-testid=missing]")).to_have_text("缺少: 运抵、放行、离境、收款、汇总")

    row.locator("a").first.click()
    expect(page.locator("main h1")).to_contain_text(seeded.stuck)
    expect(page.locator("[data-testid=step-table] tr[data-step=arrival]")).to_have_attribute("data-done", "no")
    expect(page.locator("[data-testid=step-table] tr[data-step=clearance]")).to_have_attribute("data-done", "yes")
    expect(page.locator("[data-testid=entry-id]")).to_have_text("—")
