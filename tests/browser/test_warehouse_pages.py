"""Overseas-warehouse pages (海外仓备案) in a real Chromium: the demo enterprise user files a
warehouse through the form (first refused, then accepted), and the public directory — signed
out — finds it by its filters, in Chinese and in English, without the private contact."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from playwright.sync_api import Browser, Page, expect

FORM = "main form.card"
FORM_ERRORS = "[data-testid=form-errors]"
NAME = "浏览器测试美西公共海外仓"
CONTACT = "李经理 +1 555 0199"
HISTORY_ROWS = "main section.card:has(h2:text-is('变更记录')) tbody tr"


def _fact(page: Page, label: str) -> str:
    return (
        page.locator(f"xpath=//dl[contains(@class,'facts')]/dt[normalize-space()='{label}']/following-sibling::dd[1]")
        .inner_text()
        .strip()
    )


def _submit(page: Page) -> int:
    with page.expect_navigation() as navigation:
        page.locator(f"{FORM} button[type=submit]").click()
    response = navigation.value
    assert response is not None
    return response.status


def _fill(page: Page, area: str) -> None:
    page.locator("input[name=name]").fill(NAME)
    page.locator("input[name=country]").fill("502")
    page.locator("input[name=overseas_city]").fill("Long Beach")
    page.locator("input[name=address]").fill("4100 Browser Test Way, Long Beach, CA 90810")
    page.locator("input[name=area]").fill(area)
    page.locator("input[name=available_area]").fill("3500")
    page.locator("select[name=mode]").select_option("public")
    page.locator("input[name=operator]").fill("Harbor Test Logistics Inc.")
    page.locator("input[name=services]").fill("一件代发、退货换标")
    page.locator("input[name=contact]").fill(CONTACT)


def test_an_enterprise_files_a_warehouse_and_the_public_directory_shows_it(
    page: Page, browser: Browser, sign_in, server
) -> None:
    assert server.count("SELECT count(*) FROM overseas_warehouses WHERE name = ?", NAME) == 0
    sign_in(page, "demo.enterprise")
    nav = page.locator('nav[aria-label=main] a[href="/warehouses"]')
    expect(nav).to_have_text("海外仓")
    nav.click()
    expect(page.locator("main h1")).to_have_text("海外仓公共服务目录")
    page.locator("[data-testid=file-warehouse]").click()
    expect(page.locator("main h1")).to_have_text("海外仓备案")
    expect(page.locator(f"{FORM} input[name=enterprise_uscc]")).to_have_count(0)  # files for its own enterprise

    _fill(page, area="3000")  # less than the 3500 m² offered
    stored = server.count("SELECT count(*) FROM overseas_warehouses")
    events = server.count("SELECT count(*) FROM audit_events")
    assert _submit(page) == 422
    errors = page.locator(FORM_ERRORS)
    expect(errors.locator("li")).to_have_count(1)
    expect(errors).to_contain_text("available_area")
    expect(errors).to_contain_text("可用面积不能大于总面积")
    expect(errors).to_contain_text("warehouse.available_exceeds_area")
    expect(page.locator("input[name=name]")).to_have_value(NAME)  # what was typed is kept
    expect(page.locator("input[name=contact]")).to_have_value(CONTACT)
    assert server.count("SELECT count(*) FROM overseas_warehouses") == stored
    assert server.count("SELECT count(*) FROM audit_events") == events

    page.locator("input[name=area]").fill("12000.50")
    assert _submit(page) == 200
    match = re.fullmatch(r"/warehouses/(HWC330100\d{4}\d{5})", urlparse(page.url).path)
    assert match, page.url
    filing_no = match.group(1)
    assert server.scalar("SELECT name FROM overseas_warehouses WHERE filing_no = ?", filing_no) == NAME
    assert server.scalar("SELECT area FROM overseas_warehouses WHERE filing_no = ?", filing_no) == "12000.50"
    assert server.count("SELECT count(*) FROM overseas_warehouses") == stored + 1
    expect(page.locator("[data-testid=warehouse-name]")).to_have_text(NAME)
    assert _fact(page, "备案编号") == filing_no
    assert _fact(page, "经营方式") == "公共海外仓"
    assert _fact(page, "状态") == "已备案"
    assert _fact(page, "面积（㎡）") == "12000.50"
    assert _fact(page, "联系人及电话（不公开）") == CONTACT  # the filing enterprise sees its contact
    expect(page.locator(HISTORY_ROWS).locator("td:nth-child(4)")).to_have_text(["warehouse.file"])
    enterprise_name = _fact(page, "备案企业")

    # Signed out: a fresh browser context with no cookies.
    context = browser.new_context(locale="zh-CN", base_url=server.base_url)
    try:
        public = context.new_page()
        response = public.goto("/warehouses")
        assert response is not None
        assert response.status == 200
        assert urlparse(public.url).path == "/warehouses"  # no redirect to the sign-in page
        expect(public.locator("main h1")).to_have_text("海外仓公共服务目录")
        expect(public.locator("[data-testid=file-warehouse]")).to_have_count(0)
        public.locator("select[name=country]").select_option("502")
        public.locator("select[name=mode]").select_option("public")
        public.locator("input[name=min_available]").fill("3500")
        public.locator("input[name=q]").fill("Browser Test Way")
        with public.expect_navigation():
            public.locator("main form.filters button[type=submit]").click()
        rows = public.locator("[data-testid=warehouse-table] tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.locator("td")).to_have_text(
            [
                filing_no,
                NAME,
                "502",
                "Long Beach",
                "公共海外仓",
                "12000.50",
                "3500.00",
                "Harbor Test Logistics Inc.",
                enterprise_name,
            ]
        )
        expect(public.locator("[data-testid=result-count]")).to_have_text("共 1 个")
        expect(public.locator("main")).not_to_contain_text("李经理")

        public.locator("input[name=min_available]").fill("3500.01")
        with public.expect_navigation():
            public.locator("main form.filters button[type=submit]").click()
        expect(public.locator("[data-testid=empty]")).to_have_text("没有符合条件的海外仓。")

        public.goto(f"/warehouses/{filing_no}")
        expect(public.locator("[data-testid=filing-no]")).to_have_text(filing_no)
        expect(public.locator("main")).not_to_contain_text("李经理")
        expect(public.locator("main a.button")).to_have_count(0)  # no edit for the public
        expect(public.locator("[data-testid=withdraw]")).to_have_count(0)

        public.locator("[data-testid=lang-switch]").click()
        expect(public.locator("main h1")).to_have_text(NAME)
        expect(public.locator("html")).to_have_attribute("lang", "en")
        assert _fact(public, "Mode") == "Public warehouse"
        public.goto("/warehouses")
        expect(public.locator("main h1")).to_have_text("Overseas warehouse directory")
    finally:
        context.close()


def test_the_enterprise_withdraws_its_filing_and_it_leaves_the_directory(page: Page, sign_in, server) -> None:
    sign_in(page, "demo.enterprise")
    page.goto("/warehouses/new")
    _fill(page, area="8000")
    page.locator("input[name=address]").fill("77 Withdrawal Test Rd, Carson, CA 90745")
    assert _submit(page) == 200
    filing_no = urlparse(page.url).path.rsplit("/", 1)[1]
    expect(page.locator("[data-testid=filing-no]")).to_have_text(filing_no)

    page.goto("/warehouses?q=Withdrawal+Test")
    expect(page.locator("[data-testid=warehouse-table] tbody tr")).to_have_count(1)
    mine = page.locator("[data-testid=my-warehouses]")
    expect(mine).to_contain_text(filing_no)

    page.goto(f"/warehouses/{filing_no}")
    with page.expect_navigation():
        page.locator("[data-testid=withdraw]").click()
    assert _fact(page, "状态") == "已撤回"
    expect(page.locator("[data-testid=withdraw]")).to_have_count(0)
    assert server.scalar("SELECT status FROM overseas_warehouses WHERE filing_no = ?", filing_no) == "withdrawn"
    expect(page.locator(HISTORY_ROWS).locator("td:nth-child(4)")).to_have_text(["warehouse.withdraw", "warehouse.file"])

    page.goto("/warehouses?q=Withdrawal+Test")
    expect(page.locator("[data-testid=empty]")).to_be_visible()
    expect(page.locator("[data-testid=my-warehouses]")).to_contain_text("已撤回")
