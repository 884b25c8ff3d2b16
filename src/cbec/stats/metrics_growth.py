"""Growth metrics: year-on-year (同比) and month-on-month (环比) trade value.

Both compare a month's released trade value with an earlier month of the same place scope and
the same extra dimensions, so they read every month of the scope (``uses_history``): the period
filter applies to the result rows, and a period starting in January still finds last year's
figures. The comparison is a self-join on a month index (year * 12 + month - 1) computed from
the 'YYYY-MM' string, which every backend can do with substring and cast; date arithmetic
differs too much between DuckDB, PostgreSQL and Spark to be trusted for parity.
"""

from __future__ import annotations

import ibis.expr.types as ir

from cbec.stats.catalog import DIMENSIONS, fen_sum, metric, ratio, released

__all__ = ["mom_growth", "month_index", "yoy_growth"]

# Every dimension but year: a month already names its year, and splitting by year as well would
# only repeat it.
GROWTH_DIMENSIONS = frozenset(DIMENSIONS) - {"year"}


def month_index(month: ir.StringValue) -> ir.IntegerValue:
    """'2024-01' -> 2024 * 12 + 0: consecutive months have consecutive indexes across years."""
    return month.substr(0, 4).cast("int64") * 12 + month.substr(5, 2).cast("int64") - 1


def _growth(lines: ir.Table, by: tuple[str, ...], months_back: int) -> ir.Table:
    extra = [DIMENSIONS[d] for d in by if d != "month"]  # always per month, plus these
    rel = released(lines)
    current = rel.group_by(["month", *extra]).aggregate(value_fen=fen_sum(rel.cny_fen))
    current = current.mutate(month_index=month_index(current.month))
    # The earlier month, shifted forward so its index equals the month it is compared with.
    # Its columns are renamed so the join needs no suffixes.
    earlier = current.select(
        earlier_index=current.month_index + months_back,
        previous_fen=current.value_fen,
        **{f"earlier_{column}": current[column] for column in extra},
    )
    # identical_to (IS NOT DISTINCT FROM) so a null dimension value, e.g. lines of an
    # unregistered enterprise, still meets its own history.
    predicates = [current.month_index == earlier.earlier_index] + [
        current[column].identical_to(earlier[f"earlier_{column}"]) for column in extra
    ]
    joined = current.left_join(earlier, predicates)
    return joined.select(
        "month",
        *extra,
        value_fen=joined.value_fen,
        previous_fen=joined.previous_fen,
        growth=ratio(joined.value_fen - joined.previous_fen, joined.previous_fen),
    )


@metric(
    name="yoy_growth",
    title_zh="进出口额同比",
    title_en="Trade value, year on year",
    caliber=(
        "Per month of release: trade value (as trade_value) of the month, of the same month one year "
        "earlier in the same scope and split, and growth = (this - earlier) / earlier rounded half away "
        "from zero to 4 places; growth is null when the earlier month has no released converted value. "
        "Only months with released lines in the scope are listed."
    ),
    unit="ratio",
    allowed_by=GROWTH_DIMENSIONS,
    uses_history=True,
    value_columns=("value_fen", "previous_fen", "growth"),
)
def yoy_growth(lines: ir.Table, by: tuple[str, ...]) -> ir.Table:
    return _growth(lines, by, 12)


@metric(
    name="mom_growth",
    title_zh="进出口额环比",
    title_en="Trade value, month on month",
    caliber=(
        "Per month of release: trade value (as trade_value) of the month, of the previous calendar month "
        "(January compares with December of the year before) in the same scope and split, and growth = "
        "(this - previous) / previous rounded half away from zero to 4 places; growth is null when the "
        "previous month has no released converted value. Only months with released lines are listed."
    ),
    unit="ratio",
    allowed_by=GROWTH_DIMENSIONS,
    uses_history=True,
    value_columns=("value_fen", "previous_fen", "growth"),
)
def mom_growth(lines: ir.Table, by: tuple[str, ...]) -> ir.Table:
    return _growth(lines, by, 1)
