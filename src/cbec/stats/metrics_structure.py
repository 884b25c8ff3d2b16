"""Structure metrics: who trades (ranking, active enterprises, size bands), how (A/B lists),
what comes back (returns) and what is still on its way (pipeline)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

import ibis
import ibis.expr.types as ir

from cbec.stats.catalog import DIMENSIONS, fen_sum, list_total, metric, ratio, released, summarise

__all__ = [
    "SIZE_BANDS",
    "SizeBand",
    "enterprise_count",
    "flag_split",
    "pipeline",
    "return_rate",
    "size_bands",
    "top_enterprises",
]

WAN_FEN = 1_000_000  # 1万 yuan in fen


@dataclass(frozen=True)
class SizeBand:
    band: str
    lower_fen: int  # inclusive
    upper_fen: int | None  # exclusive; None = no upper bound
    label_zh: str
    label_en: str


# Enterprise size by trade value over the scope period, CNY. Data, not code: a bureau that
# reports other bands changes this tuple only.
SIZE_BANDS: tuple[SizeBand, ...] = (
    SizeBand("b1", 0, 100 * WAN_FEN, "100万元以下", "under CNY 1 million"),
    SizeBand("b2", 100 * WAN_FEN, 1_000 * WAN_FEN, "100万–1000万元", "CNY 1–10 million"),
    SizeBand("b3", 1_000 * WAN_FEN, 10_000 * WAN_FEN, "1000万–1亿元", "CNY 10–100 million"),
    SizeBand("b4", 10_000 * WAN_FEN, None, "1亿元及以上", "CNY 100 million and over"),
)

# Splitting an enterprise figure by enterprise would only repeat each enterprise.
NOT_ENTERPRISE = frozenset(DIMENSIONS) - {"enterprise"}


def _cols(by: tuple[str, ...]) -> list[str]:
    return [DIMENSIONS[d] for d in by]


@metric(
    name="top_enterprises",
    title_zh="企业排名",
    title_en="Top enterprises",
    caliber=(
        "Registered enterprises ranked by trade value (as trade_value) in the scope, largest first, ties "
        "by enterprise id ascending; share = enterprise value / trade value of the whole scope (lines of "
        "unregistered enterprises included in the total, not ranked), rounded half away from zero to 4 "
        "places. All ranked rows are returned; callers take the top N."
    ),
    unit="fen",
    default_by=("enterprise",),
    allowed_by=frozenset({"enterprise"}),
    value_columns=("value_fen", "share"),
)
def top_enterprises(lines: ir.Table, by: tuple[str, ...]) -> ir.Table:
    rel = released(lines)
    total = rel.aggregate(total_fen=fen_sum(rel.cny_fen))
    registered = rel.filter(rel.enterprise_id.notnull())
    per = registered.group_by("enterprise_id").aggregate(value_fen=fen_sum(registered.cny_fen))
    ranked = per.mutate(
        rank=(ibis.row_number().over(order_by=[per.value_fen.desc(), per.enterprise_id.asc()]) + 1).cast("int64")
    )
    # A one-row cross join rather than a scalar subquery: all three backends plan it the same.
    joined = ranked.cross_join(total)
    return joined.select(
        "rank",
        "enterprise_id",
        "value_fen",
        share=ratio(joined.value_fen, joined.total_fen),
    )


@metric(
    name="flag_split",
    title_zh="9610出口A/B类清单",
    title_en="9610 export lists, A vs B",
    caliber=(
        "Released 9610 export lists by statistics flag (A 汇总统计, B 汇总申报): number of distinct lists "
        "and their trade value (as trade_value), in the month of release."
    ),
    unit="count",
    default_by=("flag",),
    value_columns=("lists", "value_fen"),
)
def flag_split(lines: ir.Table, by: tuple[str, ...]) -> ir.Table:
    rel = released(lines)
    rel = rel.filter((rel.direction == "export") & (rel.trade_mode == "9610"))
    return summarise(
        rel,
        _cols(by),
        lists=list_total(rel, by),
        value_fen=fen_sum(rel.cny_fen),
    )


@metric(
    name="return_rate",
    title_zh="退货率",
    title_en="Return rate",
    caliber=(
        "Returned CNY value (import 退货, export 退运) of released lines divided by their trade value (as "
        "trade_value), rounded half away from zero to 4 places, null when the value is 0; returns are "
        "counted in the month the returned line was released."
    ),
    unit="ratio",
    value_columns=("returned_fen", "value_fen", "rate"),
)
def return_rate(lines: ir.Table, by: tuple[str, ...]) -> ir.Table:
    rel = released(lines)
    sums = summarise(
        rel,
        _cols(by),
        returned_fen=fen_sum(rel.returned_fen),
        value_fen=fen_sum(rel.cny_fen),
    )
    return sums.mutate(rate=ratio(sums.returned_fen, sums.value_fen))


@metric(
    name="enterprise_count",
    title_zh="活跃企业数",
    title_en="Active enterprises",
    caliber=(
        "Number of distinct registered enterprises with at least one released list line (converted or "
        "not), in the month of release."
    ),
    unit="count",
    allowed_by=NOT_ENTERPRISE,
    value_columns=("enterprises",),
)
def enterprise_count(lines: ir.Table, by: tuple[str, ...]) -> ir.Table:
    rel = released(lines)
    return summarise(rel, _cols(by), enterprises=rel.enterprise_id.nunique().cast("int64"))


def _in_band(value: ir.IntegerValue, band: SizeBand) -> ir.BooleanValue:
    lower = value >= band.lower_fen
    return lower if band.upper_fen is None else lower & (value < band.upper_fen)


@metric(
    name="size_bands",
    title_zh="企业规模分布",
    title_en="Enterprises by size",
    caliber=(
        "Registered enterprises with released trade in the scope period, counted by the band (SIZE_BANDS) "
        "their trade value (as trade_value) over the whole period falls in, with the bands' summed value; "
        "every band is listed, with 0 when empty."
    ),
    unit="count",
    default_by=(),
    allowed_by=NOT_ENTERPRISE,
    value_columns=("enterprises", "value_fen"),
)
def size_bands(lines: ir.Table, by: tuple[str, ...]) -> ir.Table:
    cols = _cols(by)
    rel = released(lines)
    rel = rel.filter(rel.enterprise_id.notnull())
    per = rel.group_by([*cols, "enterprise_id"]).aggregate(value_fen=fen_sum(rel.cny_fen))
    # One aggregate per band, stacked: an aggregate without GROUP BY always yields a row, so an
    # empty band still shows (with dims, in every split that has any enterprise).
    parts = []
    for band in SIZE_BANDS:
        inside = _in_band(per.value_fen, band)
        sums = {
            # ifelse, not a cast: PostgreSQL cannot cast boolean to bigint.
            "enterprises": ibis.ifelse(inside, 1, 0).sum().fill_null(0).cast("int64"),
            "value_fen": fen_sum(ibis.ifelse(inside, per.value_fen, 0)),
        }
        parts.append(summarise(per, cols, **sums).mutate(band=ibis.literal(band.band, "string")))
    stacked = reduce(lambda left, right: left.union(right), parts)
    return stacked.select("band", *cols, "enterprises", "value_fen")


@metric(
    name="pipeline",
    title_zh="在途清单",
    title_en="Lists not yet released",
    caliber=(
        "Current lists not yet released by customs, by their status: distinct lists, lines and provisional "
        "CNY value (rate on the declaration date; lines without a rate are counted in unconverted_lines). "
        "A snapshot: the period of the scope does not apply."
    ),
    unit="count",
    default_by=(),
    allowed_by=frozenset(DIMENSIONS) - {"month", "year"},  # unreleased lines have no release month
    # Not history, but the same rule: the period filter must not touch the input, whose lines
    # have no month yet; the result has no month column, so nothing is filtered.
    uses_history=True,
    value_columns=("lists", "lines", "value_fen", "unconverted_lines"),
)
def pipeline(lines: ir.Table, by: tuple[str, ...]) -> ir.Table:
    waiting = lines.filter(~lines.released)
    return waiting.group_by([*_cols(by), "status"]).aggregate(
        lists=list_total(waiting, by),  # status is list-level too
        lines=waiting.count().cast("int64"),
        value_fen=fen_sum(waiting.cny_fen),
        unconverted_lines=waiting.cny_fen.isnull().sum().fill_null(0).cast("int64"),
    )
