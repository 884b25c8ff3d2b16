"""``cbec tax quote`` end to end: JSON output and exit codes 0 (ok), 1 (rejected), 2 (usage).

``cli/main.py`` wires the sub-app with ``app.add_typer(tax_app, name="tax")``; these tests build
that same app locally so they do not depend on the wiring.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
import typer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cbec.cli.tax import tax_app
from cbec.web import errors
from cbec.web.api import tax as tax_api

app = typer.Typer()
app.add_typer(tax_app, name="tax")
runner = CliRunner()

AMOUNTS = ("dutiable_value", "customs_duty", "consumption_tax", "vat", "total_tax", "counts_toward_annual")


def run(*args: str) -> tuple[int, Any, str]:
    result = runner.invoke(app, ["tax", "quote", *args])
    try:
        data = json.loads(result.stdout)
    except ValueError:
        data = None
    return result.exit_code, data, result.output


def test_goods_with_freight() -> None:
    code, data, _ = run("--price", "100", "--freight", "10", "--vat", "0.13", "--json")
    assert code == 0
    assert data["channel"] == "retail"
    assert {k: data[k] for k in AMOUNTS} == {
        "dutiable_value": "110.00",
        "customs_duty": "0.00",
        "consumption_tax": "0.00",
        "vat": "10.01",
        "total_tax": "10.01",
        "counts_toward_annual": "110.00",
    }
    assert data["rates"] == {"vat": "0.13", "consumption": "0", "tariff": "0", "source": "given by the caller"}
    assert data["reasons"]


def test_percentages_are_accepted() -> None:
    code, data, _ = run("--price", "500", "--vat", "13%", "--ct", "15%", "--json")
    assert code == 0
    assert (data["consumption_tax"], data["vat"], data["total_tax"]) == ("61.76", "53.53", "115.29")


def test_rates_from_hs_code_carry_their_source() -> None:
    code, data, _ = run("--price", "500", "--hs", "3304990099", "--json")
    assert code == 0
    assert data["total_tax"] == "115.29"
    assert "财税〔2016〕103号" in data["rates"]["source"]
    assert data["rates"]["hs"]["hs_code"] == "3304990099"
    assert data["rates"]["tariff"] is None


def test_full_rate_single_item() -> None:
    code, data, _ = run("--price", "6000", "--vat", "0.13", "--json")
    assert code == 0
    assert (data["channel"], data["vat"], data["counts_toward_annual"]) == ("retail_full_rate", "780.00", "6000.00")


def test_general_trade_for_two_items_and_annual_limit() -> None:
    _, two_items, _ = run("--price", "5000.01", "--items", "2", "--vat", "0.13", "--json")
    _, annual, _ = run("--price", "1500", "--annual-used", "25000", "--vat", "0.13", "--json")
    for data in (two_items, annual):
        assert data["channel"] == "general_trade"
        assert data["total_tax"] == "0.00"


def test_2016_limits_by_date() -> None:
    _, data, _ = run("--price", "2500", "--vat", "0.17", "--on", "2018-06-01", "--json")
    assert data["channel"] == "general_trade"


def test_human_output() -> None:
    code, _, output = run("--price", "100", "--freight", "10", "--vat", "0.13")
    assert code == 0
    assert "channel: retail" in output
    assert "10.01" in output


@pytest.mark.parametrize(
    ("args", "path"),
    [
        (("--price", "-1", "--vat", "0.13"), "--price"),
        (("--price", "abc", "--vat", "0.13"), "--price"),
        (("--price", "100", "--annual-used", "-1", "--vat", "0.13"), "--annual-used"),
        (("--price", "100", "--hs", "3304990099", "--vat", "0.13"), "--hs"),
        (("--price", "100"), "--vat"),
        (("--price", "100", "--hs", "9999999999"), "--hs"),
        (("--price", "100", "--vat", "13"), "--vat"),
        (("--price", "6000", "--hs", "3304990099"), "--tariff"),
        (("--price", "100", "--vat", "0.13", "--on", "2015-01-01"), "--on"),
        (("--price", "100", "--vat", "0.13", "--on", "someday"), "--on"),
        (("--price", "100", "--vat", "0.13", "--items", "0"), "--items"),
    ],
)
def test_rejected_input_names_the_option(args: tuple[str, ...], path: str) -> None:
    code, data, _ = run(*args, "--json")
    assert code == 1
    assert data["ok"] is False
    assert data["error"]["code"] == "validation_failed"
    assert data["error"]["errors"][0]["path"] == path


def test_rejected_input_without_json_goes_to_stderr() -> None:
    result = runner.invoke(app, ["tax", "quote", "--price", "-5", "--vat", "0.13"])
    assert result.exit_code == 1
    assert "--price" in result.stderr


@pytest.mark.parametrize("args", [(), ("--vat", "0.13"), ("--price", "1", "--items", "two"), ("--bogus",)])
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    assert runner.invoke(app, ["tax", "quote", *args]).exit_code == 2


def test_in_a_real_process() -> None:
    """Exit codes through a real interpreter (the locally wired app, as `python -m cbec` would be)."""
    script = (
        "import typer\nfrom cbec.cli.tax import tax_app\n"
        "app = typer.Typer()\napp.add_typer(tax_app, name='tax')\napp()\n"
    )

    def proc(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", script, "tax", "quote", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    ok = proc("--price", "100", "--freight", "10", "--vat", "0.13", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["total_tax"] == "10.01"
    assert proc("--price", "-1", "--vat", "0.13", "--json").returncode == 1
    assert proc("--vat", "0.13").returncode == 2


# --- the same calculator over HTTP (router mounted alone: it needs no platform) ---------------


@pytest.fixture
def client() -> TestClient:
    api = FastAPI()
    errors.install(api)
    api.include_router(tax_api.router, prefix="/api/v1")
    return TestClient(api)


def test_api_quote(client: TestClient) -> None:
    response = client.get("/api/v1/tax/quote", params={"price": "500", "vat": "13%", "ct": "0.15"})
    assert response.status_code == 200
    body = response.json()
    assert (body["channel"], body["consumption_tax"], body["vat"], body["total_tax"]) == (
        "retail", "61.76", "53.53", "115.29",
    )  # fmt: skip
    hs = client.get("/api/v1/tax/quote", params={"price": "6000", "hs": "2204210000", "on": "2024-05-01"}).json()
    assert (hs["channel"], hs["customs_duty"], hs["total_tax"]) == ("retail_full_rate", "840.00", "2588.00")


def test_api_rejects_with_field_paths(client: TestClient) -> None:
    response = client.get("/api/v1/tax/quote", params={"price": "-1", "vat": "0.13"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "price"
    both = client.get("/api/v1/tax/quote", params={"price": "1", "vat": "0.13", "hs": "2106909090"})
    assert both.status_code == 422
    assert both.json()["errors"][0]["path"] == "hs"
