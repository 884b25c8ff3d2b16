"""``cbec policy apply | review | approve | disburse | show | applications | queue | overdue | budget``
in a real subprocess, against a SQLite file holding the demo (with its staged applications, dated back from today)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cbec.kernel.clock import SHANGHAI

TIMEOUT = 120


class Cli:
    def __init__(self, folder: Path) -> None:
        self.cwd = folder
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CBEC_")}
        self.env |= {
            "CBEC_DATABASE_URL": f"sqlite:///{folder / 'cbec.sqlite3'}",
            "CBEC_DATA_DIR": str(folder / "var"),
            "NO_COLOR": "1",
        }

    def json(self, *args: str, code: int = 0) -> Any:
        result = subprocess.run(
            [sys.executable, "-m", "cbec", *args, "--json"],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        assert result.returncode == code, (result.stdout, result.stderr)
        return json.loads(result.stdout)


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    runner = Cli(tmp_path_factory.mktemp("policy-apps-cli"))
    runner.json("db", "upgrade")
    runner.json("demo", "seed", "--size", "none")
    return runner


def _enterprise_id(cli: Cli) -> int:
    mine = cli.json("policy", "applications", "--as", "demo.enterprise")["applications"]
    return int(mine[0]["enterprise"]["id"])


def _demo(cli: Cli) -> list[dict[str, Any]]:
    """The staged demo applications in the order they were made (their days are counted back from
    today, so a ref's year is the year of its day)."""
    seen = cli.json("policy", "applications", "--as", "demo.auditor")["applications"]
    return sorted(seen, key=lambda a: a["ref"][-6:])


def test_the_demo_stages_one_application_in_each_status(cli: Cli) -> None:
    seen = _demo(cli)
    assert [(a["ref"][-6:], a["benefit"], a["status"]) for a in seen] == [
        ("000001", "hz-7-capacity-voucher", "disbursed"),
        ("000002", "hz-7-capacity-voucher", "approved"),
        ("000003", "hz-7-capacity-voucher", "approved"),
        ("000004", "hz-3-own-brand-promotion", "publicised"),
        ("000005", "hz-7-capacity-voucher", "district_passed"),
        ("000006", "hz-3-own-brand-promotion", "returned"),
        ("000007", "hz-12-trademark", "submitted"),
        ("000008", "hz-3-platform-promotion", "publicised"),
    ]
    today = datetime.now(SHANGHAI).date()  # the subprocess runs on the system clock
    assert [a["on"] for a in seen] == [(today - timedelta(days=n)).isoformat() for n in (75, 68, 20, 8, 6, 5, 1, 25)]
    assert seen[3]["notice_ends"] > today.isoformat()  # still in its notice period
    assert seen[7]["notice_ends"] < today.isoformat()  # waiting for the city's approval
    returned = seen[5]
    assert (returned["returned_from"], returned["events"][-1]["reason"]) == (
        "district_review",
        "请补充推广合同及付款凭证",
    )


def test_approve_and_disburse_an_application_whose_notice_has_ended(cli: Cli) -> None:
    ready = _demo(cli)[7]
    ref, year = ready["ref"], ready["year"]
    approved = cli.json("policy", "approve", ref, "--as", "demo.admin")["application"]
    assert (approved["status"], approved["amount_awarded"], approved["capped_by"]) == ("approved", "100000.00", None)
    today = datetime.now(SHANGHAI).date().isoformat()
    again = cli.json("policy", "approve", ref, "--as", "demo.admin")["application"]
    assert len(again["events"]) == len(approved["events"])  # the same request twice changes nothing
    paid = cli.json(
        "policy", "disburse", ref, "--voucher", "HZCZ-E2E-1", "--paid-on", today, "--as", "demo.admin",
    )["application"]  # fmt: skip
    assert (paid["status"], paid["disbursement"]) == ("disbursed", {"voucher": "HZCZ-E2E-1", "paid_on": today})
    budget = cli.json("policy", "budget", "--year", str(year), "--as", "demo.admin")["budget"]
    assert budget["pools"] == [  # a pool counts every year's awards
        {
            "id": "hz-7-pool",
            "benefit": "hz-7-capacity-voucher",
            "total": "30000000.00",
            "committed": "1700000.00",
            "remaining": "28300000.00",
        }
    ]
    vouchers_paid = "200000.00" if _demo(cli)[0]["year"] == year else "0.00"
    disbursed = {b["benefit"]: b["disbursed"] for b in budget["by_benefit"]}
    assert disbursed["hz-3-platform-promotion"] == "100000.00"
    assert disbursed.get("hz-7-capacity-voucher", "0.00") == vouchers_paid


def test_apply_review_and_an_approval_refused_during_the_notice(cli: Cli, tmp_path: Path) -> None:
    contract = tmp_path / "contract.pdf"
    contract.write_bytes(b"%PDF-1.7 logistics contract")
    args = ("policy", "apply", "hangzhou-2024", "hz-7-capacity-voucher", "--fact", "logistics_contract_fee=200000",
            "--attach", str(contract), "--client-ref", "e2e-1", "--as", "demo.enterprise")  # fmt: skip
    app = cli.json(*args)["application"]
    assert cli.json(*args)["application"]["ref"] == app["ref"]  # the same request twice: one application
    assert (app["status"], app["amount_quoted"], app["enterprise"]["id"]) == (
        "submitted",
        "10000.00",
        _enterprise_id(cli),
    )
    assert app["attachments"][0]["sha256"] == hashlib.sha256(b"%PDF-1.7 logistics contract").hexdigest()
    ref = app["ref"]
    assert ref in [a["ref"] for a in cli.json("policy", "queue", "--as", "demo.officer")["applications"]]
    refused = cli.json("policy", "review", ref, "--decision", "pass", "--as", "demo.admin", code=1)
    assert refused["error"]["code"] == "permission_denied"
    cli.json("policy", "review", ref, "--decision", "pass", "--as", "demo.officer")
    publicised = cli.json("policy", "review", ref, "--decision", "pass", "--as", "demo.admin")["application"]
    assert publicised["status"] == "publicised"
    early = cli.json("policy", "approve", ref, "--as", "demo.admin", code=1)
    assert early["error"]["code"] == "policy.notice_running"
    shown = cli.json("policy", "show", ref, "--as", "demo.enterprise")["application"]
    assert [e["action"] for e in shown["events"]] == ["apply", "pass", "pass"]
    assert shown["status"] == "publicised"


def test_bad_input_names_the_field(cli: Cli) -> None:
    out = cli.json(
        "policy", "apply", "hangzhou-2024", "hz-7-capacity-voucher", "--fact", "logistics_contract_fee=lots",
        "--as", "demo.enterprise", code=1,
    )  # fmt: skip
    assert [(e["path"], e["code"]) for e in out["error"]["errors"]] == [
        ("facts.logistics_contract_fee", "fact.not_a_number")
    ]
    wrong = cli.json("policy", "apply", "hangzhou-2024", "gz-1-x", "--as", "demo.enterprise", code=1)
    assert wrong["error"]["code"] == "not_found"
    assert cli.json("policy", "show", "PA-2025-999999", "--as", "demo.admin", code=1)["error"]["code"] == "not_found"
    assert cli.json("policy", "budget", "--year", "2025", "--as", "demo.enterprise", code=1)["error"]["code"] == (
        "permission_denied"
    )
