"""The catalog accounts for every numbered clause, ties every target to its measure, and the
reference in docs/policies.md is what the catalog renders (so the page cannot go stale)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cbec.policy.catalog import Catalog, load_catalog
from cbec.policy.docs import BEGIN, END, render, splice
from cbec.policy.targets import link_targets, targets_by_measure, targets_of
from cbec.stats.targets import load_targets

PAGE = Path(__file__).resolve().parents[2] / "docs" / "policies.md"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def test_every_target_belongs_to_a_measure(catalog: Catalog) -> None:
    targets = load_targets()
    linked, problems = link_targets(catalog, targets)
    assert problems == []
    assert len(linked) == len(targets.targets) == 59


def test_targets_of_a_city_by_code_or_name(catalog: Catalog) -> None:
    targets = load_targets()
    by_name = targets_of(catalog, targets, "hangzhou")
    by_code = targets_of(catalog, targets, "330100")
    assert [t.target.id for t in by_name] == [t.target.id for t in by_code]
    assert {t.measure.document.id for t in by_name} == {"hangzhou-2024"}
    assert targets_of(catalog, targets, "Guangzhou") == []  # its measures set no quantitative target
    preamble = next(t for t in by_name if t.target.id == "hz-plan-export-2024")
    assert preamble.as_dict()["measure"] == "hz-plan-preamble"


def test_the_reference_in_docs_is_current(catalog: Catalog) -> None:
    page = PAGE.read_text(encoding="utf-8")
    expected = render(catalog, targets_by_measure(catalog, load_targets()))
    assert splice(page, expected) == page, "run: cbec policy docs --write docs/policies.md"


def test_every_measure_and_benefit_appears_in_the_reference(catalog: Catalog) -> None:
    page = PAGE.read_text(encoding="utf-8")
    reference = page[page.index(BEGIN) : page.index(END)]
    for measure in catalog.measures.values():
        assert f"| {measure.clause} |" in reference
    for benefit in catalog.benefits.values():
        assert f"`{benefit.id}`" in reference


def test_splice_replaces_only_the_reference() -> None:
    page = f"# Title\n\nprose\n\n{BEGIN}\nold\n{END}\n\n## After\n"
    assert splice(page, f"{BEGIN}\nnew\n{END}\n") == f"# Title\n\nprose\n\n{BEGIN}\nnew\n{END}\n\n## After\n"
    assert splice("# Only prose\n", f"{BEGIN}\nx\n{END}\n") == f"# Only prose\n\n{BEGIN}\nx\n{END}\n"


SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
_CN = "[一二三四五六七八九十]+"
_MARK = re.compile(rf"^\s*(?:<strong>)?(?:(?P<top>{_CN})、|\((?P<sub>{_CN})\)|(?P<num>\d+)[.．])")


def _numbered(seed: str, city: str) -> list[str]:
    """Every clause of a seed that carries a number, cited as seeds/README.md cites them."""
    found: list[str] = []
    top = sub = ""
    closing_seen = False
    for line in (SEEDS / seed).read_text(encoding="utf-8").splitlines():
        if city == "Chongqing" and line.strip() == "內容解讀":
            break  # the encyclopedia's commentary repeats measure 一
        closing_seen = closing_seen or line.startswith("本行动计划自")
        mark = _MARK.match(line)
        if mark is None:
            continue
        if mark["top"]:
            top, sub = mark["top"], ""
            found.append(f"{city} {top}")
        elif mark["sub"]:
            sub = mark["sub"]
            if city == "Hangzhou":
                found.append(f"Hangzhou support ({sub})" if closing_seen else f"Hangzhou 行动计划 保障({sub})")
            elif city == "Guangzhou":
                found.append(f"Guangzhou ({sub})")
            else:
                found.append(f"{city} {top}({sub})")
        elif city == "Hangzhou":
            found.append(f"Hangzhou 行动计划 {mark['num']}")
        elif city == "Jinan":
            found.append(f"Jinan {top}({sub}){mark['num']}")
        else:
            found.append(f"{city} {mark['num']}")
    return found


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seeds live beside the repository (../shared/seeds)")
@pytest.mark.parametrize(
    ("seed", "city", "count"),
    [
        ("000_b467442e0e4fabbb.txt", "Zhongshan", 35),
        ("001_40c932257997183b.txt", "Guangzhou", 30),
        ("002_7dd2818de0ae74fd.txt", "Hangzhou", 43),
        ("003_8b966e7374002767.txt", "Chongqing", 15),
        ("004_ff882a16a636767a.txt", "Jinan", 32),
    ],
)
def test_every_numbered_clause_of_the_seeds_is_a_measure(catalog: Catalog, seed: str, city: str, count: int) -> None:
    numbered = _numbered(seed, city)
    assert len(numbered) == len(set(numbered)) == count
    clauses = {m.clause for m in catalog.measures.values()}
    assert [c for c in numbered if c not in clauses] == []
    if city == "Hangzhou":  # (十六) is absent from the copy; it is still accounted for
        assert "Hangzhou support (十六)" in clauses
