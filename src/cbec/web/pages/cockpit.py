"""Pages: the cockpit (数据驾驶舱), its district and enterprise drill-downs, and the printable
monthly bulletin (月度简报).

Every figure comes from ``cbec.stats.cockpit`` (catalog metrics run for the signed-in principal),
so a page shows exactly what the statistics API would give the same person: a district officer
is shown their own district only and is refused another district's drill-down. The bulletin
page shows ``cbec.stats.bulletin.assemble``, the same figures its PDF prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

import ibis.expr.types as ir
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from cbec.bootstrap import Platform
from cbec.identity.model import Principal, Role
from cbec.kernel.clock import business_date
from cbec.kernel.errors import NotFound, PermissionDenied
from cbec.stats import bulletin as bulletins
from cbec.stats.cache import ResultCache
from cbec.stats.catalog import CATALOG, Scope
from cbec.stats.cockpit import (
    CODES,
    Breakdown,
    Overview,
    TargetView,
    latest_month,
    money_text,
    overview,
    shift_month,
    wan,
)
from cbec.stats.refresh import open_lines
from cbec.stats.target_services import targets_for
from cbec.web.deps import PageIdentity, PlatformDep, locale
from cbec.web.i18n import translate
from cbec.web.templating import render

__all__ = ["router"]

router = APIRouter(prefix="/cockpit")

MONTH = r"^(\d{4}-\d{2})?$"
T = TypeVar("T")
DIRECTIONS = ("export", "import")
GAUGES = 8  # gauges for the first measurable targets; the table lists every target
Month = Annotated[str, Query(pattern=MONTH)]
FromMonth = Annotated[str, Query(alias="from", pattern=MONTH)]
ToMonth = Annotated[str, Query(alias="to", pattern=MONTH)]


class _EnterpriseNames(Mapping[int, str]):
    """Enterprise names looked up on demand (the cockpit asks only for the ranked few)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.found: dict[int, str] = {}

    def __getitem__(self, key: int) -> str:
        if key not in self.found:
            with self.platform.uow(read_only=True) as uow:
                enterprise = uow.enterprises.get(key)
            if enterprise is None:
                raise KeyError(key)
            self.found[key] = enterprise.name
        return self.found[key]

    def __iter__(self) -> Iterator[int]:
        return iter(self.found)

    def __len__(self) -> int:
        return len(self.found)


PAGE_CACHE = ResultCache()


def _cached(platform: Platform, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """Page figures are recomputed only when the store changed (its generation) or after the
    cache's time limit; the key carries the viewer's whole scope, so no one gets another's view."""
    store = platform.analytics
    return PAGE_CACHE.get_or_compute((str(store.path), store.generation(), *key), compute)


def _district_names(platform: Platform, city_code: str | None) -> dict[str, str]:
    city = platform.districts.city(city_code or "")
    return {d.code: d.name for d in city.districts} if city else {}


def _targets(platform: Platform, lines: ir.Table, principal: Principal, today: date) -> list[TargetView] | None:
    """The targets the principal follows (``target_services.targets_for``: city roles their city's,
    a district officer their district's), as the cockpit shows them."""
    if principal.role is Role.ENTERPRISE:
        return None
    with platform.uow(read_only=True) as uow:
        statuses = targets_for(lines, uow, principal, today)
    views = []
    for s in statuses:
        target = s.target
        views.append(
            TargetView(
                target_id=target.id,
                title=target.wording,
                clause=f"{target.document.title} {target.clause}".strip(),
                metric=target.metric,
                deadline=s.deadline.isoformat(),
                value=s.value_to_date,
                ratio=s.progress,
                forecast=s.projected,
                status=s.status,
                reason=s.reason,
                unit=target.unit,
                target_value=target.value,
                judged=s.ratio,
                as_of=s.as_of,
            )
        )
    return views


# --- chart payloads: the JSON each chart draws and each data table lists -------------------------


def _number(value: Decimal | None) -> float | None:
    """A 万元 Decimal for the chart JSON. Python writes the shortest text that reads back as the
    same double, so the JSON shows the same two-place decimal the table shows."""
    return None if value is None else float(value)


def _months(first: str, last: str) -> list[str]:
    months = [first]
    while months[-1] < last:
        months.append(shift_month(months[-1], 1))
    return months


def _direction_series(lang: str, breakdown: Breakdown, key: str, categories: list[str]) -> list[dict[str, Any]]:
    cells: dict[tuple[str, str], Decimal] = {}
    for row in breakdown.rows:
        cells[(str(row[key]), str(row["direction"]))] = wan(row["value"])
    series = []
    for direction in DIRECTIONS:
        values = [cells.get((c, direction)) for c in categories]
        series.append(
            {
                "key": direction,
                "name": translate(lang, f"ck.direction.{direction}"),
                "data": [_number(v) for v in values],
                "text": ["—" if v is None else f"{v:,}" for v in values],
            }
        )
    return series


def _chart_trend(lang: str, o: Overview) -> dict[str, Any]:
    months = _months(o.trend.month_from or o.month_to, o.trend.month_to or o.month_to)
    return {"type": "line", "categories": months, "series": _direction_series(lang, o.trend, "month", months)}


def _chart_codes(lang: str, o: Overview) -> dict[str, Any]:
    present = {str(r["code"]) for r in o.codes.rows}
    codes = [c for c in CODES if c in present] + sorted(present - set(CODES))
    labels = [translate(lang, f"ck.code.{c}") if c in CODES else c for c in codes]
    return {
        "type": "bar",
        "stacked": True,
        "categories": labels,
        "series": _direction_series(lang, o.codes, "code", codes),
    }


def _chart_flags(lang: str, o: Overview) -> dict[str, Any]:
    rows = sorted(o.flags.rows, key=lambda r: str(r.get("flag") or ""))
    values = [wan(r["value"]) for r in rows]
    names = [translate(lang, f"ck.flag.{r.get('flag') or 'none'}") for r in rows]
    return {
        "type": "pie",
        "categories": names,
        "series": [{"key": "value", "name": translate(lang, "ck.value_wan"), "data": [_number(v) for v in values],
                    "text": [f"{v:,}" for v in values]}],
    }  # fmt: skip


def _chart_districts(lang: str, o: Overview) -> dict[str, Any] | None:
    if o.district_ranking is None:
        return None
    values = [wan(d.value) for d in o.district_ranking]
    return {
        "type": "hbar",
        "categories": [d.name for d in o.district_ranking],
        "keys": [d.key for d in o.district_ranking],
        "fen": [d.fen for d in o.district_ranking],
        "series": [{"key": "value", "name": translate(lang, "ck.value_wan"), "data": [_number(v) for v in values],
                    "text": [f"{v:,}" for v in values]}],
    }  # fmt: skip


def _chart_targets(o: Overview) -> dict[str, Any] | None:
    if not o.targets:
        return None
    shown = [t for t in o.targets if t.ratio is not None][:GAUGES]
    percents = [(t.ratio * 100).quantize(Decimal("0.1")) for t in shown if t.ratio is not None]
    return {
        "type": "gauge",
        "categories": [t.title for t in shown],
        "series": [{"key": "ratio", "name": "%", "data": [_number(p) for p in percents],
                    "text": [f"{p}%" for p in percents]}],
    }  # fmt: skip


def _export_links(o: Overview, name: str, by: tuple[str, ...], first: str, last: str) -> dict[str, str]:
    params: dict[str, str] = {"from": first, "to": last, "by": ",".join(by)}
    if o.scope.district:
        params["district"] = o.scope.district
    if o.scope.enterprise_id is not None:
        params["enterprise"] = str(o.scope.enterprise_id)
    links = {}
    for fmt in ("csv", "xlsx"):
        links[fmt] = f"/api/v1/stats/metrics/{name}?" + urlencode({"format": fmt} | params)
    return links


def _charts(lang: str, o: Overview) -> list[dict[str, Any]]:
    """The charts of an overview, each with its data, caliber and export links."""
    charts: list[dict[str, Any]] = []

    def add(key: str, data: dict[str, Any] | None, b: Breakdown | None, first: str, last: str) -> None:
        if data is None:
            return
        metric = b.metric if b else ""
        charts.append(
            {
                "key": key,
                "title": translate(lang, f"ck.chart.{key}"),
                "data": data,
                "metric": metric,
                "caliber": b.caliber if b else "",
                "links": _export_links(o, metric, b.by, first, last) if b and b.available else {},
                "period": (first, last),
                "empty": not any(v is not None for s in data["series"] for v in s["data"]),
            }
        )

    add("trend", _chart_trend(lang, o), o.trend, o.trend.month_from or "", o.trend.month_to or "")
    add("codes", _chart_codes(lang, o), o.codes, o.month_from, o.month_to)
    add("flags", _chart_flags(lang, o), o.flags, o.month_from, o.month_to)
    add("districts", _chart_districts(lang, o), o.districts, o.month_from, o.month_to)
    return charts


def percent(value: Decimal | None) -> str:
    """A ratio as a percentage with two places, e.g. Decimal("0.1234") -> "12.34%"."""
    return "—" if value is None else f"{(value * 100).quantize(Decimal('0.01'))}%"


def _lang(request: Request) -> str:
    return locale(request)


def _context(request: Request, o: Overview, **extra: Any) -> dict[str, Any]:
    lang = _lang(request)
    return {
        "o": o,
        "charts": _charts(lang, o),
        "target_chart": _chart_targets(o),
        "money": lambda v: money_text(v, lang),
        "wan": wan,
        "percent": percent,
        "metric_title": lambda name: _metric_title(lang, name),
        "month_from": o.month_from,
        "month_to": o.month_to,
    } | extra


def _metric_title(lang: str, name: str) -> str:
    found = CATALOG.get(name)
    if found is None:
        return name
    return found.title_zh if lang == "zh" else found.title_en


def _scope(first: str, last: str, **place: Any) -> Scope:
    return Scope(month_from=first or None, month_to=last or None, **place)


# --- routes ---------------------------------------------------------------------------------------


@router.get("")
def cockpit_page(
    request: Request, identity: PageIdentity, platform: PlatformDep, since: FromMonth = "", until: ToMonth = ""
) -> Response:
    principal = identity.principal
    if principal.role is Role.ENTERPRISE:
        query = urlencode({k: v for k, v in (("from", since), ("to", until)) if v})
        return RedirectResponse("/cockpit/enterprise" + (f"?{query}" if query else ""), status_code=303)
    today = business_date(platform.clock)
    names = _district_names(platform, principal.city_code)
    with open_lines(platform) as lines:
        data = _cached(
            platform,
            ("city", principal, since, until, today),
            lambda: overview(
                lines,
                principal,
                _scope(since, until),
                today,
                district_names=names,
                enterprise_names=_EnterpriseNames(platform),
                targets=_targets(platform, lines, principal, today),
            ),
        )
    district = names.get(data.scope.district or "")
    heading = "ck.title.district" if principal.role is Role.DISTRICT_OFFICER else "ck.title.city"
    city = platform.districts.city(principal.city_code or "")
    context = _context(
        request, data, heading=heading, place=district or (city.name if city else ""), action="/cockpit", view="city"
    )
    context["targets_shown"] = True
    return render(request, "cockpit.html", context)


@router.get("/district/{code}")
def district_page(
    code: str,
    request: Request,
    identity: PageIdentity,
    platform: PlatformDep,
    since: FromMonth = "",
    until: ToMonth = "",
) -> Response:
    principal = identity.principal
    district = platform.districts.district(code)
    if district is None:
        raise NotFound(f"no district {code!r}")
    if principal.role is Role.ENTERPRISE or not principal.sees(None, district.city_code, district.code):
        raise PermissionDenied(f"you may not see the figures of district {code}")
    with open_lines(platform) as lines:
        data = _cached(
            platform,
            ("district", principal, code, since, until, business_date(platform.clock)),
            lambda: overview(
                lines,
                principal,
                _scope(since, until, district=code),
                business_date(platform.clock),
                district_names=_district_names(platform, district.city_code),
                enterprise_names=_EnterpriseNames(platform),
            ),
        )
    context = _context(
        request,
        data,
        heading="ck.title.district",
        place=district.name,
        action=f"/cockpit/district/{code}",
        view="district",
    )
    context["targets_shown"] = False
    return render(request, "cockpit.html", context)


@router.get("/enterprise")
def enterprise_page(
    request: Request,
    identity: PageIdentity,
    platform: PlatformDep,
    since: FromMonth = "",
    until: ToMonth = "",
    id: int | None = None,
) -> Response:
    principal = identity.principal
    if principal.role is Role.ENTERPRISE:
        if id not in (None, principal.enterprise_id):
            raise PermissionDenied("an enterprise sees only its own figures")
        id = principal.enterprise_id
    if id is None:
        return render(request, "cockpit_enterprise_pick.html", {"month_from": since, "month_to": until})
    with platform.uow(read_only=True) as uow:
        enterprise = uow.enterprises.get(id)
    if enterprise is None:
        raise NotFound(f"no enterprise {id}")
    if not principal.sees(enterprise.id, enterprise.city_code, enterprise.district_code):
        raise PermissionDenied(f"enterprise {id} is outside your scope")
    today = business_date(platform.clock)
    with open_lines(platform) as lines:
        data = _cached(
            platform,
            ("enterprise", principal, id, since, until, today),
            lambda: overview(lines, principal, _scope(since, until, enterprise_id=id), today),
        )
    query = f"?id={id}" if principal.role is not Role.ENTERPRISE else ""
    context = _context(
        request,
        data,
        heading="ck.title.enterprise",
        place=enterprise.name,
        action="/cockpit/enterprise",
        view="enterprise",
    )
    context |= {"targets_shown": False, "enterprise_id": id, "id_query": query}
    return render(request, "cockpit.html", context)


@router.get("/bulletin")
def bulletin_page(request: Request, identity: PageIdentity, platform: PlatformDep, month: Month = "") -> Response:
    """The bulletin of the principal's own place (a district officer: their district); the PDF
    link is offered to those who may have it (``bulletin.may_read``)."""
    principal = identity.principal
    today = business_date(platform.clock)

    def compute() -> bulletins.Bulletin:
        shown = month or latest_month(lines, principal, Scope(), today) or today.strftime("%Y-%m")
        return bulletins.assemble(platform, lines, principal, principal.city_code, shown)

    with open_lines(platform) as lines:
        data = _cached(platform, ("bulletin", principal, month, today), compute)
    seen = data.scope
    if seen.enterprise_id is not None:
        with platform.uow(read_only=True) as uow:
            found = uow.enterprises.get(seen.enterprise_id)
        place = found.name if found else ""
    elif seen.district:
        place = _district_names(platform, seen.city).get(seen.district, seen.district)
    else:
        place = data.city_name
    pdf = ""
    if seen.city and seen.district is None and seen.enterprise_id is None:
        try:
            bulletins.may_read(principal, seen.city)
            pdf = f"/api/v1/stats/bulletin/{seen.city}/{data.month}.pdf"
        except PermissionDenied:
            pass
    context = {
        "b": data,
        "place": place,
        "month": data.month,
        "prev_month": shift_month(data.month, -1),
        "next_month": shift_month(data.month, 1),
        "show": bulletins.show,
        "metric_title": lambda name: _metric_title(_lang(request), name),
        "today": today,
        "pdf": pdf,
    }
    return render(request, "cockpit_bulletin.html", context)
