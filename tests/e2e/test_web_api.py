"""The JSON API and the sign-in form through the real ASGI app on a fresh, seeded SQLite file."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cbec.bootstrap import Platform
from cbec.config import Settings
from cbec.demo.generator import demo_enterprises
from cbec.demo.seed import seed_demo
from cbec.kernel.clock import FixedClock
from cbec.kernel.ids import uscc_with_check
from cbec.registry.districts import load_districts
from cbec.registry.spreadsheet import build_workbook
from cbec.storage import migrate
from cbec.storage import tables as t
from cbec.storage.db import make_engine
from cbec.web.app import create_app

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ENTERPRISES = "/api/v1/enterprises"
SEED_COUNT = 150
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
NEW_USCC = uscc_with_check("91330106MA2CB7TE1")


@pytest.fixture
def platform(tmp_path: Path, fixed_clock: FixedClock) -> Iterator[Platform]:
    """A migrated SQLite file with the demo enterprises and accounts, on the fixed test clock."""
    url = f"sqlite:///{tmp_path / 'cbec.sqlite3'}"
    migrate.upgrade(url)
    settings = Settings(database_url=url, data_dir=tmp_path)
    engine = make_engine(url)
    built = Platform(settings, engine, load_districts(), fixed_clock)
    seed_demo(built.uow, built.districts, seed=settings.demo_seed, password=settings.demo_password, count=SEED_COUNT)
    try:
        yield built
    finally:
        engine.dispose()


@pytest.fixture
def rows_in(platform: Platform) -> Callable[[str], int]:
    def count(table: str) -> int:
        with platform.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t.metadata.tables[table])).scalar_one())

    return count


def _enterprise_id_of(platform: Platform, username: str) -> int:
    with platform.uow(read_only=True) as uow:
        user = uow.users.by_username(username)
    assert user is not None
    assert user.enterprise_id is not None
    return user.enterprise_id


def _body(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "uscc": NEW_USCC,
        "name": "杭州接口测试跨境贸易有限公司",
        "roles": ["ebc"],
        "city_code": "330100",
        "district_code": "330106",
        "registered_on": "2024-03-01",
        "park": "杭州跨境电商综合试验区滨江园",
    }
    return body | changes


def _bad_check(uscc: str) -> str:
    return uscc[:17] + next(c for c in _USCC_ALPHABET if c != uscc[17])


def _import_workbook(platform: Platform) -> tuple[bytes, int]:
    """20 new 杭州 enterprises (within demo.admin's city) of which rows 4, 11 and 17 are wrong:
    a bad check character, the USCC of row 2 again, and an unknown district."""
    with platform.engine.connect() as conn:
        taken = set(conn.execute(select(t.enterprises.c.uscc)).scalars())
    fresh = [d for d in demo_enterprises(400, seed=20250101) if d.city_code == "330100" and d.uscc not in taken]
    rows = [d.as_input() for d in fresh[:20]]
    assert len(rows) == 20
    rows[2] = replace(rows[2], uscc=_bad_check(rows[2].uscc))
    rows[9] = replace(rows[9], uscc=rows[0].uscc)
    rows[15] = replace(rows[15], district_code="999999")
    return build_workbook(rows, platform.districts), len(rows)


def test_listing_needs_a_valid_credential(client: TestClient) -> None:
    anonymous = client.get(ENTERPRISES)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "authentication_failed"
    forged = client.get(ENTERPRISES, headers={"Authorization": "Bearer cbec_not-a-real-token"})
    assert forged.status_code == 401
    assert forged.json()["code"] == "authentication_failed"


def test_enterprise_token_sees_only_its_own_enterprise(client: TestClient, platform: Platform, bearer) -> None:
    own = _enterprise_id_of(platform, "demo.enterprise")
    headers = bearer("demo.enterprise")
    listing = client.get(ENTERPRISES, headers=headers)
    assert listing.status_code == 200
    assert listing.json()["total"] == 1
    assert [e["id"] for e in listing.json()["items"]] == [own]
    other = client.get(f"{ENTERPRISES}/{own + 1}", headers=headers)
    assert other.status_code == 403
    assert other.json()["code"] == "permission_denied"


def test_officer_token_sees_only_its_district(client: TestClient, platform: Platform, bearer) -> None:
    with platform.engine.connect() as conn:
        expected = conn.execute(
            select(func.count()).select_from(t.enterprises).where(t.enterprises.c.district_code == "330108")
        ).scalar_one()
    assert expected > 0
    headers = bearer("demo.officer")
    listing = client.get(ENTERPRISES, params={"per_page": 500}, headers=headers)
    assert listing.status_code == 200
    assert listing.json()["total"] == expected
    assert {e["district_code"] for e in listing.json()["items"]} == {"330108"}
    assert len(listing.json()["items"]) == expected
    elsewhere = client.get(ENTERPRISES, params={"district": "330106"}, headers=headers)
    assert elsewhere.status_code == 403
    assert elsewhere.json()["code"] == "permission_denied"


def test_create_with_a_bad_uscc_is_refused_and_stores_nothing(client: TestClient, bearer, rows_in) -> None:
    headers = bearer("demo.admin")
    before, events = rows_in("enterprises"), rows_in("audit_events")
    response = client.post(ENTERPRISES, json=_body(uscc=_bad_check(NEW_USCC)), headers=headers)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert [(e["path"], e["code"]) for e in response.json()["errors"]] == [("uscc", "uscc.invalid")]
    assert (rows_in("enterprises"), rows_in("audit_events")) == (before, events)

    created = client.post(ENTERPRISES, json=_body(), headers=headers)
    assert created.status_code == 201
    assert created.json()["uscc"] == NEW_USCC
    assert created.json()["version"] == 1
    assert rows_in("enterprises") == before + 1


def test_unknown_role_is_refused_at_its_path(client: TestClient, bearer, rows_in) -> None:
    before = rows_in("enterprises")
    response = client.post(ENTERPRISES, json=_body(roles=["smuggler"]), headers=bearer("demo.admin"))
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert [(e["path"], e["code"]) for e in response.json()["errors"]] == [("roles/0", "schema.enum")]
    assert rows_in("enterprises") == before


def test_auditor_may_not_create(client: TestClient, bearer, rows_in) -> None:
    headers = bearer("demo.auditor")  # issuing the token is itself an audited event
    before, events = rows_in("enterprises"), rows_in("audit_events")
    response = client.post(ENTERPRISES, json=_body(), headers=headers)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert (rows_in("enterprises"), rows_in("audit_events")) == (before, events)


def test_update_with_a_stale_version_is_a_conflict(client: TestClient, bearer, rows_in) -> None:
    headers = bearer("demo.admin")
    created = client.post(ENTERPRISES, json=_body(), headers=headers)
    assert created.status_code == 201
    url = f"{ENTERPRISES}/{created.json()['id']}"
    first = client.put(url, json=_body(park="第一次修改", version=1), headers=headers)
    assert first.status_code == 200
    assert first.json()["version"] == 2
    events = rows_in("audit_events")
    stale = client.put(url, json=_body(park="过期的修改", version=1), headers=headers)
    assert stale.status_code == 409
    assert stale.json()["code"] == "enterprise.stale"
    stored = client.get(url, headers=headers).json()
    assert (stored["park"], stored["version"]) == ("第一次修改", 2)
    assert rows_in("audit_events") == events


def _sign_in(client: TestClient, username: str, password: str) -> str:
    """Sign in through the form; returns the session's CSRF token as the pages carry it."""
    form = client.get("/login")
    assert form.status_code == 200
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert found is not None
    done = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": found.group(1), "next": "/home"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/home"
    home = client.get("/home")
    assert home.status_code == 200
    csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', home.text)
    assert csrf is not None
    return csrf.group(1)


def test_session_writes_need_the_csrf_header(client: TestClient, platform: Platform, rows_in) -> None:
    csrf = _sign_in(client, "demo.admin", platform.settings.demo_password)
    assert client.get("/api/v1/me").json()["username"] == "demo.admin"
    before, events = rows_in("enterprises"), rows_in("audit_events")
    forged = client.post(ENTERPRISES, json=_body())
    assert forged.status_code == 403
    assert forged.json()["code"] == "csrf.invalid"
    assert (rows_in("enterprises"), rows_in("audit_events")) == (before, events)
    wrong = client.post(ENTERPRISES, json=_body(), headers={"X-CSRF-Token": csrf[:-1] + "x"})
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "csrf.invalid"
    assert rows_in("enterprises") == before
    sent = client.post(ENTERPRISES, json=_body(), headers={"X-CSRF-Token": csrf})
    assert sent.status_code == 201
    assert rows_in("enterprises") == before + 1


def test_import_refuses_a_file_that_is_not_xlsx(client: TestClient, bearer, rows_in) -> None:
    before = rows_in("enterprises")
    response = client.post(
        f"{ENTERPRISES}/import",
        headers=bearer("demo.admin"),
        files={"file": ("enterprises.csv", "统一社会信用代码,企业名称\n".encode(), "text/csv")},
    )
    assert response.status_code == 422
    assert [(e["path"], e["code"]) for e in response.json()["errors"]] == [("file", "file.not_xlsx")]
    assert rows_in("enterprises") == before


def test_import_refuses_an_oversized_upload(platform: Platform, bearer, rows_in) -> None:
    limit = 1024
    small = replace(platform, settings=platform.settings.model_copy(update={"max_upload_bytes": limit}))
    headers = bearer("demo.admin")
    before, events = rows_in("enterprises"), rows_in("audit_events")
    with TestClient(create_app(small)) as client:
        # Declared length far over the limit: refused from the header, before the body is read.
        huge = b"PK\x03\x04" + bytes(limit + 100 * 1024)
        response = client.post(f"{ENTERPRISES}/import", headers=headers, files={"file": ("big.xlsx", huge, XLSX)})
        assert response.status_code == 413
        assert response.json()["code"] == "validation_failed"
        assert [(e["path"], e["code"]) for e in response.json()["errors"]] == [("file", "file.too_large")]
        # Within the multipart allowance but over the limit once read: still refused.
        over = b"PK\x03\x04" + bytes(limit * 2)
        response = client.post(f"{ENTERPRISES}/import", headers=headers, files={"file": ("over.xlsx", over, XLSX)})
        assert response.status_code == 422
        assert [(e["path"], e["code"]) for e in response.json()["errors"]] == [("file", "file.too_large")]
        # No declared length at all (chunked): refused up front, as a different problem.

        def chunked() -> Iterator[bytes]:
            yield b"--x\r\nContent-Disposition: form-data; name=file; filename=a.xlsx\r\n\r\nPK\r\n--x--\r\n"

        multipart = headers | {"Content-Type": "multipart/form-data; boundary=x"}
        response = client.post(f"{ENTERPRISES}/import", headers=multipart, content=chunked())
        assert response.status_code == 411
        assert [(e["path"], e["code"]) for e in response.json()["errors"]] == [("file", "file.length_required")]
    assert (rows_in("enterprises"), rows_in("audit_events")) == (before, events)


def test_import_is_all_or_nothing_unless_valid_only(client: TestClient, platform: Platform, bearer, rows_in) -> None:
    content, total_rows = _import_workbook(platform)
    headers = bearer("demo.admin")
    before, events = rows_in("enterprises"), rows_in("audit_events")
    listed = client.get(ENTERPRISES, params={"per_page": 1}, headers=headers).json()["total"]

    refused = client.post(f"{ENTERPRISES}/import", headers=headers, files={"file": ("enterprises.xlsx", content, XLSX)})
    assert refused.status_code == 422
    body = refused.json()
    assert (body["code"], body["refused"]) == ("import.refused", True)
    assert body["rejected_rows"] == [4, 11, 17]
    assert [(e["row"], e["code"]) for e in body["errors"]] == [
        (4, "uscc.invalid"),
        (11, "uscc.duplicate_in_file"),
        (17, "district.unknown"),
    ]
    assert (body["total_rows"], body["imported"]) == (total_rows, 0)
    assert (rows_in("enterprises"), rows_in("audit_events")) == (before, events)

    accepted = client.post(
        f"{ENTERPRISES}/import",
        headers=headers,
        data={"valid_only": "true"},
        files={"file": ("enterprises.xlsx", content, XLSX)},
    )
    assert accepted.status_code == 200
    body = accepted.json()
    assert body["refused"] is False
    assert body["imported"] == total_rows - 3
    assert body["rejected_rows"] == [4, 11, 17]
    assert rows_in("enterprises") == before + total_rows - 3
    assert client.get(ENTERPRISES, params={"per_page": 1}, headers=headers).json()["total"] == listed + 17


def test_sign_in_form_needs_its_csrf_cookie(client: TestClient, platform: Platform, rows_in) -> None:
    form = {"username": "demo.admin", "password": platform.settings.demo_password, "csrf_token": "guessed"}
    response = client.post("/login", data=form, follow_redirects=False)
    assert response.status_code == 403
    assert "the sign-in form expired" in response.text
    assert "cbec_session" not in response.cookies
    assert rows_in("web_sessions") == 0

    client.get("/login")  # now the cookie is set, but the form value does not match it
    mismatched = client.post("/login", data=form, follow_redirects=False)
    assert mismatched.status_code == 403
    assert rows_in("web_sessions") == 0
    assert rows_in("login_failures") == 0


def test_registered_on_in_the_future_is_refused(client: TestClient, platform: Platform, bearer, rows_in) -> None:
    tomorrow = date(2024, 11, 27).isoformat()  # the fixed clock's business date is 2024-11-26
    before = rows_in("enterprises")
    response = client.post(ENTERPRISES, json=_body(registered_on=tomorrow), headers=bearer("demo.admin"))
    assert response.status_code == 422
    assert [(e["path"], e["code"]) for e in response.json()["errors"]] == [("registered_on", "registered_on.future")]
    assert rows_in("enterprises") == before
