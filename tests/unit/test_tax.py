"""Retail import tax (DOMAIN §4): exact to the fen, every amount a Decimal."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from cbec.exchange.rates import HsRate, choose_rates, load_rates, lookup, rates_for
from cbec.exchange.tax import (
    LIMIT_PERIODS,
    TaxRates,
    effective_rate,
    limits_on,
    parse_rate,
    quote,
    quote_as_dict,
    reconcile,
)
from cbec.kernel.errors import ValidationFailed

D = Decimal
VAT13 = TaxRates(D("0.13"))
COSMETICS = TaxRates(D("0.13"), D("0.15"))


def pct(rate: Decimal) -> Decimal:
    return (rate * 100).quantize(D("0.01"), rounding=ROUND_HALF_UP)


# --- the worked examples -------------------------------------------------------------------


def test_goods_with_freight_at_13_percent() -> None:
    q = quote(price=D(100), freight=D(10), rates=VAT13)
    assert q.channel == "retail"
    assert (q.dutiable_value, q.customs_duty, q.consumption_tax, q.vat, q.total_tax) == (
        D("110.00"), D("0.00"), D("0.00"), D("10.01"), D("10.01"),
    )  # fmt: skip
    assert q.counts_toward_annual == D("110.00")
    assert str(q.vat) == "10.01"


def test_cosmetics_500() -> None:
    q = quote(price=D(500), rates=COSMETICS)
    assert (q.consumption_tax, q.vat, q.total_tax) == (D("61.76"), D("53.53"), D("115.29"))
    # 500 / 0.85 × 0.15 = 88.2352…; × 0.7 = 61.7647… → 61.76 (rounding 88.24 first would give 61.77)
    assert (D(500) / D("0.85") * D("0.15") * D("0.7")).quantize(D("0.01"), ROUND_HALF_UP) == D("61.76")


def test_two_items_just_over_the_single_limit_is_general_trade() -> None:
    q = quote(price=D("5000.01"), rates=VAT13, items=2)
    assert q.channel == "general_trade"
    assert (q.customs_duty, q.consumption_tax, q.vat, q.total_tax, q.counts_toward_annual) == (D("0.00"),) * 5
    assert any("5000" in r for r in q.reasons)
    assert any("more than one item" in r for r in q.reasons)


def test_exactly_the_single_limit_is_retail() -> None:
    q = quote(price=D(5000), rates=VAT13, items=2)
    assert q.channel == "retail"
    assert q.vat == D("455.00")


def test_one_item_over_the_single_limit_is_retail_at_full_rate() -> None:
    q = quote(price=D(6000), rates=VAT13)
    assert q.channel == "retail_full_rate"
    # by hand: duty 6000 × 0 = 0; CT 0; VAT (6000 + 0 + 0) × 0.13 = 780.00, in full (no 70 %)
    assert (q.customs_duty, q.consumption_tax, q.vat, q.total_tax) == (D("0.00"), D("0.00"), D("780.00"), D("780.00"))
    assert q.counts_toward_annual == D("6000.00")


def test_full_rate_formula_with_a_tariff_and_consumption_tax() -> None:
    q = quote(price=D(6000), rates=TaxRates(D("0.13"), D("0.10"), D("0.14")))
    # duty 6000 × 0.14 = 840; CT (6000 + 840) / 0.9 × 0.1 = 760; VAT (6000 + 840 + 760) × 0.13 = 988
    assert (q.customs_duty, q.consumption_tax, q.vat, q.total_tax) == (
        D("840.00"), D("760.00"), D("988.00"), D("2588.00"),
    )  # fmt: skip


def test_full_rate_cosmetics_with_tariff_rounds_each_tax() -> None:
    q = quote(price=D("5200"), freight=D("30.50"), rates=TaxRates(D("0.13"), D("0.15"), D("0.03")))
    value = D("5230.50")
    duty = value * D("0.03")  # 156.915
    ct = (value + duty) / D("0.85") * D("0.15")  # 950.6117647…
    vat = (value + duty + ct) * D("0.13")
    fen = [x.quantize(D("0.01"), ROUND_HALF_UP) for x in (duty, ct, vat)]
    assert fen[0] == D("156.92")  # x.xx5 rounds up
    assert (q.customs_duty, q.consumption_tax, q.vat) == tuple(fen)
    assert q.total_tax == sum(fen)


def test_annual_limit_exceeded_is_general_trade() -> None:
    q = quote(price=D(1500), rates=VAT13, annual_used=D(25000))
    assert q.channel == "general_trade"
    assert q.total_tax == D("0.00")
    assert q.counts_toward_annual == D("0.00")
    assert any("26000" in r and "annual" in r for r in q.reasons)


def test_annual_limit_reached_exactly_is_retail() -> None:
    q = quote(price=D(1000), rates=VAT13, annual_used=D(25000))
    assert q.channel == "retail"
    assert q.vat == D("91.00")


def test_single_item_over_limit_without_annual_room_is_general_trade() -> None:
    q = quote(price=D(6000), rates=VAT13, annual_used=D(21000))
    assert q.channel == "general_trade"
    assert len(q.reasons) >= 2


def test_single_item_declared_divisible_is_general_trade() -> None:
    assert quote(price=D(6000), rates=VAT13, indivisible_single_item=False).channel == "general_trade"


def test_indivisible_single_item_needs_one_item() -> None:
    with pytest.raises(ValidationFailed) as caught:
        quote(price=D(6000), rates=VAT13, items=2, indivisible_single_item=True)
    assert caught.value.errors[0].path == "items"


def test_non_cash_deductions_are_not_subtracted_the_declared_price_is_taxed() -> None:
    # a 100 item paid 80 cash + 20 in points: the dutiable price is the declared 100
    assert quote(price=D(100), rates=VAT13).vat == D("9.10")


# --- periods --------------------------------------------------------------------------------


def test_periods_and_sources() -> None:
    early, late = LIMIT_PERIODS
    assert (early.per_transaction, early.per_year, early.source) == (D(2000), D(20000), "财关税〔2016〕18号")
    assert (late.per_transaction, late.per_year, late.source) == (D(5000), D(26000), "财关税〔2018〕49号")
    assert early.tax_factor == late.tax_factor == D("0.7")
    assert limits_on(date(2016, 4, 8)) is early
    assert limits_on(date(2018, 12, 31)) is early
    assert limits_on(date(2019, 1, 1)) is late
    assert limits_on() is late


def test_2016_period_limits() -> None:
    on = date(2018, 6, 1)
    assert quote(price=D(1999), rates=VAT13, on=on).channel == "retail"
    over = quote(price=D(2500), rates=VAT13, on=on)
    assert over.channel == "general_trade"  # no full-rate route before 49号
    assert any("18号" in r for r in over.reasons)
    assert quote(price=D(1500), rates=VAT13, annual_used=D(18600), on=on).channel == "general_trade"
    assert quote(price=D(2500), rates=VAT13, on=date(2019, 1, 1)).channel == "retail"


def test_before_the_regime_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        quote(price=D(100), rates=VAT13, on=date(2016, 4, 7))
    assert caught.value.errors[0].path == "on"


# --- rounding -------------------------------------------------------------------------------


def test_half_fen_rounds_up() -> None:
    # 15 × 0.13 × 0.7 = 1.365 exactly → 1.37 (banker's rounding would give 1.36)
    assert quote(price=D(15), rates=VAT13).vat == D("1.37")
    # 5 × 0.091 = 0.455 → 0.46
    assert quote(price=D(5), rates=VAT13).vat == D("0.46")
    # 25 × 0.091 = 2.275 → 2.28
    assert quote(price=D(25), rates=VAT13).vat == D("2.28")


def test_total_is_the_sum_of_rounded_taxes() -> None:
    # wine 300: CT 300/0.9×0.1×0.7 = 23.333… → 23.33; VAT 333.33…×0.13×0.7 = 30.333… → 30.33
    q = quote(price=D(300), rates=TaxRates(D("0.13"), D("0.10")))
    assert (q.consumption_tax, q.vat, q.total_tax) == (D("23.33"), D("30.33"), D("53.66"))


def test_amounts_below_a_fen_in_the_inputs() -> None:
    q = quote(price=D("99.995"), rates=VAT13)
    assert q.dutiable_value == D("100.00")
    assert q.vat == D("9.10")  # 99.995 × 0.091 = 9.099545


def test_all_amounts_are_quantized_to_the_fen() -> None:
    for q in (quote(price=D(1), rates=VAT13), quote(price=D(9000), rates=VAT13, items=3)):
        for amount in (q.dutiable_value, q.customs_duty, q.consumption_tax, q.vat, q.total_tax, q.counts_toward_annual):
            assert amount.as_tuple().exponent == -2


def test_float_amounts_are_refused() -> None:
    with pytest.raises(TypeError):
        quote(price=100.0, rates=VAT13)  # type: ignore[arg-type]


# --- effective rates ------------------------------------------------------------------------


def test_effective_rates() -> None:
    assert effective_rate(VAT13) == D("0.091")
    assert pct(effective_rate(VAT13)) == D("9.10")
    assert pct(effective_rate(TaxRates(D("0.09")))) == D("6.30")
    assert pct(effective_rate(COSMETICS)) == D("23.06")


def test_effective_rate_matches_quote() -> None:
    q = quote(price=D(10000) / 2, rates=COSMETICS)  # 5000, within the limit
    assert q.total_tax == (D(5000) * effective_rate(COSMETICS)).quantize(D("0.01"), ROUND_HALF_UP)


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"price": D(-1)}, "price"),
        ({"freight": D("-0.01")}, "freight"),
        ({"annual_used": D(-5)}, "annual_used"),
        ({"items": 0}, "items"),
        ({"rates": TaxRates(D("1.3"))}, "vat"),
        ({"rates": TaxRates(D("0.13"), D(1))}, "ct"),
        ({"rates": TaxRates(D("0.13"), tariff=D("-0.1"))}, "tariff"),
    ],
)
def test_bad_input_names_the_field(kwargs: dict[str, object], path: str) -> None:
    args: dict[str, object] = {"price": D(100), "rates": VAT13} | kwargs
    with pytest.raises(ValidationFailed) as caught:
        quote(**args)  # type: ignore[arg-type]
    assert caught.value.errors[0].path == path


@pytest.mark.parametrize(("text", "value"), [("0.13", D("0.13")), ("13%", D("0.13")), ("15 %", D("0.15")), ("0", D(0))])
def test_parse_rate(text: str, value: Decimal) -> None:
    assert parse_rate(text, "vat") == value


@pytest.mark.parametrize("text", ["13", "abc", "-0.1", "nan"])
def test_parse_rate_refuses(text: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_rate(text, "vat")


# --- reconcile (CEB816) ---------------------------------------------------------------------


def test_reconcile_agrees() -> None:
    q = quote(price=D(500), rates=COSMETICS)
    assert reconcile(q, {"customsTax": "0", "valueAddedTax": "53.53", "consumptionTax": "61.76"}) == []
    assert reconcile(q, {"customsTax": "0.00", "valueAddedTax": "53.530", "consumptionTax": "61.76"}) == []


def test_reconcile_reports_differences_to_the_fen() -> None:
    q = quote(price=D(500), rates=COSMETICS)
    diffs = reconcile(q, {"customsTax": "0", "valueAddedTax": "53.54", "consumptionTax": "61.77", "taxTotal": "115.31"})
    assert diffs == [
        "valueAddedTax: customs 53.54, ours 53.53 (difference +0.01)",
        "consumptionTax: customs 61.77, ours 61.76 (difference +0.01)",
        "taxTotal: customs 115.31, ours 115.29 (difference +0.02)",
    ]


def test_reconcile_missing_and_malformed() -> None:
    q = quote(price=D(110), rates=VAT13)
    diffs = reconcile(q, {"customsTax": "abc", "valueAddedTax": "10.005"})
    assert len(diffs) == 3
    assert diffs[0].startswith("customsTax: customs sent 'abc'")
    assert "not an amount in fen" in diffs[1]
    assert diffs[2].startswith("consumptionTax: missing")


# --- HS rates table -------------------------------------------------------------------------


def test_table_loads_with_sources() -> None:
    table = load_rates()
    assert 18 <= len(table) <= 30
    for row in table.values():
        assert row.source
        assert row.vat in (D("0.13"), D("0.09"))
        assert row.valid_from == date(2019, 4, 1)


def test_longest_prefix_wins() -> None:
    assert lookup("3304990099").hs_code == "3304990099"
    assert lookup("2204210000").hs_code == "22042100"
    assert lookup("8509800090").hs_code == "850980"
    assert lookup("0409000000").hs_code == "0409"
    assert lookup("2106909090").hs_code == "2106909090"


def test_rates_for_carries_its_source() -> None:
    rates = rates_for("3303000000")
    assert (rates.vat, rates.consumption) == (D("0.13"), D("0.15"))
    assert "财税〔2016〕103号" in rates.source
    assert "hs_rates.csv" in rates.source


def test_unknown_tariff_is_none_and_refused_only_where_needed() -> None:
    rates = rates_for("3304990099")
    assert rates.tariff is None
    assert quote(price=D(500), rates=rates).total_tax == D("115.29")
    with pytest.raises(ValidationFailed) as caught:
        quote(price=D(6000), rates=rates)
    error = caught.value.errors[0]
    assert (error.path, error.code) == ("tariff", "rate.unknown")
    assert "unknown" in error.message


@pytest.mark.parametrize(
    ("code", "expected"), [("9999999999", "hs.unknown"), ("33A4", "hs.invalid"), ("33", "hs.invalid")]
)
def test_unknown_hs(code: str, expected: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        rates_for(code)
    assert (caught.value.errors[0].path, caught.value.errors[0].code) == ("hs", expected)


def test_choose_rates() -> None:
    rates, described = choose_rates(hs=None, vat="13%", ct=None, tariff=None)
    assert rates.vat == D("0.13")
    assert described["source"] == "given by the caller"
    _, from_hs = choose_rates(hs="2106909090", vat=None, ct=None, tariff=None)
    assert from_hs["hs"]["hs_code"] == "2106909090"  # type: ignore[index]
    for kwargs in ({"hs": "2106909090", "vat": "0.13"}, {"hs": None, "vat": None}, {"hs": None, "ct": "0.1"}):
        with pytest.raises(ValidationFailed):
            choose_rates(**{"hs": None, "vat": None, "ct": None, "tariff": None} | kwargs)
    with pytest.raises(ValidationFailed) as caught:
        choose_rates(hs="2106909090", vat=None, ct=None, tariff=None, on=date(2018, 6, 1))
    assert caught.value.errors[0].path == "on"


def test_quote_as_dict_uses_strings() -> None:
    data = quote_as_dict(quote(price=D(100), freight=D(10), rates=VAT13))
    assert data["vat"] == "10.01"
    assert data["channel"] == "retail"
    assert data["customs_duty"] == "0.00"


def test_unknown_vat_or_ct_in_the_table_is_refused_by_name() -> None:
    row = HsRate("1234", "示例", None, D(0), None, "test", date(2019, 4, 1))
    with pytest.raises(ValidationFailed) as caught:
        row.tax_rates()
    error = caught.value.errors[0]
    assert (error.path, error.code) == ("hs", "rate.unknown")
    assert "the vat rate of HS 1234" in error.message
