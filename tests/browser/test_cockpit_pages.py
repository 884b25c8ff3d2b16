"""The cockpit (数据驾驶舱) in a real browser on the seeded demo data (2023-01 … 2024-12).

The city administrator sees the district ranking of 杭州; the 滨江区 officer sees 滨江区 only and is
refused another district. Expected numbers are taken at test time from the page itself and from
another role's page (the officer's total must equal 滨江区's row in the administrator's ranking;
the ranking must add up to the city total), never hard-coded.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cbec.testing.pdf import pdf_text

PERIOD = "from=2024-01&to=2024-12"
BINJIANG, XIHU = "330108", "330106"
CHART_TIMEOUT_MS = 20_000


@pytest.fixture(scope="module", autouse=True)
def analytics_ready(server) -> None:  # type: ignore[no-untyped-def]
    """Build the analytics store once, so the first page does not pay the full rebuild."""
    server.cli("analytics", "refresh")


def _open(page: Page, path: str) -> None:
    response = page.goto(path, timeout=60_000)
    assert response is not None
    assert response.status == 200, f"{path}: HTTP {response.status}"


def _chart_json(page: Page, key: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(page.locator(f"script#chart-{key}").text_content() or "{}")
    return data


def _wait_for_charts(page: Page) -> None:
    page.wait_for_function(
        "() => window.echarts && document.querySelectorAll('[data-cockpit-chart]').length > 0 && "
        "Array.from(document.querySelectorAll('[data-cockpit-chart]')).every(el => el.dataset.rendered === 'true')",
        timeout=CHART_TIMEOUT_MS,
    )


def _chart_state(page: Page, key: str) -> dict[str, int]:
    state: dict[str, int] = page.evaluate(
        """key => {
            const el = document.getElementById(`chart-${key}-canvas`);
            const chart = window.echarts.getInstanceByDom(el);
            const canvas = el.querySelector('canvas');
            return {
                points: chart.getOption().series[0].data.length,
                width: canvas ? canvas.width : 0,
                height: canvas ? canvas.height : 0,
            };
        }""",
        key,
    )
    return state


def _assert_drawn(page: Page, key: str) -> None:
    state = _chart_state(page, key)
    assert state["points"] > 0, f"chart {key} has no data: {state}"
    assert state["width"] > 0, f"chart {key} canvas has no size: {state}"
    assert state["height"] > 0, f"chart {key} canvas has no size: {state}"


def _table_matches_chart(page: Page, key: str) -> int:
    """The data table lists the chart's numbers: same categories, same 万元 values. Returns rows."""
    data = _chart_json(page, key)
    rows = page.locator(f"#table-{key} tbody tr")
    assert rows.count() == len(data["categories"])
    for i, label in enumerate(data["categories"]):
        row = rows.nth(i)
        assert (row.locator("td").first.text_content() or "").strip() == label
        for series in data["series"]:
            cell = (row.locator(f"td[data-series='{series['key']}']").text_content() or "").strip()
            value = series["data"][i]
            if value is None:
                assert cell == "—"
            else:
                assert Decimal(cell.replace(",", "")) == Decimal(str(value)), (key, label, cell, value)
    return rows.count()


def _fen(yuan: str | None) -> int:
    return int(Decimal(yuan or "-0.01") * 100)


def _kpi_fen(page: Page, key: str) -> int:
    return int(page.get_by_test_id(f"kpi-{key}").get_attribute("data-fen") or "-1")


def test_admin_sees_city_overview_with_district_ranking(page: Page, sign_in) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "demo.admin")
    _open(page, f"/cockpit?{PERIOD}")
    expect(page.get_by_test_id("cockpit-place")).to_have_text("杭州市")
    _wait_for_charts(page)
    for key in ("trend", "codes", "districts"):
        _assert_drawn(page, key)
        _table_matches_chart(page, key)

    # The ranking covers several districts and adds up to the city's trade value exactly.
    ranking = page.locator("#table-districts tbody tr")
    assert ranking.count() >= 3
    fens = [int(ranking.nth(i).get_attribute("data-fen") or "0") for i in range(ranking.count())]
    assert sum(fens) == _kpi_fen(page, "trade_value")
    assert fens == sorted(fens, reverse=True)
    # Exports and imports add up to the total.
    assert _kpi_fen(page, "export") + _kpi_fen(page, "import") == _kpi_fen(page, "trade_value")
    assert page.get_by_test_id("kpi-trade_value").get_attribute("data-metric") == "trade_value"
    expect(page.get_by_test_id("caliber-trend")).to_contain_text("trade_value")

    # "View as table" shows the rows; a second click hides them again.
    table = page.get_by_test_id("table-districts")
    expect(table).to_be_hidden()
    page.get_by_test_id("toggle-districts").click()
    expect(table).to_be_visible()
    expect(table.locator("tbody tr").first).to_be_visible()
    page.get_by_test_id("toggle-districts").click()
    expect(table).to_be_hidden()

    href = page.get_by_test_id("export-trend-csv").get_attribute("href") or ""
    assert href.startswith("/api/v1/stats/metrics/trade_value?format=csv")
    assert "by=month%2Cdirection" in href
    # Target statuses of 杭州 (cbec.stats.target_services): a row per target, gauges drawn.
    targets = page.get_by_test_id("targets-table").locator("tbody tr")
    assert targets.count() > 0
    if page.locator("#chart-targets-canvas").count():
        _assert_drawn(page, "targets")


def test_officer_sees_only_own_district(page: Page, sign_in) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "demo.admin")
    _open(page, f"/cockpit?{PERIOD}")
    row = page.locator(f"#table-districts tbody tr[data-key='{BINJIANG}']")
    binjiang_fen = int(row.get_attribute("data-fen") or "-1")
    assert binjiang_fen > 0
    _open(page, f"/cockpit/district/{BINJIANG}?{PERIOD}")
    assert _kpi_fen(page, "trade_value") == binjiang_fen
    page.context.clear_cookies()

    sign_in(page, "demo.officer")
    _open(page, f"/cockpit?{PERIOD}")
    expect(page.get_by_test_id("cockpit-place")).to_have_text("滨江区")
    assert _kpi_fen(page, "trade_value") == binjiang_fen
    # No ranking of other districts and no district chart.
    assert page.locator("#table-districts, #chart-districts-canvas, script#chart-districts").count() == 0
    _wait_for_charts(page)
    for key in ("trend", "codes"):
        _assert_drawn(page, key)
        rows = _table_matches_chart(page, key)
        assert rows > 0
    page.get_by_test_id("toggle-trend").click()
    expect(page.get_by_test_id("table-trend").locator("tbody tr").first).to_be_visible()
    page.get_by_test_id("toggle-trend").click()

    denied = page.goto(f"/cockpit/district/{XIHU}?{PERIOD}")
    assert denied is not None
    assert denied.status == 403
    _open(page, f"/cockpit/district/{BINJIANG}?{PERIOD}")
    assert _kpi_fen(page, "trade_value") == binjiang_fen


def test_bulletin_and_enterprise_view(page: Page, sign_in) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "demo.admin")
    _open(page, "/cockpit/bulletin?month=2024-12")
    bulletin = page.get_by_test_id("bulletin")
    expect(bulletin).to_contain_text("杭州市")
    figures = page.get_by_test_id("bulletin-figures")
    month_fen = _fen(figures.locator("tr[data-label='进出口总额（元）']").get_attribute("data-value"))
    ytd_fen = _fen(figures.locator("tr[data-label='本年累计进出口总额（元）']").get_attribute("data-value"))
    _open(page, "/cockpit?from=2024-12&to=2024-12")
    assert _kpi_fen(page, "trade_value") == month_fen
    _open(page, f"/cockpit?{PERIOD}")
    assert _kpi_fen(page, "trade_value") == ytd_fen
    # English through the existing locale switch.
    page.get_by_test_id("lang-switch").click()
    expect(page.get_by_test_id("cockpit-title")).to_contain_text("Statistics cockpit")
    expect(page.get_by_test_id("toggle-trend")).to_have_text("View as table")
    page.get_by_test_id("lang-switch").click()
    expect(page.get_by_test_id("cockpit-title")).to_contain_text("数据驾驶舱")
    page.context.clear_cookies()

    sign_in(page, "demo.enterprise")
    _open(page, f"/cockpit?{PERIOD}")
    assert page.url.split("?")[0].endswith("/cockpit/enterprise")
    expect(page.get_by_test_id("kpi-trade_value")).to_be_visible()
    assert page.locator("#table-districts").count() == 0


def test_bulletin_page_and_pdf_carry_the_same_headline_figures(page: Page, sign_in) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "demo.admin")
    _open(page, "/cockpit/bulletin?month=2024-12")
    rows = page.get_by_test_id("bulletin-figures").locator("tbody tr")
    shown = [
        [(rows.nth(i).locator("td").nth(j).text_content() or "").strip() for j in range(3)] for i in range(rows.count())
    ]
    assert len(shown) == 8
    assert shown[0][0] == "进出口总额（元）"
    assert Decimal(shown[0][1].replace(",", "")) > 0
    href = page.get_by_test_id("bulletin-pdf").get_attribute("href")
    assert href == "/api/v1/stats/bulletin/330100/2024-12.pdf"
    response = page.request.get(href)  # the signed-in session's cookie
    assert response.status == 200
    lines = pdf_text(response.body()).splitlines()
    at = lines.index("进出口总额（元）")
    printed = [lines[at + 3 * i : at + 3 * i + 3] for i in range(len(shown))]
    assert printed == [[label, value, " ".join(note.split())] for label, value, note in shown]
    page.context.clear_cookies()

    sign_in(page, "demo.officer")  # the page shows the officer's district; the PDF is not offered
    _open(page, "/cockpit/bulletin?month=2024-12")
    expect(page.get_by_test_id("bulletin")).to_contain_text("滨江区")
    assert page.get_by_test_id("bulletin-pdf").count() == 0
