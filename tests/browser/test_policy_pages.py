"""Policy cash-out (政策兑现) in a real browser: the anonymous calculator with its trace, the policy
library with a measure's text beside its rule, and (once the workflow exists) an application from
an enterprise with an attachment through the district officer's and the city's queue to the budget.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from urllib.parse import urlparse

import httpx2
from playwright.sync_api import Page, expect

from cbec.config import Settings
from cbec.kernel.clock import SHANGHAI

HZ = "hangzhou-2024"
HANGZHOU, BINJIANG = "330100", "330108"
DEMO_PASSWORD: str = Settings.model_fields["demo_password"].default
PROMOTION = "hz-3-own-brand-promotion"


def test_anonymous_calculator_computes_and_shows_the_trace(page: Page) -> None:
    response = page.goto("/policy/calculator")
    assert response is not None
    assert response.status == 200
    assert urlparse(page.url).path == "/policy/calculator"  # no sign-in asked
    expect(page.locator("[data-testid=who]")).to_have_count(0)
    expect(page.locator("main h1")).to_have_text("政策兑现计算器")

    page.locator("[data-testid=benefit-select]").select_option(PROMOTION)
    page.locator("[data-testid=choose-benefit]").click()
    expect(page.locator("[data-testid=calc-form] h2")).to_have_text("自主品牌推广")
    page.locator("[data-testid=fact-promotion_cost]").fill("3000000")
    page.locator("[data-testid=quote-on]").fill("2025-06-30")
    page.locator("[data-testid=compute]").click()

    expect(page.locator("[data-testid=quote-amount]")).to_have_text("500000.00")
    expect(page.locator("[data-testid=quote-capped-by]")).to_have_text(f"{PROMOTION}.cap")
    steps = page.locator("[data-testid=trace-step]")
    expect(steps.first).to_contain_text("依据 Hangzhou support (三)")
    expect(page.locator("[data-testid=trace]")).to_contain_text("promotion_cost = 3,000,000 元")
    expect(page.locator("[data-testid=trace]")).to_contain_text("扶持比例 hz-3-own-brand-promotion.rate = 25%")
    expect(page.locator("[data-testid=trace]")).to_contain_text("3000000 × 0.25 = 750,000.00")
    expect(page.locator("[data-testid=trace-step][data-kind=cap]")).to_contain_text(
        "500,000 元：起作用，金额为 500,000.00"
    )

    # A bad figure is refused in place, with its field path, and nothing is computed.
    page.locator("[data-testid=fact-promotion_cost]").fill("三百万")
    with page.expect_navigation() as navigation:
        page.locator("[data-testid=compute]").click()
    assert navigation.value is not None
    assert navigation.value.status == 422
    expect(page.locator("[data-testid=form-errors]")).to_contain_text("facts.promotion_cost")
    expect(page.locator("[data-testid=form-errors]")).to_contain_text("不是数字")
    expect(page.locator("[data-testid=quote-result]")).to_have_count(0)

    page.locator("[data-testid=lang-switch]").click()
    expect(page.locator("main h1")).to_have_text("Benefit calculator")
    page.locator("[data-testid=lang-switch]").click()


def test_library_shows_a_measure_text_beside_its_rule(page: Page) -> None:
    response = page.goto("/policy")
    assert response is not None
    assert response.status == 200
    expect(page.locator("main h1")).to_have_text("政策库")
    page.locator(f"[data-testid=document-{HZ}] a").click()
    measure = page.locator("[data-testid=measure-hz-support-3]")
    expect(measure.locator("[data-testid=measure-text]")).to_contain_text("自主品牌推广")
    rule = measure.locator(f"[data-testid=rule-{PROMOTION}]")
    expect(rule).to_contain_text("单个企业每年扶持金额不超过50万元")
    expect(rule.locator(f"[data-testid=params-{PROMOTION}]")).to_contain_text("25%")
    expect(rule.locator(f"[data-testid=params-{PROMOTION}]")).to_contain_text("500,000 元")
    box_text = measure.locator("[data-testid=measure-text]").bounding_box()
    box_rule = measure.locator("[data-testid=measure-rules]").bounding_box()
    assert box_text is not None
    assert box_rule is not None
    assert box_text["x"] + box_text["width"] <= box_rule["x"], "the text and its rule sit side by side"
    assert abs(box_text["y"] - box_rule["y"]) < 5

    rule.locator(f"[data-testid=calc-{PROMOTION}]").click()
    expect(page.locator("[data-testid=calc-form] h2")).to_have_text("自主品牌推广")


NAV = "nav[aria-label=main] a"
TRADEMARK = "hz-12-trademark"


def _officer_for(server, district: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """demo.officer when the application is in its district (滨江区), else a new officer there."""
    if district == BINJIANG:
        return "demo.officer", DEMO_PASSWORD
    name, password = f"browser.officer.{district}", "browser-officer-pw-1"
    if not server.count("SELECT count(*) FROM users WHERE username = ?", name):
        server.cli("users", "create", name, "--role", "district_officer", "--city", HANGZHOU,
                   "--district", district, "--password", password)  # fmt: skip
    return name, password


def _sign_out(page: Page) -> None:
    page.locator("form[action='/logout'] button").click()
    expect(page.locator("main input[name=username]")).to_be_visible()


def test_an_application_goes_from_the_enterprise_through_both_queues(
    page: Page, sign_in, server, admin_api: httpx2.Client
) -> None:
    # The enterprise applies with a file and sees where its application stands.
    sign_in(page, "demo.enterprise")
    page.locator(f'{NAV}[href="/policy/applications"]').click()
    expect(page.locator("main h1")).to_have_text("我的政策申报")
    page.locator("[data-testid=apply-benefit]").select_option(TRADEMARK)
    page.locator("[data-testid=apply-choose]").click()
    page.locator("[data-testid=fact-trademark_fee]").fill("100000")
    page.locator("[data-testid=apply-files]").set_input_files(
        {"name": "商标注册证.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 trademark certificate"}
    )
    with page.expect_navigation():
        page.locator("[data-testid=apply-submit]").click()
    ref = page.locator("[data-testid=app-ref]").inner_text()
    expect(page.locator("[data-testid=app-status]")).to_have_text("待区县预审")
    expect(page.locator("[data-testid=app-step]")).to_have_text("区县预审")
    expect(page.locator("[data-testid=amount-quoted]")).to_have_text("70,000.00")
    expect(page.locator("[data-testid=app-attachments]")).to_contain_text("商标注册证.pdf")
    expect(page.locator("[data-testid=app-due]")).not_to_have_text("—")
    expect(page.locator("[data-testid=event]")).to_have_count(1)
    stored = int(ref.rsplit("-", 1)[1])  # PA-YYYY-NNNNNN: the row id
    assert server.count("SELECT count(*) FROM policy_attachments WHERE application_id = ?", stored) == 1
    page.locator(f'{NAV}[href="/policy/applications"]').click()
    expect(page.locator(f"[data-testid=app-{ref}] [data-testid=status]")).to_have_text("待区县预审")
    _sign_out(page)

    # The district officer finds it in the queue and passes it.
    district = admin_api.get(f"/api/v1/policy/applications/{ref}").json()["district_code"]
    officer, password = _officer_for(server, district)
    sign_in(page, officer, password)
    page.locator(f'{NAV}[href="/policy/review"]').click()
    page.locator(f"[data-testid=queue-table] [data-testid=app-{ref}] a").first.click()
    expect(page.locator("[data-testid=review-form] h2")).to_have_text("审核：区县预审")
    page.locator("[data-testid=review-submit]").click()
    expect(page.locator("[data-testid=app-status]")).to_have_text("待市级审核")
    expect(page.locator("[data-testid=review-form]")).to_have_count(0)
    _sign_out(page)

    # The city reviews it and publicises it; approval waits for the notice period.
    sign_in(page, "demo.admin")
    page.locator(f'{NAV}[href="/policy/review"]').click()
    page.locator(f"[data-testid=queue-table] [data-testid=app-{ref}] a").first.click()
    page.locator("[data-testid=review-submit]").click()
    expect(page.locator("[data-testid=app-status]")).to_have_text("公示中")
    with page.expect_navigation() as navigation:
        page.locator("[data-testid=approve-submit]").click()
    assert navigation.value is not None
    assert navigation.value.status == 409
    expect(page.locator("[data-testid=refusal]")).to_contain_text("公示")
    expect(page.locator("[data-testid=app-status]")).to_have_text("公示中")

    # A demo application whose notice has ended: approve it, then record its payment.
    page.locator(f'{NAV}[href="/policy/review"]').click()
    ready = admin_api.get("/api/v1/policy/queue").json()
    today = datetime.now(SHANGHAI).date().isoformat()  # the served demo counts its days back from today
    publicised = next(a for a in ready if a["status"] == "publicised" and a["notice_ends"] < today)
    page.locator(f"[data-testid=queue-table] [data-testid=app-{publicised['ref']}] a").first.click()
    page.locator("[data-testid=approve-submit]").click()
    expect(page.locator("[data-testid=app-status]")).to_have_text("已批准，待拨付")
    expect(page.locator("[data-testid=amount-awarded]")).not_to_have_text("—")
    page.locator("[data-testid=disburse-voucher]").fill("HZCZ-BROWSER-1")
    page.locator("[data-testid=disburse-submit]").click()
    expect(page.locator("[data-testid=app-status]")).to_have_text("已拨付")
    expect(page.locator("[data-testid=app-disbursement]")).to_contain_text("HZCZ-BROWSER-1")
    actions = page.locator("[data-testid=event]").evaluate_all("rows => rows.map(r => r.dataset.action)")
    assert actions[-2:] == ["approve", "disburse"]


def test_the_budget_page_shows_pool_use_and_simulates(page: Page, sign_in, admin_api: httpx2.Client) -> None:
    demo = admin_api.get("/api/v1/policy/applications").json()
    year = max(a["year"] for a in demo if a["benefit"] == "hz-7-capacity-voucher" and a["amount_awarded"])
    expected = admin_api.get("/api/v1/policy/budget", params={"year": year}).json()
    pool = next(p for p in expected["pools"] if p["id"] == "hz-7-pool")
    assert Decimal(pool["committed"]) > 0

    sign_in(page, "demo.admin")
    page.locator(f'{NAV}[href="/policy"]').click()
    page.locator("[data-testid=policy-tabs] a[href='/policy/budget']").click()
    page.locator("[data-testid=budget-year]").fill(str(year))
    page.locator("[data-testid=budget-year]").press("Enter")
    row = page.locator("[data-testid=pool-hz-7-pool]")
    expect(row.locator("[data-testid=pool-committed]")).to_have_text(f"{Decimal(pool['committed']):,}")
    expect(row.locator("[data-testid=pool-remaining]")).to_have_text(f"{Decimal(pool['remaining']):,}")
    meter = row.locator("[data-testid=pool-meter]")
    assert meter.get_attribute("value") == pool["committed"]
    assert meter.get_attribute("max") == pool["total"]
    voucher = next(b for b in expected["by_benefit"] if b["benefit"] == "hz-7-capacity-voucher")
    expect(page.locator("[data-testid=benefit-hz-7-capacity-voucher]")).to_contain_text(
        f"{Decimal(voucher['awarded']):,}"
    )
    expect(page.locator("[data-testid=co-funding-unknown]")).to_have_text(
        f"{Decimal(expected['co_funding']['unknown']):,}"
    )

    page.locator("[data-testid=sim-parameter]").select_option("hz-7-capacity-voucher.rate")
    page.locator("[data-testid=sim-value]").fill("0.06")
    page.locator("[data-testid=sim-run]").click()
    expect(page.locator("[data-testid=sim-result]")).to_contain_text("5% → 6%")
    expect(page.locator("[data-testid=sim-by-benefit]")).to_contain_text("运力券")
