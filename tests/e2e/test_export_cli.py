"""``cbec export summarize | register | reconcile | income | return`` in a real subprocess against a
SQLite file that holds one month of released exports (seeded in-process through intake)."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from cbec.bootstrap import Platform
from cbec.config import Settings
from cbec.exchange.customs import SimulatedCustoms, SimulationRates
from cbec.exchange.intake import IntakeContext, ingest_message
from cbec.exchange.xmlcodec import to_xml
from cbec.identity.model import SYSTEM
from cbec.kernel.clock import SystemClock
from cbec.registry.districts import load_districts
from cbec.registry.services import create_enterprise
from cbec.storage import migrate
from cbec.storage.db import make_engine
from cbec.testing.exports import Item, Shipment, arrival, departure, party_inputs

MAY = date(2024, 5, 6)
# Three items at 0.335 (1.005 → the list is worth 1.01) and one at 150.00 × 2: 301.01 CNY in all.
PAID = Shipment("201", MAY, items=[Item("8517130000", "智能手机", "3", "0.335")])
UNPAID = Shipment("202", MAY, ebc="3301E00002", owner="3301E00002")
BIG = Shipment("203", MAY)


def _seed(db: Path) -> dict[str, str]:
    url = f"sqlite:///{db}"
    migrate.upgrade(url)
    engine = make_engine(url)
    platform = Platform(Settings(database_url=url), engine, load_districts(), SystemClock())
    usccs = {}
    with platform.uow() as uow:
        for data in party_inputs():
            usccs[data.customs_code or ""] = create_enterprise(uow, SYSTEM, data, platform.districts).uscc
    ctx = IntakeContext(platform.protector, SimulatedCustoms(SimulationRates(0, 0)))
    shipments = [PAID, UNPAID, BIG]
    messages = [m for s in shipments for m in (s.order(), s.waybill(), s.inventory())]
    messages += [arrival(shipments, date(2024, 5, 7), "AR1"), departure(shipments, date(2024, 5, 8), "DP1")]
    messages += [PAID.receipt_of_payment(), BIG.receipt_of_payment()]
    for message in messages:
        with platform.uow() as uow:
            assert ingest_message(uow, SYSTEM, to_xml(message), ctx).accepted
    engine.dispose()
    return usccs


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("export-cli")
    return folder, _seed(folder / "cbec.sqlite3")


def _run(cli: tuple[Path, dict[str, str]], *args: str, code: int = 0) -> Any:
    folder, _ = cli
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBEC_")}
    env |= {"CBEC_DATABASE_URL": f"sqlite:///{folder / 'cbec.sqlite3'}", "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "cbec", "export", *args, "--json"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == code, (result.stdout, result.stderr)
    return json.loads(result.stdout)


def test_register_equals_the_released_lists_and_writes_the_tax_file(cli: tuple[Path, dict[str, str]]) -> None:
    folder, usccs = cli
    xlsx, csv_path = folder / "register.xlsx", folder / "register.csv"
    data = _run(
        cli,
        "register",
        "--enterprise",
        usccs["3301E00001"],
        "--month",
        "2024-05",
        "--xlsx",
        str(xlsx),
        "--csv",
        str(csv_path),
    )
    assert (data["rows"], data["totals"]) == (2, {"142": "301.01"})
    # Pilot zones, customs districts and the rebate list are not confirmed or loaded: unknown, never yes.
    assert data["eligibility"]["lists"] == {"yes": 0, "no": 0, "unknown": 2}
    sheet = load_workbook(xlsx).active
    assert sheet is not None
    headers = [c.value for c in sheet[2]]
    assert headers[:8] == ["出口日期", "清单编号", "货物名称", "计量单位", "数量", "单价", "金额", "币制"]
    text = csv_path.read_bytes()
    assert text.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert rows[0][:3] == ["出口日期", "清单编号", "货物名称"]
    assert sorted(r[6] for r in rows[1:]) == ["1.01", "300.00"]


def test_reconcile_flags_the_exporter_without_receipts(cli: tuple[Path, dict[str, str]]) -> None:
    data = _run(cli, "reconcile", "--from", "2024-05", "--to", "2024-05")
    assert data["flagged_enterprises"] == ["3301E00002"]
    (flag,) = data["flagged"]
    assert (flag["lists"], flag["released"], flag["received"], flag["unreceived_lists"]) == (
        1,
        {"142": "300.00"},
        {},
        1,
    )


def test_income_is_four_percent_of_revenue(cli: tuple[Path, dict[str, str]]) -> None:
    _, usccs = cli
    data = _run(cli, "income", "--enterprise", usccs["3301E00001"], "--from", "2024-05", "--to", "2024-05")
    assert (data["lists"], data["revenue_cny"], data["taxable_income_cny"]) == (2, "301.01", "12.04")


def test_summarize_applies_once(cli: tuple[Path, dict[str, str]]) -> None:
    draft = _run(cli, "summarize", "--month", "2024-05")
    assert (draft["pending_b_lists"], draft["deadline"]) == (3, {"nominal": "2024-06-15", "due": "2024-06-17"})
    applied = _run(cli, "summarize", "--month", "2024-05", "--apply")
    assert [a["accepted"] for a in applied["applications"]] == [True, True]
    assert applied["pending_b_lists"] == 0
    again = _run(cli, "summarize", "--month", "2024-05", "--apply")
    assert again["applications"] == []


def test_a_return_is_checked_and_recorded_once(cli: tuple[Path, dict[str, str]]) -> None:
    folder, _ = cli
    with sqlite3.connect(folder / "cbec.sqlite3") as conn:
        (invt_no,) = conn.execute("SELECT invt_no FROM export_lists WHERE cop_no = 'EC203'").fetchone()
    args = ("return", "--return-no", "R1", "--invt-no", invt_no, "--returned-on", "2024-07-01", "--gnum", "1")
    first = _run(cli, *args)
    assert (first["eligible"], first["value"], first["repeat"]) == ("yes", "300.00", False)
    assert _run(cli, *args)["repeat"] is True
    late = _run(cli, "return", "--return-no", "R2", "--invt-no", invt_no, "--returned-on", "2024-12-01", "--gnum", "1")
    assert late["eligible"] == "no"
    assert [r["code"] for r in late["verdict"]["reasons"] if r["outcome"] == "fail"] == ["returned.too_late"]
