"""无票免税: the register the pilot-zone platform keeps, the exemption check and the 4 % deemed income.

财税〔2018〕103号 第一条 exempts from VAT and consumption tax the retail exports of a pilot-zone
(综试区) exporter that holds no purchase invoice (未取得有效进货凭证) when (一) the exporter is
registered in the zone and the export date, goods name, unit, quantity, unit price and amount are
recorded on the zone's online comprehensive service platform — this register is that record —,
(二) the goods were declared at the zone's customs and (三) they are not goods whose export rebate
was cancelled (取消出口退(免)税). 国家税务总局公告2019年第36号 lets the same exporters pay
enterprise income tax on a deemed income of 4 % of revenue (核定征收, from 2020-01-01).

The notice is titled for *retail* exports (零售出口); whether 9710/9810 B2B lists qualify is a
reading for the tax bureau, so the check does not decide it. The reference data behind the check
(customs districts, rebate-cancelled goods, exchange rates) and its doubts are described in
``data/TAX_DATA_SOURCES.md``; what we do not hold makes a check ``unknown``, never ``yes``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from cbec.export.model import CNY, RELEASED_STATUSES, ExportList, to_fen
from cbec.export.taxdata import (
    CustomsTable,
    FxRate,
    PilotZone,
    RebateCancelled,
    load_customs_districts,
)

__all__ = [
    "DEEMED_INCOME_RATES",
    "FAIL",
    "NO",
    "PASS",
    "UNKNOWN",
    "YES",
    "DatedRate",
    "DeemedIncome",
    "PilotZone",
    "Reason",
    "RegisterRow",
    "Verdict",
    "check_eligibility",
    "deemed_income",
    "is_released",
    "month_of",
    "overall",
    "register_rows",
    "register_totals",
]

#: Receipt statuses after which goods count as exported: 800 放行, 899 结关 (DOMAIN §1).
PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"  # outcome of one check
YES, NO = "yes", "no"  # verdicts; a verdict may also be UNKNOWN

N103 = "财税〔2018〕103号"
# The three conditions are numbered 第一条(一)(二)(三) in public copies of the notice; the clause
# carrying the start date is 第五条 as we remember it — check it against the official text.
SRC_ZONE = f"{N103} 第一条(一)"
SRC_CUSTOMS = f"{N103} 第一条(二)"
SRC_REBATE = f"{N103} 第一条(三)"
SRC_PERIOD = f"{N103} 第五条（自2018年10月1日起执行，以申报清单注明的出口日期为准；条号凭记忆，待核）"
EXEMPTION_START = date(2018, 10, 1)


def is_released(export_list: ExportList) -> bool:
    return export_list.status in RELEASED_STATUSES


def month_of(day: date) -> str:
    """The ``YYYY-MM`` month a date falls in: the key of monthly files, rates and reconciliations."""
    return f"{day.year:04d}-{day.month:02d}"


# --- the register (出口货物登记) ------------------------------------------------------------


@dataclass(frozen=True)
class RegisterRow:
    """One goods line of a released list as the platform records it for 103号 第一条(一)."""

    export_date: date | None
    invt_no: str | None
    gnum: int
    gname: str
    unit: str
    qty: Decimal
    price: Decimal
    amount: Decimal  # to the fen; the lines of one list add up to ExportList.value exactly
    declared_total: Decimal  # totalPrice as declared, unrounded
    currency: str
    trade_mode: str
    country: str  # 运抵国 of the list
    ebc_code: str
    enterprise_id: int | None
    document_id: int


def register_rows(lists: Iterable[ExportList]) -> list[RegisterRow]:
    """One row per goods line of every released list (800 放行 / 899 结关).

    Rows are sorted by export date, list number and item number. Amounts are rounded to the fen
    on the running total of each list (each line = rounded cumulative total − rounded previous
    cumulative total), so the lines of a list add up to the list's value to the fen: a register
    whose total differed from the released export value would not reconcile with customs. A line
    may therefore differ from its own half-up rounding by one fen; ``declared_total`` keeps the
    declared figure. The currency is the list's (the list value is in it).
    """
    rows: list[RegisterRow] = []
    for lst in lists:
        if not is_released(lst):
            continue
        running, previous = Decimal(0), Decimal(0)
        for item in sorted(lst.items, key=lambda i: i.gnum):
            running += item.total
            amount = to_fen(running) - previous
            previous += amount
            rows.append(
                RegisterRow(
                    export_date=lst.export_date,
                    invt_no=lst.invt_no,
                    gnum=item.gnum,
                    gname=item.gname,
                    unit=item.unit,
                    qty=item.qty,
                    price=item.price,
                    amount=amount,
                    declared_total=item.total,
                    currency=lst.currency,
                    trade_mode=lst.trade_mode,
                    country=lst.country,
                    ebc_code=lst.ebc_code,
                    enterprise_id=lst.enterprise_id,
                    document_id=lst.document_id,
                )
            )
    rows.sort(key=lambda r: (r.export_date is None, r.export_date or date.min, r.invt_no or "", r.gnum))
    return rows


def register_totals(rows: Iterable[RegisterRow]) -> dict[str, Decimal]:
    """The register's total per currency code, ordered by currency."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        totals[row.currency] += row.amount
    return dict(sorted(totals.items()))


# --- the exemption check -------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """The outcome of one condition: rule id, outcome, stable code, Chinese message and source."""

    rule: str
    outcome: str  # PASS / FAIL / UNKNOWN
    code: str
    message: str
    source: str
    confirmed: bool = True  # False: the outcome rests on data or a reading not yet confirmed

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "outcome": self.outcome,
            "code": self.code,
            "message": self.message,
            "source": self.source,
            "confirmed": self.confirmed,
        }


def overall(reasons: Iterable[Reason]) -> str:
    """NO when any condition fails, YES when every condition passes, else UNKNOWN."""
    outcomes = {r.outcome for r in reasons}
    if FAIL in outcomes:
        return NO
    return YES if outcomes == {PASS} else UNKNOWN


@dataclass(frozen=True)
class Verdict:
    eligible: str  # YES / NO / UNKNOWN
    reasons: tuple[Reason, ...]

    @property
    def unconfirmed(self) -> tuple[str, ...]:
        """Sources of the outcomes that rest on unconfirmed data, so a reader can weigh them."""
        return tuple(r.source for r in self.reasons if not r.confirmed)

    def as_dict(self) -> dict[str, object]:
        return {"eligible": self.eligible, "reasons": [r.as_dict() for r in self.reasons]}


def check_eligibility(
    enterprise_city: str,
    enterprise_active: bool,
    export_list: ExportList,
    *,
    zones: Mapping[str, PilotZone],
    rebate_cancelled: RebateCancelled,
    customs: CustomsTable | None = None,
    allow_unconfirmed: bool = False,
) -> Verdict:
    """Whether one list's goods meet the 无票免税 conditions of 财税〔2018〕103号 第一条.

    ``customs`` defaults to the packaged ``data/customs_districts.csv``, whose rows are not yet
    confirmed: a customs check resting on them is ``unknown`` unless ``allow_unconfirmed`` is set
    (the reason is then marked unconfirmed). Whether the goods had a purchase invoice is the
    exporter's declaration to the tax bureau and is not checked here.
    """
    table = load_customs_districts() if customs is None else customs
    day = export_list.export_date
    reasons = (
        _period(day),
        _active(enterprise_active),
        _zone(enterprise_city, day, zones),
        _platform(export_list),
        _customs(enterprise_city, export_list.customs_code, table, allow_unconfirmed),
        _rebate(export_list, rebate_cancelled),
    )
    return Verdict(overall(reasons), reasons)


def _period(day: date | None) -> Reason:
    if day is None:
        return Reason("103.period", UNKNOWN, "export_date.missing", "清单无出口日期，无法判断适用期间", SRC_PERIOD)
    if day < EXEMPTION_START:
        msg = f"出口日期 {day} 早于政策执行日 {EXEMPTION_START}"
        return Reason("103.period", FAIL, "period.before_start", msg, SRC_PERIOD)
    return Reason("103.period", PASS, "period.in_force", f"出口日期 {day} 在政策执行期内", SRC_PERIOD)


def _active(active: bool) -> Reason:
    if active:
        return Reason("103.1.1.registered", PASS, "enterprise.active", "企业在本平台备案且状态正常", SRC_ZONE)
    msg = "企业备案状态非正常（暂停或注销）"
    return Reason("103.1.1.registered", FAIL, "enterprise.inactive", msg, SRC_ZONE)


def _zone(city: str, day: date | None, zones: Mapping[str, PilotZone]) -> Reason:
    zone = zones.get(city)
    if zone is None:
        msg = f"企业注册地 {city} 不在综试区名单中"
        return Reason("103.1.1.zone", FAIL, "zone.not_pilot_city", msg, SRC_ZONE)
    if day is None:
        msg = f"清单无出口日期，无法判断出口时{zone.name}是否已获批（{zone.source}）"
        return Reason("103.1.1.zone", UNKNOWN, "export_date.missing", msg, SRC_ZONE)
    if day < zone.approved_on:
        msg = f"出口日期 {day} 早于{zone.name}获批日 {zone.approved_on}（{zone.source}）"
        return Reason("103.1.1.zone", FAIL, "zone.not_yet_approved", msg, SRC_ZONE, confirmed=zone.confirmed)
    msg = f"企业注册在{zone.name}（{zone.source}，{zone.approved_on} 获批）"
    return Reason("103.1.1.zone", PASS, "zone.registered", msg, SRC_ZONE, confirmed=zone.confirmed)


def _platform(lst: ExportList) -> Reason:
    """The list reached this platform, so its data is recorded here by construction; what must
    still hold is that it was released and carries every field the notice names."""
    if not is_released(lst):
        msg = f"清单状态 {lst.status} 未放行或结关，尚未形成出口登记"
        return Reason("103.1.1.platform", UNKNOWN, "list.not_released", msg, SRC_ZONE)
    blank = [i.gnum for i in lst.items if not i.gname.strip() or not i.unit.strip()]
    if lst.export_date is None or not lst.items or blank:
        msg = "登记信息不全：出口日期、货物名称或计量单位缺失" + (f"（商品序号 {blank}）" if blank else "")
        return Reason("103.1.1.platform", FAIL, "platform.fields_missing", msg, SRC_ZONE)
    msg = "清单经本平台（线上综合服务平台）接收并登记出口日期、货物名称、计量单位、数量、单价、金额"
    return Reason("103.1.1.platform", PASS, "platform.recorded", msg, SRC_ZONE)


def _customs(city: str, customs_code: str, table: CustomsTable, allow_unconfirmed: bool) -> Reason:
    rows = table.get(city, ())
    if not rows:
        msg = f"关区对照表中没有城市 {city} 的海关，无法判断申报海关 {customs_code} 是否为综试区所在地海关"
        return Reason("103.1.2.customs", UNKNOWN, "customs.city_not_in_table", msg, SRC_CUSTOMS)
    hits = [r for r in rows if customs_code.startswith(r.prefix)]
    trusted = any(r.confirmed for r in hits) if hits else all(r.confirmed for r in rows)
    names = "、".join(f"{r.name}（{r.prefix}）" for r in (hits or rows))
    if not trusted and not allow_unconfirmed:
        msg = f"申报海关 {customs_code} 与{names}的对照未经核实（关区代码待核）"
        return Reason("103.1.2.customs", UNKNOWN, "customs.unconfirmed", msg, SRC_CUSTOMS, confirmed=False)
    if hits:
        msg = f"申报海关 {customs_code} 属{names}"
        return Reason("103.1.2.customs", PASS, "customs.in_city", msg, SRC_CUSTOMS, confirmed=trusted)
    msg = f"申报海关 {customs_code} 不属于综试区所在地海关（{names}）"
    return Reason("103.1.2.customs", FAIL, "customs.outside_city", msg, SRC_CUSTOMS, confirmed=trusted)


def _rebate(lst: ExportList, cancelled: RebateCancelled) -> Reason:
    if not cancelled.loaded:
        msg = "取消出口退税商品清单尚未载入，无法判断"
        return Reason("103.1.3.rebate", UNKNOWN, "rebate.list_not_loaded", msg, SRC_REBATE)
    hits, undecided = [], []
    for item in sorted(lst.items, key=lambda i: i.gnum):
        found = cancelled.match(item.gcode)
        if found is None:
            undecided.append(item.gnum)
        elif found:
            hits.append(item.gnum)
    if hits:
        msg = f"商品序号 {hits} 属于取消出口退(免)税的货物"
        return Reason("103.1.3.rebate", FAIL, "rebate.cancelled_goods", msg, SRC_REBATE)
    if undecided:
        msg = f"商品序号 {undecided} 的商品编码位数不足，无法与取消出口退税商品清单比对"
        return Reason("103.1.3.rebate", UNKNOWN, "rebate.code_too_short", msg, SRC_REBATE)
    return Reason("103.1.3.rebate", PASS, "rebate.not_listed", "商品均不在取消出口退税商品清单中", SRC_REBATE)


# --- deemed income (核定征收, 应税所得率 4 %) ------------------------------------------------


@dataclass(frozen=True)
class DatedRate:
    rate: Decimal
    start: date
    end: date | None  # exclusive; None while in force
    source: str


DEEMED_INCOME_RATES: tuple[DatedRate, ...] = (
    DatedRate(
        Decimal("0.04"),
        date(2020, 1, 1),
        None,
        "国家税务总局公告2019年第36号 第二条（应税所得率统一按照4%确定）、"
        "第六条（自2020年1月1日起施行）；条号凭记忆，待核",
    ),
)


@dataclass(frozen=True)
class DeemedIncome:
    """Revenue and taxable income of one enterprise for ``[period_start, period_end)``.

    Whether the enterprise may be taxed this way (the same three conditions, 公告 第一条) is the tax
    bureau's determination (鉴定); this computes the figures only. The small low-profit enterprise
    relief (小型微利企业, 第四条) and tax-free income still apply on top and are not computed here:
    they need whole-year facts (staff, assets, other income) that the platform does not hold.
    """

    enterprise_id: int | None
    period_start: date
    period_end: date
    list_count: int
    value_by_currency: dict[str, Decimal]  # released list values in their own currency
    revenue: Decimal | None  # CNY, to the fen; None when unknown
    taxable_income: Decimal | None  # CNY, to the fen; None when unknown
    rate: DatedRate | None
    missing_rates: tuple[tuple[str, str], ...] = ()  # (currency, YYYY-MM) without a rate
    unknown_reason: str | None = None
    rates_used: tuple[tuple[str, str, FxRate], ...] = ()  # the rates applied, as a trace


def deemed_income(
    lists: Iterable[ExportList],
    *,
    period_start: date,
    period_end: date,
    rates: Mapping[tuple[str, str], FxRate],
    enterprise_id: int | None = None,
    params: tuple[DatedRate, ...] = DEEMED_INCOME_RATES,
) -> DeemedIncome:
    """Revenue = released list values by export date in the period, in CNY; income = 4 % of it.

    Currency 142 counts as is; any other is converted at ``rates[(currency, YYYY-MM of the export
    date)]``. A missing rate makes revenue and income unknown and names the missing pairs.
    Rounding: the CNY sum is kept exact and both revenue and income are rounded to the fen
    (ROUND_HALF_UP) once, at the end, from that exact sum. Lists must belong to one enterprise
    unless ``enterprise_id`` selects one.
    """
    chosen = [
        lst
        for lst in lists
        if is_released(lst)
        and lst.export_date is not None
        and period_start <= lst.export_date < period_end
        and (enterprise_id is None or lst.enterprise_id == enterprise_id)
    ]
    owners = {lst.enterprise_id for lst in chosen}
    if len(owners) > 1:
        raise ValueError(f"lists of several enterprises {sorted(map(str, owners))}; pass enterprise_id")
    values: dict[str, Decimal] = defaultdict(Decimal)
    for lst in chosen:
        values[lst.currency] += lst.value
    result = DeemedIncome(
        enterprise_id=enterprise_id if enterprise_id is not None else next(iter(owners), None),
        period_start=period_start,
        period_end=period_end,
        list_count=len(chosen),
        value_by_currency=dict(sorted(values.items())),
        revenue=None,
        taxable_income=None,
        rate=next((p for p in params if _covers(p, period_start, period_end)), None),
    )
    return _income(result, chosen, rates)


def _covers(param: DatedRate, start: date, end: date) -> bool:
    return param.start <= start and (param.end is None or end <= param.end)


def _income(result: DeemedIncome, chosen: list[ExportList], rates: Mapping[tuple[str, str], FxRate]) -> DeemedIncome:
    if result.rate is None:
        why = "no deemed-income rate is in force for the whole period (公告2019年第36号 applies from 2020-01-01)"
        return replace(result, unknown_reason=why)
    exact, missing, used = Decimal(0), set(), {}
    for lst in chosen:
        assert lst.export_date is not None  # filtered above
        if lst.currency == CNY:
            exact += lst.value
            continue
        key = (lst.currency, month_of(lst.export_date))
        fx = rates.get(key)
        if fx is None:
            missing.add(key)
        else:
            used[key] = fx
            exact += lst.value * fx.cny_per_unit
    if missing:
        pairs = ", ".join(f"{c} {m}" for c, m in sorted(missing))
        return replace(result, missing_rates=tuple(sorted(missing)), unknown_reason=f"no exchange rate for {pairs}")
    return replace(
        result,
        revenue=to_fen(exact),
        taxable_income=to_fen(exact * result.rate.rate),
        rates_used=tuple((c, m, fx) for (c, m), fx in sorted(used.items())),
    )
