"""The export (出口) message specs of the customs unified CBEC standard, in schema order.

Sources: DOMAIN §1 (field lists of CEB303, CEB403, CEB505, CEB603, CEB701, CEB792), the CEB603
sample of the mock customs back end ``fucl123/crs`` (``shared/conformance``: it fixes the order of
the InventoryHead and InventoryList elements, including ``iacCode``, ``totalPackageNo``, ``POD``,
``fCurrency``/``fFlag`` and the ``qty, qty1, qty2, unit, unit1, unit2`` sequence), and the bean
names of ``zhengjin-me/common-customs-beans`` for the unit and head element names. The arrival,
departure, master-waybill and summary messages are known here only by their purpose and key
fields: their sequences below are the platform's best reading, lenient (optional where not
confirmed) and flagged ``# unconfirmed``. An element a real client sends that is missing here
is reported as ``schema.unknown_field`` with its path, so a gap shows at once.

Business keys:

- CEB303 order: ``(ebpCode, orderNo)`` as on the import side.
- CEB403 receipt of payment 收款单: ``(payCode, payNo)`` — the collecting company's own number.
- CEB505 waybill: ``(logisticsCode, logisticsNo)``.
- CEB507 arrival 运抵单: ``(operatorCode, copNo)``; CEB509 departure 离境单: ``(logisticsCode, copNo)``.
- CEB603 list, CEB605 cancellation, CEB607 master waybill, CEB701 summary application:
  ``(agentCode, copNo)`` — the declaring agent's own number, echoed by the receipts.
- CEB792 summary result: the application's ``(agentCode, copNo)``.

Platform extension: ``warehouseFilingNo`` (last in InventoryHead) names the filed overseas
warehouse (海外仓备案) of a 9810 list. The customs standard has no such element; clients that
send to customs directly leave it out, and the platform then asks for it (rule
``rule.warehouse_required``). See docs/exchange.md.
"""

from __future__ import annotations

from cbec.exchange.spec import FieldSpec, ListSpec, MessageSpec, register
from cbec.exchange.spec import code_field as _c
from cbec.exchange.spec import decimal_field as _d
from cbec.exchange.spec import declared_fields as _declared
from cbec.exchange.spec import returned_fields as _returned
from cbec.exchange.spec import text_field as _t
from cbec.exchange.spec import typed_field as _k

__all__ = ["EXPORT_DECLARATIONS", "EXPORT_RECEIPTS", "EXPORT_TRADE_MODES", "STATISTICS_FLAGS"]

EXPORT_FLAG = frozenset({"E"})
#: Supervision codes of cross-border e-commerce exports (DOMAIN §2).
EXPORT_TRADE_MODES = frozenset({"9610", "9710", "9810", "1210"})
#: A 简化申报 / 汇总统计 (never summarised), B 汇总申报 (DOMAIN §1, §3).
STATISTICS_FLAGS = frozenset({"A", "B"})


def _gnum() -> FieldSpec:
    return FieldSpec("gnum", "int", 4, True)


def _int(name: str, max_len: int = 9, required: bool = False) -> FieldSpec:
    return FieldSpec(name, "int", max_len, required)


def _ebp_ebc() -> tuple[FieldSpec, ...]:
    return (_c("ebpCode", 18, True), _t("ebpName", 100, True), _c("ebcCode", 18, True), _t("ebcName", 100, True))


ORDER = MessageSpec(
    type="CEB303",
    title="出口订单",
    unit="Order",
    head="OrderHead",
    head_fields=(
        *_declared(),
        _c("orderType", 1, True, EXPORT_FLAG),
        _c("orderNo", 60, True),
        *_ebp_ebc(),
        _d("goodsValue", True),  # FOB
        _d("freight", True),
        _c("currency", 3, True),
        _t("note", 1000),
    ),
    lists=(
        ListSpec(
            "OrderList",
            (
                _gnum(),
                _c("itemNo", 30),
                _t("itemName", 250, True),
                _t("itemDescribe", 1000),
                _c("barCode", 50),
                _c("unit", 3, True),
                _c("currency", 3, True),
                _d("qty", True),
                _d("price", True),
                _d("totalPrice", True),
                _t("note", 1000),
            ),
            min_items=1,
        ),
    ),
    business_key=("ebpCode", "orderNo"),
    # The exporter (ebc) owns the order: its statistics, its tax-free register.
    sender_fields=("ebcCode", "ebpCode"),
    kind="declaration",
)

RECEIPTS = MessageSpec(
    type="CEB403",
    title="收款单",
    unit="Receipts",
    head=None,  # unconfirmed: fields directly under <Receipts>
    head_fields=(
        *_declared(),
        *_ebp_ebc(),
        _c("orderNo", 60, True),
        _c("payCode", 18, True),
        _t("payName", 100, True),
        _c("payNo", 60, True),
        _d("charge", True),
        _c("currency", 3, True),
        _k("accountingDate", "datetime14", True, 14),  # unconfirmed: format
        _t("note", 1000),
    ),
    lists=(),
    business_key=("payCode", "payNo"),
    sender_fields=("ebcCode", "payCode"),
    kind="declaration",
)

LOGISTICS = MessageSpec(
    type="CEB505",
    title="出口运单",
    unit="Logistics",
    head="LogisticsHead",
    head_fields=(
        *_declared(),
        _c("logisticsCode", 18, True),
        _t("logisticsName", 100, True),
        _c("logisticsNo", 60, True),
        _d("freight"),
        _d("insuredFee"),
        _c("currency", 3, True),
        _d("grossWeight", True),
        _int("packNo"),
        _t("goodsInfo", 200),
        _t("note", 1000),
    ),
    lists=(),
    business_key=("logisticsCode", "logisticsNo"),
    sender_fields=("logisticsCode",),
    kind="declaration",
)


def _parcel_list(name: str, *extra: FieldSpec) -> ListSpec:
    # Arrival, departure and master waybills list the parcels (waybill numbers) they cover.
    return ListSpec(
        name,
        (_gnum(), _int("totalPackageNo"), _c("logisticsNo", 60, True), *extra, _t("note", 1000)),
        min_items=1,
    )


ARRIVAL = MessageSpec(
    type="CEB507",
    title="出口运抵单",
    unit="Arrival",
    head="ArrivalHead",
    head_fields=(  # unconfirmed: sequence
        *_declared(),
        _c("customsCode", 4, True),
        _c("copNo", 20, True),
        _c("preNo", 18),
        _c("operatorCode", 18, True),
        _t("operatorName", 100, True),
        _c("loctNo", 10),
        _c("billNo", 37),
        _c("domesticTrafNo", 100),
        _c("logisticsCode", 18, True),
        _t("logisticsName", 100, True),
        _int("msgCount"),
        _int("msgSeqNo"),
        _t("note", 1000),
    ),
    lists=(_parcel_list("ArrivalList"),),
    business_key=("operatorCode", "copNo"),
    sender_fields=("operatorCode",),
    kind="declaration",
)

DEPARTURE = MessageSpec(
    type="CEB509",
    title="出口离境单",
    unit="Departure",
    head="DepartureHead",
    head_fields=(  # unconfirmed: sequence
        *_declared(),
        _c("customsCode", 4, True),
        _c("copNo", 20, True),
        _c("preNo", 18),
        _c("logisticsCode", 18, True),
        _t("logisticsName", 100, True),
        _c("trafMode", 1, True),
        _t("trafName", 100),
        _c("voyageNo", 32),
        _c("billNo", 37),
        _k("leaveTime", "datetime14", True, 14),
        _int("msgCount"),
        _int("msgSeqNo"),
        _t("note", 1000),
    ),
    lists=(_parcel_list("DepartureList"),),
    business_key=("logisticsCode", "copNo"),
    sender_fields=("logisticsCode",),
    kind="declaration",
)

INVENTORY = MessageSpec(
    type="CEB603",
    title="出口清单",
    unit="Inventory",
    head="InventoryHead",
    head_fields=(
        *_declared(),
        _c("customsCode", 4, True),
        _c("ebpCode", 18, True),
        _t("ebpName", 100, True),
        _c("orderNo", 60, True),
        _c("logisticsCode", 18, True),
        _t("logisticsName", 100, True),
        _c("logisticsNo", 60, True),
        _c("copNo", 20, True),
        _c("preNo", 18),
        _c("invtNo", 18),
        _c("ieFlag", 1, True, EXPORT_FLAG),
        _c("portCode", 4, True),
        _k("ieDate", "date8", True, 8),
        _c("statisticsFlag", 1, True, STATISTICS_FLAGS),
        _c("agentCode", 18, True),
        _t("agentName", 100, True),
        _c("ebcCode", 18, True),
        _t("ebcName", 100, True),
        _c("ownerCode", 18, True),
        _t("ownerName", 100, True),
        _c("iacCode", 18),
        _t("iacName", 100),
        _c("emsNo", 30),
        _c("tradeMode", 4, True, EXPORT_TRADE_MODES),
        _c("trafMode", 1, True),
        _t("trafName", 100),
        _c("voyageNo", 32),
        _c("billNo", 37),
        _c("totalPackageNo", 37),
        _c("loctNo", 10),
        _c("licenseNo", 19),
        _c("country", 3, True),
        _c("POD", 6, True),  # unconfirmed: length
        _d("freight", True),
        _c("fCurrency", 3, True),
        _c("fFlag", 1, True),
        _d("insuredFee", True),
        _c("iCurrency", 3, True),
        _c("iFlag", 1, True),
        _c("wrapType", 1),
        _int("packNo", 9, True),
        _d("grossWeight", True),
        _d("netWeight", True),
        _t("note", 1000),
        _c("warehouseFilingNo", 40),  # platform extension: the 9810 list's filed overseas warehouse
    ),
    lists=(
        ListSpec(
            "InventoryList",
            (
                _gnum(),
                _c("itemNo", 30),
                _c("itemRecordNo", 30),
                _t("itemName", 250),
                _c("gcode", 10, True),
                _t("gname", 250, True),
                _t("gmodel", 250, True),
                _c("barCode", 50),
                _c("country", 3, True),
                _c("currency", 3, True),
                _d("qty", True),
                _d("qty1", True),
                _d("qty2"),
                _c("unit", 3, True),
                _c("unit1", 3, True),
                _c("unit2", 3),
                _d("price", True),
                _d("totalPrice", True),
                _t("note", 1000),
            ),
            min_items=1,
        ),
    ),
    business_key=("agentCode", "copNo"),
    sender_fields=("agentCode",),
    kind="declaration",
)

INVT_CANCEL = MessageSpec(
    type="CEB605",
    title="出口撤销申请单",
    unit="InvtCancel",
    head=None,
    head_fields=(  # unconfirmed: sequence
        *_declared(),
        _c("customsCode", 4, True),
        _c("copNo", 20, True),
        _c("preNo", 18),
        _c("invtNo", 18, True),
        _c("agentCode", 18, True),
        _t("agentName", 100, True),
        _c("ebcCode", 18, True),
        _t("ebcName", 100, True),
        _t("reason", 1000, True),
        _t("note", 1000),
    ),
    lists=(),
    business_key=("agentCode", "copNo"),
    sender_fields=("agentCode",),
    kind="declaration",
)

WAYBILL = MessageSpec(
    type="CEB607",
    title="出口总分单",
    unit="WayBill",
    head="WayBillHead",
    head_fields=(  # unconfirmed: sequence
        *_declared(),
        _c("customsCode", 4, True),
        _c("copNo", 20, True),
        _c("preNo", 18),
        _c("wayBillNo", 37, True),
        _c("agentCode", 18, True),
        _t("agentName", 100, True),
        _c("loctNo", 10),
        _c("trafMode", 1, True),
        _t("trafName", 100),
        _c("voyageNo", 32),
        _c("billNo", 37),
        _c("domesticTrafNo", 100),
        _d("grossWeight", True),
        _c("logisticsCode", 18, True),
        _t("logisticsName", 100, True),
        _int("msgCount"),
        _int("msgSeqNo"),
        _t("note", 1000),
    ),
    lists=(_parcel_list("WayBillList", _c("invtNo", 18)),),
    business_key=("agentCode", "copNo"),
    sender_fields=("agentCode",),
    kind="declaration",
)

SUMMARY_APPLY = MessageSpec(
    type="CEB701",
    title="汇总申请单",
    unit="SummaryApply",
    head="SummaryApplyHead",
    head_fields=(  # unconfirmed: sequence; summaryFlag / itemNameFlag code sets unknown (DOMAIN §1)
        *_declared(),
        _c("customsCode", 4, True),
        _c("copNo", 20, True),
        _c("preNo", 18),
        _c("sumNo", 40),
        _c("agentCode", 18, True),
        _t("agentName", 100, True),
        _c("ebcCode", 18, True),
        _t("ebcName", 100, True),
        _c("declAgentCode", 18, True),
        _t("declAgentName", 100, True),
        _k("startTime", "date8", True, 8),  # unconfirmed: format
        _k("endTime", "date8", True, 8),
        _c("loctNo", 10),
        _c("summaryFlag", 1),
        _c("itemNameFlag", 1),
        _int("msgCount"),
        _int("msgSeqNo"),
        _t("note", 1000),
    ),
    lists=(ListSpec("SummaryApplyList", (_gnum(), _c("invtNo", 18, True)), min_items=1),),
    business_key=("agentCode", "copNo"),
    sender_fields=("agentCode",),
    kind="declaration",
)

SUMMARY_RESULT = MessageSpec(
    type="CEB792",
    title="汇总结果单",
    unit="SummaryResult",
    head="SummaryResultHead",
    head_fields=(  # unconfirmed: sequence (DOMAIN §1 names only its content)
        _c("guid", 36, True),
        _c("customsCode", 4),
        _c("agentCode", 18, True),
        _c("copNo", 20, True),
        _c("sumNo", 40, True),
        _c("ebcCode", 18),
        _k("returnTime", "datetime17", True),
        _t("note", 1000),
    ),
    lists=(
        ListSpec(
            "SummaryResultList",
            (
                _c("declSeqNo", 18, True),
                _c("entryId", 18, True),
                _int("entryGnum", 4, True),
                _c("invtNo", 18, True),
                _int("gnum", 4, True),
                _c("gcode", 10, True),
            ),
            min_items=1,
        ),
    ),
    business_key=("agentCode", "copNo"),
    sender_fields=(),
    kind="receipt",
)

EXPORT_DECLARATIONS = (ORDER, RECEIPTS, LOGISTICS, ARRIVAL, DEPARTURE, INVENTORY, INVT_CANCEL, WAYBILL, SUMMARY_APPLY)


def _receipt(type_: str, title: str, unit: str, keys: tuple[FieldSpec, ...], key: tuple[str, ...]) -> MessageSpec:
    return MessageSpec(
        type=type_,
        title=title,
        unit=unit,
        head=None,
        head_fields=_returned(*keys),
        lists=(),
        business_key=key,
        sender_fields=(),
        kind="receipt",
    )


def _agent_receipt(type_: str, title: str, unit: str, *extra: FieldSpec) -> MessageSpec:
    keys = (_c("customsCode", 4), _c("agentCode", 18, True), _c("ebcCode", 18), _c("copNo", 20, True))
    return _receipt(type_, title, unit, (*keys, _c("preNo", 18), *extra), ("agentCode", "copNo"))


EXPORT_RECEIPTS = (
    _receipt(
        "CEB304",
        "出口订单回执",
        "OrderReturn",
        (_c("ebpCode", 18, True), _c("ebcCode", 18, True), _c("orderNo", 60, True)),
        ("ebpCode", "orderNo"),
    ),
    _receipt(
        "CEB404",
        "收款单回执",
        "ReceiptsReturn",
        (_c("ebpCode", 18), _c("ebcCode", 18), _c("orderNo", 60), _c("payCode", 18, True), _c("payNo", 60, True)),
        ("payCode", "payNo"),
    ),
    _receipt(
        "CEB506",
        "出口运单回执",
        "LogisticsReturn",
        (_c("logisticsCode", 18, True), _c("logisticsNo", 60, True)),
        ("logisticsCode", "logisticsNo"),
    ),
    _receipt(
        "CEB508",
        "出口运抵单回执",
        "ArrivalReturn",
        (_c("customsCode", 4), _c("operatorCode", 18, True), _c("copNo", 20, True), _c("preNo", 18)),
        ("operatorCode", "copNo"),
    ),
    _receipt(
        "CEB510",
        "出口离境单回执",
        "DepartureReturn",
        (_c("customsCode", 4), _c("logisticsCode", 18, True), _c("copNo", 20, True), _c("preNo", 18)),
        ("logisticsCode", "copNo"),
    ),
    _agent_receipt("CEB604", "出口清单回执", "InventoryReturn", _c("invtNo", 18)),
    _agent_receipt("CEB606", "出口撤销申请单回执", "InvtCancelReturn", _c("invtNo", 18)),
    _agent_receipt("CEB608", "出口总分单回执", "WayBillReturn"),
    _agent_receipt("CEB702", "汇总申请单回执", "SummaryApplyReturn", _c("sumNo", 40)),
    SUMMARY_RESULT,
)

register(*EXPORT_DECLARATIONS, *EXPORT_RECEIPTS)
