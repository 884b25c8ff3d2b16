"""Statistics over HTTP through the real ASGI app: the catalog, a metric as JSON/CSV/.xlsx/Parquet
with totals equal to an independent sum over the SQLite tables, scoping by role, 422s naming the
field, the visible fact lines as Parquet, the monthly bulletin PDF and the refresh.

Seeded once per module with the small demo (``cbec demo seed --size small``: 20 enterprises,
one account per role, import and export traffic through intake, no exchange rates loaded, so
every non-CNY line is unconverted), plus an enterprise user of the 滨江区 exporter and a city
administrator of 济南市.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text

from cbec.bootstrap import Platform
from cbec.config import Settings
from cbec.demo.seed import seed_demo
from cbec.demo.traffic import seed_traffic
from cbec.identity.services import NewUser, create_user
from cbec.kernel.clock import FixedClock
from cbec.registry.districts import load_districts
from cbec.stats.catalog import CATALOG
from cbec.stats.facts import fen
from cbec.stats.refresh import refresh
from cbec.storage import migrate
from cbec.storage.db import make_engine
from cbec.testing.pdf import pdf_text

CITY, DISTRICT, OTHER_DISTRICT, OTHER_CITY = "330100", "330108", "330106", "370100"
URL = "/api/v1/stats"
Totals = dict[tuple[str, str], tuple[Decimal, int]]  # (month, direction) -> (yuan, unconverted lines)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    folder = tmp_path_factory.mktemp("stats")
    url = f"sqlite:///{folder / 'cbec.sqlite3'}"
    migrate.upgrade(url)
    settings = Settings(database_url=url, data_dir=folder)
    engine = make_engine(url)
    built = Platform(settings, engine, load_districts(), FixedClock(datetime(2024, 11, 26, 2, tzinfo=UTC)))
    seed_demo(built.uow, built.districts, seed=settings.demo_seed, password=settings.demo_password, count=20)
    seed_traffic(built.uow, built.districts, built.intake_context(), size="small", seed=settings.demo_seed)
    with engine.connect() as conn:
        exporter = conn.execute(
            text("SELECT DISTINCT enterprise_id FROM export_lists WHERE district_code = :d"), {"d": DISTRICT}
        ).scalar_one()
    for new in (
        NewUser("bj.exporter", "滨江出口企业", "enterprise", "exporter-pass-2024", enterprise_id=exporter),
        NewUser("jn.admin", "济南市管理员", "city_admin", "jinan-admin-pass-2024", city_code=OTHER_CITY),
    ):
        with built.uow() as uow:
            create_user(uow, new, built.districts)
    refresh(built)
    built.exporter_id = exporter  # type: ignore[attr-defined]
    try:
        yield built
    finally:
        engine.dispose()


def independent_totals(platform: Platform, city: str, district: str | None = None) -> Totals:
    """Released value per (month, direction) straight from the SQLite tables: export items from
    export_lists/export_list_items, import items from the CEB621 bodies with their customs 800
    receipt, placed by the e-commerce enterprise's registry entry. Only CNY (142) is converted
    here, as no rates are loaded; other lines are counted."""
    found: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    where = "AND l.district_code = :district" if district else ""
    with platform.engine.connect() as conn:
        exports = conn.execute(
            text(
                "SELECT l.released_on, i.total, i.currency FROM export_lists l "
                "JOIN documents d ON d.id = l.document_id "
                "JOIN export_list_items i ON i.document_id = l.document_id "
                "WHERE d.is_current AND NOT d.withdrawn AND l.status IN ('800', '899') "
                f"AND l.released_on IS NOT NULL AND l.city_code = :city {where}"
            ),
            {"city": city, "district": district},
        )
        for released_on, total_fen, currency in exports:
            entry = found[(str(released_on)[:7], "export")]
            if currency == "142":
                entry[0] += int(total_fen)
            else:
                entry[1] += 1
        imports = conn.execute(
            text(
                # An import list belongs to its e-commerce enterprise's place (ebcCode), not its sender's.
                "SELECT r.return_time, d.body FROM documents d JOIN receipts r ON r.document_id = d.id "
                "AND r.origin = 'customs' AND r.return_status = '800' "
                "JOIN enterprises e ON e.customs_code = d.ebc_code "
                "WHERE d.message_type = 'CEB621' AND d.is_current AND NOT d.withdrawn "
                f"AND d.status IN ('800', '899') AND e.city_code = :city {where.replace('l.', 'e.')}"
            ),
            {"city": city, "district": district},
        )
        for return_time, body in imports:
            month = f"{return_time[:4]}-{return_time[4:6]}"
            for rows in json.loads(body)["lists"].values():
                for row in rows:
                    entry = found[(month, "import")]
                    if (row.get("currency") or "142") == "142":
                        entry[0] += fen(Decimal(row["totalPrice"]))
                    else:
                        entry[1] += 1
    return {key: ((Decimal(v[0]) / 100).quantize(Decimal("0.01")), v[1]) for key, v in found.items()}


def api_totals(rows: list[dict[str, object]]) -> Totals:
    return {
        (str(r["month"]), str(r["direction"])): (Decimal(str(r["value"])), int(str(r["unconverted_lines"])))
        for r in rows
    }


def test_the_catalog_lists_every_metric_with_its_caliber(client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"{URL}/metrics", headers=bearer("demo.officer"))
    assert response.status_code == 200, response.text
    metrics = {m["name"]: m for m in response.json()["metrics"]}
    assert sorted(metrics) == sorted(CATALOG)
    trade = metrics["trade_value"]
    assert trade["title"] == {"zh": "进出口额", "en": "Trade value"}
    assert trade["caliber"] == CATALOG["trade_value"].caliber
    assert (trade["unit"], trade["default_by"]) == ("fen", ["month"])
    assert trade["value_columns"] == [
        {"name": "value", "source": "value_fen", "zh": "金额（元）", "en": "Value (CNY)"},
        {"name": "unconverted_lines", "source": "unconverted_lines", "zh": "未折算行数", "en": "Unconverted lines"},
    ]
    assert "year" not in metrics["yoy_growth"]["allowed_by"]


def test_trade_value_equals_an_independent_sum_of_the_tables(client: TestClient, bearer, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"{URL}/metrics/trade_value", params={"by": "month,direction"}, headers=bearer("demo.admin"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["metric"], body["by"], body["scope"]["city"]) == ("trade_value", ["month", "direction"], CITY)
    assert body["caliber"] == CATALOG["trade_value"].caliber
    expected = independent_totals(platform, CITY)
    assert sum(v for v, _ in expected.values()) > Decimal(100000)  # the demo has real traffic
    assert any(n for _, n in expected.values())  # and lines without a rate
    assert api_totals(body["rows"]) == expected
    assert all(isinstance(r["value"], str) and r["value"].count(".") == 1 for r in body["rows"])
    default = client.get(f"{URL}/metrics/trade_value", params={"by": ""}, headers=bearer("demo.admin")).json()
    assert default["by"] == ["month"]

    november = client.get(
        f"{URL}/metrics/trade_value",
        params={"from": "2024-11", "to": "2024-11", "by": "direction", "direction": "export"},
        headers=bearer("demo.admin"),
    ).json()
    assert november["rows"] == [
        {
            "direction": "export",
            "value": str(expected[("2024-11", "export")][0]),
            "unconverted_lines": expected[("2024-11", "export")][1],
        }
    ]


def test_a_district_officer_sees_only_the_district(client: TestClient, bearer, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    officer = bearer("demo.officer")
    response = client.get(f"{URL}/metrics/trade_value", params={"by": "month,direction,district"}, headers=officer)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"]["district"] == DISTRICT
    assert {r["district"] for r in body["rows"]} == {DISTRICT}
    rows = [{k: v for k, v in r.items() if k != "district"} for r in body["rows"]]
    assert api_totals(rows) == independent_totals(platform, CITY, DISTRICT)
    other = client.get(f"{URL}/metrics/trade_value", params={"district": OTHER_DISTRICT}, headers=officer)
    assert other.status_code == 403
    assert other.json()["code"] == "permission_denied"


def test_another_city_is_refused(client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"{URL}/metrics/trade_value", params={"city": OTHER_CITY}, headers=bearer("demo.admin"))
    assert response.status_code == 403
    assert response.json()["message"] == f"you see statistics of city {CITY} only"
    # 济南's administrator sees 济南 only: no Hangzhou rows come back.
    jinan = client.get(f"{URL}/metrics/trade_value", params={"by": "city"}, headers=bearer("jn.admin")).json()
    assert [r["city"] for r in jinan["rows"]] == [OTHER_CITY]


def test_an_enterprise_sees_its_own_figures(client: TestClient, bearer, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    own = platform.exporter_id  # type: ignore[attr-defined]
    user = bearer("bj.exporter")
    body = client.get(f"{URL}/metrics/list_count", params={"by": "enterprise"}, headers=user).json()
    assert [r["enterprise"] for r in body["rows"]] == [own]
    assert body["rows"][0]["lists"] > 0
    assert client.get(f"{URL}/metrics/list_count", params={"enterprise": own + 1}, headers=user).status_code == 403


def test_bad_requests_name_the_field_and_the_rule(client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    admin = bearer("demo.admin")

    def errors(name: str, **params: str) -> list[dict[str, str]]:
        response = client.get(f"{URL}/metrics/{name}", params=params, headers=admin)
        assert response.status_code == 422, response.text
        found: list[dict[str, str]] = response.json()["errors"]
        assert all(e["hint"] for e in found)
        return found

    assert [(e["path"], e["code"]) for e in errors("trade_value", **{"from": "2024-13"})] == [("from", "month.format")]
    assert [(e["path"], e["code"]) for e in errors("trade_value", to="2024-1")] == [("to", "month.format")]
    assert [(e["path"], e["code"]) for e in errors("trade_value", by="month,planet")] == [("by", "metric.dimension")]
    assert [(e["path"], e["code"]) for e in errors("gdp")] == [("metric", "metric.unknown")]
    assert [(e["path"], e["code"]) for e in errors("trade_value", by="month,month")] == [("by", "by.duplicate")]
    assert [(e["path"], e["code"]) for e in errors("trade_value", direction="sideways")] == [
        ("direction", "direction.unknown")
    ]
    assert [(e["path"], e["code"]) for e in errors("trade_value", **{"from": "2024-05", "to": "2024-01"})] == [
        ("to", "month.order")
    ]
    assert [e["path"] for e in errors("trade_value", format="pdf")] == ["format"]


def test_csv_xlsx_and_parquet_hold_the_json_numbers(client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    admin = bearer("demo.admin")
    params = {"by": "district,direction", "from": "2023-01", "to": "2024-12"}
    rows = client.get(f"{URL}/metrics/trade_value", params=params, headers=admin).json()["rows"]
    assert rows
    expected = [[r["district"], r["direction"], Decimal(r["value"]), r["unconverted_lines"]] for r in rows]

    answer = client.get(f"{URL}/metrics/trade_value", params=params | {"format": "csv"}, headers=admin)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert table[0] == ["区县代码", "进出口方向", "金额（元）", "未折算行数"]
    assert [[a, b, Decimal(c), int(d)] for a, b, c, d in table[1:]] == expected

    answer = client.get(f"{URL}/metrics/trade_value", params=params | {"format": "xlsx"}, headers=admin)
    assert answer.status_code == 200
    assert "attachment" in answer.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    assert [c.value for c in sheet[4]] == ["区县代码", "进出口方向", "金额（元）", "未折算行数"]
    cells = [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
    assert [[a, b, Decimal(repr(c)).quantize(Decimal("0.01")), d] for a, b, c, d in cells] == expected
    assert sheet["C5"].number_format == "#,##0.00"

    answer = client.get(f"{URL}/metrics/trade_value", params=params | {"format": "parquet"}, headers=admin)
    assert answer.status_code == 200
    parquet = pq.read_table(io.BytesIO(answer.content))
    assert parquet.schema.field("value").type == pa.decimal128(18, 2)
    assert [
        [r["district"], r["direction"], r["value"], r["unconverted_lines"]] for r in parquet.to_pylist()
    ] == expected


def test_the_fact_lines_download_is_scoped(client: TestClient, bearer, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"{URL}/lines.parquet", headers=bearer("demo.officer"))
    assert response.status_code == 200, response.text
    lines = pq.read_table(io.BytesIO(response.content))
    assert lines.schema.field("cny_fen").type == pa.int64()
    assert set(lines.column("district_code").to_pylist()) == {DISTRICT}
    released = [r for r in lines.to_pylist() if r["released"]]
    expected = independent_totals(platform, CITY, DISTRICT)
    assert sum(r["cny_fen"] or 0 for r in released) == sum(fen(v) for v, _ in expected.values())
    assert sum(1 for r in released if r["cny_fen"] is None) == sum(n for _, n in expected.values())
    refused = client.get(f"{URL}/lines.parquet", params={"city": OTHER_CITY}, headers=bearer("demo.officer"))
    assert refused.status_code == 403


def test_the_bulletin_pdf(client: TestClient, bearer, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"{URL}/bulletin/{CITY}/2024-11.pdf", headers=bearer("demo.admin"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert b"STSong-Light" in response.content
    expected = independent_totals(platform, CITY)
    values = {d: expected.get(("2024-11", d), (Decimal(0), 0)) for d in ("import", "export")}
    lines = pdf_text(response.content).splitlines()
    assert lines[0] == "杭州市跨境电商统计月度简报（2024-11）"
    at = lines.index("进出口总额（元）")
    assert lines[at + 1] == f"{values['import'][0] + values['export'][0]:,.2f}"
    assert lines[at + 4] == f"{values['import'][0]:,.2f}"
    assert lines[at + 7] == f"{values['export'][0]:,.2f}"
    assert lines[lines.index("未折算行数", at) + 1] == str(values["import"][1] + values["export"][1])
    assert client.get(f"{URL}/bulletin/{CITY}/2024-11.pdf", headers=bearer("demo.officer")).status_code == 403
    assert client.get(f"{URL}/bulletin/{CITY}/2024-11.pdf", headers=bearer("jn.admin")).status_code == 403
    bad = client.get(f"{URL}/bulletin/{CITY}/2024-13.pdf", headers=bearer("demo.admin"))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["path"] == "month"
    assert client.get(f"{URL}/bulletin/999999/2024-11.pdf", headers=bearer("demo.admin")).status_code == 404


def test_refresh_is_for_city_administrators(client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    response = client.post(f"{URL}/refresh", headers=bearer("demo.admin"))
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"lists", "lines", "batches"}
    assert client.post(f"{URL}/refresh", headers=bearer("demo.auditor")).status_code == 403
    assert client.post(f"{URL}/refresh", headers=bearer("demo.officer")).status_code == 403
