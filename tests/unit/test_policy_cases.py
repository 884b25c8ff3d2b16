"""Every YAML case under ``cbec/policies/tests`` is one pytest test (the catalog's executable examples)."""

from __future__ import annotations

import pytest

from cbec.policy.cases import Case, load_cases, run_case
from cbec.policy.catalog import Catalog, load_catalog

CASES = load_cases()


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def test_the_done_when_cases_are_present() -> None:
    wanted = {
        ("hz-3-own-brand-promotion", "3000000", "500000.00"),
        ("hz-11-credit-insurance", "10000000", "5000000.00"),
        ("hz-12-trademark", "100000", "70000.00"),
    }
    have = {(c.benefit, str(v), str(c.amount)) for c in CASES for v in c.facts.values() if len(c.facts) == 1}
    assert wanted <= have


def test_every_benefit_has_a_case(catalog: Catalog) -> None:
    assert set(catalog.benefits) - {c.benefit for c in CASES} == set()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(catalog: Catalog, case: Case) -> None:
    assert run_case(catalog, case) == []
