"""Registry pages as the 杭州 city administrator: the form, live search and the bulk import."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, expect

from cbec.kernel.ids import uscc_problem, uscc_with_check

NAV = "nav[aria-label=main] a"
FORM_ERRORS = "[data-testid=form-errors]"
HISTORY_ROWS = "main section.card:has(h2:text-is('变更记录')) tbody tr"
NEW_NAME = "杭州浏览器测试跨境贸易有限公司"
NEW_PARK = "杭州跨境电商综合试验区滨江园"
EDITED_PARK = "杭州跨境电商综合试验区下沙园"


def _fact(page: Page, label: str) -> str:
    return (
        page.locator(f"xpath=//dl[contains(@class,'facts')]/dt[normalize-space()='{label}']/following-sibling::dd[1]")
        .inner_text()
        .strip()
    )


def _submit(page: Page, selector: str = "main form.card button[type=submit]") -> int:
    with page.expect_navigation() as navigation:
        page.locator(selector).click()
    response = navigation.value
    assert response is not None
    return response.status


def test_create_refuses_a_bad_uscc_then_registers_and_edits(page: Page, sign_in, server) -> None:
    good = uscc_with_check("91330106MA2CB7TE1")
    assert uscc_problem(good) is None
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    assert uscc_problem(bad) is not None
    assert server.count("SELECT count(*) FROM enterprises WHERE uscc IN (?, ?)", good, bad) == 0
    before = server.count("SELECT count(*) FROM enterprises")

    sign_in(page, "demo.admin")
    page.locator(f'{NAV}[href="/enterprises/new"]').click()
    expect(page.locator("main h1")).to_have_text("新增主体备案")
    page.locator("input[name=uscc]").fill(bad)
    page.locator("input[name=name]").fill(NEW_NAME)
    page.locator("select[name=city_code]").select_option("330100")
    page.locator("select[name=district_code]").select_option("330106")
    page.locator("input[name=park]").fill(NEW_PARK)
    page.locator("input[name=registered_on]").fill("2024-03-01")
    expect(page.locator("input[name=roles][value=ebc]")).to_be_checked()
    events_before = server.count("SELECT count(*) FROM audit_events")  # after our own sign-in event
    assert _submit(page) == 422

    errors = page.locator(FORM_ERRORS)
    expect(errors).to_contain_text("uscc")
    expect(errors).to_contain_text("uscc.invalid")
    expect(errors.locator("li")).to_have_count(1)
    expect(page.locator("input[name=uscc]")).to_have_value(bad)  # what was typed is kept
    expect(page.locator("input[name=name]")).to_have_value(NEW_NAME)
    assert server.count("SELECT count(*) FROM enterprises") == before
    assert server.count("SELECT count(*) FROM audit_events") == events_before

    page.locator("input[name=uscc]").fill(good)
    assert _submit(page) == 200
    match = re.fullmatch(r"/enterprises/(\d+)", urlparse(page.url).path)
    assert match, page.url
    new_id = int(match.group(1))
    assert server.count("SELECT id FROM enterprises WHERE uscc = ?", good) == new_id
    assert server.count("SELECT count(*) FROM enterprises") == before + 1
    expect(page.locator("[data-testid=enterprise-name]")).to_have_text(NEW_NAME)
    assert _fact(page, "版本") == "1"
    assert _fact(page, "区县/镇街/功能区") == "西湖区"
    history = page.locator(HISTORY_ROWS)
    expect(history).to_have_count(1)
    expect(history.locator("td:nth-child(4)")).to_have_text(["enterprise.create"])

    page.locator(f"main a.button[href='/enterprises/{new_id}/edit']").click()
    expect(page.locator("main h1")).to_have_text("编辑主体备案")
    expect(page.locator("input[name=park]")).to_have_value(NEW_PARK)
    page.locator("input[name=park]").fill(EDITED_PARK)
    assert _submit(page) == 200
    assert urlparse(page.url).path == f"/enterprises/{new_id}"
    assert _fact(page, "版本") == "2"
    assert _fact(page, "园区") == EDITED_PARK
    expect(page.locator(HISTORY_ROWS).locator("td:nth-child(4)")).to_have_text(
        ["enterprise.update", "enterprise.create"]
    )
    assert server.scalar("SELECT park FROM enterprises WHERE id = ?", new_id) == EDITED_PARK
    assert server.count("SELECT version FROM enterprises WHERE id = ?", new_id) == 2
    assert server.count("SELECT count(*) FROM enterprises") == before + 1

    # Two open edit forms: the second save finds version 3 stored and keeps its input with a reason.
    page.goto(f"{server.base_url}/enterprises/{new_id}/edit")
    other = page.context.new_page()
    other.goto(f"{server.base_url}/enterprises/{new_id}/edit")
    other.locator("input[name=park]").fill("先保存的园区")
    assert _submit(other) == 200
    other.close()
    page.locator("input[name=park]").fill("后保存的园区")
    assert _submit(page) == 409
    expect(page.locator("[data-testid=form-errors]")).to_contain_text("enterprise.stale")
    expect(page.locator("input[name=park]")).to_have_value("后保存的园区")
    assert server.scalar("SELECT park FROM enterprises WHERE id = ?", new_id) == "先保存的园区"
    assert server.count("SELECT version FROM enterprises WHERE id = ?", new_id) == 3


def test_live_search_narrows_the_table(page: Page, sign_in, server, api_total) -> None:
    total = api_total()
    names = [
        str(server.scalar("SELECT name FROM enterprises WHERE city_code = '330100' ORDER BY id LIMIT 1 OFFSET ?", i))
        for i in range(10)
    ]
    fragment, expected = next(
        (f, n) for f, n in ((name[2:5], api_total(q=name[2:5])) for name in names) if 0 < n < total
    )

    sign_in(page, "demo.admin")
    page.locator(f'{NAV}[href="/enterprises"]').click()
    count = page.locator("[data-testid=result-count]")
    expect(count).to_have_text(f"共 {total} 家")
    page.evaluate("window.__sameDocument = true")  # survives an htmx swap, not a page load
    with page.expect_response(
        lambda r: urlparse(r.url).path == "/enterprises" and r.request.headers.get("hx-request") == "true"
    ) as swap:
        page.locator("main input[name=q]").press_sequentially(fragment, delay=40)
    assert swap.value.status == 200
    expect(count).to_have_text(f"共 {expected} 家")
    rows = page.locator("[data-testid=enterprise-table] tbody tr")
    expect(rows).to_have_count(min(expected, 25))
    for name in rows.locator("td:first-child").all_inner_texts():
        assert fragment in name
    assert page.evaluate("window.__sameDocument") is True
    assert parse_qs(urlparse(page.url).query).get("q") == [fragment]


IMPORT_SUBMIT = "main form[enctype='multipart/form-data'] button[type=submit]"


def _open_import(page: Page) -> None:
    page.locator(f'{NAV}[href="/enterprises/import"]').click()
    expect(page.locator("main h1")).to_have_text("批量导入备案企业")


def test_import_refuses_bad_rows_then_imports_the_valid_ones(
    page: Page, sign_in, server, api_total, import_file, tmp_path
) -> None:
    workbook = tmp_path / "enterprises.xlsx"
    workbook.write_bytes(import_file.content)
    total = api_total()
    stored = server.count("SELECT count(*) FROM enterprises")

    sign_in(page, "demo.admin")
    _open_import(page)
    page.locator("main input[type=file]").set_input_files(str(workbook))
    assert _submit(page, IMPORT_SUBMIT) == 422
    expect(page.locator("[data-testid=import-verdict]")).to_have_text("文件中有 3 行有误，已全部退回，未导入任何企业。")
    error_rows = page.locator("[data-testid=import-errors] tbody tr td:first-child")
    expect(error_rows).to_have_text(["4", "11", "17"])
    expect(page.locator("[data-testid=import-errors] tbody tr")).to_contain_text(
        ["uscc.invalid", "uscc.duplicate_in_file", "district.unknown"]
    )
    assert api_total() == total
    assert server.count("SELECT count(*) FROM enterprises") == stored

    page.locator("main input[type=file]").set_input_files(str(workbook))
    page.locator("main input[name=valid_only]").check()
    assert _submit(page, IMPORT_SUBMIT) == 200
    expect(page.locator("[data-testid=import-verdict]")).to_have_text("共 20 行，已导入 17 家。")
    expect(error_rows).to_have_text(["4", "11", "17"])
    assert api_total() == total + 17
    assert server.count("SELECT count(*) FROM enterprises") == stored + 17
    assert import_file.good_usccs <= server.usccs()


def test_import_refuses_a_file_that_is_not_xlsx(page: Page, sign_in, server, api_total) -> None:
    total = api_total()
    sign_in(page, "demo.admin")
    _open_import(page)
    page.locator("main input[type=file]").set_input_files(
        files=[
            {
                "name": "enterprises.csv",
                "mimeType": "text/csv",
                "buffer": "统一社会信用代码,企业名称\n91330106MA2CB7TE1X,某公司\n".encode(),
            }
        ]
    )
    assert _submit(page, IMPORT_SUBMIT) == 422
    expect(page.locator("[data-testid=import-file-error]")).to_contain_text("file.not_xlsx")
    expect(page.locator("[data-testid=import-report]")).to_have_count(0)
    assert api_total() == total
