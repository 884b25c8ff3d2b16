"""``cbec policy list | benefits | quote | check`` in a real subprocess (the catalog needs no database)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cbec.policy.cases import load_cases
from cbec.policy.catalog import load_catalog
from cbec.stats.targets import load_targets
from cbec.testing.cli import run_json


def _run(tmp_path: Path, *args: str, code: int = 0) -> Any:
    return run_json(tmp_path, f"sqlite:///{tmp_path / 'unused.sqlite3'}", "policy", *args, code=code, timeout=120)


@pytest.mark.parametrize(
    ("on", "in_force"),
    [
        ("2022-06-30", {"guangzhou-2019"}),
        ("2024-06-30", {"zhongshan-2024"}),
        ("2026-11-25", {"hangzhou-2024"}),
    ],
)
def test_list_on_a_date(tmp_path: Path, on: str, in_force: set[str]) -> None:
    out = _run(tmp_path, "list", "--on", on)
    assert out["on"] == on
    documents = {d["id"]: d for d in out["documents"]}
    assert len(documents) == 5
    assert {i for i, d in documents.items() if d["in_force"] is True} == in_force
    assert documents["jinan-2021"]["in_force"] is None  # no validity stated: not decided by a guess
    assert documents["hangzhou-2024"]["valid_to"] == "2027-12-31"
    assert documents["hangzhou-2024"]["repeals"] == ["杭政办函〔2023〕9号"]


def test_benefits_of_hangzhou(tmp_path: Path) -> None:
    out = _run(tmp_path, "benefits", "hangzhou-2024")
    by_id = {b["id"]: b for b in out["benefits"]}
    assert sorted(by_id) == sorted(b.id for b in load_catalog().benefits_of("hangzhou-2024"))
    trademark = by_id["hz-12-trademark"]
    assert trademark["clause"] == "Hangzhou support (十二)"
    assert trademark["inputs"][0]["name"] == "trademark_fee"
    assert trademark["parameters"]["hz-12-trademark.rate"]["values"][0]["value"] == "0.70"


@pytest.mark.parametrize(
    ("benefit", "fact", "amount", "capped_by"),
    [
        ("hz-3-own-brand-promotion", "promotion_cost=3000000", "500000.00", "hz-3-own-brand-promotion.cap"),
        ("hz-11-credit-insurance", "premium=10000000", "5000000.00", "hz-11-credit-insurance.cap"),
        ("hz-12-trademark", "trademark_fee=100000", "70000.00", None),
    ],
)
def test_quote_done_when_cases(tmp_path: Path, benefit: str, fact: str, amount: str, capped_by: str | None) -> None:
    out = _run(tmp_path, "quote", "hangzhou-2024", benefit, "--fact", fact, "--on", "2025-06-30")
    assert out["amount"] == amount
    assert out["capped_by"] == capped_by
    assert {s["kind"] for s in out["trace"]} >= {"rule", "parameter", "input", "arithmetic", "rounding", "cap"}


def test_check_passes(tmp_path: Path) -> None:
    out = _run(tmp_path, "check")
    assert out["ok"] is True
    assert out["cases"] == len(load_cases())
    assert out["problems"] == []


def test_targets_of_hangzhou(tmp_path: Path) -> None:
    out = _run(tmp_path, "targets", "--city", "330100")
    by_id = {t["id"]: t for t in out["targets"]}
    assert len(by_id) == len([t for t in load_targets().targets if t.city_code == "330100"])
    export = by_id["hz-plan-export-2024"]
    assert (export["value"], export["unit"], export["deadline"]) == ("65000000000", "CNY yuan", "2024-12-31")
    assert (export["policy_document"], export["measure"]) == ("hangzhou-2024", "hz-plan-preamble")
    assert by_id["hz-plan-10-air-routes"]["value"] is None  # the count is lost in the copy
    assert by_id["hz-plan-10-air-routes"]["unknown"]


def test_bad_fact_names_the_field(tmp_path: Path) -> None:
    out = _run(
        tmp_path,
        "quote",
        "hangzhou-2024",
        "hz-12-trademark",
        "--fact",
        "trademark_fee=-5",
        "--on",
        "2025-06-30",
        code=1,
    )
    assert out["ok"] is False
    assert [(e["path"], e["code"]) for e in out["error"]["errors"]] == [("facts.trademark_fee", "fact.negative")]


def test_not_in_force_and_unknown_benefit(tmp_path: Path) -> None:
    out = _run(
        tmp_path, "quote", "hangzhou-2024", "hz-12-trademark", "--fact", "trademark_fee=1", "--on", "2024-06-30", code=1
    )
    assert out["error"]["errors"][0]["code"] == "benefit.not_in_force"
    out = _run(tmp_path, "quote", "hangzhou-2024", "hz-99", code=1)
    assert out["error"]["code"] == "not_found"
