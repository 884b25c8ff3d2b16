"""``cbec stats | analytics | targets | tiers`` in a real subprocess against a SQLite file holding
three export lists released in May 2024 (seeded in-process through intake)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

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
from cbec.testing.exports import Item, Shipment, arrival, party_inputs

MAY = date(2024, 5, 6)
SHIPMENTS = [
    Shipment("301", MAY, items=[Item("8517130000", "智能手机", "3", "0.335")]),  # 1.005 → 1.01
    Shipment("302", MAY, ebc="3301E00002", owner="3301E00002"),
    Shipment("303", MAY),
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    here = tmp_path_factory.mktemp("stats-cli")
    url = f"sqlite:///{here / 'cbec.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    platform = Platform(Settings(database_url=url), engine, load_districts(), SystemClock())
    with platform.uow() as uow:
        for data in party_inputs():
            create_enterprise(uow, SYSTEM, data, platform.districts)
    ctx = IntakeContext(platform.protector, SimulatedCustoms(SimulationRates(0, 0)))
    messages = [m for s in SHIPMENTS for m in (s.order(), s.waybill(), s.inventory())]
    messages.append(arrival(SHIPMENTS, date(2024, 5, 7), "AR1"))
    for message in messages:
        with platform.uow() as uow:
            assert ingest_message(uow, SYSTEM, to_xml(message), ctx).accepted
    engine.dispose()
    return here


def run(folder: Path, *args: str, code: int = 0) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBEC_")}
    env |= {"CBEC_DATABASE_URL": f"sqlite:///{folder / 'cbec.sqlite3'}", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "cbec", *args, "--json"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == code, (done.stdout, done.stderr)
    return json.loads(done.stdout)


def released_value(folder: Path) -> Decimal:
    """The released lists' value straight from the exchange's own projection (all CNY here)."""
    with sqlite3.connect(folder / "cbec.sqlite3") as conn:
        (fen,) = conn.execute(
            "SELECT SUM(value) FROM export_lists WHERE status IN ('800', '899') AND currency = '142'"
        ).fetchone()
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def test_metrics_from_the_store(folder: Path) -> None:
    value = run(folder, "stats", "trade_value", "--by", "month,direction")
    assert value["rows"] == [
        {"month": "2024-05", "direction": "export", "value": str(released_value(folder)), "unconverted_lines": 0}
    ]
    assert "lists counted, not declarations" in value["caliber"]
    lists = run(folder, "stats", "list_count", "--by", "code", "--city", "330100")
    assert lists["rows"] == [{"code": "9610", "lists": 3}]
    catalog = run(folder, "stats")
    assert {m["name"] for m in catalog["metrics"]} >= {"trade_value", "list_count", "yoy_growth", "top_enterprises"}


def test_bad_arguments_name_the_field(folder: Path) -> None:
    bad = run(folder, "stats", "trade_value", "--by", "colour", code=1)
    assert [(e["path"], e["code"]) for e in bad["error"]["errors"]] == [("by", "metric.dimension")]
    month = run(folder, "stats", "trade_value", "--from", "2024-13", code=1)
    assert [(e["path"], e["code"]) for e in month["error"]["errors"]] == [("from", "month.format")]


def test_a_bad_rates_file_loads_nothing(folder: Path) -> None:
    rates = folder / "rates.csv"
    rates.write_text("currency,valid_from,cny_per_unit,source\n502,2024-01-01,7.1,notice\n50,2024-02-01,x,\n")
    refused = run(folder, "analytics", "rates", "--load", str(rates), code=1)
    assert [(e["path"], e["code"]) for e in refused["error"]["errors"]] == [("row[3]/currency", "rates.currency")]
    assert run(folder, "analytics", "rates")["rates"] == []


def test_parquet_export_reads_back_the_same_figures(folder: Path) -> None:
    out = folder / "lines.parquet"
    exported = run(folder, "analytics", "export", "--out", str(out))
    table = pq.read_table(out)
    assert exported["lines"] == table.num_rows == 3
    assert Decimal(sum(table.column("cny_fen").to_pylist())) / 100 == released_value(folder)
    again = run(folder, "stats", "trade_value", "--by", "month", "--parquet", str(out))
    assert again["rows"] == run(folder, "stats", "trade_value", "--by", "month")["rows"]


def test_targets_and_tiers(folder: Path) -> None:
    targets = run(folder, "targets", "--city", "330100", "--on", "2024-06-15")["targets"]
    by_id = {t["target"]["id"]: t for t in targets}
    assert len(targets) == 31
    assert by_id["hz-plan-10-air-routes"]["status"] == "unknown"
    assert by_id["hz-plan-8-parks"]["status"] == "not_measurable"
    board = run(folder, "tiers", "--city", "330100", "--on", "2024-05-31")
    assert board["window"] == "2023-06..2024-05"
    assert sum(Decimal(p["value"]) for p in board["placements"]) == released_value(folder)
