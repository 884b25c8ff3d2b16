"""Each demo role through a real Chromium: its home page, its navigation, its scope, sign-in limits."""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import urlparse

import httpx2
import pytest
from playwright.sync_api import Page, expect

from cbec.registry.districts import load_districts

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NAV = "nav[aria-label=main] a"


class DemoRole(NamedTuple):
    username: str
    role: str
    heading_zh: str
    heading_en: str
    nav: list[str]


ROLES = [
    DemoRole(
        "demo.enterprise",
        "enterprise",
        "企业工作台",
        "Enterprise workspace",
        [
            "/home",
            "/enterprises",
            "/exchange",
            "/export/shipments",
            "/export/summary",
            "/warehouses",
            "/cockpit/enterprise",
            "/tiers",
            "/reports",
            "/policy",
            "/policy/applications",
            "/exchange/upload",
            "/tokens",
        ],
    ),
    DemoRole(
        "demo.officer",
        "district_officer",
        "区县工作台",
        "District workspace",
        [
            "/home",
            "/enterprises",
            "/exchange",
            "/export/shipments",
            "/export/summary",
            "/warehouses",
            "/cockpit",
            "/targets",
            "/tiers",
            "/reports",
            "/policy",
            "/policy/review",
            "/exchange/upload",
            "/enterprises/new",
            "/enterprises/import",
            "/tokens",
        ],
    ),
    DemoRole(
        "demo.admin",
        "city_admin",
        "市级管理驾驶舱",
        "City overview",
        [
            "/home",
            "/enterprises",
            "/exchange",
            "/export/shipments",
            "/export/summary",
            "/warehouses",
            "/cockpit",
            "/targets",
            "/tiers",
            "/reports",
            "/policy",
            "/policy/review",
            "/exchange/upload",
            "/enterprises/new",
            "/enterprises/import",
            "/audit",
            "/tokens",
        ],
    ),
    DemoRole(
        "demo.auditor",
        "auditor",
        "审计工作台",
        "Audit workspace",
        [
            "/home",
            "/enterprises",
            "/exchange",
            "/export/shipments",
            "/export/summary",
            "/warehouses",
            "/cockpit",
            "/targets",
            "/tiers",
            "/policy",
            "/policy/review",
            "/audit",
            "/tokens",
        ],
    ),
    DemoRole(
        "demo.partner",
        "partner",
        "合作单位接口",
        "Partner API",
        [
            "/home",
            "/enterprises",
            "/exchange",
            "/export/shipments",
            "/export/summary",
            "/warehouses",
            "/cockpit",
            "/targets",
            "/tiers",
            "/policy",
            "/tokens",
        ],
    ),
]


@pytest.mark.parametrize("demo", ROLES, ids=[r.role for r in ROLES])
def test_role_home_navigation_and_language(page: Page, sign_in, demo: DemoRole, tmp_path) -> None:
    sign_in(page, demo.username)
    heading = page.locator(f"[data-testid=home-{demo.role}]")
    expect(heading).to_have_text(demo.heading_zh)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    shot = tmp_path / f"home-{demo.role}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.is_file()
    data = shot.read_bytes()
    assert len(data) > 1000
    assert data.startswith(PNG_MAGIC)

    hrefs = page.locator(NAV).evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == demo.nav
    for href in hrefs:  # every page is reachable by clicking, never by typing a URL
        with page.expect_navigation() as navigation:
            page.locator(f'{NAV}[href="{href}"]').click()
        response = navigation.value
        assert response is not None
        assert response.status < 400, f"{demo.username}: {href} answered HTTP {response.status}"
        assert urlparse(page.url).path == href

    page.locator(f'{NAV}[href="/home"]').click()
    expect(heading).to_have_text(demo.heading_zh)
    page.locator("[data-testid=lang-switch]").click()
    expect(heading).to_have_text(demo.heading_en)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert urlparse(page.url).path == "/home"
    expect(page.locator(f'{NAV}[href="/enterprises"]')).to_have_text("Registry")
    page.locator("[data-testid=lang-switch]").click()
    expect(heading).to_have_text(demo.heading_zh)


def _own_enterprise_id(page: Page) -> int:
    me = page.request.get("/api/v1/me")
    assert me.status == 200
    own = me.json()["enterprise_id"]
    assert isinstance(own, int)
    return own


def test_enterprise_user_is_confined_to_its_own_record(page: Page, sign_in, server) -> None:
    sign_in(page, "demo.enterprise")
    own = _own_enterprise_id(page)
    other = server.count("SELECT min(id) FROM enterprises WHERE id != ?", own)

    refused = page.goto(f"/enterprises/{other}")
    assert refused is not None
    assert refused.status == 403
    expect(page.locator("[data-testid=error-status]")).to_have_text("403")
    expect(page.locator("main [role=alert]")).to_have_text(f"无权访问：enterprise {other} is outside your scope")

    allowed = page.goto(f"/enterprises/{own}")
    assert allowed is not None
    assert allowed.status == 200
    expect(page.locator("[data-testid=enterprise-name]")).to_have_text(
        str(server.scalar("SELECT name FROM enterprises WHERE id = ?", own))
    )

    listing = page.goto("/enterprises")
    assert listing is not None
    assert listing.status == 200
    expect(page.locator("[data-testid=result-count]")).to_have_text("共 1 家")

    # A personal API token, shown exactly once.
    page.locator(f'{NAV}[href="/tokens"]').click()
    tokens_before = server.count("SELECT count(*) FROM api_tokens")
    page.locator("main input[name=name]").fill("browser scope test")
    with page.expect_navigation() as navigation:
        page.locator("main form.inline-form button[type=submit]").click()
    assert navigation.value is not None
    assert navigation.value.status == 200
    shown = page.locator("[data-testid=new-token]")
    expect(shown).to_have_count(1)
    token = shown.inner_text().strip()
    assert re.fullmatch(r"cbec\S{20,}", token), token
    assert server.count("SELECT count(*) FROM api_tokens") == tokens_before + 1
    page.reload()  # post/redirect/get: a reload neither shows the token again nor creates another
    expect(page.locator("[data-testid=new-token]")).to_have_count(0)
    assert server.count("SELECT count(*) FROM api_tokens") == tokens_before + 1
    page.locator(f'{NAV}[href="/tokens"]').click()  # a fresh GET: the token is not shown again
    expect(page.locator("main h1")).to_have_text("个人 API 令牌")
    expect(page.locator("[data-testid=new-token]")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text(token)

    # The token carries the same scope as the user, without any cookie.
    bearer = {"Authorization": f"Bearer {token}"}
    denied = httpx2.get(f"{server.base_url}/api/v1/enterprises/{other}", headers=bearer, timeout=10)
    assert denied.status_code == 403
    assert denied.json()["code"] == "permission_denied"
    mine = httpx2.get(f"{server.base_url}/api/v1/enterprises/{own}", headers=bearer, timeout=10)
    assert mine.status_code == 200
    assert mine.json()["id"] == own


def test_district_officer_sees_exactly_its_district(page: Page, sign_in, server, api_total) -> None:
    expected = api_total(district="330108")
    assert expected == server.count(
        "SELECT count(*) FROM enterprises WHERE city_code = '330100' AND district_code = '330108'"
    )
    assert expected > 0

    sign_in(page, "demo.officer")
    page.locator(f'{NAV}[href="/enterprises"]').click()
    expect(page.locator("[data-testid=result-count]")).to_have_text(f"共 {expected} 家")
    shown = page.locator("[data-testid=enterprise-table] tbody tr td:nth-child(3)")
    expect(shown).to_have_count(min(expected, 25))
    assert set(shown.all_inner_texts()) == {"滨江区"}

    xihu = load_districts().district("330106")
    assert xihu is not None
    assert xihu.city_code == "330100"
    response = page.goto("/enterprises?district=330106")
    assert response is not None
    assert response.status == 403
    expect(page.locator("main [role=alert]")).to_contain_text("you may list only enterprises of district 330108")


def test_sign_in_is_locked_after_five_failures(page: Page, submit_login, server) -> None:
    password = "lock-test-password-1"
    server.cli("users", "create", "browser.lockout", "--role", "auditor", "--city", "330100", "--password", password)
    page.goto("/login")
    for attempt in range(1, 6):
        response = submit_login(page, "browser.lockout", "not-the-password")
        assert response.status == 401, f"attempt {attempt}"
        expect(page.locator("[data-testid=login-error]")).to_have_text("用户名或密码错误。")
    assert server.count("SELECT count(*) FROM login_failures WHERE username = 'browser.lockout'") == 5

    response = submit_login(page, "browser.lockout", password)
    assert response.status == 429
    expect(page.locator("[data-testid=login-error]")).to_have_text("登录失败次数过多，请 15 分钟后再试。")
    assert urlparse(page.url).path == "/login"
    assert not [c for c in page.context.cookies() if c["name"] == "cbec_session"]
    user_id = server.count("SELECT id FROM users WHERE username = 'browser.lockout'")
    assert server.count("SELECT count(*) FROM web_sessions WHERE user_id = ?", user_id) == 0


def test_home_when_signed_out_redirects_to_login(page: Page) -> None:
    response = page.goto("/home")
    assert response is not None
    assert response.status == 200
    first = response.request.redirected_from
    assert first is not None
    first_response = first.response()
    assert first_response is not None
    assert first_response.status == 303
    parsed = urlparse(page.url)
    assert (parsed.path, parsed.query) == ("/login", "next=/home")
    expect(page.locator("main input[name=username]")).to_be_visible()
    expect(page.locator("[data-testid=who]")).to_have_count(0)
