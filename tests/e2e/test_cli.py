"""The real ``cbec`` command line in a subprocess, against a SQLite file."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

TIMEOUT = 120


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

    def run(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cbec", *args],
            cwd=self.cwd,
            env=self.env | (env or {}),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )

    def json(self, *args: str, code: int, env: dict[str, str] | None = None) -> Any:
        result = self.run(*args, "--json", env=env)
        assert result.returncode == code, (result.stdout, result.stderr)
        return json.loads(result.stdout)

    def count(self, table: str) -> int:
        with sqlite3.connect(self.db) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def sql(self, statement: str) -> None:
        conn = sqlite3.connect(self.db)
        try:
            with conn:
                conn.execute(statement)
        finally:
            conn.close()


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    runner = Cli(tmp_path)
    assert runner.json("db", "upgrade", code=0) == {"ok": True, "revision": "0005"}
    return runner


def test_seed_is_idempotent_and_the_audit_trail_catches_tampering(cli: Cli) -> None:
    first = cli.json("demo", "seed", "--size", "none", code=0)
    assert first["ok"] is True
    assert first["enterprises_created"] == 300
    assert [(a["username"], a["role"]) for a in first["accounts"]] == [
        ("demo.enterprise", "enterprise"),
        ("demo.officer", "district_officer"),
        ("demo.admin", "city_admin"),
        ("demo.auditor", "auditor"),
        ("demo.partner", "partner"),
    ]
    second = cli.json("demo", "seed", "--size", "none", code=0)
    assert second["enterprises_created"] == 0
    assert second["accounts"] == first["accounts"]
    # 305 events for enterprises and accounts, 24 for the eight staged policy applications' steps
    assert (cli.count("enterprises"), cli.count("users"), cli.count("audit_events")) == (300, 5, 329)
    assert cli.count("policy_applications") == 8

    assert cli.json("audit", "verify", code=0) == {"ok": True, "checked": 329, "first_bad_seq": None, "problem": None}
    plain = cli.run("audit", "verify")
    assert (plain.returncode, plain.stdout.strip()) == (0, "audit trail intact: 329 events")

    cli.sql("UPDATE audit_events SET actor = 'user:666:mallory' WHERE seq = 42")
    assert cli.json("audit", "verify", code=1) == {
        "ok": False,
        "checked": 41,
        "first_bad_seq": 42,
        "problem": "event 42 was altered: its content does not match its hash",
    }
    plain = cli.run("audit", "verify")
    assert plain.returncode == 1
    assert "audit trail BROKEN at event 42" in plain.stderr


def test_a_file_that_is_not_xlsx_is_refused(cli: Cli) -> None:
    path = cli.cwd / "enterprises.xlsx"
    path.write_text("统一社会信用代码,企业名称\n", encoding="utf-8")
    out = cli.json("registry", "import", str(path), code=1)
    assert out["ok"] is False
    assert out["error"]["code"] == "validation_failed"
    assert [(e["path"], e["code"]) for e in out["error"]["errors"]] == [("file", "file.not_xlsx")]
    assert (cli.count("enterprises"), cli.count("audit_events")) == (0, 0)


def test_a_file_over_the_size_limit_is_refused(cli: Cli, bad_workbook: Any) -> None:
    path = cli.cwd / "big.xlsx"
    path.write_bytes(bad_workbook.content)
    limit = len(bad_workbook.content) - 1
    out = cli.json("registry", "import", str(path), "--valid-only", code=1, env={"CBEC_MAX_UPLOAD_BYTES": str(limit)})
    [error] = out["error"]["errors"]
    assert (error["path"], error["code"]) == ("file", "file.too_large")
    assert error["message"] == f"big.xlsx is {limit + 1} bytes; the limit is {limit} bytes"
    assert (cli.count("enterprises"), cli.count("audit_events")) == (0, 0)


def test_users_create_with_an_unknown_role(cli: Cli) -> None:
    out = cli.json(
        "users", "create", "xiao.wang", "--role", "nonsense", "--password", "long-enough-pw", "--city", "330100", code=1
    )
    assert out["ok"] is False
    assert [(e["path"], e["code"]) for e in out["error"]["errors"]] == [("role", "role.unknown")]
    assert cli.count("users") == 0
    created = cli.json(
        "users", "create", "xiao.wang", "--role", "auditor", "--password", "long-enough-pw", "--city", "330100", code=0
    )
    assert (created["ok"], created["username"], created["role"]) == (True, "xiao.wang", "auditor")
    assert cli.count("users") == 1


def test_an_unknown_option_is_a_usage_error(cli: Cli) -> None:
    result = cli.run("audit", "verify", "--no-such-option")
    assert result.returncode == 2
    assert "No such option" in result.stderr
    assert cli.run("registry", "import", str(cli.cwd / "missing.xlsx")).returncode == 2


def test_importing_the_1000_row_file(cli: Cli, bad_workbook: Any) -> None:
    path = cli.cwd / "enterprises-1000.xlsx"
    path.write_bytes(bad_workbook.content)
    refused = cli.json("registry", "import", str(path), code=1)
    assert (refused["ok"], refused["refused"], refused["total_rows"], refused["imported"]) == (False, True, 1000, 0)
    assert refused["rejected_rows"] == bad_workbook.bad_rows == [11, 501, 999]
    assert [(e["row"], e["column"], e["code"]) for e in refused["errors"]] == bad_workbook.expected_errors
    assert (cli.count("enterprises"), cli.count("audit_events")) == (0, 0)

    # Some rows were still rejected, so the exit code stays 1 even though 997 were stored.
    partial = cli.json("registry", "import", str(path), "--valid-only", code=1)
    assert (partial["refused"], partial["total_rows"], partial["imported"]) == (False, 1000, 997)
    assert partial["rejected_rows"] == [11, 501, 999]
    assert (cli.count("enterprises"), cli.count("audit_events")) == (997, 998)
    assert cli.json("audit", "verify", code=0)["checked"] == 998

    again = cli.json("registry", "import", str(path), "--valid-only", code=1)
    assert again["imported"] == 0
    assert len(again["rejected_rows"]) == 1000
    assert cli.count("enterprises") == 997
