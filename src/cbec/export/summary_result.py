"""Customs' answer to a summary application (CEB792) and how it maps back to the list items.

``simulated_result`` stands in for customs: one record per (declaration, list item) of a draft.
``map_result`` reconciles real or simulated records with the applied lists problem by problem, and
``apply_mapping`` writes the declaration numbers onto the items. See ``summary`` for the grouping.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from cbec.export.model import ExportList, ListItem
from cbec.export.summary import SummaryDraft, plain_fields

__all__ = ["Coverage", "ResultMapping", "ResultRecord", "apply_mapping", "map_result", "simulated_result"]


# --- the CEB792 result -----------------------------------------------------------------------


@dataclass(frozen=True)
class ResultRecord:
    """One CEB792 row: which declaration item (entryId, entryGnum) covers which list item."""

    decl_seq_no: str
    entry_id: str
    entry_gnum: int
    invt_no: str
    gnum: int
    gcode: str

    def as_dict(self) -> dict[str, object]:
        return {
            "declSeqNo": self.decl_seq_no,
            "entryId": self.entry_id,
            "entryGnum": self.entry_gnum,
            "invtNo": self.invt_no,
            "gnum": self.gnum,
            "gcode": self.gcode,
        }


def _entry_id(customs_code: str, year: int, serial: int) -> str:
    # Customs assigns the real number. We mimic its published shape, 18 digits: 4-digit customs
    # area (关区) + 4-digit year + the I/E digit ("0" export) + a 9-digit serial.
    if re.fullmatch(r"[0-9]{4}", customs_code) is None:
        raise ValueError(f"customs_code {customs_code!r} must be 4 digits")
    if not 1000 <= year <= 9999:
        raise ValueError(f"year {year} must have 4 digits")
    if not 0 <= serial < 10**9:
        raise ValueError(f"serial {serial} does not fit 9 digits")
    return f"{customs_code}{year}0{serial:09d}"


def simulated_result(
    draft: SummaryDraft, *, customs_code: str, year: int, serial_of: Callable[[str], int]
) -> tuple[ResultRecord, ...]:
    """The records customs would return for ``draft``: one per (declaration, list item).

    ``serial_of`` maps a declaration's declSeqNo to its 9-digit serial, standing in for customs'
    own counter, so the result is a pure function of its inputs.
    """
    records: list[ResultRecord] = []
    issued: dict[str, str] = {}
    for declaration in draft.declarations:
        seq_no = str(declaration.seq)
        entry_id = _entry_id(customs_code, year, serial_of(seq_no))
        if entry_id in issued:
            raise ValueError(f"serial_of gave declarations {issued[entry_id]} and {seq_no} the same entryId {entry_id}")
        issued[entry_id] = seq_no
        for item in declaration.items:
            gcode = str(item.keys["gcode"])
            records.extend(
                ResultRecord(seq_no, entry_id, item.entry_gnum, invt_no, gnum, gcode) for invt_no, gnum in item.sources
            )
    return tuple(records)


# --- mapping the result back -----------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    invt_no: str
    gnum: int
    entry_id: str
    decl_seq_no: str
    entry_gnum: int


@dataclass(frozen=True)
class ResultMapping:
    covered: tuple[Coverage, ...]  # the first record naming each known item
    uncovered: tuple[tuple[str, int], ...]  # list items no record names
    unknown: tuple[ResultRecord, ...]  # records naming a list or item not applied
    duplicated: tuple[tuple[str, int], ...]  # list items named by more than one record
    gcode_mismatch: tuple[ResultRecord, ...]  # records whose gcode is not the item's

    @property
    def ok(self) -> bool:
        return not (self.uncovered or self.unknown or self.duplicated or self.gcode_mismatch)

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, **plain_fields(self)}


def map_result(lists: Iterable[ExportList], records: Iterable[ResultRecord]) -> ResultMapping:
    """Reconcile CEB792 records with the lists of the summary application, problem by problem."""
    applied: dict[tuple[str, int], ListItem] = {}
    for export in lists:
        if export.invt_no is None:
            raise ValueError(f"list {export.cop_no} has no invt_no; only lists customs numbered can be applied")
        for item in export.items:
            applied[export.invt_no, item.gnum] = item
    covered: dict[tuple[str, int], Coverage] = {}
    unknown: list[ResultRecord] = []
    duplicated: set[tuple[str, int]] = set()
    mismatch: list[ResultRecord] = []
    for record in records:
        key = (record.invt_no, record.gnum)
        listed = applied.get(key)
        if listed is None:
            unknown.append(record)
            continue
        if listed.gcode != record.gcode:
            mismatch.append(record)
        if key in covered:
            duplicated.add(key)
        else:
            covered[key] = Coverage(record.invt_no, record.gnum, record.entry_id, record.decl_seq_no, record.entry_gnum)
    return ResultMapping(
        covered=tuple(covered[key] for key in sorted(covered)),
        uncovered=tuple(sorted(set(applied) - set(covered))),
        unknown=tuple(unknown),
        duplicated=tuple(sorted(duplicated)),
        gcode_mismatch=tuple(mismatch),
    )


def apply_mapping(lists: Iterable[ExportList], mapping: ResultMapping) -> tuple[ExportList, ...]:
    """The lists with each covered item's entry_id, decl_seq_no and entry_gnum filled in."""
    by_key = {(c.invt_no, c.gnum): c for c in mapping.covered}
    updated = []
    for export in lists:
        items = []
        for item in export.items:
            found = by_key.get((str(export.invt_no), item.gnum))
            if found is not None:
                item = replace(
                    item, entry_id=found.entry_id, decl_seq_no=found.decl_seq_no, entry_gnum=found.entry_gnum
                )
            items.append(item)
        updated.append(replace(export, items=tuple(items)))
    return tuple(updated)
