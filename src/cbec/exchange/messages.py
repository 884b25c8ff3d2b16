"""The import (进口) message specs of the customs unified CBEC standard, in schema order.

Sources for names and ORDER: the JAXB beans of ``zhengjin-me/common-customs-beans`` (``propOrder``
of IOrderHead, IInventoryHead, … and of the base classes: declarations start with
guid/appType/appTime/appStatus, receipts start with guid and end with
returnStatus/returnTime/returnInfo), cross-checked against published sample messages (the
conformance CEB621 and CEB311 samples of ``chinaport-data-signature``, receipts of the mock back
end in the same bean project). Lengths follow the standard's ``C..n``/``N19,5`` notation as far as
it is known; where a length was not confirmed it is lenient rather than tight, and a field whose
obligation was not confirmed is optional. Unconfirmed details are listed in the module's report
(docs) and flagged ``# unconfirmed`` below.

Business keys (identify the document and match its receipt):

- CEB311 order: ``(ebpCode, orderNo)`` — orderNo is unique per platform (标准: 同一交易平台的订单编号应唯一).
- CEB411 payment: ``(payCode, payTransactionId)`` — the payment company's own transaction number.
- CEB511 waybill / CEB513 status: ``(logisticsCode, logisticsNo)`` (+ ``logisticsStatus`` for 513,
  since one waybill reports several statuses).
- CEB621 list, CEB623 cancel, CEB625 refund: ``(agentCode, copNo)`` — copNo is the declaring agent's
  internal number and the receipts CEB622/624/626 echo agentCode + copNo (preNo/invtNo are assigned
  later by the e-port / customs, so they cannot key a first filing).
- CEB711 entry: ``(operatorCode, copNo)``; receipts use the same fields as their declaration.
- CEB816 tax bill: ``(taxNo,)``; CEB900: ``(guid,)``.
"""

from __future__ import annotations

from cbec.exchange.spec import FieldSpec, ListSpec, MessageSpec, register
from cbec.exchange.spec import code_field as _c
from cbec.exchange.spec import decimal_field as _d
from cbec.exchange.spec import declared_fields as _declared
from cbec.exchange.spec import returned_fields as _returned
from cbec.exchange.spec import text_field as _t
from cbec.exchange.spec import typed_field as _k

__all__ = ["IMPORT_DECLARATIONS", "IMPORT_RECEIPTS", "RETURN_STATUSES"]

ID_TYPES = frozenset({"1", "2"})  # 1 身份证 2 其它
CNY = frozenset({"142"})
IMPORT_FLAG = frozenset({"I"})
IMPORT_TRADE_MODES = frozenset({"9610", "1210"})
#: Receipt statuses named in DOMAIN §1; negative numbers (processing errors) are accepted separately.
RETURN_STATUSES = frozenset(
    {"1", "2", "3", "4", "100", "120", "300", "399", "500", "501", "502", "503", "599", "700", "800", "899"}
)


def _buyer() -> tuple[FieldSpec, ...]:
    return (
        _c("buyerIdType", 1, True, ID_TYPES),
        _c("buyerIdNumber", 60, True),
        _t("buyerName", 60, True),
        _c("buyerTelephone", 50, True),
    )


def _parties() -> tuple[FieldSpec, ...]:
    return (
        _c("orderNo", 60, True),
        _c("ebpCode", 18, True),
        _t("ebpName", 100, True),
        _c("ebcCode", 18, True),
        _t("ebcName", 100, True),
        _c("logisticsNo", 60, True),
        _c("logisticsCode", 18, True),
        _t("logisticsName", 100, True),
    )


ORDER = MessageSpec(
    type="CEB311",
    title="进口订单",
    unit="Order",
    head="OrderHead",
    head_fields=(
        *_declared(),
        _c("orderType", 1, True, IMPORT_FLAG),
        _c("orderNo", 60, True),
        _c("ebpCode", 18, True),
        _t("ebpName", 100, True),
        _c("ebcCode", 18, True),
        _t("ebcName", 100, True),
        _d("goodsValue", True),
        _d("freight", True),
        _d("discount", True),
        _d("taxTotal", True),
        _d("acturalPaid", True),
        _c("currency", 3, True, CNY),
        _c("buyerRegNo", 60, True),
        _t("buyerName", 60, True),
        _c("buyerTelephone", 50, True),
        _c("buyerIdType", 1, True, ID_TYPES),
        _c("buyerIdNumber", 60, True),
        _c("payCode", 18),
        _t("payName", 100),
        _c("payTransactionId", 60),
        _t("batchNumbers", 100),
        _t("consignee", 60, True),
        _c("consigneeTelephone", 50, True),
        _t("consigneeAddress", 200, True),
        _c("consigneeDistrict", 6),
        _t("note", 1000),
    ),
    lists=(
        ListSpec(
            "OrderList",
            (
                FieldSpec("gnum", "int", 4, True),
                _c("itemNo", 30),
                _t("itemName", 250, True),
                _t("gmodel", 250, True),
                _t("itemDescribe", 1000),
                _c("barCode", 50),
                _c("unit", 3, True),
                _d("qty", True),
                _d("price", True),
                _d("totalPrice", True),
                _c("currency", 3, True),
                _c("country", 3, True),
                _t("note", 1000),
            ),
            min_items=1,
        ),
    ),
    business_key=("ebpCode", "orderNo"),
    sender_fields=("ebpCode", "ebcCode"),
    kind="declaration",
)

PAYMENT = MessageSpec(
    type="CEB411",
    title="进口支付单",
    unit="Payment",
    head="PaymentHead",
    head_fields=(
        *_declared(),
        _c("payCode", 18, True),
        _t("payName", 100, True),
        _c("payTransactionId", 60, True),
        _c("orderNo", 60, True),
        _c("ebpCode", 18, True),
        _t("ebpName", 100, True),
        _c("payerIdType", 1, True, ID_TYPES),
        _c("payerIdNumber", 60, True),
        _t("payerName", 60, True),
        _c("telephone", 50),
        _d("amountPaid", True),
        _c("currency", 3, True),
        _k("payTime", "datetime14", True, 14),
        _t("note", 1000),
    ),
    lists=(),
    business_key=("payCode", "payTransactionId"),
    sender_fields=("payCode",),
    kind="declaration",
)

LOGISTICS = MessageSpec(
    type="CEB511",
    title="进口运单",
    unit="Logistics",
    head="LogisticsHead",
    head_fields=(
        *_declared(),
        _c("logisticsCode", 18, True),
        _t("logisticsName", 100, True),
        _c("logisticsNo", 60, True),
        _c("billNo", 37),
        _c("orderNo", 60, True),
        _d("freight"),
        _d("insuredFee"),
        _c("currency", 3, True),
        _d("weight", True),
        FieldSpec("packNo", "int", 9, False),
        _t("goodsInfo", 200),
        _t("consignee", 60, True),
        _t("consigneeAddress", 200, True),
        _c("consigneeTelephone", 50, True),
        _t("note", 1000),
    ),
    lists=(),
    business_key=("logisticsCode", "logisticsNo"),
    sender_fields=("logisticsCode",),
    kind="declaration",
)

LOGISTICS_STATUS = MessageSpec(
    type="CEB513",
    title="进口运单状态",
    unit="LogisticsStatus",
    head=None,
    head_fields=(
        *_declared(),
        _c("logisticsCode", 18, True),
        _t("logisticsName", 100, True),
        _c("logisticsNo", 60, True),
        _c("logisticsStatus", 10, True),  # unconfirmed: code set and length
        _k("logisticsTime", "datetime14", True, 14),
        _t("note", 1000),
    ),
    lists=(),
    business_key=("logisticsCode", "logisticsNo", "logisticsStatus"),
    sender_fields=("logisticsCode",),
    kind="declaration",
)

INVENTORY = MessageSpec(
    type="CEB621",
    title="进口清单",
    unit="Inventory",
    head="InventoryHead",
    head_fields=(
        *_declared(),
        *_parties(),
        _c("copNo", 20, True),
        _c("preNo", 18),
        _c("assureCode", 18, True),
        _c("emsNo", 30),
        _c("invtNo", 18),
        _c("ieFlag", 1, True, IMPORT_FLAG),
        _k("declTime", "date8", True, 8),
        _c("customsCode", 4, True),
        _c("portCode", 4, True),
        _k("ieDate", "date8", False, 8),
        *_buyer(),
        _t("consigneeAddress", 200, True),
        _c("agentCode", 18, True),
        _t("agentName", 100, True),
        _c("areaCode", 18),
        _t("areaName", 100),
        _c("tradeMode", 4, True, IMPORT_TRADE_MODES),
        _c("trafMode", 1, True),
        _c("trafNo", 100),
        _c("voyageNo", 32),
        _c("billNo", 37),
        _c("loctNo", 10),
        _c("licenseNo", 19),
        _c("country", 3, True),
        _d("freight", True),
        _d("insuredFee", True),
        _c("currency", 3, True),
        _c("wrapType", 1),
        FieldSpec("packNo", "int", 9, False),
        _d("grossWeight", True),
        _d("netWeight", True),
        _t("note", 1000),
    ),
    lists=(
        ListSpec(
            "InventoryList",
            (
                FieldSpec("gnum", "int", 4, True),
                _c("itemRecordNo", 30),
                _c("itemNo", 30),
                _t("itemName", 250),
                _c("gcode", 10, True),
                _t("gname", 250, True),
                _t("gmodel", 250, True),
                _c("barCode", 50),
                _c("country", 3, True),
                _c("tradeCountry", 3),
                _c("currency", 3, True),
                _d("qty", True),
                _c("unit", 3, True),
                _d("qty1", True),
                _c("unit1", 3, True),
                _d("qty2"),
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


def _cancel_fields() -> tuple[FieldSpec, ...]:
    # CEB623 InvtCancel and CEB625 InvtRefundHead share one sequence.
    return (
        *_declared(),
        _c("customsCode", 4, True),
        *_parties(),
        _c("copNo", 20, True),
        _c("preNo", 18),
        _c("invtNo", 18, True),
        *_buyer(),
        _c("agentCode", 18, True),
        _t("agentName", 100, True),
        _t("reason", 1000, True),
        _t("note", 1000),
    )


INVT_CANCEL = MessageSpec(
    type="CEB623",
    title="进口撤销申请单",
    unit="InvtCancel",
    head=None,
    head_fields=_cancel_fields(),
    lists=(),
    business_key=("agentCode", "copNo"),
    sender_fields=("agentCode",),
    kind="declaration",
)

INVT_REFUND = MessageSpec(
    type="CEB625",
    title="进口退货申请单",
    unit="InvtRefund",
    head="InvtRefundHead",
    head_fields=_cancel_fields(),
    lists=(
        ListSpec(
            "InvtRefundList",
            (
                FieldSpec("gnum", "int", 4, True),
                _c("gcode", 10, True),
                _t("gname", 250, True),
                _d("qty", True),
                _c("unit", 3, True),
                _t("note", 1000),
            ),
            min_items=1,
        ),
    ),
    business_key=("agentCode", "copNo"),
    sender_fields=("agentCode",),
    kind="declaration",
)

DELIVERY = MessageSpec(
    type="CEB711",
    title="进口入库单",
    unit="Delivery",
    head="DeliveryHead",
    head_fields=(
        *_declared(),
        _c("customsCode", 4, True),
        _c("copNo", 20, True),
        _c("preNo", 18),
        _c("rkdNo", 18),  # unconfirmed length
        _c("operatorCode", 18, True),
        _t("operatorName", 100, True),
        _c("ieFlag", 1, True, IMPORT_FLAG),
        _c("trafMode", 1, True),
        _c("trafNo", 100, True),
        _c("voyageNo", 32, True),
        _c("billNo", 37, True),
        _c("logisticsCode", 18, True),
        _t("logisticsName", 100, True),
        _t("unloadLocation", 100),  # unconfirmed length
        _t("note", 1000),
    ),
    lists=(
        ListSpec(
            "DeliveryList",
            (FieldSpec("gnum", "int", 4, True), _c("logisticsNo", 60, True), _t("note", 1000)),
            min_items=1,
        ),
    ),
    business_key=("operatorCode", "copNo"),
    sender_fields=("operatorCode",),
    kind="declaration",
)

IMPORT_DECLARATIONS = (ORDER, PAYMENT, LOGISTICS, LOGISTICS_STATUS, INVENTORY, INVT_CANCEL, INVT_REFUND, DELIVERY)


def _receipt(
    type_: str, title: str, unit: str, keys: tuple[FieldSpec, ...], business_key: tuple[str, ...] | None = None
) -> MessageSpec:
    return MessageSpec(
        type=type_,
        title=title,
        unit=unit,
        head=None,
        head_fields=_returned(*keys),
        lists=(),
        business_key=business_key or tuple(k.name for k in keys),
        sender_fields=(),
        kind="receipt",
    )


def _agent_keys(agent_second: bool) -> tuple[FieldSpec, ...]:
    # InventoryReturn lists customsCode, ebpCode, ebcCode, agentCode …; the cancel and refund
    # receipts put agentCode second (bean propOrder). Receipt key fields are optional where the
    # bean marks them so (customs fills preNo/invtNo only once assigned).
    middle = ("agentCode", "ebpCode", "ebcCode") if agent_second else ("ebpCode", "ebcCode", "agentCode")
    return (
        _c("customsCode", 4),
        *(_c(name, 18) for name in middle),
        _c("copNo", 20, True),
        _c("preNo", 18),
        _c("invtNo", 18),
    )


_AGENT_KEY = ("agentCode", "copNo")


TAX = MessageSpec(
    type="CEB816",
    title="电子税单",
    unit="Tax",
    head="TaxHeadRd",
    head_fields=(
        _c("guid", 36, True),
        _k("returnTime", "datetime17", True),
        _c("invtNo", 18, True),
        _c("taxNo", 30, True),  # unconfirmed length (samples: invtNo + "_0")
        _d("customsTax", True),
        _d("valueAddedTax", True),
        _d("consumptionTax", True),
        _c("status", 1, True, frozenset({"1", "2", "3"})),  # 1 已生成 2 已汇总 3 作废
        _c("entDutyNo", 60),
        _t("note", 1000),
        _c("assureCode", 18),
        _c("ebcCode", 18),
        _c("logisticsCode", 18),
        _c("agentCode", 18),
        _c("customsCode", 4),
        _c("orderNo", 60),  # only in newer versions of the standard
        _c("logisticsNo", 60),  # idem
    ),
    lists=(
        ListSpec(
            "TaxListRd",
            (
                FieldSpec("gnum", "int", 4, True),
                _c("gcode", 10, True),
                _d("taxPrice", True),
                _d("customsTax", True),
                _d("valueAddedTax", True),
                _d("consumptionTax", True),
            ),
        ),
    ),
    business_key=("taxNo",),
    sender_fields=(),
    kind="receipt",
)

FORMAT_ERROR = MessageSpec(
    type="CEB900",
    title="报文格式校验错误回执",
    unit="MessageReturn",
    head=None,
    head_fields=(
        _c("guid", 36, True),
        _c("returnStatus", 10, True),
        _k("returnTime", "datetime17", True),
        _t("returnInfo", 4000, True),  # unconfirmed length
        _c("oriCopMsgId", 100),  # unconfirmed length
        _c("oriMessageType", 30),
        _t("oriBizMessage", 4000),  # unconfirmed length
    ),
    lists=(),
    business_key=("guid",),
    sender_fields=(),
    kind="receipt",
)

IMPORT_RECEIPTS = (
    _receipt(
        "CEB312",
        "进口订单回执",
        "OrderReturn",
        (_c("ebpCode", 18, True), _c("ebcCode", 18, True), _c("orderNo", 60, True)),
    ),
    _receipt("CEB412", "进口支付单回执", "PaymentReturn", (_c("payCode", 18, True), _c("payTransactionId", 60, True))),
    _receipt("CEB512", "进口运单回执", "LogisticsReturn", (_c("logisticsCode", 18, True), _c("logisticsNo", 60, True))),
    _receipt(
        "CEB514",
        "进口运单状态回执",
        "LogisticsStatusReturn",
        (_c("logisticsCode", 18, True), _c("logisticsNo", 60, True), _c("logisticsStatus", 10, True)),
    ),
    _receipt("CEB622", "进口清单回执", "InventoryReturn", _agent_keys(False), _AGENT_KEY),
    _receipt("CEB624", "进口撤销申请单回执", "InvtCancelReturn", _agent_keys(True), _AGENT_KEY),
    _receipt("CEB626", "进口退货申请单回执", "InvtRefundReturn", _agent_keys(True), _AGENT_KEY),
    _receipt(
        "CEB712",
        "进口入库单回执",
        "DeliveryReturn",
        (_c("customsCode", 4), _c("operatorCode", 18, True), _c("copNo", 20, True), _c("preNo", 18), _c("rkdNo", 18)),
        ("operatorCode", "copNo"),
    ),
    TAX,
    FORMAT_ERROR,
)

register(*IMPORT_DECLARATIONS, *IMPORT_RECEIPTS)
