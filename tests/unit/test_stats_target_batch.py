"""Measuring many targets from a few grouped queries (target_measures.measure_targets) gives
exactly what measuring each target on its own gives (target_measures.measure), on the fixed
dataset of cbec.testing.stats: the packaged targets (the dataset copied into every target city)
and extra targets over every scope filter, on days before, inside and after the data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import ibis.expr.types as ir
import pytest

from cbec.stats.backends import duckdb_memory
from cbec.stats.target_measures import measure, measure_targets
from cbec.stats.target_services import targets_report
from cbec.stats.target_status import evaluate
from cbec.stats.targets import Target, TargetCatalog, load_targets
from cbec.testing.stats import fixed_rows

DAYS = (
    date(2023, 2, 1),  # before any release
    date(2024, 1, 31),
    date(2024, 5, 15),  # every month of the data complete
    date(2024, 11, 15),
    date(2028, 3, 1),  # after every deadline
)
CATALOG = load_targets()


def _target(tid: str, city: str, metric: str, measure: str, value: str, unit: str, period: str, **more: str) -> str:
    """One [[target]] of the test document of ``city``; ``period`` is "YYYY" (yearly) or a year's
    months "YYYY-MM..YYYY-MM"; ``more`` holds further keys as TOML values."""
    first, _, last = period.partition("..")
    when = (
        f'recurs = "yearly"\nfirst_year = {int(first) - 1}\nlast_year = {int(first) + 1}\ndeadline = {first}-12-31'
        if not last
        else f'period_from = "{first}"\nperiod_to = "{last}"\ndeadline = {last}-28'
    )
    extra = "".join(f"{key} = {raw}\n" for key, raw in more.items())
    return (
        f'[[target]]\nid = "{tid}"\ncity_code = "{city}"\ndocument = "d{city}"\nclause = "test"\nwording = "test"\n'
        f'metric = "{metric}"\nmeasure = "{measure}"\nvalue = "{value}"\nunit = "{unit}"\nscope = "test"\n'
        f"confirmed = true\n{when}\n{extra}\n"
    )


# Targets over the fixed cities 3301 and 3302 as they are, one per scope filter the measures know.
EXTRA = "".join(
    f'[[document]]\nkey = "d{c}"\ncity_code = "{c}"\nseed = "test"\ntitle = "test {c}"\nissued = 2023-01-01\n\n'
    for c in ("3301", "3302")
) + "".join(
    (
        _target("sum-all", "3301", "trade_value", "sum", "1000000", "CNY yuan", "2024-01..2024-12"),
        _target("sum-district", "3301", "trade_value", "sum", "1", "CNY yuan", "2024-01..2024-12", district='"330102"'),
        _target(
            "sum-modes",
            "3301",
            "trade_value",
            "sum",
            "1",
            "CNY yuan",
            "2024-01..2024-06",
            trade_modes='["1210", "9710"]',
        ),
        _target(
            "sum-export-9610",
            "3302",
            "trade_value",
            "sum",
            "1",
            "CNY yuan",
            "2024-01..2024-12",
            directions='["export"]',
            trade_modes='["9610"]',
        ),
        _target(
            "sum-import",
            "3302",
            "trade_value",
            "sum",
            "1",
            "CNY yuan",
            "2024-01..2024-12",
            directions='["import"]',
            district='"330201"',
        ),
        _target("growth-import", "3301", "trade_value", "yoy_growth", "0.1", "ratio", "2024", directions='["import"]'),
        _target(
            "firms-at-55m",
            "3301",
            "trade_value",
            "enterprises_at_least",
            "1",
            "enterprises",
            "2023-01..2023-12",
            threshold='"55000000"',
            threshold_inclusive="true",
        ),
        _target(
            "firms-over-55m",
            "3301",
            "trade_value",
            "enterprises_at_least",
            "1",
            "enterprises",
            "2023-01..2023-12",
            threshold='"55000000"',
            threshold_inclusive="false",
        ),
        _target(
            "firms-export",
            "3301",
            "trade_value",
            "enterprises_at_least",
            "3",
            "enterprises",
            "2025-01..2025-12",
            threshold='"0"',
            directions='["export"]',
        ),
        _target(
            "firms-district",
            "3301",
            "trade_value",
            "enterprises_at_least",
            "1",
            "enterprises",
            "2024-01..2024-12",
            threshold='"1000000"',
            district='"330101"',
            trade_modes='["9610", "9710"]',
        ),
        _target("operators", "3301", "enterprise_count", "count", "3", "enterprises", "2024-01..2024-12"),
        _target(
            "operators-import",
            "3301",
            "enterprise_count",
            "count",
            "3",
            "enterprises",
            "2023-01..2023-12",
            directions='["import"]',
        ),
        _target(
            "operators-3302",
            "3302",
            "enterprise_count",
            "count",
            "1",
            "enterprises",
            "2024-01..2024-12",
            district='"330201"',
        ),
        _target("lists", "3301", "list_count", "count", "5", "lists", "2024-01..2024-12"),
        _target("not-in-catalog", "3301", "no_such_metric", "sum", "5", "CNY yuan", "2024-01..2024-12"),
    )
)


def _rows() -> Iterator[dict[str, Any]]:
    """The fixed rows as they are, and a copy in every target city: district 330101 becomes a
    district some targets name (or the city's own code), 330102 and 330201 two others."""
    yield from fixed_rows()
    named = {
        c: sorted({t.district for t in CATALOG.of_city(c) if t.district})
        for c in {t.city_code for t in CATALOG.targets}
    }
    for city, districts in named.items():
        places = [*districts, city[:4] + "01", city[:4] + "02", city[:4] + "03"][:3]
        for row in fixed_rows():
            district = places[("330101", "330102", "330201").index(row["district_code"])]
            yield row | {
                "line_key": f"{city}/{row['line_key']}",
                "list_key": f"{city}/{row['list_key']}",
                "city_code": city,
                "district_code": district,
            }


@pytest.fixture(scope="module")
def lines() -> ir.Table:
    return duckdb_memory(_rows())


def _measured(catalog: TargetCatalog) -> list[Target]:
    return [t for t in catalog.targets if not t.is_input and t.value is not None]


@pytest.mark.parametrize("today", DAYS)
@pytest.mark.parametrize("catalog", [CATALOG, load_targets(EXTRA)], ids=["packaged", "extra"])
def test_batched_measures_equal_per_target_measures(lines: ir.Table, catalog: TargetCatalog, today: date) -> None:
    for city in sorted({t.city_code for t in catalog.targets}):
        targets = [t for t in _measured(catalog) if t.city_code == city]
        assert measure_targets(lines, targets, today) == {t.id: measure(lines, t, today) for t in targets}, city
    every = _measured(catalog)
    assert measure_targets(lines, every, today) == {t.id: measure(lines, t, today) for t in every}


@pytest.mark.parametrize("today", DAYS)
@pytest.mark.parametrize("catalog", [CATALOG, load_targets(EXTRA)], ids=["packaged", "extra"])
def test_report_equals_evaluating_each_target_on_its_own(lines: ir.Table, catalog: TargetCatalog, today: date) -> None:
    for city in [None, *sorted({t.city_code for t in catalog.targets})]:
        expected = [
            evaluate(
                t,
                measure(lines, t, today) if not t.is_input and t.value is not None else None,
                [],
                today,
                catalog.thresholds,
            )
            for t in catalog.of_city(city)
        ]
        assert targets_report(lines, [], city, today, catalog) == expected


def test_the_comparison_is_not_vacuous(lines: ir.Table) -> None:
    """The dataset gives the batched measures something to add up in every kind of measure."""
    extra = load_targets(EXTRA)
    got = measure_targets(lines, _measured(extra), date(2024, 5, 15))
    assert got["sum-all"].monthly == {
        "2023-03": Decimal(4_000_000),
        "2023-12": Decimal(57_000_000),
        "2024-01": Decimal(76_000_000),
        "2024-03": Decimal(9_100_000),
        "2024-04": Decimal(15_000_000),
    }
    assert got["sum-all"].unconverted_lines == 0
    assert got["sum-import"].unconverted_lines == 1
    assert (got["firms-at-55m"].count, got["firms-over-55m"].count) == (Decimal(1), Decimal(0))
    assert got["operators"].count == Decimal(3)  # e1, e2, e4 (e3 trades in 3302)
    assert got["lists"].count is not None
    assert got["not-in-catalog"].unavailable is not None
    packaged = measure_targets(lines, _measured(CATALOG), date(2024, 5, 15))
    assert packaged["cq-1-firms-20m"].count == Decimal(1)
    assert packaged["hz-plan-1-shangcheng"].monthly  # a district copy of the data
