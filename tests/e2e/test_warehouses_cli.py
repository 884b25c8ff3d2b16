"""``cbec warehouse`` end to end: the real command line in a subprocess against a SQLite file.
Exit codes: 0 ok, 1 refused (nothing stored), 2 usage error."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from cbec.kernel.clock import SHANGHAI

TIMEOUT = 120
LA = [
    "--name",
    "美西洛杉矶一号仓",
    "--country",
    "502",
    "--city",
    "Los Angeles",
    "--address",
    "2150 E Harbor Logistics Ave, Ontario, CA 91761",
    "--area",
    "12000.50",
    "--available",
    "3000",
    "--mode",
    "public",
    "--operator",
    "Westbay Fulfilment Inc.",
    "--contact",
    "王经理 +1 555 0100",
]


class Cli:
    def __init__(self, tmp_path: Path) -> None:
        self.db = tmp_path / "cbec.sqlite3"
        self.cwd = tmp_path
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CBEC_")}
        self.env |= {
            "CBEC_DATABASE_URL": f"sqlite:///{self.db}",
            "CBEC_DATA_DIR": str(tmp_path / "var"),
            "NO_COLOR": "1",
            "COLUMNS": "200",
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cbec", *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )

    def json(self, *args: str, code: int) -> Any:
        result = self.run(*args, "--json")
        assert result.returncode == code, (result.stdout, result.stderr)
        return json.loads(result.stdout)

    def scalar(self, sql: str) -> Any:
        with sqlite3.connect(self.db) as conn:
            value = conn.execute(sql).fetchone()[0]
        conn.close()
        return value


@pytest.fixture
def seeded(tmp_path: Path) -> Cli:
    """A migrated SQLite file with 20 demo enterprises and the demo accounts; fresh per test."""
    cli = Cli(tmp_path)
    assert cli.run("db", "upgrade").returncode == 0
    seeded = cli.json("demo", "seed", "--count", "20", "--size", "none", code=0)
    assert seeded["enterprises_created"] == 20
    return cli


def test_file_list_show_and_withdraw(seeded: Cli) -> None:
    cli = seeded
    uscc, city, name = cli.scalar("SELECT uscc || '|' || city_code || '|' || name FROM enterprises ORDER BY id").split(
        "|"
    )
    events = cli.scalar("SELECT count(*) FROM audit_events")

    filed = cli.json("warehouse", "file", "--enterprise", uscc, *LA, code=0)
    warehouse = filed["warehouse"]
    year = datetime.fromisoformat(warehouse["filed_at"]).astimezone(SHANGHAI).year
    number = f"HWC{city}{year}00001"
    assert filed["ok"] is True
    assert {k: warehouse[k] for k in ("filing_no", "area", "available_area", "mode", "status", "version")} == {
        "filing_no": number,
        "area": "12000.50",
        "available_area": "3000.00",
        "mode": "public",
        "status": "filed",
        "version": 1,
    }
    assert cli.scalar("SELECT count(*) FROM overseas_warehouses") == 1
    assert cli.scalar("SELECT count(*) FROM audit_events") == events + 1
    assert cli.scalar("SELECT action || ' ' || subject_id FROM audit_events ORDER BY seq DESC") == (
        f"warehouse.file {number}"
    )

    listing = cli.json("warehouse", "list", code=0)
    assert listing["total"] == 1
    [item] = listing["items"]
    assert (item["filing_no"], item["enterprise_name"]) == (number, name)
    assert "contact" not in item
    assert cli.json("warehouse", "list", "--country", "304", code=0) == {"total": 0, "items": []}
    text = cli.run("warehouse", "list")
    assert text.returncode == 0
    assert number in text.stdout
    assert "Overseas warehouses: 1" in text.stdout

    shown = cli.json("warehouse", "show", number, code=0)
    assert shown["warehouse"]["contact"] == "王经理 +1 555 0100"
    assert shown["warehouse"]["enterprise_name"] == name

    withdrawn = cli.run("warehouse", "withdraw", number)
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert withdrawn.stdout.strip() == f"withdrew {number}"
    assert cli.json("warehouse", "list", code=0)["total"] == 0
    again = cli.run("warehouse", "withdraw", number)
    assert again.returncode == 1
    assert f"error [warehouse.withdrawn]: warehouse {number} was withdrawn" in again.stderr
    assert cli.scalar("SELECT status FROM overseas_warehouses") == "withdrawn"


def test_refusals_exit_1_and_store_nothing(seeded: Cli) -> None:
    cli = seeded
    uscc = cli.scalar("SELECT uscc FROM enterprises ORDER BY id DESC")
    before = (cli.scalar("SELECT count(*) FROM overseas_warehouses"), cli.scalar("SELECT count(*) FROM audit_events"))
    bad = [*LA]
    bad[bad.index("--area") + 1] = "0"
    bad[bad.index("--mode") + 1] = "rent"
    invalid = cli.json("warehouse", "file", "--enterprise", uscc, *bad, code=1)
    assert invalid["ok"] is False
    assert invalid["error"]["code"] == "validation_failed"
    assert [(e["path"], e["code"]) for e in invalid["error"]["errors"]] == [
        ("area", "warehouse.area_not_positive"),
        ("mode", "warehouse.mode_unknown"),
    ]
    unknown = cli.json("warehouse", "file", "--enterprise", "91330100MA0000099X", *LA, code=1)
    assert [(e["path"], e["code"]) for e in unknown["error"]["errors"]] == [
        ("enterprise", "warehouse.enterprise_unknown")
    ]
    auditor = cli.json("warehouse", "file", "--enterprise", uscc, *LA, "--as", "demo.auditor", code=1)
    assert auditor["error"]["code"] == "permission_denied"
    missing = cli.json("warehouse", "show", "HWC330100202499999", code=1)
    assert missing["error"] == {
        "code": "not_found",
        "message": "no overseas warehouse has filing number HWC330100202499999",
    }
    text = cli.run("warehouse", "file", "--enterprise", uscc, *bad)
    assert text.returncode == 1
    assert "  area: [warehouse.area_not_positive] area must be greater than 0" in text.stderr
    after = (cli.scalar("SELECT count(*) FROM overseas_warehouses"), cli.scalar("SELECT count(*) FROM audit_events"))
    assert after == before


def test_a_duplicate_names_the_existing_filing(seeded: Cli) -> None:
    cli = seeded
    uscc = cli.scalar("SELECT uscc FROM enterprises ORDER BY id LIMIT 1 OFFSET 1")
    address = ["--address", "88 Port Reading Blvd, Carteret, NJ 07008"]
    first = cli.json("warehouse", "file", "--enterprise", uscc, *LA, *address, code=0)["warehouse"]
    count = cli.scalar("SELECT count(*) FROM overseas_warehouses")
    duplicate = cli.json("warehouse", "file", "--enterprise", uscc, *LA, *address, code=1)
    assert duplicate["error"]["code"] == "warehouse.exists"
    assert duplicate["error"]["filing_no"] == first["filing_no"]
    assert cli.scalar("SELECT count(*) FROM overseas_warehouses") == count


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    cli = Cli(tmp_path)  # refused before the database is opened
    mode = cli.run("warehouse", "list", "--mode", "rented")
    assert (mode.returncode, mode.stderr.strip()) == (2, "usage error: --mode must be own, leased or public")
    assert cli.run("warehouse", "list", "--min-available", "1.005").returncode == 2
    assert cli.run("warehouse", "file", "--name", "缺少其他选项").returncode == 2
    assert not cli.db.exists()
