"""The monthly summary (汇总申报, GACC 2018 No.194, DOMAIN §3): grouping, the simulated CEB792
result and its reconciliation. The expected declarations are written out by hand."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from cbec.export.model import A_FLAG, B_FLAG, CNY, ExportList, ListItem
from cbec.export.summary import DraftDeclaration, DraftItem, SummaryKeys, draft_declarations, load_keys
from cbec.export.summary_result import Coverage, ResultRecord, apply_mapping, map_result, simulated_result

D = Decimal
USD, GBP = "502", "303"  # customs currency codes
US, UK, JP = "502", "303", "116"  # customs country codes
PCS, KG, EACH = "011", "035", "007"  # 件, 千克, 个
TSHIRT, BAG, TOY = "6109100021", "4202210090", "9503008900"
S1, S2 = "3301960001", "3301960002"  # shippers (收发货人)
O1, O2 = "3301960101", "3301960102"  # producers / sellers (生产销售单位)
KEYS = load_keys()


def invt(n: int) -> str:
    return f"29232024E{n:09d}"


def item(
    gnum: int, gcode: str, qty: str, total: str, *, unit: str = PCS, currency: str = USD, country: str = US
) -> ListItem:
    price = (D(total) / D(qty)).quantize(D("0.0001"), ROUND_HALF_UP)
    return ListItem(gnum, gcode, f"goods {gcode}", unit, D(qty), price, D(total), currency, country)


def export_list(
    n: int,
    items: tuple[ListItem, ...],
    *,
    flag: str = B_FLAG,
    status: str = "800",
    released: date | None = date(2024, 3, 5),
    ebc: str = S1,
    owner: str = O1,
    traf: str = "5",
    country: str = US,
    port: str = "2923",
    trade_mode: str = "9610",
    sum_no: str | None = None,
) -> ExportList:
    return ExportList(
        document_id=n, agent_code="3301980001", cop_no=f"COP{n}", invt_no=invt(n), enterprise_id=n,
        city_code="330100", district_code="330109", order_no=f"ORD{n}", logistics_code="3301970001",
        logistics_no=f"LN{n}", ebc_code=ebc, ebc_name=f"shipper {ebc}", owner_code=owner,
        trade_mode=trade_mode, statistics_flag=flag, customs_code="2923", port_code=port, traf_mode=traf,
        country=country, currency=USD, ie_date=released, released_on=released, departed_on=released,
        status=status, items=items, sum_no=sum_no,
    )  # fmt: skip


# A month (2024-03) of lists with a known grouping.
L1 = export_list(1, (item(1, TSHIRT, "3", "45.005"), item(2, BAG, "1", "120.50")))
L2 = export_list(
    2,
    (
        item(1, TSHIRT, "2", "30.10"),  # joins L1 item 1
        item(2, TSHIRT, "1", "9.99", currency=CNY),  # another currency: another line
        item(3, TSHIRT, "0.5", "12.00", unit=KG),  # another unit: another line
    ),
    status="899",
    released=date(2024, 3, 20),
)
L3 = export_list(
    3,
    (item(1, BAG, "2", "200.00", country=UK), item(2, BAG, "1", "99.50")),  # final destination UK: another line
    released=date(2024, 3, 31),
)
L4 = export_list(4, (item(1, TSHIRT, "4", "50.00", currency=GBP, country=UK),), country=UK, released=date(2024, 3, 10))
L5 = export_list(
    5,
    (
        item(1, TOY, "10", "88.88", unit=EACH, currency=CNY, country=JP),
        item(2, TOY, "5", "44.44", unit=EACH, currency=CNY, country=JP),  # same line as item 1
    ),
    ebc=S2, owner=O2, traf="4", country=JP, port="2924", status="899", released=date(2024, 3, 15),
)  # fmt: skip
L6 = export_list(6, (item(1, TSHIRT, "1", "15.00"),), flag=A_FLAG, released=date(2024, 3, 12))  # 汇总统计
L7 = export_list(7, (item(1, TSHIRT, "1", "15.00"),), released=date(2024, 2, 28))  # released in February
L8 = export_list(8, (item(1, TSHIRT, "1", "15.00"),), status="899", released=date(2024, 3, 8), sum_no="SUM0001")
L9 = export_list(9, (item(1, TSHIRT, "1", "15.00"),), status="399", released=None)  # 审结, not yet released
L10 = export_list(10, (item(1, TSHIRT, "1", "15.00"),), owner=O2, released=date(2024, 3, 25))
MONTH = (L1, L2, L3, L4, L5, L6, L7, L8, L9, L10)
APPLIED = (L1, L2, L3, L4, L5, L10)


def header(ebc: str, traf: str, owner: str, country: str, port: str) -> dict[str, str]:
    return {"ebc_code": ebc, "traf_mode": traf, "owner_code": owner, "country": country, "port_code": port}


def keys(country: str, gcode: str, currency: str) -> dict[str, str]:
    return {"country": country, "gcode": gcode, "currency": currency}


EXPECTED = (
    DraftDeclaration(
        seq=1, header=header(S1, "5", O1, UK, "2923"), trade_mode="9610", invt_nos=(invt(4),),
        items=(DraftItem(1, keys(UK, TSHIRT, GBP), PCS, D("4"), D("50.00"), ((invt(4), 1),)),),
    ),
    DraftDeclaration(
        seq=2, header=header(S1, "5", O1, US, "2923"), trade_mode="9610", invt_nos=(invt(1), invt(2), invt(3)),
        items=(
            DraftItem(1, keys(UK, BAG, USD), PCS, D("2"), D("200.00"), ((invt(3), 1),)),
            DraftItem(2, keys(US, BAG, USD), PCS, D("2"), D("220.00"), ((invt(1), 2), (invt(3), 2))),
            DraftItem(3, keys(US, TSHIRT, CNY), PCS, D("1"), D("9.99"), ((invt(2), 2),)),
            DraftItem(4, keys(US, TSHIRT, USD), PCS, D("5"), D("75.105"), ((invt(1), 1), (invt(2), 1))),
            DraftItem(5, keys(US, TSHIRT, USD), KG, D("0.5"), D("12.00"), ((invt(2), 3),)),
        ),
    ),
    DraftDeclaration(
        seq=3, header=header(S1, "5", O2, US, "2923"), trade_mode="9610", invt_nos=(invt(10),),
        items=(DraftItem(1, keys(US, TSHIRT, USD), PCS, D("1"), D("15.00"), ((invt(10), 1),)),),
    ),
    DraftDeclaration(
        seq=4, header=header(S2, "4", O2, JP, "2924"), trade_mode="9610", invt_nos=(invt(5),),
        items=(DraftItem(1, keys(JP, TOY, CNY), EACH, D("15"), D("133.32"), ((invt(5), 1), (invt(5), 2))),),
    ),
)  # fmt: skip


def serial(decl_seq_no: str) -> int:
    return 100 + int(decl_seq_no)


def entry(seq: int) -> str:
    return f"292320240{100 + seq:09d}"


# --- keys ------------------------------------------------------------------------------------


def test_packaged_keys_follow_gacc_194_and_flag_the_currency() -> None:
    assert KEYS.header_names == ("ebc_code", "traf_mode", "owner_code", "country", "port_code")
    assert KEYS.item_names == ("country", "gcode", "currency")
    assert KEYS.unconfirmed == ("item.currency",)
    currency = KEYS.item[2]
    assert (currency.confirmed, bool(currency.note.strip())) == (False, True)
    assert all("194" in key.source for key in KEYS.header + KEYS.item)


def write_keys(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "keys.toml"
    path.write_text(body, encoding="utf-8")
    return path


GCODE_KEY = '[[item]]\nattribute = "gcode"\nsource = "s"\nconfirmed = true\n'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[[header]]\nattribute = "shipper"\nsource = "s"\nconfirmed = true\n' + GCODE_KEY,
            "summary header key 'shipper' is not a text attribute of ExportList",
        ),
        ('[[item]]\nattribute = "qty"\nsource = "s"\nconfirmed = true\n' + GCODE_KEY, "'qty' is not a text attribute"),
        ('[[item]]\nattribute = "country"\nsource = "s"\nconfirmed = true\n', "item keys must include 'gcode'"),
        ('[[item]]\nattribute = "gcode"\nsource = ""\nconfirmed = true\n', "every key needs a 'source'"),
        ('[[item]]\nattribute = "gcode"\nsource = "s"\nconfirmed = false\n', "an unconfirmed key needs a 'note'"),
        (GCODE_KEY + 'sourse = "typo"\n', "unknown field(s) ['sourse']"),
        (GCODE_KEY + GCODE_KEY, "summary item keys repeat an attribute: ['gcode', 'gcode']"),
        (GCODE_KEY + "[[extra]]\n", "unknown section(s) ['extra']"),
        ("[[item]\n", "not valid TOML"),
    ],
)
def test_bad_keys_are_refused_naming_the_file(tmp_path: Path, body: str, message: str) -> None:
    path = write_keys(tmp_path, body)
    with pytest.raises(ValueError, match=r"keys\.toml") as caught:
        load_keys(path)
    assert message in str(caught.value)


# --- the draft -------------------------------------------------------------------------------


def test_a_month_summarises_into_exactly_the_expected_declarations() -> None:
    draft = draft_declarations(MONTH, KEYS, month="2024-03")
    assert draft.declarations == EXPECTED
    assert draft.skipped_a == 1
    assert draft.skipped == {"already_summarised": 1, "not_released": 1, "other_month": 1}
    assert draft.invt_nos == tuple(sorted(invt(n) for n in (1, 2, 3, 4, 5, 10)))


def test_the_input_order_does_not_matter() -> None:
    assert draft_declarations(reversed(MONTH), KEYS, month="2024-03") == draft_declarations(
        MONTH, KEYS, month="2024-03"
    )


def test_without_a_month_every_released_unsummarised_b_list_counts() -> None:
    draft = draft_declarations(MONTH, KEYS)
    assert draft.declarations[1].invt_nos == (invt(1), invt(2), invt(3), invt(7))
    assert draft.skipped == {"already_summarised": 1, "not_released": 1}


def test_a_released_list_without_a_release_date_is_not_placed_in_a_month() -> None:
    undated = replace(L1, released_on=None)
    assert draft_declarations([undated], KEYS, month="2024-03").skipped == {"no_release_date": 1}


def test_lists_of_different_supervision_codes_never_share_a_declaration() -> None:
    b2b = replace(L10, document_id=11, invt_no=invt(11), trade_mode="9710")
    draft = draft_declarations([L10, b2b], KEYS)
    assert [(d.seq, d.trade_mode, d.invt_nos) for d in draft.declarations] == [
        (1, "9610", (invt(10),)),
        (2, "9710", (invt(11),)),
    ]


def test_without_the_currency_key_a_mixed_currency_line_is_refused(tmp_path: Path) -> None:
    no_currency = SummaryKeys(KEYS.header, KEYS.item[:2])
    same_currency = draft_declarations([L1, L3], no_currency)
    assert [(i.keys, i.value) for i in same_currency.declarations[0].items][1] == (
        {"country": US, "gcode": BAG},
        D("220.00"),
    )
    with pytest.raises(
        ValueError, match=r"item group \{'country': '502', 'gcode': '6109100021'\} mixes currencies \['142', '502'\]"
    ):
        draft_declarations([L2], no_currency)


def test_a_list_given_twice_is_refused() -> None:
    with pytest.raises(ValueError, match=f"list {invt(1)} is given twice"):
        draft_declarations([L1, L1], KEYS)


def test_a_repeated_gnum_is_refused() -> None:
    broken = replace(L1, items=(L1.items[0], L1.items[0]))
    with pytest.raises(ValueError, match="repeats a gnum"):
        draft_declarations([broken], KEYS)


def test_as_dict_is_json_with_exact_decimal_strings() -> None:
    data = draft_declarations(MONTH, KEYS, month="2024-03").as_dict()
    json.dumps(data, ensure_ascii=False)  # must not raise
    declarations = data["declarations"]
    assert isinstance(declarations, list)
    assert declarations[1]["items"][3] == {
        "entry_gnum": 4,
        "keys": {"country": US, "gcode": TSHIRT, "currency": USD},
        "unit": PCS,
        "qty": "5",
        "value": "75.105",
        "sources": [[invt(1), 1], [invt(2), 1]],
    }
    assert data["month"] == "2024-03"
    assert (data["skipped_a"], data["skipped"]) == (1, {"already_summarised": 1, "not_released": 1, "other_month": 1})
    assert data["keys"]["item"][2]["confirmed"] is False  # type: ignore[index]


# --- the CEB792 result -----------------------------------------------------------------------

EXPECTED_RECORDS = (
    ResultRecord("1", entry(1), 1, invt(4), 1, TSHIRT),
    ResultRecord("2", entry(2), 1, invt(3), 1, BAG),
    ResultRecord("2", entry(2), 2, invt(1), 2, BAG),
    ResultRecord("2", entry(2), 2, invt(3), 2, BAG),
    ResultRecord("2", entry(2), 3, invt(2), 2, TSHIRT),
    ResultRecord("2", entry(2), 4, invt(1), 1, TSHIRT),
    ResultRecord("2", entry(2), 4, invt(2), 1, TSHIRT),
    ResultRecord("2", entry(2), 5, invt(2), 3, TSHIRT),
    ResultRecord("3", entry(3), 1, invt(10), 1, TSHIRT),
    ResultRecord("4", entry(4), 1, invt(5), 1, TOY),
    ResultRecord("4", entry(4), 1, invt(5), 2, TOY),
)


@pytest.fixture
def records() -> tuple[ResultRecord, ...]:
    draft = draft_declarations(MONTH, KEYS, month="2024-03")
    return simulated_result(draft, customs_code="2923", year=2024, serial_of=serial)


def test_simulated_result_has_one_record_per_declaration_and_list_item(records: tuple[ResultRecord, ...]) -> None:
    assert records == EXPECTED_RECORDS
    assert entry(2) == "292320240000000102"  # 关区 2923 + 2024 + "0" (export) + 9-digit serial
    assert records[0].as_dict() == {
        "declSeqNo": "1", "entryId": "292320240000000101", "entryGnum": 1,
        "invtNo": invt(4), "gnum": 1, "gcode": TSHIRT,
    }  # fmt: skip


def test_simulated_result_refuses_colliding_serials_and_bad_codes() -> None:
    draft = draft_declarations(MONTH, KEYS, month="2024-03")
    with pytest.raises(ValueError, match="serial_of gave declarations 1 and 2 the same entryId"):
        simulated_result(draft, customs_code="2923", year=2024, serial_of=lambda _: 7)
    with pytest.raises(ValueError, match="customs_code '292' must be 4 digits"):
        simulated_result(draft, customs_code="292", year=2024, serial_of=serial)
    with pytest.raises(ValueError, match="does not fit 9 digits"):
        simulated_result(draft, customs_code="2923", year=2024, serial_of=lambda s: 10**9)


def test_the_result_maps_back_to_every_list_item(records: tuple[ResultRecord, ...]) -> None:
    mapping = map_result(APPLIED, records)
    assert mapping.ok
    assert len(mapping.covered) == 11
    assert (mapping.uncovered, mapping.unknown, mapping.duplicated, mapping.gcode_mismatch) == ((), (), (), ())
    assert mapping.covered[:3] == (
        Coverage(invt(1), 1, entry(2), "2", 4),
        Coverage(invt(1), 2, entry(2), "2", 2),
        Coverage(invt(2), 1, entry(2), "2", 4),
    )
    updated = {export.invt_no: export for export in apply_mapping(APPLIED, mapping)}
    third = updated[invt(2)].items[2]
    assert (third.entry_id, third.decl_seq_no, third.entry_gnum) == (entry(2), "2", 5)
    assert all(i.entry_id is not None for export in updated.values() for i in export.items)


def test_broken_result_sets_yield_exactly_their_problems(records: tuple[ResultRecord, ...]) -> None:
    kept = [r for r in records if (r.invt_no, r.gnum) != (invt(5), 2)]  # one missing
    kept.append(records[5])  # L1 item 1 named twice
    wrong = replace(records[0], gcode="6109100099")  # L4 item 1 under another HS code
    kept[0] = wrong
    stranger = ResultRecord("4", entry(4), 1, invt(99), 1, TOY)  # a list nobody applied
    kept.append(stranger)
    mapping = map_result(APPLIED, kept)
    assert not mapping.ok
    assert mapping.uncovered == ((invt(5), 2),)
    assert mapping.duplicated == ((invt(1), 1),)
    assert mapping.gcode_mismatch == (wrong,)
    assert mapping.unknown == (stranger,)
    assert len(mapping.covered) == 10
    assert mapping.as_dict()["uncovered"] == [[invt(5), 2]]


def test_a_record_naming_an_unknown_item_of_a_known_list_is_unknown(records: tuple[ResultRecord, ...]) -> None:
    extra = replace(records[0], gnum=9)
    mapping = map_result(APPLIED, (*records, extra))
    assert (mapping.ok, mapping.unknown) == (False, (extra,))


def test_map_result_needs_numbered_lists() -> None:
    with pytest.raises(ValueError, match="list COP1 has no invt_no"):
        map_result([replace(L1, invt_no=None)], ())
