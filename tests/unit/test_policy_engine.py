"""The policy engine and catalog: Decimal to the fen, a sourced trace, errors with paths and codes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from cbec.kernel.errors import NotFound, ValidationFailed
from cbec.policy.cases import load_cases, run_case
from cbec.policy.catalog import POLICY_DIR, Catalog, load_catalog
from cbec.policy.engine import parse_facts, quote
from cbec.policy.model import DatedValue, Parameter, Source, Unknown

ON = date(2025, 6, 30)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _codes(failed: pytest.ExceptionInfo[ValidationFailed]) -> set[tuple[str, str]]:
    return {(e.path, e.code) for e in failed.value.errors}


def test_catalog_holds_five_seed_documents(catalog: Catalog) -> None:
    assert set(catalog.documents) == {
        "guangzhou-2019",
        "zhongshan-2024",
        "hangzhou-2024",
        "chongqing-2023",
        "jinan-2021",
    }
    hangzhou = catalog.document("hangzhou-2024")
    assert hangzhou.repeals == ("杭政办函〔2023〕9号",)
    assert hangzhou.number is None  # the copy gives none: not guessed
    assert catalog.document("zhongshan-2024").validity == "本政策措施自发布之日起两年内有效。"


@pytest.mark.parametrize(
    ("on", "in_force"),
    [
        (date(2022, 6, 30), {"guangzhou-2019": True, "zhongshan-2024": False, "hangzhou-2024": False}),
        (date(2024, 6, 30), {"guangzhou-2019": False, "zhongshan-2024": True, "hangzhou-2024": False}),
        (date(2026, 11, 25), {"guangzhou-2019": False, "zhongshan-2024": False, "hangzhou-2024": True}),
    ],
)
def test_documents_in_force(catalog: Catalog, on: date, in_force: dict[str, bool]) -> None:
    assert {d: catalog.document(d).in_force(on) for d in in_force} == in_force
    assert catalog.document("chongqing-2023").in_force(on) is (False if on < date(2023, 12, 4) else None)


def test_validity_boundaries(catalog: Catalog) -> None:
    zhongshan = catalog.document("zhongshan-2024")
    assert zhongshan.in_force(date(2024, 4, 20)) is True
    assert zhongshan.in_force(date(2026, 4, 19)) is True
    assert zhongshan.in_force(date(2026, 4, 20)) is False
    assert catalog.document("guangzhou-2019").in_force(date(2022, 12, 31)) is True
    assert catalog.document("guangzhou-2019").in_force(date(2023, 1, 1)) is False


def test_trace_names_sources_inputs_arithmetic_and_the_binding_cap(catalog: Catalog) -> None:
    result = quote(catalog.benefits["hz-3-own-brand-promotion"], {"promotion_cost": Decimal("3000000")}, ON)
    assert result.amount == Decimal("500000.00")
    assert result.capped_by == "hz-3-own-brand-promotion.cap"
    steps = [s.as_dict() for s in result.trace]
    kinds = ["rule", "input", "parameter", "arithmetic", "rounding", "parameter", "cap", "parameter", "split"]
    assert [s["kind"] for s in steps] == kinds
    rate = steps[2]
    assert rate["value"] == "0.25"
    assert rate["source"] == {
        "seed_file": "002_7dd2818de0ae74fd.txt",
        "city": "Hangzhou",
        "document": "杭州市加力推动跨境电子商务高水平质量的发展行动计划",
        "clause": "Hangzhou support (三)",
        "quote": "给予不超过推广费用25%的资金扶持",
    }
    assert steps[5]["value"] == "500000"
    assert steps[5]["source"]["quote"] == "单个企业每年扶持金额不超过50万元"  # type: ignore[index]
    assert steps[3]["expression"] == "3000000 × 0.25"
    assert steps[6]["cap"] == "hz-3-own-brand-promotion.cap"
    assert steps[6]["cap_kind"] == "per_enterprise_per_year"
    assert steps[6]["bound"] is True
    assert steps[6]["limit"] == "500000"
    assert steps[7]["unknown"] == "the text says 按现行财政体制共同承担 and states no ratio"
    assert result.split == {"city": None, "district": None, "unknown": steps[7]["unknown"]}


def test_amounts_are_decimal_rounded_to_the_fen(catalog: Catalog) -> None:
    result = quote(catalog.benefits["hz-3-own-brand-promotion"], {"promotion_cost": Decimal("0.03")}, ON)
    assert result.amount == Decimal("0.01")
    assert str(result.amount) == "0.01"
    assert result.capped_by is None


def test_missing_negative_and_unexpected_facts_are_reported_together(catalog: Catalog) -> None:
    benefit = catalog.benefits["hz-12-trademark"]
    with pytest.raises(ValidationFailed) as failed:
        quote(benefit, {"trademark_feee": Decimal(1)}, ON)
    assert _codes(failed) == {("facts.trademark_feee", "fact.unexpected"), ("facts.trademark_fee", "fact.missing")}
    with pytest.raises(ValidationFailed) as failed:
        quote(benefit, {"trademark_fee": Decimal(-1)}, ON)
    assert _codes(failed) == {("facts.trademark_fee", "fact.negative")}


def test_not_in_force_on_the_date(catalog: Catalog) -> None:
    benefit = catalog.benefits["hz-11-credit-insurance"]
    for day in (date(2024, 10, 31), date(2028, 1, 1)):
        with pytest.raises(ValidationFailed) as failed:
            quote(benefit, {"premium": Decimal(1)}, day)
        assert _codes(failed) == {("on", "benefit.not_in_force")}
        assert "2024-11-01 to 2027-12-31" in failed.value.errors[0].hint


def test_unknown_parameter_value_gives_no_amount_and_says_why(catalog: Catalog) -> None:
    benefit = catalog.benefits["hz-12-patent"]
    lost = Parameter(
        "lost.rate",
        "ratio",
        "a figure lost in the copy",
        (
            DatedValue(
                date(2024, 11, 1), None, Unknown("amount missing in the copy"), Source("002", "Hangzhou", "x", "(二)")
            ),
        ),
    )
    lost_quote = quote(replace(benefit, rate=lost), {"patent_application_fee": Decimal(1)}, ON)
    assert lost_quote.amount is None
    assert lost_quote.amount_unknown == "lost.rate is unknown: amount missing in the copy"
    assert lost_quote.as_dict()["amount"] is None
    ended = Parameter(
        "ended.rate",
        "ratio",
        "a value that stops before the benefit does",
        (DatedValue(date(2024, 11, 1), date(2024, 12, 31), Decimal("0.5"), Source("002", "Hangzhou", "x", "(十二)")),),
    )
    with pytest.raises(ValidationFailed) as failed:
        quote(replace(benefit, rate=ended), {"patent_application_fee": Decimal(1)}, ON)
    assert _codes(failed) == {("parameters.ended.rate", "parameter.no_value")}


def test_parse_facts() -> None:
    assert parse_facts(["a=1,000.50", "b = 2"]) == {"a": Decimal("1000.50"), "b": Decimal(2)}
    with pytest.raises(ValidationFailed) as failed:
        parse_facts(["a=x", "novalue", "c=NaN", "d=Infinity"])
    assert _codes(failed) == {
        ("facts.a", "fact.not_a_number"),
        ("facts", "fact.malformed"),
        ("facts.c", "fact.not_a_number"),
        ("facts.d", "fact.not_a_number"),
    }


def test_lookups_name_what_is_known(catalog: Catalog) -> None:
    with pytest.raises(NotFound, match="hangzhou-2024"):
        catalog.document("nowhere")
    with pytest.raises(NotFound, match="jn-3-1-1-key-enterprise"):
        catalog.benefit("jinan-2021", "anything")
    with pytest.raises(NotFound, match="hz-12-patent"):
        catalog.benefit("hangzhou-2024", "hz-99")


def _copy_catalog(tmp_path: Path, edit: str = "", extra: str = "") -> Path:
    for file in POLICY_DIR.glob("*.toml"):
        (tmp_path / file.name).write_text(file.read_text(encoding="utf-8"), encoding="utf-8")
    if edit:
        target = tmp_path / "hangzhou_2024.toml"
        text = target.read_text(encoding="utf-8")
        old, new = edit.split(" => ")
        assert old in text
        target.write_text(text.replace(old, new, 1), encoding="utf-8")
    if extra:
        (tmp_path / "zz_extra.toml").write_text(extra, encoding="utf-8")
    return tmp_path


OVERLAP = """
[document]
id = "extra"
city = "X"
seed_file = "x.txt"
title = "t"
validity = "not stated"
[[parameters]]
id = "extra.rate"
unit = "ratio"
description = "d"
[[parameters.values]]
valid_from = 2024-01-01
value = "0.25"
clause = "X (一)"
quote = "q"
[[parameters.values]]
valid_from = 2025-01-01
valid_to = 2025-12-31
value = "0.30"
clause = "X (一)"
quote = "q"
"""


def test_catalog_copy_loads(tmp_path: Path) -> None:
    assert load_catalog(_copy_catalog(tmp_path)) == load_catalog()


@pytest.mark.parametrize(
    ("edit", "extra", "expected"),
    [
        (
            'quote = "给予不超过推广费用25%的资金扶持" => quote = ""',
            "",
            ("hangzhou_2024.toml:parameters[0].values[0].quote", "catalog.missing"),
        ),
        ('value = "0.25" => unknown = ""', "", ("hangzhou_2024.toml:parameters[0].values[0]", "catalog.unsourced")),
        ('value = "0.25" => value = 0.25', "", ("hangzhou_2024.toml:parameters[0].values[0].value", "catalog.float")),
        ("", OVERLAP, ("zz_extra.toml:parameters[0].values", "catalog.overlap")),
        (
            'id = "hz-3-platform-promotion" => id = "hz-3-own-brand-promotion"',
            "",
            ("hangzhou_2024.toml:benefits[1]", "catalog.duplicate_id"),
        ),
        (
            'rate = "hz-12-patent.rate" => rate = "hz-12-nothing"',
            "",
            ("hangzhou_2024.toml:benefits[5].rate", "catalog.dangling"),
        ),
        (
            'mode = "ROUND_HALF_UP" => mode = "ROUND_SOMETIMES"',
            "",
            ("hangzhou_2024.toml:benefits[0].rounding.mode", "catalog.rounding"),
        ),
        (
            "",
            '[document]\nid = "jinan-2021"\ncity = "J"\nseed_file = "f"\ntitle = "t"\nvalidity = "not stated"\n',
            ("zz_extra.toml:document", "catalog.duplicate_id"),
        ),
        ("", "not toml [", ("zz_extra.toml", "catalog.toml")),
    ],
)
def test_catalog_problems_are_found(tmp_path: Path, edit: str, extra: str, expected: tuple[str, str]) -> None:
    with pytest.raises(ValidationFailed) as failed:
        load_catalog(_copy_catalog(tmp_path, edit, extra))
    assert expected in _codes(failed)


def test_yaml_cases_read_on_as_a_date_and_refuse_floats(tmp_path: Path, catalog: Catalog) -> None:
    (tmp_path / "a.yaml").write_text(
        "- {name: x, benefit: hz-12-trademark, on: 2025-01-01, facts: {trademark_fee: '10'},"
        " amount: '7.00', capped_by: null}\n",
        encoding="utf-8",
    )
    [case] = load_cases(tmp_path)
    assert case.on == date(2025, 1, 1)
    assert run_case(catalog, case) == []
    (tmp_path / "a.yaml").write_text(
        "- {name: x, benefit: hz-12-trademark, on: 2025-01-01, facts: {trademark_fee: 10.5}, amount: '7.35'}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="decimal string"):
        load_cases(tmp_path)


def test_conditions_are_traced_and_an_unmet_one_makes_the_quote_ineligible(catalog: Catalog) -> None:
    provider = catalog.benefits["hz-9-service-provider"]  # ≥ 50 served, ≥ 1000万 revenue, ≥ 15 % growth: up to 100万
    facts = {"served_enterprises": Decimal(60), "service_revenue": Decimal(20000000), "revenue_growth": Decimal("0.2")}
    granted = quote(provider, facts, ON)
    assert (granted.eligible, granted.amount, granted.discretionary) == (True, Decimal("1000000.00"), True)
    assert [s.data["met"] for s in granted.trace if s.kind == "condition"] == [True, True, True]
    refused = quote(provider, facts | {"served_enterprises": Decimal(49)}, ON)
    assert (refused.eligible, refused.amount, refused.capped_by) == (False, Decimal("0.00"), None)
    assert [s.data["met"] for s in refused.trace if s.kind == "condition"] == [False, True, True]
    assert refused.unmet == ("served_enterprises = 49 is not >= 50 (Hangzhou support (九))",)
