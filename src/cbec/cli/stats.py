"""``cbec stats METRIC …`` (the metric catalog) and ``cbec analytics …`` (the fact table store:
refresh, rebuild, exchange rates, Parquet export)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import ibis
import ibis.expr.types as ir
import typer

from cbec.cli.common import emit_json, handled, platform, usage_error
from cbec.identity.model import SYSTEM
from cbec.stats.catalog import CATALOG, Scope
from cbec.stats.fx import parse_rates_csv
from cbec.stats.refresh import open_lines, rebuild, refresh
from cbec.stats.services import run

analytics_app = typer.Typer(help="The statistics fact table (DuckDB under ./var/): refresh, rates, export.")

Json = Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts.")]


def _codes(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def stats(
    metric: Annotated[str | None, typer.Argument(help="A catalog metric; omit to list the catalog.")] = None,
    city: Annotated[str | None, typer.Option("--city", help="City code, e.g. 330100.")] = None,
    district: Annotated[str | None, typer.Option("--district", help="District code.")] = None,
    month_from: Annotated[str | None, typer.Option("--from", help="First month, YYYY-MM.")] = None,
    month_to: Annotated[str | None, typer.Option("--to", help="Last month, YYYY-MM.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Dimensions, comma-separated (e.g. month,code).")] = None,
    code: Annotated[str | None, typer.Option("--code", help="Supervision codes, e.g. 9610,9710.")] = None,
    direction: Annotated[str | None, typer.Option("--direction", help="import or export.")] = None,
    parquet: Annotated[
        str | None,
        typer.Option("--parquet", help="Read fact lines from this Parquet file/folder/URL instead of the local store."),
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", help="duckdb (default) or spark; spark needs --parquet.")
    ] = "duckdb",
    spark_master: Annotated[
        str | None,
        typer.Option("--spark-master", envvar="SPARK_MASTER", help="e.g. spark://host:7077, yarn, local[*]."),
    ] = None,
    as_json: Json = False,
) -> None:
    """Statistics from the metric catalog (统计指标), with the caliber (口径) of each."""
    with handled(as_json):
        if metric is None:
            catalog = [
                {"name": m.name, "title": m.title_zh, "title_en": m.title_en, "unit": m.unit, "caliber": m.caliber}
                for m in CATALOG.values()
            ]
            if as_json:
                emit_json({"ok": True, "metrics": catalog})
            else:
                for entry in catalog:
                    typer.echo(f"{entry['name']:<20} {entry['title']}  {entry['caliber']}")
            return
        scope = Scope(
            city=city,
            district=district,
            month_from=month_from,
            month_to=month_to,
            directions=_codes(direction),
            trade_modes=_codes(code),
        )
        dims = _codes(by) if by is not None else None
        with _lines(parquet, engine, spark_master) as lines:
            result = run(lines, SYSTEM, metric, scope, dims)
        records = result.records()
        if as_json:
            emit_json(
                {
                    "ok": True,
                    "metric": result.metric.name,
                    "title": result.metric.title_zh,
                    "caliber": result.metric.caliber,
                    "by": list(result.by),
                    "rows": records,
                }
            )
            return
        typer.echo(f"{result.metric.title_zh} ({result.metric.name})")
        typer.echo(f"口径: {result.metric.caliber}")
        for record in records:
            typer.echo("  ".join(f"{k}={v}" for k, v in record.items()))


@contextmanager
def _lines(parquet: str | None, engine: str, spark_master: str | None) -> Iterator[ir.Table]:
    """The fact table to run on: the local store, or a Parquet export read by DuckDB or Spark."""
    if engine not in ("duckdb", "spark"):
        usage_error("--engine must be duckdb or spark")
    if parquet is None:
        if engine == "spark":
            usage_error("--engine spark reads a Parquet export: give --parquet (see docs/stats.md)")
        with open_lines(platform()) as lines:
            yield lines
        return
    if engine == "duckdb":
        yield ibis.duckdb.connect().read_parquet(parquet)
        return
    from pyspark.sql import SparkSession  # optional dependency: pip install 'cbec[spark]'

    builder = SparkSession.builder.appName("cbec-stats").config("spark.sql.session.timeZone", "UTC")
    session = builder.master(spark_master or "local[*]").getOrCreate()
    try:
        yield ibis.pyspark.connect(session).read_parquet(parquet)
    finally:
        session.stop()


def _report(report: Any, as_json: bool) -> None:
    if as_json:
        emit_json({"ok": True, "lists": report.lists, "lines": report.lines, "batches": report.batches})
    else:
        typer.echo(f"{report.lists} lists rebuilt ({report.lines} lines) in {report.batches} batches")


@analytics_app.command("refresh")
def refresh_command(as_json: Json = False) -> None:
    """Bring the fact table up to date with every list changed since the last refresh."""
    with handled(as_json):
        _report(refresh(platform()), as_json)


@analytics_app.command("rebuild")
def rebuild_command(as_json: Json = False) -> None:
    """Rebuild the lines of every list (e.g. after loading exchange rates)."""
    with handled(as_json):
        _report(rebuild(platform()), as_json)


@analytics_app.command("rates")
def rates_command(
    load: Annotated[
        Path | None, typer.Option("--load", help="CSV: currency,valid_from,cny_per_unit,source (UTF-8).")
    ] = None,
    as_json: Json = False,
) -> None:
    """List the exchange rates used for statistics, or load a file of them (then rebuild)."""
    with handled(as_json):
        p = platform()
        result: dict[str, Any] = {"ok": True}
        if load is not None:
            rates = parse_rates_csv(load.read_text(encoding="utf-8"))
            with p.uow() as uow:
                added, changed = uow.stats.load_rates(rates, uow.clock.now())
                uow.commit()
            result |= {"added": added, "changed": changed}
            if added or changed:
                rebuilt = rebuild(p)
                result["rebuilt_lists"] = rebuilt.lists
        with p.uow(read_only=True) as uow:
            known = sorted(uow.stats.rates(), key=lambda r: (r.currency, r.valid_from))
        result["rates"] = [
            {
                "currency": r.currency,
                "valid_from": r.valid_from,
                "cny_per_unit": str(r.cny_per_unit),
                "source": r.source,
            }
            for r in known
        ]
        if as_json:
            emit_json(result)
        else:
            for rate in result["rates"]:
                typer.echo(f"{rate['currency']} from {rate['valid_from']}: {rate['cny_per_unit']}  ({rate['source']})")


@analytics_app.command("export")
def export_command(
    out: Annotated[Path, typer.Option("--out", help="Parquet file to write (all fact lines).")],
    as_json: Json = False,
) -> None:
    """Write the whole fact table as Parquet (for Spark or a BI tool; docs/stats.md)."""
    with handled(as_json):
        p = platform()
        refresh(p)
        p.analytics.export_parquet(out)
        lines = p.analytics.line_count()
        if as_json:
            emit_json({"ok": True, "path": str(out), "lines": lines})
        else:
            typer.echo(f"{lines} lines written to {out}")
