"""YAML test cases for the catalog (``cbec/policies/tests/*.yaml``), in the spirit of OpenFisca's.

Each file holds a list of cases::

    - name: promotion cost over the cap
      benefit: hz-3-own-brand-promotion
      on: 2025-03-01
      facts: {promotion_cost: "3000000"}
      amount: "500000.00"          # a decimal string, compared exactly
      capped_by: hz-3-own-brand-promotion.cap   # or null

Optional keys: ``eligible: false`` (conditions unmet; amount is then "0.00"), ``amount: null``
(the text sets no figure, or it is lost in the copy), ``split: {city: "…", district: "…"}``.
Numbers are strings or integers, never floats, so no case passes through binary rounding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from cbec.policy.catalog import POLICY_DIR, Catalog
from cbec.policy.engine import quote

CASES_DIR = POLICY_DIR / "tests"


class _Loader(yaml.SafeLoader):
    """Safe YAML where only true/false are booleans: YAML 1.1 would read the key ``on`` as True."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))


@dataclass(frozen=True)
class Case:
    file: str
    name: str
    benefit: str
    on: date
    facts: dict[str, Decimal]
    amount: Decimal | None
    capped_by: str | None
    eligible: bool = True
    split: dict[str, str] | None = None

    @property
    def id(self) -> str:
        return f"{self.file}::{self.name}"


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{where}: write {value!r} as a decimal string")
    return Decimal(str(value))


def load_cases(folder: Path | None = None) -> list[Case]:
    cases = []
    for file in sorted((folder or CASES_DIR).glob("*.yaml")):
        loaded = yaml.load(file.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
        for n, raw in enumerate(loaded or []):
            where = f"{file.name}[{n}]"
            if not isinstance(raw.get("on"), date):
                raise ValueError(f"{where}: `on` must be a date, YYYY-MM-DD")
            cases.append(
                Case(
                    file=file.name,
                    name=str(raw.get("name", n)),
                    benefit=str(raw["benefit"]),
                    on=raw["on"],
                    facts={k: _decimal(v, f"{where}.facts.{k}") for k, v in raw.get("facts", {}).items()},
                    amount=None if raw["amount"] is None else _decimal(raw["amount"], f"{where}.amount"),
                    capped_by=raw.get("capped_by"),
                    eligible=bool(raw.get("eligible", True)),
                    split=raw.get("split"),
                )
            )
    return cases


def run_case(catalog: Catalog, case: Case) -> list[str]:
    """The differences between what the case expects and what the engine quotes (empty: it passes)."""
    benefit = catalog.benefits.get(case.benefit)
    if benefit is None:
        return [f"no benefit {case.benefit!r} in the catalog"]
    got = quote(benefit, case.facts, case.on)
    problems = []
    if str(got.amount) != str(case.amount):
        problems.append(f"amount: expected {case.amount}, got {got.amount}")
    if got.eligible != case.eligible:
        problems.append(f"eligible: expected {case.eligible}, got {got.eligible} ({'; '.join(got.unmet)})")
    if case.split is not None:
        shares = {k: v for k, v in (got.split or {}).items() if k in ("city", "district")}
        if shares != {k: str(v) for k, v in case.split.items()}:
            problems.append(f"split: expected {case.split}, got {shares}")
    if got.capped_by != case.capped_by:
        problems.append(f"capped_by: expected {case.capped_by}, got {got.capped_by}")
    return problems
