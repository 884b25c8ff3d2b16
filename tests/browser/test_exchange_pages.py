"""Exchange pages in a real browser: submissions, one document, trace, uploads, scoping, masking."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, expect

from cbec.demo.imports import channels, import_stream
from cbec.exchange.model import Message, Unit
from cbec.exchange.xmlcodec import to_xml
from cbec.registry.districts import load_districts
from cbec.testing.conformance import find_conformance_dir

HANGZHOU = "330100"
ROWS = "[data-testid=document-table] tbody tr"


def _conformance() -> Path:
    found = find_conformance_dir(Path(__file__))
    if found is None:
        pytest.fail("shared/conformance was not found beside the repository", pytrace=False)
    return found


def _passed_list(server) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """A 杭州 inventory list that passed matching and was released (120 → 399 → 800)."""
    with_id = server.scalar(
        "SELECT id FROM documents WHERE message_type = 'CEB621' AND status = '800' AND city_code = ? "
        "AND is_current = 1 ORDER BY id LIMIT 1",
        HANGZHOU,
    )
    assert isinstance(with_id, int), "the demo seed stored no released 杭州 list"
    order_no = server.scalar("SELECT order_no FROM documents WHERE id = ?", with_id)
    assert isinstance(order_no, str)
    return with_id, order_no


def _fresh_order() -> tuple[bytes, str, str]:
    """A valid 杭州 CEB311 from the demo generator with a new order number: (xml, orderNo, buyer ID)."""
    hangzhou = [c for c in channels(load_districts()) if c.city_code == HANGZHOU]
    template = next(m for m in import_stream(hangzhou, size="small", months=1) if m.type == "CEB311")
    suffix = uuid.uuid4().hex[:10].upper()
    head = template.units[0].head | {"orderNo": f"BT{suffix}", "guid": str(uuid.uuid4()).upper()}
    message = Message("CEB311", str(uuid.uuid4()).upper(), "1.0", [Unit(head, template.units[0].lists)])
    return to_xml(message), head["orderNo"], head["buyerIdNumber"]


def _upload(page: Page, files: list[tuple[str, bytes]]) -> int:
    page.goto("/exchange/upload")
    page.locator("input[name=files]").set_input_files(
        [{"name": name, "mimeType": "application/xml", "buffer": data} for name, data in files]
    )
    with page.expect_navigation() as navigation:
        page.locator("main form button[type=submit]").click()
    response = navigation.value
    assert response is not None
    return response.status


def test_admin_lists_documents_and_filters_by_type(page: Page, sign_in, server) -> None:
    total = server.count("SELECT count(*) FROM documents WHERE city_code = ? AND is_current = 1", HANGZHOU)
    lists = server.count(
        "SELECT count(*) FROM documents WHERE city_code = ? AND is_current = 1 AND message_type = 'CEB621'", HANGZHOU
    )
    assert 0 < lists < total
    sign_in(page, "demo.admin")
    page.locator('nav[aria-label=main] a[href="/exchange"]').click()
    expect(page.locator("main h1")).to_have_text("报文申报")
    expect(page.locator("[data-testid=result-count]")).to_have_text(f"共 {total} 份")
    expect(page.locator(ROWS).first).to_be_visible()
    assert page.locator(ROWS).count() == 25  # one page

    page.locator("select[name=type]").select_option("CEB621")  # htmx swaps the results only
    expect(page.locator("[data-testid=result-count]")).to_have_text(f"共 {lists} 份")
    types = page.locator(ROWS).evaluate_all("rows => rows.map(r => r.dataset.type)")
    assert types
    assert set(types) == {"CEB621"}
    expect(page.locator(f"{ROWS} td").first).to_contain_text("进口清单")
    assert "type=CEB621" in page.url

    order_no = server.scalar(
        "SELECT order_no FROM documents WHERE message_type = 'CEB311' AND city_code = ? LIMIT 1", HANGZHOU
    )
    page.goto(f"/exchange?q={order_no}&type=CEB311")  # works without JavaScript as a plain GET
    expect(page.locator("[data-testid=result-count]")).to_have_text("共 1 份")
    expect(page.locator(ROWS)).to_have_count(1)


def test_a_released_list_shows_receipts_tax_and_its_trace(page: Page, sign_in, server) -> None:
    list_id, order_no = _passed_list(server)
    fen = server.scalar("SELECT total_tax FROM tax_assessments WHERE document_id = ?", list_id)
    assert isinstance(fen, int)
    sign_in(page, "demo.admin")
    page.goto(f"/exchange/{list_id}")
    expect(page.locator("[data-testid=document-status]")).to_have_text("放行")
    statuses = page.locator("[data-testid=receipts] tbody tr").evaluate_all("rows => rows.map(r => r.dataset.status)")
    assert {"120", "399", "800"} <= set(statuses)
    expect(page.locator("[data-testid=tax-total]")).to_have_text(str((Decimal(fen) / 100).quantize(Decimal("0.01"))))
    expect(page.locator("[data-testid=tax-items] tbody tr").first).to_be_visible()
    expect(page.locator("[data-testid=body-list] tbody tr").first).to_be_visible()

    # The buyer's ID number appears only masked: region code, eight stars, last four.
    shown = page.locator("[data-testid=body-head] tr:has(td code:text-is('buyerIdNumber')) td").nth(1).inner_text()
    assert re.fullmatch(r"\d{6}\*{8}[\dX]{4}", shown), shown
    unmasked = re.compile(re.escape(shown[:6]) + r"\d{8}" + re.escape(shown[-4:]))
    assert not unmasked.search(page.content())

    page.locator("[data-testid=trace-link]").click()
    assert urlparse(page.url).path == "/exchange/trace"
    expect(page.locator("input[name=key]")).to_have_value(order_no)
    documents = page.locator("[data-testid=trace-document]")
    expect(documents).to_have_count(4)
    types = documents.evaluate_all("rows => rows.map(r => r.dataset.type)")
    assert sorted(types) == ["CEB311", "CEB411", "CEB511", "CEB621"]
    expect(page.locator("[data-testid=trace-events]").first).to_be_visible()


def test_upload_accepts_then_reports_a_repeat_and_a_broken_file(page: Page, sign_in, server) -> None:
    xml, order_no, buyer_id = _fresh_order()
    assert server.count("SELECT count(*) FROM documents WHERE order_no = ?", order_no) == 0
    sign_in(page, "demo.admin")
    page.locator('nav[aria-label=main] a[href="/exchange/upload"]').click()
    expect(page.locator("main h1")).to_have_text("上传报文")

    assert _upload(page, [("order.xml", xml)]) == 200
    result = page.locator("[data-testid=upload-result]")
    expect(result).to_have_count(1)
    expect(result).to_have_attribute("data-verdict", "accepted")
    expect(result.locator("[data-testid=verdict]")).to_contain_text("已接收")
    assert server.count("SELECT count(*) FROM documents WHERE order_no = ?", order_no) == 1

    assert _upload(page, [("order.xml", xml)]) == 200
    expect(page.locator("[data-testid=upload-result]")).to_have_attribute("data-verdict", "repeat")
    expect(page.locator("[data-testid=verdict]")).to_contain_text("repeat")
    assert server.count("SELECT count(*) FROM documents WHERE order_no = ?", order_no) == 1

    broken = (_conformance() / "ceb603-not-well-formed.xml").read_bytes()
    assert _upload(page, [("ceb603-not-well-formed.xml", broken)]) == 422
    expect(page.locator("[data-testid=upload-result]")).to_have_attribute("data-verdict", "rejected")
    errors = page.locator("[data-testid=errors] tbody tr")
    expect(errors.first).to_contain_text("xml.not_well_formed")
    expect(errors.first).to_contain_text("XML 格式不正确")

    # The stored order shows the buyer's ID number masked, never in full.
    document_id = server.scalar("SELECT id FROM documents WHERE order_no = ?", order_no)
    page.goto(f"/exchange/{document_id}")
    expect(page.locator("[data-testid=document-status]")).to_be_visible()
    content = page.content()
    assert buyer_id not in content
    assert f"{buyer_id[:6]}********{buyer_id[-4:]}" in content


def test_an_enterprise_user_sees_only_its_own_documents(page: Page, sign_in, server) -> None:
    enterprise_id = server.scalar("SELECT enterprise_id FROM users WHERE username = 'demo.enterprise'")
    own = server.count("SELECT count(*) FROM documents WHERE enterprise_id = ? AND is_current = 1", enterprise_id)
    other = server.scalar(
        "SELECT id FROM documents WHERE enterprise_id IS NOT NULL AND enterprise_id != ? LIMIT 1", enterprise_id
    )
    sign_in(page, "demo.enterprise")
    page.locator('nav[aria-label=main] a[href="/exchange"]').click()
    expect(page.locator("[data-testid=result-count]")).to_have_text(f"共 {own} 份")
    if own == 0:
        expect(page.locator("[data-testid=empty]")).to_be_visible()
    else:
        expect(page.locator(ROWS)).to_have_count(min(own, 25))

    response = page.goto(f"/exchange/{other}")
    assert response is not None
    assert response.status == 403
    expect(page.locator("[data-testid=error-status]")).to_have_text("403")
