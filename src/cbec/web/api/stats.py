"""Statistics over HTTP: the metric catalog, one metric as JSON / CSV / .xlsx / Parquet, the
visible fact lines as Parquet, the monthly city bulletin as PDF, and a refresh of the store.

Scope is the signed-in principal's (``cbec.stats.services.visible_scope``): a request may narrow
it (a district, an enterprise, a period, directions, trade modes) but asking for another city or
district answers 403. Bad months, dimensions or metric names answer 422 naming the field
(``from``, ``to``, ``by``, ``metric``, ``direction``, ``code``) with the rule and what to write.

Money: JSON carries yuan as decimal strings (``"1234.50"``); CSV and .xlsx carry exact yuan;
the metric Parquet carries yuan as ``decimal128(18, 2)``; ``lines.parquet`` carries the fact
table as it is stored, money as integer fen (``value_fen``, ``cny_fen``, ``returned_fen``,
int64) so BI tools and Spark sum it exactly.

Examples::

    GET /api/v1/stats/metrics
    GET /api/v1/stats/metrics/trade_value?from=2024-01&to=2024-12&by=month,direction
    GET /api/v1/stats/metrics/trade_value?by=district&format=xlsx
    GET /api/v1/stats/lines.parquet?from=2024-11&to=2024-11
    GET /api/v1/stats/bulletin/330100/2024-11.pdf
    POST /api/v1/stats/refresh
"""

from __future__ import annotations

import io
import re
from dataclasses import asdict
from typing import Annotated, Any

import pyarrow.parquet as pq
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from cbec.bootstrap import Platform
from cbec.identity.model import Principal, Role
from cbec.kernel.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from cbec.stats import bulletin as bulletins
from cbec.stats.catalog import CATALOG, Metric, Scope, scoped
from cbec.stats.exports import json_body, label, to_csv, to_parquet, to_xlsx
from cbec.stats.refresh import open_lines, refresh
from cbec.stats.services import MetricResult, month_text, run, visible_scope
from cbec.web.deps import ApiIdentity, PlatformDep, locale

__all__ = ["catalog_entry", "metric_result", "parse_scope", "router"]

router = APIRouter(prefix="/stats", tags=["stats"])

FILE_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}
FORMAT = r"^(json|csv|xlsx|parquet)$"
DIRECTIONS = ("import", "export")
TRADE_MODE = re.compile(r"^\d{4}$")
REFRESHERS = frozenset({Role.CITY_ADMIN})


def catalog_entry(found: Metric) -> dict[str, Any]:
    values = [v[: -len("_fen")] if v.endswith("_fen") else v for v in found.value_columns]
    return {
        "name": found.name,
        "title": {"zh": found.title_zh, "en": found.title_en},
        "caliber": found.caliber,
        "unit": found.unit,
        "default_by": list(found.default_by),
        "allowed_by": sorted(found.allowed_by),
        "value_columns": [
            {"name": name, "source": source, "zh": label(name), "en": label(name, "en")}
            for name, source in zip(values, found.value_columns, strict=True)
        ],
        "uses_history": found.uses_history,
    }


def _list(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def parse_scope(
    *,
    month_from: str | None,
    month_to: str | None,
    city: str | None,
    district: str | None,
    enterprise: int | None,
    code: str | None,
    direction: str | None,
) -> Scope:
    """The requested scope, checked field by field (every problem at once)."""
    errors: list[FieldError] = []
    for field, value in (("from", month_from), ("to", month_to)):
        try:
            month_text(value, field)
        except ValidationFailed as failed:
            errors.extend(failed.errors)
    if month_from and month_to and not errors and month_from > month_to:
        errors.append(FieldError("to", "month.order", f"{month_to} is before {month_from}", "make to >= from"))
    directions = _list(direction)
    wrong = [d for d in directions if d not in DIRECTIONS]
    if wrong:
        errors.append(
            FieldError("direction", "direction.unknown", f"unknown direction {', '.join(wrong)}", "use import, export")
        )
    codes = _list(code)
    bad_codes = [c for c in codes if not TRADE_MODE.match(c)]
    if bad_codes:
        errors.append(
            FieldError(
                "code", "trade_mode.format", f"{', '.join(bad_codes)} is not a trade mode", "use 4 digits, e.g. 9610"
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return Scope(
        city=city or None,
        district=district or None,
        enterprise_id=enterprise,
        month_from=month_from or None,
        month_to=month_to or None,
        directions=directions,
        trade_modes=codes,
    )


def metric_result(
    platform: Platform, principal: Principal, name: str, scope: Scope, by: tuple[str, ...] | None
) -> MetricResult:
    with open_lines(platform) as lines:
        return run(lines, principal, name, scope, by)


def _scope_params(
    month_from: str | None,
    month_to: str | None,
    city: str | None,
    district: str | None,
    enterprise: int | None,
    code: str | None,
    direction: str | None,
) -> Scope:
    return parse_scope(
        month_from=month_from,
        month_to=month_to,
        city=city,
        district=district,
        enterprise=enterprise,
        code=code,
        direction=direction,
    )


@router.get("/metrics", operation_id="stats_metrics")
def list_metrics(identity: ApiIdentity) -> dict[str, Any]:
    """The metric catalog: name, titles, caliber (口径), unit, default and allowed dimensions, and
    the value columns with their Chinese and English headers."""
    return {"metrics": [catalog_entry(m) for m in sorted(CATALOG.values(), key=lambda m: m.name)]}


@router.get("/metrics/{name}", operation_id="stats_metric", response_model=None)
def get_metric(
    name: str,
    request: Request,
    identity: ApiIdentity,
    platform: PlatformDep,
    month_from: Annotated[str | None, Query(alias="from", examples=["2024-01"])] = None,
    month_to: Annotated[str | None, Query(alias="to", examples=["2024-12"])] = None,
    by: Annotated[str | None, Query(examples=["month,direction"])] = None,
    city: str | None = None,
    district: str | None = None,
    enterprise: int | None = None,
    code: Annotated[str | None, Query(examples=["9610,1210"])] = None,
    direction: Annotated[str | None, Query(examples=["import"])] = None,
    file_format: Annotated[str, Query(alias="format", pattern=FORMAT)] = "json",
    lang: Annotated[str | None, Query(pattern=r"^(zh|en)$")] = None,
) -> dict[str, Any] | Response:
    """One metric within the caller's scope. ``by`` is a comma list of dimensions (absent or empty:
    the metric's default, see the catalog). ``format``: json (money as decimal strings in
    yuan), csv (UTF-8 with BOM, Chinese headers), xlsx (formatted, caliber row, frozen header;
    headers in ``lang`` or the caller's locale) or parquet (money as decimal128(18,2) yuan,
    ratios decimal128(18,4); metric, caliber and scope in the schema metadata)."""
    scope = _scope_params(month_from, month_to, city, district, enterprise, code, direction)
    dims = _list(by) or None  # absent or empty: the metric's default split
    if dims and len(set(dims)) != len(dims):
        raise ValidationFailed(
            [FieldError("by", "by.duplicate", f"{by!r} names a dimension twice", "name each dimension once")]
        )
    result = metric_result(platform, identity.principal, name, scope, dims)
    if file_format == "json":
        return json_body(result)
    if file_format == "csv":
        content = to_csv(result)
    elif file_format == "xlsx":
        content = to_xlsx(result, lang or locale(request))
    else:
        content = to_parquet(result)
    filename = f"{name}.{file_format}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(content, media_type=FILE_TYPES[file_format], headers=headers)


def lines_parquet(platform: Platform, principal: Principal, scope: Scope) -> bytes:
    """The fact lines the principal may see within ``scope`` (period by release month) as
    Parquet; money columns stay integer fen (int64)."""
    seen = visible_scope(principal, scope)
    with open_lines(platform) as lines:
        table = scoped(lines, seen).order_by("line_key").to_pyarrow()
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


@router.get("/lines.parquet", operation_id="stats_lines_parquet")
def get_lines_parquet(
    identity: ApiIdentity,
    platform: PlatformDep,
    month_from: Annotated[str | None, Query(alias="from", examples=["2024-01"])] = None,
    month_to: Annotated[str | None, Query(alias="to", examples=["2024-12"])] = None,
    city: str | None = None,
    district: str | None = None,
    enterprise: int | None = None,
    code: str | None = None,
    direction: str | None = None,
) -> Response:
    """The visible fact lines (one row per list line, schema as docs/stats.md) for BI tools and
    Spark. Money is integer fen (``value_fen``, ``cny_fen``, ``returned_fen``). With a period,
    only released lines of those months are included (unreleased lines have no month)."""
    scope = _scope_params(month_from, month_to, city, district, enterprise, code, direction)
    content = lines_parquet(platform, identity.principal, scope)
    headers = {"Content-Disposition": 'attachment; filename="list_lines.parquet"'}
    return Response(content, media_type=FILE_TYPES["parquet"], headers=headers)


def bulletin_pdf(platform: Platform, principal: Principal, city: str, month: str) -> bytes:
    """The PDF of the bulletin the page ``/cockpit/bulletin`` shows (``bulletin.assemble``)."""
    if platform.districts.city(city) is None:
        raise NotFound(f"no city {city}")
    bulletins.may_read(principal, city)
    with open_lines(platform) as lines:
        made = bulletins.assemble(platform, lines, principal, city, month)
    return bulletins.render_pdf(made)


@router.get("/bulletin/{city}/{month}.pdf", operation_id="stats_bulletin_pdf")
def get_bulletin(city: str, month: str, identity: ApiIdentity, platform: PlatformDep) -> Response:
    """The monthly bulletin (月度简报) of a city as PDF: headline figures, trade by direction and
    trade mode, year-on-year and month-on-month growth, top 10 enterprises, district ranking,
    and the caliber of every figure. City-wide roles of that city only."""
    content = bulletin_pdf(platform, identity.principal, city, month)
    headers = {"Content-Disposition": f'attachment; filename="bulletin-{city}-{month}.pdf"'}
    return Response(content, media_type="application/pdf", headers=headers)


@router.post("/refresh", operation_id="stats_refresh")
def post_refresh(identity: ApiIdentity, platform: PlatformDep) -> dict[str, Any]:
    """Drain the outbox of changed lists into the analytics store now. City administrators only
    (the system refreshes from ``cbec stats refresh``); answers the RefreshReport."""
    principal = identity.principal
    if not (principal.is_system or (not principal.read_only and principal.role in REFRESHERS)):
        raise PermissionDenied("only a city administrator may refresh statistics")
    return asdict(refresh(platform))
