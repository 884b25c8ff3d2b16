"""China's working days (工作日) from the State Council holiday notices, shipped as data.

Monday to Friday are working days and Saturday and Sunday rest days, except where the yearly
notice of the State Council General Office (国务院办公厅关于<year>年部分节假日安排的通知) says
otherwise: a statutory holiday period (放假调休) makes weekdays rest days, and an adjusted working
day (调休上班) makes a weekend day a working day. The notices are facts, not rules we can
compute (lunar dates, ad-hoc changes such as the 2020 Spring Festival extension), so they live in
``data/cn_workdays.csv`` (sources: ``data/WORKDAYS_SOURCES.md``) with one row per exceptional
date::

    date,kind,name,source
    2024-02-18,workday,春节调休上班,国办发明电〔2023〕7号

``kind`` is ``holiday`` (a rest day) or ``workday`` (a working day). A bureau may add a year the
release does not know yet by passing its own CSV of the same shape to ``load_calendar``; rows
read later override earlier rows for the same date. For a year the data does not cover, the
calendar falls back to plain Monday–Friday and ``covers(year)`` says so, so that a caller can
warn instead of silently trusting a guess.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Final

__all__ = ["HOLIDAY", "WORKDAY", "DayRule", "WorkdayCalendar", "load_calendar", "read_rules"]

HOLIDAY: Final = "holiday"
WORKDAY: Final = "workday"
KINDS: Final = frozenset({HOLIDAY, WORKDAY})
COLUMNS: Final = ("date", "kind", "name", "source")
PACKAGED: Final = "cn_workdays.csv"
SATURDAY: Final = 5
ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: No notice has ever produced more than a couple of weeks of rest in a row; a longer walk means
#: the data is broken (e.g. a bureau file marking a whole month as holiday by mistake).
MAX_REST_RUN: Final = 60


@dataclass(frozen=True)
class DayRule:
    """One exceptional date as the data states it, with the file and line it came from."""

    day: date
    kind: str
    name: str
    source: str
    origin: str  # "<file>:<line>", so an odd result can be traced back to its row

    @property
    def is_workday(self) -> bool:
        return self.kind == WORKDAY


class WorkdayCalendar:
    """Answers "is this a working day?" from exceptional dates plus the Monday–Friday default."""

    def __init__(self, rules: Iterable[DayRule] = ()) -> None:
        by_day: dict[date, DayRule] = {}
        for rule in rules:
            by_day[rule.day] = rule  # a later row overrides an earlier one for the same date
        self._rules: Mapping[date, DayRule] = by_day
        # A weekday holiday is what every yearly notice contains (元旦 at least); weekend-only
        # rows, such as the end-of-December days a notice lists for the next New Year, must not
        # make a year look covered when its own notice is missing.
        self._covered = frozenset(d.year for d, r in by_day.items() if r.kind == HOLIDAY and d.weekday() < SATURDAY)

    def rule_for(self, day: date) -> DayRule | None:
        """The data row that decides ``day``, or None when the weekday default applies."""
        return self._rules.get(day)

    def is_workday(self, day: date) -> bool:
        rule = self._rules.get(day)
        if rule is not None:
            return rule.is_workday
        return day.weekday() < SATURDAY

    def next_workday(self, day: date) -> date:
        """``day`` itself when it is a working day, else the first working day after it."""
        current = day
        for _ in range(MAX_REST_RUN):
            if self.is_workday(current):
                return current
            current += timedelta(days=1)
        raise ValueError(f"no working day within {MAX_REST_RUN} days after {day.isoformat()}: check the calendar data")

    def covers(self, year: int) -> bool:
        """True when the data holds that year's holiday arrangement; False means Monday–Friday is a guess."""
        return year in self._covered

    @property
    def covered_years(self) -> tuple[int, ...]:
        return tuple(sorted(self._covered))


def read_rules(lines: Iterable[str], origin: str) -> list[DayRule]:
    """Parse one CSV of exceptional dates; any bad row raises ValueError naming ``origin`` and the line."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None or tuple(cell.strip() for cell in header) != COLUMNS:
        raise ValueError(f"{origin}:1: the header must be {','.join(COLUMNS)}, found {header!r}")
    rules: list[DayRule] = []
    for row in reader:
        where = f"{origin}:{reader.line_num}"
        if not row or all(not cell.strip() for cell in row):
            continue  # a blank line (often the last one) carries no fact
        rules.append(_parse_row(row, where))
    return rules


def _parse_row(row: list[str], where: str) -> DayRule:
    if len(row) != len(COLUMNS):
        raise ValueError(f"{where}: expected {len(COLUMNS)} columns ({','.join(COLUMNS)}), found {len(row)}")
    text, kind, name, source = (cell.strip() for cell in row)
    day = _parse_date(text, where)
    if kind not in KINDS:
        raise ValueError(f"{where}: unknown kind {kind!r} (use {HOLIDAY} or {WORKDAY})")
    if not name or not source:
        # Every fact names the notice it comes from (house rule), so a missing one is an error.
        raise ValueError(f"{where}: name and source are required (source: the notice, e.g. 国办发明电〔2023〕7号)")
    return DayRule(day, kind, name, source, where)


def _parse_date(text: str, where: str) -> date:
    # Only the plain YYYY-MM-DD form: date.fromisoformat alone would also take 20240218 or
    # 2024-W07-7, which nobody types into this file on purpose.
    if ISO_DATE.fullmatch(text) is not None:
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(f"{where}: bad date {text!r} (write YYYY-MM-DD)")


def _read_file(path: Path) -> list[DayRule]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return read_rules(handle, str(path))


def load_calendar(*extra_paths: str | Path) -> WorkdayCalendar:
    """The packaged calendar (2018 onward), then each bureau-supplied CSV in order, later rows winning."""
    packaged = resources.files("cbec.kernel").joinpath("data", PACKAGED)
    text = packaged.read_text(encoding="utf-8")
    rules = read_rules(text.splitlines(), f"cbec/kernel/data/{PACKAGED}")
    for extra in extra_paths:
        rules.extend(_read_file(Path(extra)))
    return WorkdayCalendar(rules)
