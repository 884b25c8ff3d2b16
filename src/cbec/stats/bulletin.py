"""The monthly bulletin (月度简报): the one assembly of its figures, shown by the printable page
``/cockpit/bulletin`` and printed as PDF by ``render_pdf`` (``/api/v1/stats/bulletin/{city}/{month}.pdf``).

``build`` asks the metric catalog through ``services.run`` for one month of release, in the
principal's scope (``services.visible_scope``: city roles their city, a district officer their
district, an enterprise its own figures):

- headline: trade value in total, import and export, lists, year-on-year (同比) and
  month-on-month (环比) growth, the lines left out for want of an exchange rate, and the trade
  value of the year to date;
- trade value by direction and trade mode (监管方式);
- growth by direction;
- the ten enterprises with the highest trade value (names passed in by the caller) and their
  share of the value (not for an enterprise's own view);
- the districts ranked by trade value (city-wide views only).

Every figure names its metric, and the bulletin carries each metric's caliber (口径), printed as
numbered notes under the tables. Money is Decimal yuan throughout; growth and shares are Decimal
ratios (four places). ``render_pdf`` lays it out on A4 with reportlab's built-in CJK CID font
``STSong-Light``, so no font file is shipped or needed. Who may have the PDF (``may_read``) is
stricter than who may see the page: the PDF is for the city-wide roles of that city.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import ibis.expr.types as ir

from cbec.identity.model import Principal, Role
from cbec.kernel.errors import FieldError, PermissionDenied, ValidationFailed
from cbec.stats.catalog import CATALOG, Scope
from cbec.stats.services import month_text, run, visible_scope

if TYPE_CHECKING:
    from cbec.bootstrap import Platform

__all__ = [
    "DIRECTION_NAMES",
    "FONT",
    "TRADE_MODE_NAMES",
    "Bulletin",
    "Figure",
    "Section",
    "assemble",
    "build",
    "may_read",
    "render_pdf",
    "show",
]

FONT = "STSong-Light"
TOP = 10
DIRECTION_NAMES = {"import": "进口", "export": "出口"}
TRADE_MODE_NAMES = {
    "9610": "9610 跨境贸易电子商务",
    "1210": "1210 保税跨境贸易电子商务",
    "1239": "1239 保税跨境贸易电子商务A",
    "9710": "9710 跨境电商B2B直接出口",
    "9810": "9810 跨境电商出口海外仓",
}
RATIO_PLACES = Decimal("0.0001")
CITY_WIDE = frozenset({Role.CITY_ADMIN, Role.AUDITOR, Role.PARTNER})
TOTAL = "进出口总额（元）"
YEAR_TO_DATE = "本年累计进出口总额（元）"


@dataclass(frozen=True)
class Figure:
    """One headline number. ``kind``: money (Decimal yuan) | count (int) | ratio (Decimal)."""

    label: str
    value: Decimal | int | None
    kind: str
    metric: str


@dataclass(frozen=True)
class Section:
    """One table: ``kinds`` says how each column is shown (text | money | count | ratio)."""

    title: str
    headers: tuple[str, ...]
    kinds: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    metric: str
    note: str = ""


@dataclass(frozen=True)
class Bulletin:
    city_code: str
    city_name: str
    month: str
    headline: tuple[Figure, ...]
    sections: tuple[Section, ...]
    unconverted_lines: int
    calibers: Mapping[str, str] = field(default_factory=dict)  # metric name -> caliber, in note order
    scope: Scope = field(default_factory=Scope)  # the place shown, after the principal's limits

    def figure(self, label: str) -> Figure:
        return next(f for f in self.headline if f.label == label)

    def section(self, title: str) -> Section:
        return next(s for s in self.sections if s.title == title)

    def note(self, metric: str) -> int:
        """The number of the caliber note of ``metric`` (1-based)."""
        return list(self.calibers).index(metric) + 1


def may_read(principal: Principal, city_code: str) -> None:
    """The bulletin PDF of a city ranks the city's districts and enterprises, so only the city-wide
    roles of that city (and the system) have it; the page ``/cockpit/bulletin`` shows anyone the
    bulletin of their own scope."""
    if principal.is_system:
        return
    if principal.role not in CITY_WIDE:
        raise PermissionDenied("the city bulletin is for city-wide roles; query /api/v1/stats/metrics for your scope")
    if principal.city_code != city_code:
        raise PermissionDenied(f"you see statistics of city {principal.city_code} only")


def _ratio(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(repr(float(value))).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def _share(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    if part is None or not whole:
        return None
    return (part / whole).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def _money(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(0)


def build(
    lines: ir.Table,
    principal: Principal,
    city_code: str | None,
    month: str,
    *,
    city_name: str = "",
    enterprise_names: Mapping[int, str] | None = None,
    district_names: Mapping[str, str] | None = None,
) -> Bulletin:
    """The bulletin of ``city_code`` for ``month`` (YYYY-MM of release), in the principal's scope
    (a district officer gets their district; another city is refused). ``city_code`` None: the
    principal's own place."""
    month_text(month, "month")
    if not month:
        raise ValidationFailed([FieldError("month", "field.required", "name the month", "write YYYY-MM, e.g. 2024-03")])
    enterprise_names = enterprise_names or {}
    district_names = district_names or {}
    scope = visible_scope(principal, Scope(city=city_code or None, month_from=month, month_to=month))

    def records(name: str, by: tuple[str, ...], within: Scope = scope) -> list[dict[str, Any]]:
        return run(lines, principal, name, within, by).records()

    by_direction = {r["direction"]: r for r in records("trade_value", ("direction",))}
    total = sum((_money(r["value"]) for r in by_direction.values()), Decimal("0.00"))
    unconverted = sum(int(r["unconverted_lines"]) for r in by_direction.values())
    lists = {r["direction"]: int(r["lists"]) for r in records("list_count", ("direction",))}
    yoy_total = next(iter(records("yoy_growth", ("month",))), {})
    mom_total = next(iter(records("mom_growth", ("month",))), {})
    yoy = {r["direction"]: r for r in records("yoy_growth", ("month", "direction"))}
    mom = {r["direction"]: r for r in records("mom_growth", ("month", "direction"))}
    year = replace(scope, month_from=f"{month[:4]}-01")
    year_to_date = sum((_money(r["value"]) for r in records("trade_value", (), year)), Decimal("0.00"))

    headline = (
        Figure(TOTAL, total, "money", "trade_value"),
        Figure("进口额（元）", _money(by_direction.get("import", {}).get("value")), "money", "trade_value"),
        Figure("出口额（元）", _money(by_direction.get("export", {}).get("value")), "money", "trade_value"),
        Figure("清单票数", sum(lists.values()), "count", "list_count"),
        Figure("同比增长", _ratio(yoy_total.get("growth")), "ratio", "yoy_growth"),
        Figure("环比增长", _ratio(mom_total.get("growth")), "ratio", "mom_growth"),
        Figure("未折算行数", unconverted, "count", "trade_value"),
        Figure(YEAR_TO_DATE, year_to_date, "money", "trade_value"),
    )

    by_code = records("trade_value", ("direction", "code"))
    code_rows = tuple(
        (
            DIRECTION_NAMES.get(r["direction"], r["direction"]),
            TRADE_MODE_NAMES.get(r["code"], r["code"]),
            _money(r["value"]),
            _share(_money(r["value"]), total),
            int(r["unconverted_lines"]),
        )
        for r in by_code
    )
    growth_rows = tuple(
        (
            DIRECTION_NAMES[d],
            _money(by_direction.get(d, {}).get("value")),
            yoy.get(d, {}).get("previous"),
            _ratio(yoy.get(d, {}).get("growth")),
            mom.get(d, {}).get("previous"),
            _ratio(mom.get(d, {}).get("growth")),
        )
        for d in ("import", "export")
    )
    top_rows: tuple[tuple[Any, ...], ...] | None = None  # an enterprise's own view ranks no one
    if scope.enterprise_id is None:
        ranked = sorted(
            (r for r in records("trade_value", ("enterprise",)) if r["value"] is not None),
            key=lambda r: (-r["value"], r["enterprise"] is None, r["enterprise"] or 0),
        )
        top_rows = tuple(
            (
                rank,
                enterprise_names.get(
                    r["enterprise"], "（未登记企业）" if r["enterprise"] is None else str(r["enterprise"])
                ),
                r["value"],
                _share(r["value"], total),
            )
            for rank, r in enumerate(ranked[:TOP], start=1)
        )
    district_rows: tuple[tuple[Any, ...], ...] | None = None  # districts are ranked on a city-wide view only
    if scope.district is None and scope.enterprise_id is None:
        districts = sorted(
            records("trade_value", ("district",)),
            key=lambda r: (-_money(r["value"]), r["district"] or ""),
        )
        district_rows = tuple(
            (
                rank,
                district_names.get(r["district"], r["district"] or "（未分区）"),
                _money(r["value"]),
                _share(_money(r["value"]), total),
            )
            for rank, r in enumerate(districts, start=1)
        )
    note = (
        f"另有 {unconverted} 个商品行因缺少汇率未折算人民币，未计入金额（见口径）。"
        if unconverted
        else "本月所有放行商品行均已折算人民币。"
    )
    sections = [
        Section(
            "按进出口方向和监管方式",
            ("方向", "监管方式", "金额（元）", "占比", "未折算行数"),
            ("text", "text", "money", "ratio", "count"),
            code_rows,
            "trade_value",
            note,
        ),
        Section(
            "同比与环比",
            ("方向", "本月金额（元）", "上年同月（元）", "同比", "上月（元）", "环比"),
            ("text", "money", "money", "ratio", "money", "ratio"),
            growth_rows,
            "yoy_growth",
        ),
    ]
    if top_rows is not None:
        sections.append(
            Section(
                f"企业排名（前{TOP}）",
                ("排名", "企业", "金额（元）", "占比"),
                ("count", "text", "money", "ratio"),
                top_rows,
                "trade_value",
            )
        )
    if district_rows is not None:
        sections.append(
            Section(
                "区县排名",
                ("排名", "区县", "金额（元）", "占比"),
                ("count", "text", "money", "ratio"),
                district_rows,
                "trade_value",
            )
        )
    used = ["trade_value", "list_count", "yoy_growth", "mom_growth"]
    calibers = {name: CATALOG[name].caliber for name in used}
    place = scope.city or city_code or ""
    return Bulletin(place, city_name or place, month, headline, tuple(sections), unconverted, calibers, scope)


def assemble(platform: Platform, lines: ir.Table, principal: Principal, city_code: str | None, month: str) -> Bulletin:
    """``build`` with the names the page and the PDF both print: the city and its districts from the
    district book, the enterprises from the enterprise table."""
    city = platform.districts.city(city_code or principal.city_code or "")
    with platform.uow(read_only=True) as uow:
        enterprises = {row["enterprise_id"]: row["name"] for row in uow.stats.enterprise_rows()}
    return build(
        lines,
        principal,
        city_code,
        month,
        city_name=city.name if city else "",
        enterprise_names=enterprises,
        district_names={d.code: d.name for d in city.districts} if city else {},
    )


# ---- the page and the PDF ----------------------------------------------------------------------


def show(value: Any, kind: str) -> str:
    """A cell as the page and the PDF print it: money ``1,234.50``, ratio ``12.34%``, nothing as ``—``."""
    if value is None:
        return "—"
    if kind == "money":
        return f"{Decimal(value):,.2f}"
    if kind == "ratio":
        return f"{(Decimal(value) * 100).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"
    if kind == "count":
        return f"{int(value):,}"
    return str(value)


def render_pdf(bulletin: Bulletin) -> bytes:
    """The bulletin on A4: title, headline table, one table per section, caliber notes."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    title_style = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22, alignment=1, wordWrap="CJK")
    heading = ParagraphStyle("heading", fontName=FONT, fontSize=12, leading=18, spaceBefore=8, wordWrap="CJK")
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=13, wordWrap="CJK")
    small = ParagraphStyle("small", fontName=FONT, fontSize=7.5, leading=10, textColor=colors.HexColor("#444444"))
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=8.5, leading=11, wordWrap="CJK")

    def table(headers: Sequence[str], kinds: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
        data: list[list[Any]] = [list(headers)]
        for row in rows:
            data.append(
                [Paragraph(show(v, k), cell) if k == "text" else show(v, k) for v, k in zip(row, kinds, strict=True)]
            )
        if not rows:
            data.append(["本月无数据"] + [""] * (len(headers) - 1))
        fixed = {"money": 30 * mm, "ratio": 20 * mm, "count": 18 * mm}
        rest = (A4[0] - 36 * mm - sum(fixed.get(k, 0) for k in kinds)) / max(1, sum(k == "text" for k in kinds))
        made = Table(data, colWidths=[fixed.get(k, rest) for k in kinds], repeatRows=1, hAlign="LEFT")
        style = [
            ("FONTNAME", (0, 0), (-1, -1), FONT),
            ("FONTSIZE", (0, 0), (-1, -1), 8.5),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E4E4E4")),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
        for index, kind in enumerate(kinds):
            if kind != "text":
                style.append(("ALIGN", (index, 1), (index, -1), "RIGHT"))
        made.setStyle(TableStyle(style))
        return made

    story: list[Flowable] = [
        Paragraph(f"{bulletin.city_name}跨境电商统计月度简报（{bulletin.month}）", title_style),
        Paragraph(f"城市代码 {bulletin.city_code}；统计月份为海关放行月份；金额单位：人民币元。", body),
        Spacer(1, 4 * mm),
        Paragraph("一、主要指标", heading),
        table(
            ("指标", "数值", "口径"),
            ("text", "text", "text"),
            [(f.label, show(f.value, f.kind), f"[{bulletin.note(f.metric)}] {f.metric}") for f in bulletin.headline],
        ),
    ]
    numerals = "二三四五六七八九"
    for index, section in enumerate(bulletin.sections):
        story.append(Paragraph(f"{numerals[index]}、{section.title}", heading))
        story.append(table(section.headers, section.kinds, section.rows))
        source = f"口径见注[{bulletin.note(section.metric)}]（{section.metric}）。"
        story.append(Paragraph(f"{section.note}{source}", body))
    story.append(Paragraph("口径说明", heading))
    for number, (name, caliber) in enumerate(bulletin.calibers.items(), start=1):
        story.append(Paragraph(f"[{number}] {name}（{CATALOG[name].title_zh}）：{caliber}", small))
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"{bulletin.city_name} {bulletin.month} 月度简报",
        author="cbec",
        invariant=True,
    )
    document.build(story)
    return out.getvalue()
