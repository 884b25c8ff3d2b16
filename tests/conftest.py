"""Shared fixtures and the folder → marker rule (markers are registered in pyproject.toml)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cbec.demo.generator import demo_enterprises
from cbec.kernel.clock import FixedClock
from cbec.registry.districts import DistrictBook, load_districts
from cbec.registry.model import EnterpriseInput
from cbec.registry.spreadsheet import build_workbook

TESTS = Path(__file__).parent
FOLDER_MARKERS = {"unit": "unit", "integration": "integration", "e2e": "e2e", "browser": "browser"}
FIXED_NOW = datetime(2024, 11, 26, 2, 0, 0, tzinfo=UTC)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test by the folder it lives in, so ``-m integration`` selects tests/integration."""
    for item in items:
        try:
            relative = item.path.relative_to(TESTS)
        except ValueError:
            continue
        marker = FOLDER_MARKERS.get(relative.parts[0]) if len(relative.parts) > 1 else None
        if marker is not None:
            item.add_marker(getattr(pytest.mark, marker))


@pytest.fixture
def districts() -> DistrictBook:
    return load_districts()


@pytest.fixture
def fixed_clock() -> FixedClock:
    """2024-11-26T02:00:00Z (10:00 in Shanghai); a fresh clock per test, so ``advance`` is local."""
    return FixedClock(FIXED_NOW)


USCC_HEADER, DISTRICT_HEADER = "统一社会信用代码", "区县/镇街/功能区"
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass(frozen=True)
class BadWorkbook:
    """A 1,000-row import file of which exactly three rows are wrong."""

    content: bytes
    rows: list[EnterpriseInput]  # as written, in sheet order (row number = index + 2)
    #: (row as the user sees it, column header, error code), sorted by row
    expected_errors: list[tuple[int, str, str]]

    @property
    def bad_rows(self) -> list[int]:
        return [row for row, _, _ in self.expected_errors]


def wrong_check_character(uscc: str) -> str:
    return uscc[:17] + next(c for c in _USCC_ALPHABET if c != uscc[17])


@pytest.fixture(scope="session")
def bad_workbook() -> BadWorkbook:
    """Demo enterprises 1..1000 with: row 11 a wrong USCC check character, row 501 repeating the
    USCC of row 4, and row 999 an unknown district."""
    rows = [d.as_input() for d in demo_enterprises(1000, seed=424242)]
    rows[9] = replace(rows[9], uscc=wrong_check_character(rows[9].uscc))
    rows[499] = replace(rows[499], uscc=rows[2].uscc)
    rows[997] = replace(rows[997], district_code="999999")
    expected = [
        (11, USCC_HEADER, "uscc.invalid"),
        (501, USCC_HEADER, "uscc.duplicate_in_file"),
        (999, DISTRICT_HEADER, "district.unknown"),
    ]
    return BadWorkbook(build_workbook(rows, load_districts()), rows, expected)
