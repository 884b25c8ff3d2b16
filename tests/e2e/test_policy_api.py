"""Policy cash-out (政策兑现) through the real ASGI app on a fresh, seeded SQLite file: the public
catalog and calculator (exact amounts from the done-when), refusals with field paths, and the
pages that need no sign-in."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cbec.bootstrap import Platform
from cbec.identity.model import Role
from cbec.identity.services import NewUser, create_user
from cbec.kernel.clock import FixedClock
from cbec.policy.catalog import load_catalog
from cbec.policy.targets import targets_of
from cbec.registry.districts import City
from cbec.registry.ports import EnterpriseQuery
from cbec.stats.targets import load_targets
from cbec.testing.policy_exports import seed_exports

POLICY = "/api/v1/policy"
HZ = "hangzhou-2024"
PROMOTION = "hz-3-own-brand-promotion"
Bearer = Callable[[str], dict[str, str]]


@pytest.fixture
def platform(demo_platform: Callable[[int], Platform]) -> Platform:
    return demo_platform(20)


def _quote(client: TestClient, benefit: str, facts: dict[str, object], **extra: object) -> dict[str, Any]:
    body = {"document": HZ, "benefit": benefit, "facts": facts, "on": "2025-06-30"} | extra
    response = client.post(f"{POLICY}/quote", json=body)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_anonymous_quotes_give_the_done_when_amounts(client: TestClient) -> None:
    promotion = _quote(client, "hz-3-own-brand-promotion", {"promotion_cost": "3000000"})
    assert promotion["amount"] == "500000.00"
    assert promotion["capped_by"] == "hz-3-own-brand-promotion.cap"
    assert promotion["eligible"] is True
    kinds = [step["kind"] for step in promotion["trace"]]
    assert kinds[0] == "rule"
    assert {"input", "parameter", "arithmetic", "rounding", "cap"} <= set(kinds)
    cap = next(s for s in promotion["trace"] if s["kind"] == "cap")
    assert (cap["cap"], cap["limit"], cap["bound"]) == ("hz-3-own-brand-promotion.cap", "500000", True)

    premium = _quote(client, "hz-11-credit-insurance", {"premium": 10000000})
    assert (premium["amount"], premium["capped_by"]) == ("5000000.00", "hz-11-credit-insurance.cap")
    trademark = _quote(client, "hz-12-trademark", {"trademark_fee": "100000"})
    assert (trademark["amount"], trademark["capped_by"]) == ("70000.00", None)


def test_quote_refusals_carry_field_paths(client: TestClient) -> None:
    bad = client.post(
        f"{POLICY}/quote",
        json={"document": HZ, "benefit": "hz-3-own-brand-promotion", "facts": {"promotion_cost": "lots", "x": "1"}},
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "validation_failed"
    assert [(e["path"], e["code"]) for e in bad.json()["errors"]] == [("facts.promotion_cost", "fact.not_a_number")]

    unexpected = client.post(
        f"{POLICY}/quote",
        json={"document": HZ, "benefit": "hz-3-own-brand-promotion", "facts": {"promotion_cost": "1", "x": "1"}},
    )
    assert unexpected.status_code == 422
    assert [e["path"] for e in unexpected.json()["errors"]] == ["facts.x"]

    missing = client.post(f"{POLICY}/quote", json={"document": HZ, "benefit": "hz-3-own-brand-promotion"})
    assert missing.status_code == 422
    assert [(e["path"], e["code"]) for e in missing.json()["errors"]] == [("facts.promotion_cost", "fact.missing")]

    fraction = client.post(
        f"{POLICY}/quote",
        json={"document": HZ, "benefit": "hz-3-own-brand-promotion", "facts": {"promotion_cost": 1.5}},
    )
    assert fraction.status_code == 422
    assert fraction.json()["errors"][0]["path"] == "facts/promotion_cost"

    too_early = client.post(
        f"{POLICY}/quote",
        json={
            "document": HZ,
            "benefit": "hz-3-own-brand-promotion",
            "facts": {"promotion_cost": "1"},
            "on": "2020-01-01",
        },
    )
    assert too_early.status_code == 422
    assert too_early.json()["errors"][0]["path"] == "on"

    unknown = client.post(f"{POLICY}/quote", json={"document": HZ, "benefit": "no-such", "facts": {}})
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "not_found"
    bad_token = client.post(
        f"{POLICY}/quote",
        headers={"Authorization": "Bearer nope"},
        json={"document": HZ, "benefit": "hz-12-trademark", "facts": {"trademark_fee": "1"}},
    )
    assert bad_token.status_code == 401


def test_catalog_documents_benefits_measures_and_targets(client: TestClient) -> None:
    listed = client.get(f"{POLICY}/documents", params={"on": "2025-06-30"})
    assert listed.status_code == 200
    docs = {d["id"]: d for d in listed.json()["documents"]}
    assert docs[HZ]["in_force"] is True
    assert docs["guangzhou-2019"]["in_force"] is False  # ended 2022-12-31
    assert docs[HZ]["benefits"] >= 7

    benefits = client.get(f"{POLICY}/documents/{HZ}/benefits", params={"on": "2025-06-30"}).json()["benefits"]
    voucher = next(b for b in benefits if b["id"] == "hz-7-capacity-voucher")
    assert voucher["pool"]["id"] == "hz-7-pool"
    assert voucher["values_on"]["values"]["hz-7-capacity-voucher.rate"] == "0.05"
    assert voucher["parameters"]["hz-7-capacity-voucher.rate"]["values"][0]["source"]["clause"]

    measures = client.get(f"{POLICY}/documents/{HZ}/measures").json()["measures"]
    support3 = next(m for m in measures if "hz-3-own-brand-promotion" in m["benefits"])
    assert support3["text"]
    assert client.get(f"{POLICY}/documents/nowhere/measures").status_code == 404

    linked = client.get(f"{POLICY}/targets", params={"city": "330100"}).json()["targets"]
    expected = targets_of(load_catalog(), load_targets(), "330100")  # grows as measures are encoded
    assert [t["id"] for t in linked] == [t.target.id for t in expected]
    assert {t["policy_document"] for t in linked} <= {HZ}


def test_public_pages_library_and_calculator(client: TestClient) -> None:
    library = client.get("/policy", params={"document": HZ})
    assert library.status_code == 200
    assert 'data-testid="measure-hz-support-3"' in library.text
    assert "hz-3-own-brand-promotion.cap" in library.text

    calc = client.get(
        "/policy/calculator",
        params={
            "document": HZ,
            "benefit": "hz-3-own-brand-promotion",
            "on": "2025-06-30",
            "f.promotion_cost": "3000000",
        },
    )
    assert calc.status_code == 200
    assert 'data-testid="quote-amount">500000.00<' in calc.text
    assert "hz-3-own-brand-promotion.cap" in calc.text
    bad = client.get(
        "/policy/calculator",
        params={"document": HZ, "benefit": "hz-3-own-brand-promotion", "on": "2025-06-30", "f.promotion_cost": "abc"},
    )
    assert bad.status_code == 422
    assert "facts.promotion_cost" in bad.text


def _own(platform: Platform) -> int:
    with platform.uow(read_only=True) as uow:
        user = uow.users.by_username("demo.enterprise")
    assert user is not None
    assert user.enterprise_id is not None
    return user.enterprise_id


def _user(platform: Platform, new: NewUser) -> None:
    with platform.uow() as uow:
        create_user(uow, new, platform.districts)


def _other_enterprise(platform: Platform, own: int) -> int:
    with platform.uow(read_only=True) as uow:
        found, _ = uow.enterprises.search(EnterpriseQuery(city_code="330100", limit=100))
    return next(e.id for e in found if e.id != own)


def test_an_application_through_every_step_with_role_scoping(
    client: TestClient, platform: Platform, bearer: Bearer, fixed_clock: FixedClock
) -> None:
    own = _own(platform)
    ent, admin = bearer("demo.enterprise"), bearer("demo.admin")
    content = b"%PDF-1.4 promotion contract"
    body = {
        "benefit": PROMOTION,
        "facts": {"promotion_cost": "3000000"},
        "client_ref": "e2e-1",
        "attachments": [{"name": "contract.pdf", "content_base64": base64.b64encode(content).decode()}],
    }
    created = client.post(f"{POLICY}/applications", headers=ent, json=body)
    assert created.status_code == 201, created.text
    app = created.json()
    ref = app["ref"]
    assert (app["status"], app["step"], app["origin"]) == ("submitted", "district_review", "application")
    assert app["enterprise"]["id"] == own
    assert app["amount_quoted"] == "500000.00"
    assert app["capped_by"] is None or app["capped_by"] == f"{PROMOTION}.cap"
    assert app["quote"]["capped_by"] == f"{PROMOTION}.cap"
    assert app["due_on"] is not None
    assert [(a["name"], a["size"]) for a in app["attachments"]] == [("contract.pdf", len(content))]
    assert app["attachments"][0]["sha256"] == hashlib.sha256(content).hexdigest()
    again = client.post(f"{POLICY}/applications", headers=ent, json=body)  # the same request twice
    assert again.json()["ref"] == ref
    assert [a["ref"] for a in client.get(f"{POLICY}/applications", headers=ent).json()].count(ref) == 1
    download = client.get(f"{POLICY}/applications/{ref}/attachments/{app['attachments'][0]['id']}", headers=ent)
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-disposition"].startswith("attachment")

    officer = bearer(_officer_of(platform, app["district_code"]))

    # Scope: another enterprise's user and another district's officer neither see nor act.
    other = _other_enterprise(platform, own)
    _user(platform, NewUser("e2e.other", "其他企业", Role.ENTERPRISE, "pw-e2e-other-1", enterprise_id=other))
    elsewhere = next(d.code for d in _city(platform).districts if d.code != app["district_code"])
    officer_elsewhere = NewUser(
        "e2e.elsewhere",
        "另一区县经办人",
        Role.DISTRICT_OFFICER,
        "pw-e2e-else-1",
        city_code="330100",
        district_code=elsewhere,
    )
    _user(platform, officer_elsewhere)
    stranger, xihu = bearer("e2e.other"), bearer("e2e.elsewhere")
    assert client.get(f"{POLICY}/applications/{ref}", headers=stranger).status_code == 403
    theirs = client.get(f"{POLICY}/applications", headers=stranger).json()
    assert {a["enterprise"]["id"] for a in theirs} <= {other}  # the demo seed may give it some
    assert client.get(f"{POLICY}/applications/PA-2024-999999", headers=ent).status_code == 404
    assert (
        client.post(f"{POLICY}/applications/{ref}/review", headers=xihu, json={"decision": "pass"}).status_code == 403
    )
    assert client.post(f"{POLICY}/applications/{ref}/review", headers=ent, json={"decision": "pass"}).status_code == 403
    assert client.post(f"{POLICY}/applications/{ref}/approve", headers=admin).status_code in (403, 409)
    assert client.post(f"{POLICY}/applications", headers=admin, json=body).status_code == 403
    assert client.post(f"{POLICY}/applications", json=body).status_code == 401
    refused = client.post(
        f"{POLICY}/applications", headers=ent, json=body | {"client_ref": "e2e-2", "facts": {"promotion_cost": "x"}}
    )
    assert refused.status_code == 422
    assert [e["path"] for e in refused.json()["errors"]] == ["facts.promotion_cost"]

    # The officer's queue holds it; pass; the city reviews and publicises it.
    assert ref in {a["ref"] for a in client.get(f"{POLICY}/queue", headers=officer).json()}
    passed = client.post(f"{POLICY}/applications/{ref}/review", headers=officer, json={"decision": "pass"})
    assert passed.status_code == 200, passed.text
    assert passed.json()["status"] == "district_passed"
    assert ref in {a["ref"] for a in client.get(f"{POLICY}/queue", headers=admin).json()}
    wrong = client.post(f"{POLICY}/applications/{ref}/review", headers=admin, json={"decision": "maybe"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["path"] == "decision"
    public = client.post(f"{POLICY}/applications/{ref}/review", headers=admin, json={"decision": "pass"})
    assert public.json()["status"] == "publicised"
    assert public.json()["notice_ends"] is not None
    early = client.post(f"{POLICY}/applications/{ref}/approve", headers=admin)
    assert early.status_code == 409
    assert "公示" in early.json()["message"]

    before = _budget_row(client, admin, PROMOTION)
    fixed_clock.advance(timedelta(days=14))  # past the notice period
    approved = client.post(f"{POLICY}/applications/{ref}/approve", headers=admin)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["amount_awarded"]) == ("approved", "500000.00")
    paid = client.post(
        f"{POLICY}/applications/{ref}/disburse",
        headers=admin,
        json={"voucher": "HZ-PAY-0001", "paid_on": str(date(2024, 12, 10))},
    )
    assert paid.status_code == 200, paid.text
    done = paid.json()
    assert done["status"] == "disbursed"
    assert done["disbursement"] == {"voucher": "HZ-PAY-0001", "paid_on": "2024-12-10"}
    assert [e["action"] for e in done["events"]] == ["apply", "pass", "pass", "approve", "disburse"]

    after = _budget_row(client, admin, PROMOTION)
    assert after["count"] == before["count"] + 1
    assert Decimal(after["awarded"]) - Decimal(before["awarded"]) == Decimal("500000.00")
    assert Decimal(after["disbursed"]) - Decimal(before["disbursed"]) == Decimal("500000.00")
    assert client.get(f"{POLICY}/budget", headers=ent).status_code == 403
    auditor = client.get(f"{POLICY}/applications/{ref}", headers=bearer("demo.auditor"))
    assert auditor.status_code == 200


def test_return_resubmit_and_withdraw(client: TestClient, platform: Platform, bearer: Bearer) -> None:
    ent = bearer("demo.enterprise")
    created = client.post(
        f"{POLICY}/applications", headers=ent, json={"benefit": "hz-12-trademark", "facts": {"trademark_fee": 100000}}
    )
    assert created.status_code == 201, created.text
    officer = bearer(_officer_of(platform, created.json()["district_code"]))
    ref = created.json()["ref"]
    assert created.json()["amount_quoted"] == "70000.00"
    no_reason = client.post(f"{POLICY}/applications/{ref}/review", headers=officer, json={"decision": "return"})
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["path"] == "reason"
    returned = client.post(
        f"{POLICY}/applications/{ref}/review", headers=officer, json={"decision": "return", "reason": "缺少注册证书"}
    )
    assert returned.status_code == 200
    assert (returned.json()["status"], returned.json()["returned_from"]) == ("returned", "district_review")
    assert ref in {a["ref"] for a in client.get(f"{POLICY}/queue", headers=ent).json()}
    fixed = client.post(
        f"{POLICY}/applications/{ref}/resubmit", headers=ent, json={"facts": {"trademark_fee": "90000"}}
    )
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["status"], fixed.json()["amount_quoted"]) == ("submitted", "63000.00")
    gone = client.post(f"{POLICY}/applications/{ref}/withdraw", headers=ent, json={"reason": "不再申请"})
    assert gone.json()["status"] == "withdrawn"
    late = client.post(f"{POLICY}/applications/{ref}/review", headers=officer, json={"decision": "pass"})
    assert late.status_code == 409


def test_matches_and_simulation(client: TestClient, bearer: Bearer) -> None:
    admin = bearer("demo.admin")
    found = client.get(f"{POLICY}/matches", params={"year": 2024}, headers=admin)
    assert found.status_code == 200, found.text
    enterprises = found.json()["enterprises"]
    assert enterprises
    assert {"benefits", "proposable", "platform_facts"} <= set(enterprises[0])
    assert client.get(f"{POLICY}/matches", headers=bearer("demo.partner")).status_code == 403

    sim = client.post(
        f"{POLICY}/simulate", headers=admin, json={"year": 2024, "overrides": {"hz-7-capacity-voucher.rate": "0.06"}}
    )
    assert sim.status_code == 200, sim.text
    assert sim.json()["overrides"][0]["draft"] is not None
    bad = client.post(f"{POLICY}/simulate", headers=admin, json={"year": 2024, "overrides": {"nope": "1"}})
    assert bad.status_code == 422
    assert client.post(f"{POLICY}/simulate", headers=bearer("demo.enterprise"), json={}).status_code == 403


def _city(platform: Platform) -> City:
    found = platform.districts.city("330100")
    assert found is not None
    return found


def _officer_of(platform: Platform, district: str) -> str:
    """The demo officer when the demo enterprise is in its district (滨江区), else a new one for
    the enterprise's district (with few demo enterprises it may lie elsewhere)."""
    if district == "330108":
        return "demo.officer"
    name = f"e2e.officer.{district}"
    _user(platform, NewUser(name, "经办人", Role.DISTRICT_OFFICER, "pw-e2e-officer-1", None, "330100", district))
    return name


def _budget_row(client: TestClient, headers: dict[str, str], benefit: str) -> dict[str, Any]:
    """The budget's line for a benefit in 2024 (zeros when it has no award yet)."""
    found = client.get(f"{POLICY}/budget", params={"year": 2024}, headers=headers)
    assert found.status_code == 200, found.text
    zero = {"benefit": benefit, "count": 0, "awarded": "0.00", "disbursed": "0.00"}
    rows: list[dict[str, Any]] = found.json()["by_benefit"]
    return next((b for b in rows if b["benefit"] == benefit), zero)


def _sign_in(client: TestClient, username: str, password: str) -> str:
    client.cookies.clear()
    form = client.get("/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert found is not None
    data = {"username": username, "password": password, "csrf_token": found.group(1), "next": "/home"}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303
    page = client.get("/policy/calculator")
    token = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text)
    assert token is not None
    return token.group(1)


def test_workflow_pages(client: TestClient, platform: Platform, fixed_clock: FixedClock) -> None:
    password = platform.settings.demo_password
    csrf = _sign_in(client, "demo.enterprise", password)
    form = client.get("/policy/applications", params={"benefit": "hz-12-trademark"})
    assert form.status_code == 200
    assert 'data-testid="apply-form"' in form.text
    fields = {"csrf_token": csrf, "benefit": "hz-12-trademark", "client_ref": "page-1", "f.trademark_fee": "abc"}
    files = {"attachments": ("证书.pdf", b"%PDF certificate", "application/pdf")}
    refused = client.post("/policy/applications", data=fields, files=files, follow_redirects=False)
    assert refused.status_code == 422
    assert "facts.trademark_fee" in refused.text
    fields["f.trademark_fee"] = "100000"
    forged = client.post("/policy/applications", data=fields | {"csrf_token": "x"}, files=files, follow_redirects=False)
    assert forged.status_code == 403
    done = client.post("/policy/applications", data=fields, files=files, follow_redirects=False)
    assert done.status_code == 303, done.text
    detail_url = done.headers["location"]
    ref = detail_url.rsplit("/", 1)[1]
    detail = client.get(detail_url)
    assert 'data-testid="app-status">待区县预审<' in detail.text
    assert "证书.pdf" in detail.text
    assert 'data-testid="withdraw-form"' in detail.text
    assert 'data-testid="review-form"' not in detail.text
    mine = client.get("/policy/applications")
    assert f'data-testid="app-{ref}"' in mine.text
    assert client.get("/policy/budget").status_code == 403
    district = str(client.get(f"/api/v1/policy/applications/{ref}").json()["district_code"])

    csrf = _sign_in(client, _officer_of(platform, district), password if district == "330108" else "pw-e2e-officer-1")
    queue = client.get("/policy/review")
    assert queue.status_code == 200
    assert f'data-testid="app-{ref}"' in queue.text
    assert 'data-testid="review-form"' in client.get(detail_url).text
    no_reason = client.post(
        f"{detail_url}/review", data={"csrf_token": csrf, "decision": "return"}, follow_redirects=False
    )
    assert no_reason.status_code == 422
    assert "请填写意见说明" in no_reason.text
    passed = client.post(f"{detail_url}/review", data={"csrf_token": csrf, "decision": "pass"}, follow_redirects=False)
    assert passed.status_code == 303
    assert "待市级审核" in client.get(detail_url).text

    csrf = _sign_in(client, "demo.admin", password)
    client.post(f"{detail_url}/review", data={"csrf_token": csrf, "decision": "pass"}, follow_redirects=False)
    early = client.post(f"{detail_url}/approve", data={"csrf_token": csrf}, follow_redirects=False)
    assert early.status_code == 409
    assert 'data-testid="refusal"' in early.text
    assert 'data-testid="refusal-headline">公示期未满，期满后方可审批<' in early.text
    fixed_clock.advance(timedelta(days=14))  # past the notice period (the session expires too)
    csrf = _sign_in(client, "demo.admin", password)
    approved = client.post(f"{detail_url}/approve", data={"csrf_token": csrf}, follow_redirects=False)
    assert approved.status_code == 303
    page = client.get(detail_url)
    assert 'data-testid="amount-awarded">70,000.00<' in page.text
    assert 'data-testid="disburse-form"' in page.text
    budget = client.get("/policy/budget", params={"year": 2024})
    assert budget.status_code == 200
    assert 'data-testid="benefit-hz-12-trademark"' in budget.text
    sim = client.get("/policy/budget", params={"year": 2024, "parameter": "hz-12-trademark.rate", "value": "0.8"})
    assert sim.status_code == 200, sim.text
    assert 'data-testid="sim-result"' in sim.text
    bad_sim = client.get("/policy/budget", params={"year": 2024, "parameter": "hz-12-trademark.rate", "value": "x"})
    assert bad_sim.status_code == 422
    matches = client.get("/policy/matches", params={"year": 2024})
    assert matches.status_code == 200
    assert 'data-testid="matches"' in matches.text
    client.cookies.set("cbec_lang", "en")
    for url in (detail_url, "/policy/review", "/policy/budget", "/policy/matches", "/policy", "/policy/calculator"):
        english = client.get(url)
        assert english.status_code == 200, url
        assert not re.search(r">\s*pol\.[a-z_.]+\s*<", english.text), url


def test_a_blocked_approval_shows_the_gate_result(
    client: TestClient, platform: Platform, bearer: Bearer, fixed_clock: FixedClock
) -> None:
    """Jinan's key-enterprise support is trade-based: the declared USD 20 million against the
    platform's figure for the year (no released lists here) fails the gate, and approval says so."""
    with platform.uow(read_only=True) as uow:
        found, _ = uow.enterprises.search(EnterpriseQuery(city_code="370100", limit=5))
    if not found:
        pytest.skip("the demo gave no Jinan enterprise")
    jinan = found[0]
    _user(platform, NewUser("e2e.jn.ent", "济南企业", Role.ENTERPRISE, "pw-e2e-jn-1", enterprise_id=jinan.id))
    _user(platform, NewUser("e2e.jn.admin", "济南市管理员", Role.CITY_ADMIN, "pw-e2e-jn-1", city_code="370100"))
    created = client.post(
        f"{POLICY}/applications",
        headers=bearer("e2e.jn.ent"),
        json={"benefit": "jn-3-1-1-key-enterprise", "facts": {"trade_value_usd": "20000000"}},
    )
    assert created.status_code == 201, created.text
    app = created.json()
    ref = app["ref"]
    admin = bearer("e2e.jn.admin")
    if app["district_code"]:
        name = "e2e.jn.officer"
        _user(
            platform,
            NewUser(name, "经办人", Role.DISTRICT_OFFICER, "pw-e2e-jn-1", None, "370100", app["district_code"]),
        )
        first = client.post(f"{POLICY}/applications/{ref}/review", headers=bearer(name), json={"decision": "pass"})
        assert first.status_code == 200, first.text
    else:
        first = client.post(f"{POLICY}/applications/{ref}/review", headers=admin, json={"decision": "pass"})
    city = client.post(
        f"{POLICY}/applications/{ref}/review", headers=admin, json={"decision": "pass", "amount": "100000"}
    )
    assert city.status_code == 200, city.text
    fixed_clock.advance(timedelta(days=14))
    admin = bearer("e2e.jn.admin")
    blocked = client.post(f"{POLICY}/applications/{ref}/approve", headers=admin)
    assert blocked.status_code == 409, blocked.text
    assert blocked.json()["code"] == "policy.gate_failed"
    stored = client.get(f"{POLICY}/applications/{ref}", headers=admin).json()
    assert stored["status"] == "publicised"
    assert stored["gate"]["passed"] is False
    assert stored["gate"]["declared"]["trade_value_usd"] == "20000000"

    password = "pw-e2e-jn-1"
    _sign_in(client, "e2e.jn.admin", password)
    page = client.get(f"/policy/applications/{ref}")
    assert page.status_code == 200
    assert 'data-testid="gate-verdict">未通过，暂不能批准<' in page.text
    assert 'data-testid="gate-figures"' in page.text
    assert "20,000,000" in page.text


def test_return_and_resubmit_pages(client: TestClient, platform: Platform, bearer: Bearer) -> None:
    password = platform.settings.demo_password
    created = client.post(
        f"{POLICY}/applications",
        headers=bearer("demo.enterprise"),
        json={"benefit": "hz-12-certification", "facts": {"certification_fee": "50000"}},
    )
    assert created.status_code == 201, created.text
    ref, district = created.json()["ref"], created.json()["district_code"]
    officer = _officer_of(platform, district)
    csrf = _sign_in(client, officer, password if officer == "demo.officer" else "pw-e2e-officer-1")
    url = f"/policy/applications/{ref}"
    back = client.post(
        f"{url}/review",
        data={"csrf_token": csrf, "decision": "return", "reason": "请补充认证证书"},
        follow_redirects=False,
    )
    assert back.status_code == 303
    csrf = _sign_in(client, "demo.enterprise", password)
    mine = client.get("/policy/applications")
    assert 'data-testid="returned-note"' in mine.text
    page = client.get(url)
    assert 'data-testid="resubmit-form"' in page.text
    assert "请补充认证证书" in page.text
    refused = client.post(
        f"{url}/resubmit", data={"csrf_token": csrf, "f.certification_fee": "-1"}, follow_redirects=False
    )
    assert refused.status_code == 422
    assert "不能为负数" in refused.text
    files = {"attachments": ("certificate.pdf", b"%PDF cert", "application/pdf")}
    again = client.post(
        f"{url}/resubmit",
        data={"csrf_token": csrf, "f.certification_fee": "40000"},
        files=files,
        follow_redirects=False,
    )
    assert again.status_code == 303
    shown = client.get(url).text
    assert 'data-testid="app-status">待区县预审<' in shown
    assert "certificate.pdf" in shown
    assert 'data-testid="amount-quoted">28,000.00<' in shown
    gone = client.post(f"{url}/withdraw", data={"csrf_token": csrf, "reason": "不再申请"}, follow_redirects=False)
    assert gone.status_code == 303
    assert 'data-testid="app-status">已撤回<' in client.get(url).text


def test_an_oversized_application_is_refused_from_its_declared_length(
    client: TestClient, platform: Platform, bearer: Bearer
) -> None:
    limit = platform.settings.max_upload_bytes
    with platform.engine.connect() as conn:
        before = conn.exec_driver_sql("SELECT count(*) FROM policy_applications").scalar_one()
    response = client.post(
        f"{POLICY}/applications",
        content=b"x" * (limit + 64 * 1024 + 1),
        headers={**bearer("demo.enterprise"), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert [e["code"] for e in response.json()["errors"]] == ["file.too_large"]
    with platform.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM policy_applications").scalar_one() == before


def test_a_city_admin_proposes_awards_without_application(
    client: TestClient, platform: Platform, bearer: Bearer
) -> None:
    """免申即享 over the API: what the platform's data alone supports enters the review chain."""
    seed_exports(platform)  # export traffic in every demo city, on the test clock's year
    _user(platform, NewUser("e2e.jinan", "济南市管理员", Role.CITY_ADMIN, "pw-e2e-jinan-1", city_code="370100"))
    jinan = bearer("e2e.jinan")
    first = client.post(f"{POLICY}/proposals", json={}, headers=jinan)
    assert first.status_code == 200, first.text
    created = first.json()["created"]
    assert created
    assert {(a["origin"], a["status"], a["city_code"]) for a in created} == {("proposed", "submitted", "370100")}
    assert {a["document"] for a in created} == {"jinan-2021"}
    for app in created:
        assert app["facts"]
        assert app["evidence"]  # where each platform figure comes from
    again = client.post(f"{POLICY}/proposals", json={}, headers=jinan)
    assert again.json()["created"] == []  # proposing twice changes nothing
    queue = client.get(f"{POLICY}/applications", headers=jinan).json()
    assert sorted(a["ref"] for a in queue) == sorted(a["ref"] for a in created)
    refused = client.post(f"{POLICY}/proposals", json={}, headers=bearer("demo.enterprise"))
    assert refused.status_code == 403


def test_the_matches_page_proposes_for_a_city_admin_only(client: TestClient, platform: Platform) -> None:
    seed_exports(platform)
    _user(platform, NewUser("e2e.jinan2", "济南市管理员", Role.CITY_ADMIN, "pw-e2e-jinan-2", city_code="370100"))
    csrf = _sign_in(client, "e2e.jinan2", "pw-e2e-jinan-2")
    shown = client.get("/policy/matches")
    assert 'data-testid="propose-form"' in shown.text
    forged = client.post("/policy/matches/propose", data={"csrf_token": "x"}, follow_redirects=False)
    assert forged.status_code == 403
    with platform.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM policy_applications WHERE origin = 'proposed'").scalar() == 0
    done = client.post("/policy/matches/propose", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    with platform.engine.connect() as conn:
        made = conn.exec_driver_sql("SELECT count(*) FROM policy_applications WHERE origin = 'proposed'").scalar()
    assert made
    assert done.headers["location"] == f"/policy/review?proposed={made}"
    assert f"已生成 {made} 项免申即享提议" in client.get(done.headers["location"]).text
    _sign_in(client, "demo.officer", platform.settings.demo_password)
    assert 'data-testid="propose-form"' not in client.get("/policy/matches").text
