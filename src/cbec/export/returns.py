"""退运: whether exported goods that come back qualify for the tax-free return.

财政部 海关总署 税务总局公告2023年第4号 (extended by 公告2023年第34号) exempts from import tariff,
import VAT and consumption tax the goods that were declared for export under 1210, 9610, 9710 or
9810 inside the policy window and come back within 6 months of export, in their original state,
because they did not sell (滞销) or the buyer returned or refused them (退货), food excluded.

The windows and the platform's reading of "food" are data (``data/return_exemption.toml``). A
window marked ``confirmed = false`` is ignored unless the caller passes ``allow_unconfirmed``;
a verdict that relied on one says so in ``unconfirmed``. The documents a claimant must show
(自我声明, 退货记录, the tax bureau's 出口货物已补税/未退税证明) are for customs to see; they are
not checked here.
"""

from __future__ import annotations

import calendar
import tomllib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

from cbec.export.model import EXPORT_TRADE_MODES, ExportList
from cbec.export.taxfree import FAIL, PASS, UNKNOWN, Reason, is_released, overall

__all__ = [
    "REASON_REFUSED",
    "REASON_UNSOLD",
    "RETURN_MONTHS",
    "RETURN_REASONS",
    "ExemptionWindow",
    "FoodReading",
    "ReturnVerdict",
    "add_months",
    "check_return",
    "load_return_rules",
    "return_deadline",
]

REASON_UNSOLD = "unsold"  # 滞销
REASON_REFUSED = "refused"  # 退货: returned or refused by the buyer (含拒收)
RETURN_REASONS = {REASON_UNSOLD: "滞销", REASON_REFUSED: "退货"}
RETURN_MONTHS = 6

N4 = "财政部 海关总署 税务总局公告2023年第4号"
SRC_MAIN = f"{N4} 第一条"
# The notice counts 6 months "自出口之日起"; the end day follows the civil code's rule for
# periods in months: the corresponding day of the last month, else that month's last day.
SRC_MONTHS = f"{N4} 第一条；期间计算依《民法典》第二百零一条、第二百零二条"
# For 1210 the clock starts when the goods leave the special customs zone (出区离境之日), as a
# government summary of the policy words it; the clause number is not confirmed.
SRC_1210 = f"{N4}（1210 项下自出区离境之日起计算；条号待核）"
SRC_STATE = f"{N4} 第一条、第二条（原状退运的含义；条号待核）"
SRC_ITEMS = "平台数据规则：退运商品须为原出口清单所列商品"


@dataclass(frozen=True)
class ExemptionWindow:
    id: str
    first_day: date  # inclusive, as the notice words it
    last_day: date  # inclusive
    source: str
    confirmed: bool

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


@dataclass(frozen=True)
class FoodReading:
    """The HS chapters the platform treats as food (不含食品)."""

    chapters: frozenset[str]
    source: str
    confirmed: bool


@dataclass(frozen=True)
class ReturnVerdict:
    eligible: str  # yes / no / unknown
    reasons: tuple[Reason, ...]
    window: ExemptionWindow | None = None  # the window the export date fell in
    deadline: date | None = None  # last day the goods could come back

    @property
    def unconfirmed(self) -> tuple[str, ...]:
        """Sources of unconfirmed data or readings the verdict relied on."""
        return tuple(r.source for r in self.reasons if not r.confirmed)

    def as_dict(self) -> dict[str, object]:
        return {
            "eligible": self.eligible,
            "window": self.window.id if self.window else None,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "unconfirmed": list(self.unconfirmed),
            "reasons": [r.as_dict() for r in self.reasons],
        }


def load_return_rules(text: str | None = None) -> tuple[tuple[ExemptionWindow, ...], FoodReading]:
    """The windows and the food reading from ``data/return_exemption.toml`` (or ``text``)."""
    if text is None:
        text = resources.files("cbec.export").joinpath("data/return_exemption.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    windows = tuple(_window(w) for w in data["windows"])
    food: dict[str, Any] = data["food"]
    chapters = frozenset(str(c) for c in food["chapters"])
    if not food.get("source") or any(len(c) != 2 or not c.isdigit() for c in chapters):
        raise ValueError("return_exemption.toml: [food] needs a source and 2-digit chapters")
    return windows, FoodReading(chapters, str(food["source"]), bool(food["confirmed"]))


def _window(raw: dict[str, Any]) -> ExemptionWindow:
    window = ExemptionWindow(
        str(raw["id"]), raw["first_day"], raw["last_day"], str(raw.get("source", "")), bool(raw["confirmed"])
    )
    if not isinstance(window.first_day, date) or not isinstance(window.last_day, date):
        raise ValueError(f"return_exemption.toml: window {window.id} needs TOML dates")
    if not window.source or window.last_day < window.first_day:
        raise ValueError(f"return_exemption.toml: window {window.id} needs a source and first_day <= last_day")
    return window


def add_months(day: date, months: int) -> date:
    """The corresponding day ``months`` later, or that month's last day when it has none."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def return_deadline(start: date) -> date:
    """The last day of the 6 months counted from ``start``: 2024-08-31 → 2025-02-28.

    The start day itself is not counted and the period ends on the corresponding day of the sixth
    month (民法典 第二百零一条、第二百零二条); that day is still inside the period.
    """
    return add_months(start, RETURN_MONTHS)


def check_return(
    original: ExportList,
    *,
    returned_on: date,
    reason: str,
    original_state: bool | None,
    returned_gnums: Collection[int],
    windows: Iterable[ExemptionWindow],
    food: FoodReading,
    allow_unconfirmed: bool = False,
) -> ReturnVerdict:
    """Check one return against the conditions of 公告2023年第4号.

    Any failed condition makes the verdict ``no``; every condition met makes it ``yes``; else it is
    ``unknown`` (e.g. the original list has no export date, or the export date falls only in an
    unconfirmed window that the caller did not allow).
    """
    window, window_reason = _window_check(original.export_date, windows, allow_unconfirmed)
    deadline, months_reason = _months_check(original, returned_on)
    reasons = (
        _released(original),
        _mode(original.trade_mode),
        window_reason,
        months_reason,
        _state(original_state),
        _reason(reason),
        _items(original, returned_gnums),
        _food(original, returned_gnums, food),
    )
    return ReturnVerdict(overall(reasons), reasons, window, deadline)


def _released(lst: ExportList) -> Reason:
    if is_released(lst):
        return Reason("2023-4.released", PASS, "list.released", f"原出口清单已放行（状态 {lst.status}）", SRC_MAIN)
    msg = f"原出口清单状态 {lst.status}，未放行或结关，不属于已申报出口的商品"
    return Reason("2023-4.released", FAIL, "list.not_released", msg, SRC_MAIN)


def _mode(mode: str) -> Reason:
    if mode in EXPORT_TRADE_MODES:
        return Reason("2023-4.mode", PASS, "mode.cbec", f"监管方式 {mode} 属跨境电商监管代码", SRC_MAIN)
    msg = f"监管方式 {mode} 不属于 1210、9610、9710、9810"
    return Reason("2023-4.mode", FAIL, "mode.not_cbec", msg, SRC_MAIN)


def _window_check(
    day: date | None, windows: Iterable[ExemptionWindow], allow_unconfirmed: bool
) -> tuple[ExemptionWindow | None, Reason]:
    if day is None:
        return None, Reason("2023-4.window", UNKNOWN, "export_date.missing", "原清单无出口日期，无法判断", SRC_MAIN)
    hits = sorted((w for w in windows if w.covers(day)), key=lambda w: (not w.confirmed, w.first_day, w.id))
    usable = [w for w in hits if w.confirmed or allow_unconfirmed]
    if usable:
        w = usable[0]
        msg = f"出口日期 {day} 在政策期间 {w.first_day} 至 {w.last_day} 内"
        if not w.confirmed:
            msg += "（该期间来源未经确认）"
        return w, Reason("2023-4.window", PASS, "window.inside", msg, w.source, confirmed=w.confirmed)
    if hits:
        w = hits[0]
        msg = f"出口日期 {day} 仅落在未经确认的期间 {w.first_day} 至 {w.last_day} 内，未予适用"
        return None, Reason("2023-4.window", UNKNOWN, "window.unconfirmed_only", msg, w.source, confirmed=False)
    msg = f"出口日期 {day} 不在任何政策期间内"
    return None, Reason("2023-4.window", FAIL, "window.outside", msg, SRC_MAIN)


def _months_check(lst: ExportList, returned_on: date) -> tuple[date | None, Reason]:
    rule = "2023-4.six_months"
    start, source = (lst.departed_on, SRC_1210) if lst.trade_mode == "1210" else (lst.export_date, SRC_MONTHS)
    if start is None:
        label = "出区离境日期" if lst.trade_mode == "1210" else "出口日期"
        return None, Reason(rule, UNKNOWN, "start_date.missing", f"原清单无{label}，无法计算 6 个月期限", source)
    deadline = return_deadline(start)
    if returned_on < start:
        msg = f"退运日期 {returned_on} 早于起算日 {start}"
        return deadline, Reason(rule, FAIL, "returned.before_export", msg, source)
    if returned_on > deadline:
        msg = f"退运日期 {returned_on} 晚于 6 个月期限 {deadline}（自 {start} 起算）"
        return deadline, Reason(rule, FAIL, "returned.too_late", msg, source)
    msg = f"退运日期 {returned_on} 在 6 个月期限 {deadline} 内（自 {start} 起算）"
    return deadline, Reason(rule, PASS, "returned.in_time", msg, source)


def _state(original_state: bool | None) -> Reason:
    if original_state is None:
        return Reason("2023-4.state", UNKNOWN, "state.not_declared", "企业未声明是否原状退运", SRC_STATE)
    if original_state:
        return Reason("2023-4.state", PASS, "state.original", "企业声明商品原状退运", SRC_STATE)
    return Reason("2023-4.state", FAIL, "state.altered", "商品非原状退运", SRC_STATE)


def _reason(reason: str) -> Reason:
    label = RETURN_REASONS.get(reason)
    if label is not None:
        return Reason("2023-4.reason", PASS, "reason.accepted", f"退运原因：{label}", SRC_MAIN)
    msg = f"退运原因 {reason!r} 不属于滞销或退货"
    return Reason("2023-4.reason", FAIL, "reason.not_accepted", msg, SRC_MAIN)


def _items(lst: ExportList, gnums: Collection[int]) -> Reason:
    known = {i.gnum for i in lst.items}
    if not gnums:
        return Reason("2023-4.items", FAIL, "items.none", "未列明退运商品", SRC_ITEMS)
    strangers = sorted(set(gnums) - known)
    if strangers:
        msg = f"商品序号 {strangers} 不在原出口清单 {lst.invt_no or lst.cop_no} 中"
        return Reason("2023-4.items", FAIL, "items.not_on_list", msg, SRC_ITEMS)
    return Reason("2023-4.items", PASS, "items.on_list", f"退运商品序号 {sorted(set(gnums))} 均在原清单中", SRC_ITEMS)


def _food(lst: ExportList, gnums: Collection[int], food: FoodReading) -> Reason:
    wanted = set(gnums)
    items = sorted((i for i in lst.items if i.gnum in wanted), key=lambda i: i.gnum)
    unclear = [i.gnum for i in items if len(i.gcode) < 2 or not i.gcode[:2].isdigit()]
    foods = [i.gnum for i in items if i.gcode[:2] in food.chapters]
    if foods:
        msg = f"商品序号 {foods} 按平台口径（HS 章 {_span(food.chapters)}）属食品"
        return Reason("2023-4.food", FAIL, "food.excluded", msg, food.source, confirmed=food.confirmed)
    if unclear:
        msg = f"商品序号 {unclear} 无有效商品编码，无法判断是否为食品"
        return Reason("2023-4.food", UNKNOWN, "food.code_missing", msg, food.source, confirmed=food.confirmed)
    msg = f"退运商品均不属平台口径的食品（HS 章 {_span(food.chapters)}）"
    return Reason("2023-4.food", PASS, "food.none", msg, food.source, confirmed=food.confirmed)


def _span(chapters: frozenset[str]) -> str:
    """Chapters as a range when they are contiguous (01–24), else listed."""
    ordered = sorted(chapters)
    numbers = [int(c) for c in ordered]
    if numbers and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{ordered[0]}–{ordered[-1]}"
    return "、".join(ordered) or "无"
