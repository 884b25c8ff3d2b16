"""Batch evaluation equals the engine's quote, to the fen, on every YAML case and on random facts."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from cbec.kernel.errors import ValidationFailed
from cbec.policy.batch import Outcome, compile_benefit, evaluate, evaluate_many
from cbec.policy.cases import load_cases
from cbec.policy.catalog import Catalog, load_catalog
from cbec.policy.engine import quote
from cbec.policy.model import Benefit
from cbec.testing.policy_match import fixture_catalog

CASES = load_cases()


@pytest.fixture(scope="module")
def shipped() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def fixture(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return fixture_catalog(tmp_path_factory.mktemp("catalog"))


def _as_outcome(benefit: Benefit, facts: dict[str, Decimal], on: date) -> Outcome:
    got = quote(benefit, facts, on)
    return Outcome(got.amount, got.eligible, got.capped_by, got.amount_unknown)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_batch_equals_quote_on_every_yaml_case(shipped: Catalog, case: object) -> None:
    from cbec.policy.cases import Case

    assert isinstance(case, Case)
    benefit = shipped.benefits[case.benefit]
    compiled = compile_benefit(benefit, case.on)
    expected = _as_outcome(benefit, case.facts, case.on)
    assert evaluate(compiled, case.facts) == expected
    assert evaluate_many(compiled, [case.facts]) == [expected]


def _random_value(rng: random.Random) -> Decimal:
    kind = rng.randrange(4)
    if kind == 0:
        return Decimal(rng.randrange(0, 100)) / 100  # fen and below
    if kind == 1:
        return Decimal(rng.randrange(0, 10**9)).scaleb(-rng.randrange(0, 5))  # odd scales, half-way cases
    if kind == 2:
        return Decimal(rng.choice([0, 1, 2000000, 4000000, 1000000, 10000000, 20000000]))  # boundaries
    return Decimal(rng.randrange(0, 10**12)) / 100


@pytest.mark.parametrize("catalog_name", ["shipped", "fixture"])
def test_batch_equals_quote_on_random_facts(catalog_name: str, request: pytest.FixtureRequest) -> None:
    catalog: Catalog = request.getfixturevalue(catalog_name)
    rng = random.Random(20241101)
    checked = 0
    for benefit in catalog.benefits.values():
        on = benefit.valid_from if benefit.valid_to is None else benefit.valid_to
        compiled = compile_benefit(benefit, on)
        many = [{i.name: _random_value(rng) for i in benefit.inputs} for _ in range(300)]
        expected = [_as_outcome(benefit, facts, on) for facts in many]
        assert evaluate_many(compiled, many) == expected, benefit.id
        assert [evaluate(compiled, facts) for facts in many] == expected, benefit.id
        checked += len(many)
    assert checked == 300 * len(catalog.benefits)


def test_overrides_replace_a_parameter(fixture: Catalog) -> None:
    benefit = fixture.benefits["fixture-2024.promotion"]
    on = date(2025, 6, 30)
    base = compile_benefit(benefit, on)
    draft = compile_benefit(benefit, on, {"fixture-2024.promotion.rate": Decimal("0.30")})
    facts = {"promotion_cost": Decimal("1000000.05")}
    assert evaluate(base, facts) == Outcome(Decimal("250000.01"), True, None, None)
    assert evaluate(draft, facts) == Outcome(Decimal("300000.02"), True, None, None)  # 300000.015 half up
    capped = compile_benefit(benefit, on, {"fixture-2024.promotion.cap": Decimal("100000")})
    assert evaluate_many(capped, [facts]) == [Outcome(Decimal("100000.00"), True, "fixture-2024.promotion.cap", None)]


def test_batch_refuses_what_quote_refuses(fixture: Catalog) -> None:
    benefit = fixture.benefits["fixture-2024.promotion"]
    compiled = compile_benefit(benefit, date(2025, 6, 30))
    with pytest.raises(ValidationFailed) as missing:
        evaluate_many(compiled, [{}])
    assert missing.value.errors[0].code == "fact.missing"
    with pytest.raises(ValidationFailed) as negative:
        evaluate_many(compiled, [{"promotion_cost": Decimal("-1")}])
    assert negative.value.errors[0].code == "fact.negative"
    with pytest.raises(ValidationFailed) as not_in_force:
        compile_benefit(benefit, date(2030, 1, 1))
    assert not_in_force.value.errors[0].code == "benefit.not_in_force"


def test_unknown_parameter_gives_the_engines_reason(tmp_path: Path) -> None:
    catalog = load_catalog()
    voucher = catalog.benefits.get("hz-7-capacity-voucher")
    if voucher is None:
        pytest.skip("the capacity voucher is not in the shipped catalog")
    on = date(2025, 6, 30)
    facts = {"logistics_contract_fee": Decimal("123456.78")}
    assert evaluate(compile_benefit(voucher, on), facts) == _as_outcome(voucher, facts, on)
