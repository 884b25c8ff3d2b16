"""Bulk enterprise import: parse + validate, and the full import, against a bare openpyxl read.

Baseline measured in the same run: iterating the same workbook's cells with openpyxl in
read-only mode and doing nothing else. The ratio says what our validation costs on top of
reading the file at all.
"""

from __future__ import annotations

import io
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

from openpyxl import load_workbook

from _common import emit, timed
from cbec.bootstrap import Platform
from cbec.config import Settings
from cbec.demo.generator import demo_enterprises
from cbec.identity.model import SYSTEM
from cbec.kernel.clock import FixedClock
from cbec.registry.districts import load_districts
from cbec.registry.model import EnterpriseInput
from cbec.registry.services import import_enterprises
from cbec.registry.spreadsheet import build_workbook, parse_workbook
from cbec.storage.db import make_engine
from cbec.storage.migrate import upgrade

ROWS = 10_000
TODAY = date(2024, 11, 26)


def _rows() -> list[EnterpriseInput]:
    return [d.as_input() for d in demo_enterprises(ROWS, seed=7)]


def _bare_read(data: bytes) -> int:
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    cells = sum(1 for row in book.worksheets[0].iter_rows(values_only=True) for _ in row)
    book.close()
    return cells


def _full_import(data: bytes, folder: Path, run: list[int]) -> int:
    run[0] += 1
    url = f"sqlite:///{folder}/bench-{run[0]}.sqlite3"
    upgrade(url)
    districts = load_districts()
    clock = FixedClock(datetime(2024, 11, 26, tzinfo=UTC))
    platform = Platform(Settings(database_url=url), make_engine(url), districts, clock)
    sheet = parse_workbook(data, districts, today=TODAY)
    with platform.uow() as uow:
        report = import_enterprises(uow, SYSTEM, sheet, valid_rows_only=False, source="bench.xlsx")
    platform.engine.dispose()
    return report.imported


def main() -> None:
    districts = load_districts()
    data = build_workbook(_rows(), districts)
    bare_s, cells = timed(lambda: _bare_read(data))
    parse_s, sheet = timed(lambda: parse_workbook(data, districts, today=TODAY))
    assert len(sheet.valid) == ROWS, sheet.errors[:3]
    with tempfile.TemporaryDirectory() as tmp:
        run = [0]
        import_s, imported = timed(lambda: _full_import(data, Path(tmp), run), repeat=2)
    assert imported == ROWS
    emit(
        "registry_import",
        {
            "rows": ROWS,
            "workbook_bytes": len(data),
            "baseline_bare_openpyxl_read_s": round(bare_s, 3),
            "parse_and_validate_s": round(parse_s, 3),
            "parse_rows_per_s": round(ROWS / parse_s),
            "parse_vs_bare_read_ratio": round(parse_s / bare_s, 2),
            "full_import_sqlite_s": round(import_s, 3),
            "full_import_rows_per_s": round(ROWS / import_s),
            "cells_read": cells,
        },
    )


if __name__ == "__main__":
    main()
