"""The monthly summary (汇总申报) of 9610 export lists into export declarations (报关单).

GACC 2018 No.194 (DOMAIN §3): the B-type lists (statisticsFlag B) released in a month are merged
into export declarations by the 15th of the next month, moved to the next working day when the
15th is a rest day. One declaration per distinct header combination (``SummaryKeys.header``:
shipper, transport mode, producer/seller, country of arrival, exit customs); within it, one
declaration item per distinct item combination (``SummaryKeys.item``: final destination country,
10-digit HS code, currency). The keys are data (``data/summary_keys.toml``) because one of them,
the currency, is not confirmed. A-type lists (汇总统计) never become declarations.

Two splits are structural, not configurable:

* a declaration carries one supervision code (监管方式), so lists of different ``trade_mode``
  never share one, whatever the header keys say;
* quantities can only be added within one unit, so ``unit`` is always part of the item grouping.
  Customs adds items up in the legal unit (法定计量单位), which the 10-digit HS code fixes;
  ``ListItem`` only carries the declared unit (成交计量单位), and 3 个 + 2 千克 is no quantity,
  so items of one HS code in different declared units stay separate lines.

Everything here is sorted, so a test can write the expected groups by hand. Nothing is rounded:
quantities and values are the exact sums of what the lists declared. Not modelled: splitting a
declaration whose item count exceeds what one 报关单 may hold (customs' limit, unconfirmed here).
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Final

from cbec.export.model import A_FLAG, B_FLAG, RELEASED_STATUSES, ExportList, ListItem
from cbec.kernel.workdays import WorkdayCalendar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = [
    "DraftDeclaration",
    "DraftItem",
    "SummaryDeadline",
    "SummaryDraft",
    "SummaryKey",
    "SummaryKeys",
    "draft_declarations",
    "load_keys",
    "plain_fields",
    "summary_deadline",
]

DEADLINE_DAY: Final = 15
MONTH: Final = re.compile(r"([0-9]{4})-([0-9]{2})")
#: Only text attributes can be keys: they compare and sort plainly and print as they are filed.
TEXT_TYPES: Final = frozenset({"str", "str | None"})
ENTRY_FIELDS: Final = frozenset({"attribute", "label", "source", "confirmed", "note"})
KeyValues = tuple[str | None, ...]


# --- keys ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryKey:
    attribute: str  # of ExportList (header) or ListItem (item)
    label: str
    source: str
    confirmed: bool
    note: str = ""


def _text_attributes(cls: type) -> frozenset[str]:
    # ``f.type`` is the annotation text under ``from __future__ import annotations`` (model.py),
    # the type itself otherwise; both spellings print the same for ``str | None``.
    return frozenset(f.name for f in fields(cls) if f.type is str or str(f.type) in TEXT_TYPES)


@dataclass(frozen=True)
class SummaryKeys:
    header: tuple[SummaryKey, ...]
    item: tuple[SummaryKey, ...]

    def __post_init__(self) -> None:
        for part, keys, cls in (("header", self.header, ExportList), ("item", self.item, ListItem)):
            allowed = _text_attributes(cls)
            names = [key.attribute for key in keys]
            for name in names:
                if name not in allowed:
                    raise ValueError(
                        f"summary {part} key {name!r} is not a text attribute of {cls.__name__}; "
                        f"use one of {', '.join(sorted(allowed))}"
                    )
            if len(set(names)) != len(names):
                raise ValueError(f"summary {part} keys repeat an attribute: {names}")
        if "gcode" not in self.item_names:
            # A declaration item has exactly one commodity code, and CEB792 names it per item.
            raise ValueError("summary item keys must include 'gcode' (a declaration item has one HS code)")

    @property
    def header_names(self) -> tuple[str, ...]:
        return tuple(key.attribute for key in self.header)

    @property
    def item_names(self) -> tuple[str, ...]:
        return tuple(key.attribute for key in self.item)

    @property
    def unconfirmed(self) -> tuple[str, ...]:
        return tuple(
            f"{part}.{k.attribute}"
            for part, ks in (("header", self.header), ("item", self.item))
            for k in ks
            if not k.confirmed
        )


def _key_entry(entry: object, where: str) -> SummaryKey:
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: expected a table with attribute, source and confirmed")
    unknown = sorted(set(entry) - ENTRY_FIELDS)
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {unknown}; allowed: {sorted(ENTRY_FIELDS)}")
    attribute, source, confirmed = entry.get("attribute"), entry.get("source"), entry.get("confirmed")
    label, note = entry.get("label", ""), entry.get("note", "")
    if not isinstance(attribute, str) or not attribute:
        raise ValueError(f"{where}: 'attribute' must name an attribute")
    if not isinstance(source, str) or not source.strip():
        raise ValueError(f"{where} ({attribute}): every key needs a 'source'")
    if not isinstance(confirmed, bool):
        raise ValueError(f"{where} ({attribute}): 'confirmed' must be true or false")
    if not isinstance(label, str) or not isinstance(note, str):
        raise ValueError(f"{where} ({attribute}): 'label' and 'note' must be text")
    if not confirmed and not note.strip():
        raise ValueError(f"{where} ({attribute}): an unconfirmed key needs a 'note' saying what is unsure")
    return SummaryKey(attribute, label, source, confirmed, note)


def load_keys(path: str | Path | None = None) -> SummaryKeys:
    """The grouping keys from ``path``, or from the packaged ``data/summary_keys.toml``."""
    if path is None:
        origin = "cbec/export/data/summary_keys.toml"
        text = resources.files("cbec.export").joinpath("data", "summary_keys.toml").read_text(encoding="utf-8")
    else:
        origin, text = str(path), Path(path).read_text(encoding="utf-8")
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{origin}: not valid TOML: {error}") from None
    extra = sorted(set(document) - {"header", "item"})
    if extra:
        raise ValueError(f"{origin}: unknown section(s) {extra}; expected [[header]] and [[item]]")
    parts: dict[str, tuple[SummaryKey, ...]] = {}
    for part in ("header", "item"):
        entries = document.get(part, [])
        if not isinstance(entries, list):
            raise ValueError(f"{origin}: '{part}' must be an array of tables ([[{part}]])")
        parts[part] = tuple(_key_entry(entry, f"{origin} [[{part}]] #{n}") for n, entry in enumerate(entries, 1))
    try:
        return SummaryKeys(parts["header"], parts["item"])
    except ValueError as error:
        raise ValueError(f"{origin}: {error}") from None


# --- the draft -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftItem:
    entry_gnum: int  # 1..m within the declaration
    keys: Mapping[str, str | None]
    unit: str
    qty: Decimal
    value: Decimal  # exact sum of the items' declared totals, in keys["currency"] when that is a key
    sources: tuple[tuple[str, int], ...]  # (invt_no, gnum), sorted


@dataclass(frozen=True)
class DraftDeclaration:
    seq: int  # 1..n in the order of the header values
    header: Mapping[str, str | None]
    trade_mode: str
    invt_nos: tuple[str, ...]
    items: tuple[DraftItem, ...]


@dataclass(frozen=True)
class SummaryDraft:
    month: str | None
    keys: SummaryKeys
    declarations: tuple[DraftDeclaration, ...]
    skipped_a: int  # A lists: counted in statistics, never summarised (DOMAIN §3)
    skipped: Mapping[str, int]  # other lists left out, by reason

    @property
    def invt_nos(self) -> tuple[str, ...]:
        """Every list the summary application (CEB701) names."""
        return tuple(sorted(n for declaration in self.declarations for n in declaration.invt_nos))

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly: decimals as exact strings, the keys with their sources, tuples as lists."""
        return plain_fields(self)


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)  # a JSON number would go through float
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if is_dataclass(value) and not isinstance(value, type):
        return plain_fields(value)
    return value


def plain_fields(instance: DataclassInstance) -> dict[str, object]:
    return {f.name: _plain(getattr(instance, f.name)) for f in fields(instance)}


def _parse_month(month: str) -> tuple[int, int]:
    match = MONTH.fullmatch(month)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"month {month!r} must be written YYYY-MM")
    return int(match.group(1)), int(match.group(2))


def _skip_reason(export: ExportList, period: tuple[int, int] | None) -> str | None:
    if export.statistics_flag != B_FLAG:
        return "unknown_flag"
    if export.status not in RELEASED_STATUSES:
        return "not_released"
    if export.sum_no is not None:
        return "already_summarised"
    if export.invt_no is None:
        return "no_invt_no"
    if period is not None:
        released = export.released_on
        if released is None:
            return "no_release_date"
        if (released.year, released.month) != period:
            return "other_month"
    return None


def _sort_key(values: KeyValues) -> tuple[tuple[bool, str], ...]:
    return tuple((value is not None, value or "") for value in values)


def _check_unique(chosen: Sequence[ExportList]) -> None:
    seen: set[str] = set()
    for export in chosen:
        invt_no = str(export.invt_no)
        if invt_no in seen:
            raise ValueError(f"list {invt_no} is given twice; a list is summarised once")
        seen.add(invt_no)
        gnums = [item.gnum for item in export.items]
        if len(set(gnums)) != len(gnums):
            raise ValueError(f"list {invt_no} repeats a gnum; CEB792 could not name its items apart")


def _draft_items(members: Sequence[ExportList], keys: SummaryKeys) -> tuple[DraftItem, ...]:
    names = keys.item_names
    groups: dict[tuple[KeyValues, str], list[tuple[str, ListItem]]] = defaultdict(list)
    for export in members:
        for item in export.items:
            values: KeyValues = tuple(getattr(item, name) for name in names)
            groups[values, item.unit].append((str(export.invt_no), item))
    ordered = sorted(groups.items(), key=lambda group: (_sort_key(group[0][0]), group[0][1]))
    drafted = []
    for entry_gnum, ((values, unit), members_items) in enumerate(ordered, 1):
        currencies = sorted({item.currency for _, item in members_items})
        if len(currencies) > 1:
            # Only reachable when 'currency' is dropped from the keys: refuse rather than add
            # amounts in different currencies into one value.
            raise ValueError(f"item group {dict(zip(names, values, strict=True))} mixes currencies {currencies}")
        drafted.append(
            DraftItem(
                entry_gnum=entry_gnum,
                keys=dict(zip(names, values, strict=True)),
                unit=unit,
                qty=sum((item.qty for _, item in members_items), Decimal(0)),
                value=sum((item.total for _, item in members_items), Decimal(0)),
                sources=tuple(sorted((invt_no, item.gnum) for invt_no, item in members_items)),
            )
        )
    return tuple(drafted)


def draft_declarations(lists: Iterable[ExportList], keys: SummaryKeys, *, month: str | None = None) -> SummaryDraft:
    """Group the summarisable lists into draft declarations; ``month`` ("YYYY-MM") limits by release date."""
    period = None if month is None else _parse_month(month)
    chosen: list[ExportList] = []
    skipped_a = 0
    skipped: dict[str, int] = defaultdict(int)
    for export in lists:
        reason = "a_flag" if export.statistics_flag == A_FLAG else _skip_reason(export, period)
        if reason == "a_flag":
            skipped_a += 1
        elif reason is not None:
            skipped[reason] += 1
        else:
            chosen.append(export)
    _check_unique(chosen)
    groups: dict[KeyValues, list[ExportList]] = defaultdict(list)
    for export in chosen:
        values: KeyValues = tuple(getattr(export, name) for name in keys.header_names)
        groups[(*values, export.trade_mode)].append(export)
    declarations = []
    for seq, (values, members) in enumerate(sorted(groups.items(), key=lambda group: _sort_key(group[0])), 1):
        declarations.append(
            DraftDeclaration(
                seq=seq,
                header=dict(zip(keys.header_names, values[:-1], strict=True)),
                trade_mode=str(values[-1]),
                invt_nos=tuple(sorted(str(export.invt_no) for export in members)),
                items=_draft_items(members, keys),
            )
        )
    return SummaryDraft(month, keys, tuple(declarations), skipped_a, dict(sorted(skipped.items())))


# --- the deadline ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryDeadline:
    month: str  # the month whose lists are summarised
    nominal: date  # the 15th of the next month
    due: date  # moved to the next working day when the 15th is a rest day
    covered: bool  # False: the calendar lacks that year's holiday notice, ``due`` assumes Mon–Fri


def summary_deadline(month: str, calendar: WorkdayCalendar) -> SummaryDeadline:
    """When the summary of ``month``'s lists is due (GACC 2018 No.194, DOMAIN §3)."""
    year, number = _parse_month(month)
    nominal = date(year + number // 12, number % 12 + 1, DEADLINE_DAY)
    due = calendar.next_workday(nominal)
    covered = all(calendar.covers(y) for y in range(nominal.year, due.year + 1))
    return SummaryDeadline(month, nominal, due, covered)
