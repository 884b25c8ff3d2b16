"""Statistics use cases: run a catalog metric for a principal, within what the principal may see.

Scope comes from the principal, never from the request alone: an enterprise sees its own lines,
a district officer its district, city roles their city. A request may narrow that scope (a
district within the city) but never widen it; asking for another city or district is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

import ibis.expr.types as ir

from cbec.identity.model import Principal, Role
from cbec.kernel.errors import FieldError, PermissionDenied, ValidationFailed
from cbec.stats.catalog import CATALOG, DIMENSIONS, Metric, Scope, expression

__all__ = ["MetricResult", "month_text", "run", "visible_scope", "yuan"]

FEN = Decimal("0.01")


def yuan(fen: int | None) -> Decimal | None:
    """Integer fen from the fact table -> Decimal yuan with two places (exact)."""
    return None if fen is None else (Decimal(fen) / 100).quantize(FEN)


def month_text(value: str | None, field: str) -> str | None:
    """Check a YYYY-MM month argument; errors name the field and the expected form."""
    if value in (None, ""):
        return None
    assert value is not None
    try:
        date.fromisoformat(f"{value}-01")
    except ValueError:
        raise ValidationFailed(
            [FieldError(field, "month.format", f"{value!r} is not a month", "write YYYY-MM, e.g. 2024-03")]
        ) from None
    if len(value) != 7:
        raise ValidationFailed(
            [FieldError(field, "month.format", f"{value!r} is not a month", "write YYYY-MM, e.g. 2024-03")]
        )
    return value


def visible_scope(principal: Principal, scope: Scope) -> Scope:
    """The scope narrowed to what ``principal`` may see; refuses a request for another place."""
    if principal.is_system:
        return scope
    if principal.role is Role.ENTERPRISE:
        if scope.enterprise_id not in (None, principal.enterprise_id):
            raise PermissionDenied("an enterprise sees only its own figures")
        return replace(
            scope,
            city=None,
            district=None,
            enterprise_id=principal.enterprise_id if principal.enterprise_id is not None else -1,
        )
    if scope.city not in (None, principal.city_code):
        raise PermissionDenied(f"you see statistics of city {principal.city_code} only")
    if principal.role is Role.DISTRICT_OFFICER:
        if scope.district not in (None, principal.district_code):
            raise PermissionDenied(f"you see statistics of district {principal.district_code} only")
        return replace(scope, city=principal.city_code, district=principal.district_code)
    return replace(scope, city=principal.city_code)


@dataclass(frozen=True)
class MetricResult:
    metric: Metric
    scope: Scope
    by: tuple[str, ...]
    rows: list[dict[str, Any]]  # as the backend returned them: money in integer fen

    def records(self) -> list[dict[str, Any]]:
        """Rows for people and JSON: ``x_fen`` becomes ``x`` in Decimal yuan, dimension columns
        take their dimension names (``trade_mode`` -> ``code``)."""
        names = {column: dim for dim, column in DIMENSIONS.items()}
        out = []
        for row in self.rows:
            record: dict[str, Any] = {}
            for key, value in row.items():
                if key.endswith("_fen"):
                    record[key[: -len("_fen")]] = yuan(value)
                else:
                    record[names.get(key, key)] = value
            out.append(record)
        return out


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()  # numpy scalars from some backends
    return value


def run(
    lines: ir.Table, principal: Principal, name: str, scope: Scope, by: tuple[str, ...] | None = None
) -> MetricResult:
    """Run one metric; unknown metric or dimension names are validation errors naming the field."""
    found = CATALOG.get(name)
    if found is None:
        raise ValidationFailed(
            [FieldError("metric", "metric.unknown", f"no metric {name!r}", f"use one of: {', '.join(sorted(CATALOG))}")]
        )
    dims = found.default_by if by is None else by
    bad = [d for d in dims if d not in found.allowed_by]
    if bad:
        allowed = ", ".join(sorted(found.allowed_by)) or "none"
        raise ValidationFailed(
            [FieldError("by", "metric.dimension", f"{name} cannot be split by {', '.join(bad)}", f"use: {allowed}")]
        )
    for field, value in (("from", scope.month_from), ("to", scope.month_to)):
        month_text(value, field)
    seen = visible_scope(principal, scope)
    table = expression(lines, name, seen, dims).to_pyarrow()
    rows = [{k: _plain(v) for k, v in row.items()} for row in table.to_pylist()]
    return MetricResult(found, seen, dims, rows)
