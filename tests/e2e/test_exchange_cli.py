"""``cbec validate``, ``cbec ingest``, ``cbec trace`` and ``cbec tax quote`` in a real subprocess,
against a SQLite file: the conformance samples, hostile XML, and a whole parcel."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import replace
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

import pytest

from cbec.demo.imports import channel_enterprises, channels, import_stream
from cbec.exchange.xmlcodec import to_xml
from cbec.kernel.ids import uscc_with_check
from cbec.registry.districts import load_districts
from cbec.registry.model import EnterpriseInput, EnterpriseRole
from cbec.registry.spreadsheet import build_workbook
from cbec.testing.conformance import find_conformance_dir

TIMEOUT = 120
STORED = ("documents", "receipts", "tax_assessments", "buyer_ledger", "ledger_entries", "audit_events")


def _conformance() -> Path:
    """``shared/conformance`` beside the repository (CI lays a copy there); fail clearly if absent."""
    found = find_conformance_dir(Path(__file__))
    if found is None:
        pytest.fail(
            "shared/conformance was not found beside the repository; the conformance tests need it", pytrace=False
        )
    return found


class Cli:
    def __init__(self, tmp_path: Path) -> None:
        self.cwd = tmp_path
        self.db = tmp_path / "cbec.sqlite3"
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
        assert result.returncode == code, (result.stdout[-3000:], result.stderr[-3000:])
        return json.loads(result.stdout)

    def counts(self) -> dict[str, int]:
        with sqlite3.connect(self.db) as conn:
            return {name: int(conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]) for name in STORED}

    def register(self, rows: list[EnterpriseInput]) -> None:
        book = self.cwd / "enterprises.xlsx"
        book.write_bytes(build_workbook(rows, load_districts()))
        report = self.json("registry", "import", str(book), code=0)
        assert (report["imported"], report["errors"]) == (len(rows), [])


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    runner = Cli(tmp_path)
    assert runner.json("db", "upgrade", code=0)["ok"] is True
    return runner


def _hainan_senders() -> list[EnterpriseInput]:
    """The two enterprises the conformance CEB621 names (registered in 杭州 for the test)."""
    return [
        EnterpriseInput(
            uscc=uscc_with_check("91330106MA2HN0011"),
            name="海南星创互联网医药有限公司",
            city_code="330100",
            district_code="330106",
            roles=frozenset({EnterpriseRole.EBP, EnterpriseRole.EBC, EnterpriseRole.DECLARING_AGENT}),
            registered_on=date(2020, 5, 1),
            customs_code="46121601BC",
        ),
        EnterpriseInput(
            uscc=uscc_with_check("91330106MA2HN0022"),
            name="圆通速递国际物流有限公司",
            city_code="330100",
            district_code="330106",
            roles=frozenset({EnterpriseRole.LOGISTICS}),
            registered_on=date(2019, 3, 1),
            customs_code="4101986180",
        ),
    ]


# ---- validate --------------------------------------------------------------------------------


def test_validate_accepts_the_hainan_list_with_warnings_only(cli: Cli) -> None:
    out = cli.json("validate", str(_conformance() / "ceb621-hainan-9610.xml"), code=0)
    assert (out["files"], out["valid"], out["invalid"]) == (1, 1, 0)
    (report,) = out["reports"]
    assert report["valid"] is True
    assert report["errors"] == []
    assert report["warnings"], "the non-UUID guid and version v1.0 are worth a warning"
    assert cli.counts()["documents"] == 0


def test_validate_names_the_line_of_a_not_well_formed_file(cli: Cli) -> None:
    out = cli.json("validate", str(_conformance() / "ceb603-not-well-formed.xml"), code=1)
    assert (out["valid"], out["invalid"]) == (0, 1)
    (error,) = out["reports"][0]["errors"]
    assert error["code"] == "xml.not_well_formed"
    assert "line " in error["message"]
    assert "column " in error["message"]
    line = int(error["message"].split("line ")[1].split(",")[0])
    assert 1 < line <= len((_conformance() / "ceb603-not-well-formed.xml").read_text(encoding="utf-8").splitlines())
    plain = cli.run("validate", str(_conformance() / "ceb603-not-well-formed.xml"))
    assert plain.returncode == 1
    assert "INVALID" in plain.stdout
    assert "xml.not_well_formed" in plain.stdout


# ---- ingest of the conformance list ----------------------------------------------------------


def test_ingest_needs_registered_senders_then_waits_then_repeats(cli: Cli) -> None:
    before = cli.counts()
    refused = cli.json("ingest", str(_conformance() / "ceb621-hainan-9610.xml"), code=1)
    assert (refused["messages"], refused["accepted"], refused["rejected"]) == (1, 0, 1)
    errors = refused["results"][0]["errors"]
    assert {e["code"] for e in errors} == {"registry.unknown_sender"}
    assert {e["path"] for e in errors} == {
        f"Inventory[0]/InventoryHead/{name}" for name in ("agentCode", "ebpCode", "ebcCode", "logisticsCode")
    }
    assert cli.counts() == before

    cli.register(_hainan_senders())
    accepted = cli.json("ingest", str(_conformance() / "ceb621-hainan-9610.xml"), code=0)
    assert (accepted["accepted"], accepted["rejected"], accepted["repeats"]) == (1, 0, 0)
    (unit,) = accepted["results"][0]["units"]
    assert (unit["action"], unit["version"], unit["status"]) == ("stored", 1, "waiting")
    assert unit["business_key"] == "46121601BC|4101W68006"
    trace = cli.json("trace", "48037605991776256", code=0)
    (doc,) = trace["documents"]
    assert (doc["type"], doc["status"], doc["status_detail"]) == (
        "CEB621",
        "waiting",
        {"missing": ["order", "payment", "waybill"]},
    )
    assert doc["body"]["head"]["buyerIdNumber"] != "110101199003070011", "the ID is masked at rest"
    counts = cli.counts()

    again = cli.json("ingest", str(_conformance() / "ceb621-hainan-9610.xml"), code=0)
    assert (again["accepted"], again["repeats"]) == (1, 1)
    assert again["results"][0]["units"][0]["action"] == "repeat"
    assert cli.counts() == counts | {"audit_events": counts["audit_events"] + 1}


# ---- hostile XML -----------------------------------------------------------------------------

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        b' <!ENTITY lol%d "%s">\n' % (i, b"".join(b"&lol%s;" % (b"" if i == 1 else b"%d" % (i - 1)) for _ in range(10)))
        for i in range(1, 10)
    )
    + b"]>\n<lolz>&lol9;</lolz>\n"
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    b'<ceb:CEB621Message xmlns:ceb="http://www.chinaport.gov.cn/ceb" guid="x" version="1.0">'
    b"<ceb:Inventory><ceb:InventoryHead><ceb:guid>&xxe;</ceb:guid></ceb:InventoryHead></ceb:Inventory>"
    b"</ceb:CEB621Message>\n"
)
DEEP = b'<?xml version="1.0"?>\n' + b"<a>" * 10_000 + b"</a>" * 10_000


def _huge(path: Path) -> Path:
    """A 200 MB file: a real XML start, then a hole (sparse on most file systems)."""
    with path.open("wb") as f:
        f.write(b'<?xml version="1.0"?>\n<ceb:CEB621Message xmlns:ceb="http://www.chinaport.gov.cn/ceb">')
        f.truncate(200 * 1024 * 1024)
    return path


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("billion-laughs.xml", "xml.doctype_forbidden"),
        ("external-entity.xml", "xml.doctype_forbidden"),
        ("deep.xml", "xml.too_deep"),
        ("huge.xml", "xml.too_large"),
    ],
)
def test_hostile_xml_is_refused_and_nothing_is_stored(cli: Cli, tmp_path: Path, name: str, code: str) -> None:
    path = tmp_path / name
    contents = {"billion-laughs.xml": BILLION_LAUGHS, "external-entity.xml": EXTERNAL_ENTITY, "deep.xml": DEEP}
    if name == "huge.xml":
        _huge(path)
    else:
        path.write_bytes(contents[name])
    before = cli.counts()
    checked = cli.json("validate", str(path), code=1)
    assert [e["code"] for e in checked["reports"][0]["errors"]] == [code]
    ingested = cli.json("ingest", str(path), code=1)
    assert (ingested["accepted"], ingested["rejected"]) == (0, 1)
    assert [(e["path"], e["code"]) for e in ingested["results"][0]["errors"]] == [("/", code)]
    assert "passwd" not in json.dumps(ingested)
    assert "root:" not in json.dumps(ingested)
    assert cli.counts() == before


# ---- a whole parcel and its trace ------------------------------------------------------------


def test_trace_of_a_full_parcel_lists_four_documents_with_receipts(cli: Cli, tmp_path: Path) -> None:
    chan = channels(load_districts())[2]  # 杭州
    cli.register([replace(e, registered_on=date(2018, 3, 1)) for e in channel_enterprises(chan)])
    folder = tmp_path / "parcel"
    folder.mkdir()
    messages = list(islice(import_stream([chan], size="small", months=1), 4))
    for i, message in enumerate(messages):
        (folder / f"{i}-{message.type}.xml").write_bytes(to_xml(message))
    out = cli.json("ingest", str(folder), code=0)
    assert (out["messages"], out["accepted"], out["rejected"]) == (4, 4, 0)
    order_no = messages[0].units[0].head["orderNo"]

    trace = cli.json("trace", order_no, code=0)
    docs = trace["documents"]
    assert [d["type"] for d in docs] == ["CEB311", "CEB411", "CEB511", "CEB621"]
    assert [d["status"] for d in docs[:3]] == ["matched"] * 3
    for d in docs[:3]:
        assert [(r["origin"], r["return_status"]) for r in d["receipts"]] == [("platform", "120")]
    listing = docs[3]
    receipts = [(r["origin"], r["return_status"]) for r in listing["receipts"]]
    assert receipts[0] == ("platform", "120")
    assert receipts[-1] == ("customs", listing["status"])
    assert listing["status"] in ("800", "100")
    assert listing["tax"]["channel"] == "retail"
    assert all(d["events"] for d in docs)

    plain = cli.run("trace", order_no)
    assert plain.returncode == 0
    assert plain.stdout.count("receipt ") == sum(len(d["receipts"]) for d in docs)
    assert cli.run("trace", "NO-SUCH-KEY").stdout.strip() == "nothing found for NO-SUCH-KEY"


# ---- tax quote -------------------------------------------------------------------------------


def test_tax_quote_worked_examples(cli: Cli) -> None:
    def quote(*args: str) -> dict[str, Any]:
        result: dict[str, Any] = cli.json("tax", "quote", *args, code=0)
        return result

    goods = quote("--price", "100", "--freight", "10", "--vat", "0.13")
    assert (goods["channel"], goods["dutiable_value"], goods["total_tax"]) == ("retail", "110.00", "10.01")
    cosmetics = quote("--price", "500", "--vat", "13%", "--ct", "15%")
    assert (cosmetics["consumption_tax"], cosmetics["vat"], cosmetics["total_tax"]) == ("61.76", "53.53", "115.29")
    two_items = quote("--price", "5000.01", "--items", "2", "--vat", "0.13")
    assert (two_items["channel"], two_items["total_tax"]) == ("general_trade", "0.00")
    single = quote("--price", "6000", "--vat", "0.13")
    assert (single["channel"], single["vat"], single["counts_toward_annual"]) == (
        "retail_full_rate",
        "780.00",
        "6000.00",
    )
    annual = quote("--price", "1500", "--annual-used", "25000", "--vat", "0.13")
    assert (annual["channel"], annual["counts_toward_annual"]) == ("general_trade", "0.00")
