"""Direct reports (统计直报) through the real ASGI app on a fresh, seeded SQLite file: the forms,
an enterprise's pre-filled report, submitting it (twice), refusals with field paths, the
officers' reminder list and the pages."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from cbec.bootstrap import Platform

REPORTS = "/api/v1/reports"
PERIOD = "2024-10"
Bearer = Callable[[str], dict[str, str]]


@pytest.fixture
def platform(demo_platform: Callable[[int], Platform]) -> Platform:
    return demo_platform(20)


def _own(platform: Platform) -> int:
    with platform.uow(read_only=True) as uow:
        user = uow.users.by_username("demo.enterprise")
    assert user is not None
    assert user.enterprise_id is not None
    return user.enterprise_id


def test_forms_report_submit_and_reminders(client: TestClient, platform: Platform, bearer: Bearer) -> None:
    forms = client.get(f"{REPORTS}/forms", headers=bearer("demo.enterprise"))
    assert forms.status_code == 200
    assert forms.json()[0]["id"] == "cbec_monthly"
    own = _own(platform)
    ent = bearer("demo.enterprise")
    draft = client.get(f"{REPORTS}/{own}/{PERIOD}", headers=ent)
    assert draft.status_code == 200, draft.text
    body = draft.json()
    assert body["status"] == "draft"
    assert body["due"] == "2024-11-14"
    assert body["figures"]["export_value"]["source"] == "platform"
    assert body["figures"]["employees"] == {"value": None, "source": "entered", "at": None}

    refused = client.post(
        f"{REPORTS}/{own}/{PERIOD}",
        headers=ent,
        json={"figures": {"platform_sales": "1.005", "independent_site_sales": 0, "employees": "3"}},
    )
    assert refused.status_code == 422
    assert [(e["path"], e["code"]) for e in refused.json()["errors"]] == [
        ("figures/platform_sales", "report.too_many_places")
    ]
    sent = {"figures": {"platform_sales": "1.05", "independent_site_sales": 0, "employees": "3"}}
    done = client.post(f"{REPORTS}/{own}/{PERIOD}", headers=ent, json=sent)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "submitted"
    assert done.json()["figures"]["platform_sales"]["value"] == "1.05"
    again = client.post(f"{REPORTS}/{own}/{PERIOD}", headers=ent, json=sent)
    assert again.json() == done.json()
    fraction = client.post(f"{REPORTS}/{own}/{PERIOD}", headers=ent, json={"figures": {"employees": 3.5}})
    assert fraction.status_code == 422

    officer = client.get(f"{REPORTS}/reminders", headers=bearer("demo.officer"))
    assert officer.status_code == 200
    listed = officer.json()
    assert listed["period"] == PERIOD
    assert listed["due"] == "2024-11-14"
    assert own not in {item["enterprise_id"] for item in listed["items"]}
    assert {item["urgency"] for item in listed["items"]} <= {"overdue"}
    assert client.get(f"{REPORTS}/reminders", headers=ent).status_code == 403
    auditor = client.get(f"{REPORTS}/{own}/{PERIOD}", headers=bearer("demo.auditor"))
    assert auditor.json()["status"] == "submitted"


def _sign_in(client: TestClient, username: str, password: str) -> str:
    form = client.get("/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert found is not None
    data = {"username": username, "password": password, "csrf_token": found.group(1), "next": "/home"}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303
    page = client.get("/reports")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    return token.group(1) if token else ""


def test_pages(client: TestClient, platform: Platform) -> None:
    csrf = _sign_in(client, "demo.enterprise", platform.settings.demo_password)
    page = client.get("/reports")
    assert page.status_code == 200
    assert "平台预填" in page.text
    assert 'data-testid="prefilled-export_value"' in page.text
    form = {"csrf_token": csrf, "period": PERIOD, "figures/platform_sales": "x", "figures/employees": "2"}
    refused = client.post("/reports/submit", data=form, follow_redirects=False)
    assert refused.status_code == 422
    assert "figures/platform_sales" in refused.text
    form |= {
        "figures/platform_sales": "10",
        "figures/independent_site_sales": "0",
        "corrections/export_lists": "少一票",
    }
    done = client.post("/reports/submit", data=form, follow_redirects=False)
    assert done.status_code == 303
    assert "已报送" in client.get(done.headers["location"]).text
    forged = client.post("/reports/submit", data=form | {"csrf_token": "forged"}, follow_redirects=False)
    assert forged.status_code == 403
    client.post("/logout", data={"csrf_token": csrf})
    client.cookies.clear()
    _sign_in(client, "demo.admin", platform.settings.demo_password)
    officer = client.get("/reports")
    assert officer.status_code == 200
    assert 'data-testid="reminders"' in officer.text
    own = _own(platform)
    detail = client.get(f"/reports/{own}/{PERIOD}")
    assert detail.status_code == 200
    assert "少一票" in detail.text
    assert 'data-testid="return-report"' in detail.text
