"""Targets catalog (targets.toml), the explainable forecast, and target evaluation: exact values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import ibis
import pytest

from cbec.stats.catalog import fact_schema
from cbec.stats.forecast import NO_HISTORY, SEASONAL, TRAILING_AVERAGE, forecast, month_range
from cbec.stats.target_services import targets_report
from cbec.stats.target_status import Measured, evaluate
from cbec.stats.targets import EnteredFigure, TargetDataError, load_targets

D = Decimal  # short for exact literals in tables of expected values

CATALOG = load_targets()
TH = CATALOG.thresholds


def target(tid: str):  # type: ignore[no-untyped-def]
    found = CATALOG.get(tid)
    assert found is not None, tid
    return found


def series(first: str, last: str, value: str) -> dict[str, Decimal]:
    return dict.fromkeys(month_range(first, last), D(value))


# ---- catalog -------------------------------------------------------------------------------


def test_catalog_loads_every_seed_target() -> None:
    ids = [t.id for t in CATALOG.targets]
    assert len(ids) == 59
    assert len(set(ids)) == 59
    by_city = {
        c: sum(1 for t in CATALOG.targets if t.city_code == c)
        for c in ("330100", "442000", "500000", "370100", "440100")
    }
    assert by_city == {"330100": 31, "442000": 12, "500000": 7, "370100": 9, "440100": 0}
    assert CATALOG.documents["gz"].no_targets == "the measures set no quantitative target"
    assert {
        "hz-plan-export-growth-2024",
        "hz-plan-export-2024",
        "hz-plan-export-2026",
        "hz-plan-4-import-2027",
        "hz-plan-10-air-routes",
        "zs-1-cbec-2025",
        "zs-8-training",
        "cq-1-firms-20m",
        "cq-1-firms-100m",
        "cq-1-firms-1bn",
        "cq-1-operators",
        "jn-2-growth",
        "jn-2-talent",
        "jn-3-2-3-firms-100m",
    } <= set(ids)
    assert TH.on_track_from == D("1.00")
    assert TH.at_risk_from == D("0.90")


def test_headline_targets_have_their_seed_figures() -> None:
    hz = target("hz-plan-export-2024")
    assert (hz.value, hz.unit, hz.deadline, hz.directions) == (
        D("65000000000"),
        "CNY yuan",
        date(2024, 12, 31),
        ("export",),
    )
    assert hz.wording == "出口额提升至650亿元"
    assert hz.seed == "002_7dd2818de0ae74fd.txt"
    hz26 = target("hz-plan-export-2026")
    assert (hz26.value, hz26.deadline, hz26.period_from, hz26.period_to) == (
        D("140000000000"),
        date(2026, 12, 31),
        "2026-01",
        "2026-12",
    )
    zs = target("zs-1-cbec-2025")
    assert (zs.value, zs.deadline, zs.directions, zs.clause) == (
        D("15000000000"),
        date(2025, 12, 31),
        (),
        "Zhongshan 一",
    )
    cq = [target(f"cq-1-firms-{k}") for k in ("20m", "100m", "1bn")]
    assert [(t.value, t.threshold, t.deadline) for t in cq] == [
        (D(100), D(20000000), date(2027, 12, 31)),
        (D(20), D(100000000), date(2027, 12, 31)),
        (D(5), D(1000000000), date(2027, 12, 31)),
    ]
    jinan = [t for t in CATALOG.targets if t.city_code == "370100"]
    assert {t.deadline for t in jinan} == {date(2023, 12, 31)}
    assert target("jn-2-talent").value == D(10000)
    assert target("zs-3-firms-1bn").value_max == D(5)


def test_a_figure_lost_in_the_copy_is_unknown_not_guessed() -> None:
    routes = target("hz-plan-10-air-routes")
    assert routes.value is None
    assert routes.unknown is not None
    assert "lost" in routes.unknown
    assert routes.wording == "到2027年,萧山机场累计运营货运航线条"
    assert evaluate(routes, None, [], date(2025, 6, 1), TH).status == "unknown"


DOC = """
[[document]]
key = "d"
city_code = "330100"
seed = "s.txt"
title = "t"
issued = 2024-01-01
"""
T1 = """
[[target]]
id = "a"
city_code = "330100"
document = "d"
clause = "c"
wording = "w"
metric = "input"
measure = "entered"
unit = "个"
deadline = 2025-12-31
scope = "city"
confirmed = true
"""


def test_validation_names_every_broken_rule() -> None:
    with pytest.raises(TargetDataError, match="id used twice"):
        load_targets(DOC + T1 + 'value = "1"\n' + T1 + 'value = "2"\n')
    with pytest.raises(TargetDataError, match="exactly one"):
        load_targets(DOC + T1 + 'value = "1"\nunknown = "lost"\n')
    with pytest.raises(TargetDataError, match="unknown must give the reason"):
        load_targets(DOC + T1 + 'unknown = " "\n')
    with pytest.raises(TargetDataError, match="decimal text"):
        load_targets(DOC + T1 + "value = 1\n")
    with pytest.raises(TargetDataError, match="not a \\[\\[document\\]\\] key"):
        load_targets(DOC + T1.replace('document = "d"', 'document = "x"') + 'value = "1"\n')


# ---- forecast ------------------------------------------------------------------------------


def test_forecast_trailing_average_under_13_months() -> None:
    history = {
        "2024-01": D(10),
        "2024-02": D(20),
        "2024-03": D(30),
        "2024-04": D(40),
        "2024-05": D(51),
    }
    f = forecast(history, "2024-07")
    assert f.method == TRAILING_AVERAGE
    assert f.months == {"2024-06": D("40.33"), "2024-07": D("40.33")}
    assert f.explanation.startswith("trailing 3-month average: under 13 months of history; ")
    assert "2024-03..2024-05 = 40.33" in f.explanation


def test_forecast_seasonal_with_full_trailing_year() -> None:
    history = series("2023-01", "2023-12", "100") | series("2024-01", "2024-12", "110")
    f = forecast(history, "2025-02")
    assert f.method == SEASONAL
    assert f.growth == D("0.100000")
    assert f.months == {"2025-01": D("121.00"), "2025-02": D("121.00")}
    assert "g = 10 % = year-on-year growth of 2024-01..2024-12 over 2023-01..2023-12" in f.explanation


def test_forecast_seasonal_with_13_months_compares_the_overlap_and_chains() -> None:
    history = {"2023-01": D(200)} | series("2023-02", "2023-12", "100") | {"2024-01": D(250)}
    f = forecast(history, "2025-02")
    assert f.method == SEASONAL
    assert f.growth == D("0.250000")
    assert f.months["2024-02"] == D("125.00")
    assert f.months["2025-01"] == D("312.50")  # the actual 2024-01, 250 × 1.25
    assert f.months["2025-02"] == D("156.25")  # built on the 2024-02 forecast
    assert "only 1 overlapping month" in f.explanation


def test_forecast_falls_back_when_the_year_before_is_zero_and_without_history() -> None:
    history = series("2023-01", "2023-12", "0") | {"2024-01": D(9)}
    f = forecast(history, "2024-02")
    assert f.method == TRAILING_AVERAGE
    assert f.months == {"2024-02": D("3.00")}
    assert "sum to 0" in f.explanation
    empty = forecast({}, "2024-02")
    assert (empty.method, empty.months) == (NO_HISTORY, {})


# ---- evaluation ----------------------------------------------------------------------------

BILLIONS_5 = "5000000000"


def test_sum_target_at_risk_with_reason() -> None:
    hz = target("hz-plan-export-2024")
    monthly = series("2023-01", "2023-12", BILLIONS_5) | series("2024-01", "2024-10", BILLIONS_5)
    s = evaluate(hz, Measured(monthly=monthly), [], date(2024, 11, 15), TH)
    assert s.status == "at_risk"
    assert (s.value_to_date, s.projected, s.ratio, s.progress) == (
        D("50000000000"),
        D("60000000000.00"),
        D("0.9231"),
        D("0.7692"),
    )
    assert s.method == SEASONAL
    assert s.reason == "forecast 600亿 at 2024-12 is 92.3 % of 650亿: at risk (between 90 % and 100 %)"
    assert s.as_of == "2024-10"


def test_sum_target_off_track_achieved_expired() -> None:
    hz = target("hz-plan-export-2024")
    low = series("2023-01", "2023-12", BILLIONS_5) | series("2024-01", "2024-10", "4000000000")
    s = evaluate(hz, Measured(monthly=low), [], date(2024, 11, 15), TH)
    # ratio 48/65 = 0.73846… → 0.7385 (four places) → 73.9 % (one place, half up)
    assert (s.status, s.projected, s.ratio) == ("off_track", D("48000000000.00"), D("0.7385"))
    assert s.reason == "forecast 480亿 at 2024-12 is 73.9 % of 650亿: off track (below 90 %)"
    high = series("2024-01", "2024-10", "7000000000")
    assert evaluate(hz, Measured(monthly=high), [], date(2024, 11, 15), TH).status == "achieved"
    full = series("2023-01", "2024-12", BILLIONS_5)
    done = evaluate(hz, Measured(monthly=full), [], date(2025, 1, 10), TH)
    assert done.status == "expired"
    assert done.reason == "2024-01..2024-12 total 600亿 is 92.3 % of 650亿: missed at the deadline 2024-12-31"
    nothing = evaluate(hz, Measured(monthly={}), [], date(2024, 11, 15), TH)
    assert (nothing.status, nothing.progress) == ("no_data", None)  # measurable, just nothing released yet


def test_growth_target_compares_with_the_required_total() -> None:
    g = target("hz-plan-export-growth-2024")
    monthly = series("2023-01", "2023-12", BILLIONS_5) | series("2024-01", "2024-10", BILLIONS_5)
    s = evaluate(g, Measured(monthly=monthly), [], date(2024, 11, 15), TH)
    assert (s.status, s.ratio, s.projected, s.value_to_date) == (
        "off_track",
        D("0.8333"),
        D("0"),
        D("0"),
    )
    assert (
        s.reason == "forecast 600亿 at 2024-12 is 83.3 % of the 720亿 needed for +20 % on 600亿: off track (below 90 %)"
    )


def test_count_target_without_forecast() -> None:
    cq = target("cq-1-firms-20m")
    s = evaluate(cq, Measured(count=D(95), count_window="the 12 months 2025-06..2026-05"), [], date(2026, 6, 1), TH)
    assert (s.status, s.ratio) == ("at_risk", D("0.9500"))
    assert s.reason == (
        "no forecast for enterprise counts: 95 enterprises in the 12 months 2025-06..2026-05 is 95 % of "
        "100 enterprises due 2027-12-31: at risk (between 90 % and 100 %)"
    )
    missing = evaluate(
        target("cq-1-operators"),
        Measured(unavailable="metric enterprise_count is not in the catalog yet"),
        [],
        date(2026, 6, 1),
        TH,
    )
    assert (missing.status, missing.reason) == ("not_measurable", "metric enterprise_count is not in the catalog yet")


def test_entered_target_straight_line_and_states() -> None:
    brands = target("hz-plan-3-brands")
    none = evaluate(brands, None, [], date(2026, 6, 1), TH)
    assert none.status == "not_measurable"
    fig = EnteredFigure("hz-plan-3-brands", date(2026, 5, 31), D(60), "省商务厅公布名单")
    s = evaluate(brands, None, [fig], date(2026, 6, 1), TH)
    # 577 of 1156 days from 2024-11-01 to 2027-12-31: 150 × 577 / 1156 = 74.8702; 60 / 74.8702 = 0.8014
    assert (s.status, s.ratio, s.progress, s.as_of) == ("off_track", D("0.8014"), D("0.4000"), "2026-05-31")
    assert s.reason == (
        "60 个 entered as of 2026-05-31 (省商务厅公布名单) is 80.1 % of the 74.8702 个 a straight line from 0 on "
        "2024-11-01 to 150 个 on 2027-12-31 expects by then: off track (below 90 %)"
    )
    done = EnteredFigure("hz-plan-3-brands", date(2027, 3, 1), D(150), "名单")
    assert evaluate(brands, None, [fig, done], date(2027, 4, 1), TH).status == "achieved"
    assert evaluate(brands, None, [fig], date(2028, 1, 2), TH).status == "expired"


def test_yearly_entered_target_uses_the_current_year() -> None:
    training = target("zs-8-training")
    last_year = EnteredFigure("zs-8-training", date(2024, 12, 31), D(3200), "市人社局")
    s = evaluate(training, None, [last_year], date(2025, 3, 1), TH)
    assert (s.status, s.period, s.deadline) == ("not_measurable", "2025-01..2025-12", date(2025, 12, 31))
    assert evaluate(training, None, [last_year], date(2024, 12, 31), TH).status == "achieved"


# ---- report over an Ibis table -------------------------------------------------------------


def fact(
    month: str, fen: int, direction: str = "export", enterprise: int | None = 1, city: str = "330100"
) -> dict[str, object]:
    day = date(int(month[:4]), int(month[5:]), 10)
    return {
        "line_key": f"{direction}{month}{enterprise}#1",
        "list_key": f"{direction}{month}{enterprise}",
        "direction": direction,
        "trade_mode": "9610",
        "statistics_flag": "",
        "city_code": city,
        "district_code": "330108",
        "enterprise_id": enterprise,
        "hs_code": "8516790000",
        "hs_chapter": "85",
        "origin_country": "142",
        "destination_country": "502",
        "currency": "142",
        "value_fen": fen,
        "cny_fen": fen,
        "returned_fen": 0,
        "declared_on": day,
        "released_on": day,
        "month": month,
        "year": day.year,
        "status": "800",
        "released": True,
        "first_line": True,  # one line per list
    }


def test_targets_report_measures_with_the_catalog() -> None:
    rows = [fact(m, 500_000_000_000) for m in month_range("2023-01", "2024-10")]
    rows.append(fact("2024-10", 100, direction="import"))
    lines = ibis.memtable(rows, schema=fact_schema())
    report = {s.target.id: s for s in targets_report(lines, [], "330100", date(2024, 11, 15))}
    assert len(report) == 31
    export = report["hz-plan-export-2024"]
    assert (export.status, export.projected) == ("at_risk", D("60000000000.00"))
    assert report["hz-plan-10-air-routes"].status == "unknown"
    assert report["hz-plan-3-brands"].status == "not_measurable"
    assert report["hz-plan-4-import-2027"].status == "off_track"


def test_tier_board_trailing_year_and_moves_since_last_month_end() -> None:
    from cbec.stats.target_services import tier_board

    rows = [fact(m, 200_000_000, enterprise=1, city="500000") for m in ("2024-01", "2024-06", "2024-10")]
    rows.append(fact("2024-10", 2_000_000_000, enterprise=2, city="500000"))
    board = tier_board(ibis.memtable(rows, schema=fact_schema()), "500000", date(2024, 10, 31), None)
    assert (board.window, board.previous_window) == ("2023-11..2024-10", "2023-10..2024-09")
    assert [(p.enterprise_id, p.value, p.level) for p in board.placements] == [(2, D(20000000), 1), (1, D(6000000), 0)]
    assert [(m.enterprise_id, m.kind) for m in board.moves] == [(2, "new")]
