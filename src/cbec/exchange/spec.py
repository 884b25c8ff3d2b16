"""What a customs CBEC message may contain: its fields, their order, kinds, lengths and code sets.

A spec is plain data. The codecs (``xmlcodec``, ``jsoncodec``) read it to know which elements exist
and in which order to write them; ``validation`` reads it to check values. Adding a message type
is therefore only a new ``MessageSpec``
registered in ``messages.py`` (import) or ``export_messages.py`` (export) — no codec changes.

Kinds:

- ``text``        free text, checked for length only
- ``code``        a code, checked against ``codes`` when the set is known (else length only)
- ``decimal``     a plain decimal number (no exponent), at most ``scale`` decimals
- ``int``         digits only
- ``datetime14``  ``YYYYMMDDhhmmss``, a real date and time
- ``datetime17``  ``YYYYMMDDhhmmssfff`` (receipt times, with milliseconds); 14 digits are accepted
- ``date8``       ``YYYYMMDD``, a real date
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "APP_STATUSES",
    "APP_TYPES",
    "BASE_TRANSFER",
    "SPECS",
    "FieldKind",
    "FieldSpec",
    "ListSpec",
    "MessageKind",
    "MessageSpec",
    "UnknownMessageType",
    "code_field",
    "decimal_field",
    "declared_fields",
    "register",
    "returned_fields",
    "spec_for",
    "text_field",
    "typed_field",
]

FieldKind = Literal["text", "code", "decimal", "int", "datetime14", "datetime17", "date8"]
MessageKind = Literal["declaration", "receipt"]


@dataclass(frozen=True)
class FieldSpec:
    """One leaf element. ``max_len`` counts characters (the standard's ``C..n`` / ``Nn``)."""

    name: str
    kind: FieldKind
    max_len: int
    required: bool
    codes: frozenset[str] | None = None
    scale: int | None = None


@dataclass(frozen=True)
class ListSpec:
    """A repeated record under a unit, e.g. ``OrderList``; ``min_items`` is 1 where goods are mandatory."""

    name: str
    fields: tuple[FieldSpec, ...]
    min_items: int = 0

    def field_spec(self, name: str) -> FieldSpec | None:
        return _find(self.fields, name)

    @property
    def order(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


@dataclass(frozen=True)
class MessageSpec:
    """A message type: root ``<{type}Message>``, business node ``unit``, optional head wrapper.

    ``head`` is the head element's name (``OrderHead``), or None when the unit's fields sit directly
    under the unit element (``InvtCancel``, ``LogisticsStatus`` and all receipts).
    ``business_key`` names the head fields that identify the document across messages (and its
    receipts); ``sender_fields`` names the head fields of the enterprises that may file it.
    """

    type: str
    unit: str
    head: str | None
    head_fields: tuple[FieldSpec, ...]
    lists: tuple[ListSpec, ...]
    business_key: tuple[str, ...]
    sender_fields: tuple[str, ...]
    kind: MessageKind
    title: str = ""
    _list_index: dict[str, ListSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [f.name for f in self.head_fields]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.type}: duplicate head field")
        for key in (*self.business_key, *self.sender_fields):
            if key not in names:
                raise ValueError(f"{self.type}: {key} is not a head field")
        object.__setattr__(self, "_list_index", {ls.name: ls for ls in self.lists})

    @property
    def root_element(self) -> str:
        return f"{self.type}Message"

    @property
    def head_order(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.head_fields)

    def head_field(self, name: str) -> FieldSpec | None:
        return _find(self.head_fields, name)

    def list_spec(self, name: str) -> ListSpec | None:
        return self._list_index.get(name)

    @property
    def list_order(self) -> tuple[str, ...]:
        return tuple(ls.name for ls in self.lists)


def _find(fields: tuple[FieldSpec, ...], name: str) -> FieldSpec | None:
    for spec in fields:
        if spec.name == name:
            return spec
    return None


def _base_transfer() -> ListSpec:
    # The envelope's sender block: which enterprise and which DXP node sent the message.
    return ListSpec(
        "BaseTransfer",
        (
            FieldSpec("copCode", "code", 18, True),
            FieldSpec("copName", "text", 100, True),
            FieldSpec("dxpMode", "code", 3, True, frozenset({"DXP"})),
            FieldSpec("dxpId", "code", 30, True),
            FieldSpec("note", "text", 1000, False),
        ),
    )


#: The ``BaseTransfer`` block shared by every declaration (receipts from customs carry none).
BASE_TRANSFER = _base_transfer()


#: appType 1 新增 2 变更 3 删除; appStatus 1 暂存 2 申报 (DOMAIN §1).
APP_TYPES = frozenset({"1", "2", "3"})
APP_STATUSES = frozenset({"1", "2"})


# Builders the message tables (``messages.py``, ``export_messages.py``) are written with.
def text_field(name: str, max_len: int, required: bool = False) -> FieldSpec:
    return FieldSpec(name, "text", max_len, required)


def code_field(name: str, max_len: int, required: bool = False, codes: frozenset[str] | None = None) -> FieldSpec:
    return FieldSpec(name, "code", max_len, required, codes)


def decimal_field(name: str, required: bool = False) -> FieldSpec:
    # N19,5: 19 significant digits, at most 5 of them after the point.
    return FieldSpec(name, "decimal", 19, required, scale=5)


def typed_field(name: str, kind: FieldKind, required: bool = False, max_len: int = 17) -> FieldSpec:
    return FieldSpec(name, kind, max_len, required)


def declared_fields() -> tuple[FieldSpec, ...]:
    return (
        code_field("guid", 36, True),
        code_field("appType", 1, True, APP_TYPES),
        typed_field("appTime", "datetime14", True, 14),
        code_field("appStatus", 3, True, APP_STATUSES),
    )


def returned_fields(*keys: FieldSpec) -> tuple[FieldSpec, ...]:
    return (
        code_field("guid", 36, True),
        *keys,
        code_field("returnStatus", 10, True),
        typed_field("returnTime", "datetime17", True),
        text_field("returnInfo", 1000, True),
    )


class UnknownMessageType(KeyError):
    """Raised by ``spec_for`` for a type no spec is registered for."""

    def __init__(self, message_type: str) -> None:
        super().__init__(message_type)
        self.message_type = message_type

    def __str__(self) -> str:
        known = ", ".join(sorted(SPECS))
        return f"unknown message type {self.message_type!r}; known types: {known}"


_REGISTRY: dict[str, MessageSpec] = {}


class _Specs(Mapping[str, MessageSpec]):
    """Read-only view of the registry that loads ``messages.py`` on first use.

    The data module imports this one, so it cannot be imported at the top here; loading it on
    first access means ``SPECS`` is complete whichever module a caller imported first.
    """

    def _load(self) -> dict[str, MessageSpec]:
        from cbec.exchange import export_messages, messages  # noqa: F401

        return _REGISTRY

    def __getitem__(self, key: str) -> MessageSpec:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


#: Every registered spec by type ("CEB311").
SPECS: Mapping[str, MessageSpec] = _Specs()


def register(*specs: MessageSpec) -> None:
    for spec in specs:
        if spec.type in _REGISTRY:
            raise ValueError(f"{spec.type} registered twice")
        _REGISTRY[spec.type] = spec


def spec_for(message_type: str) -> MessageSpec:
    """The spec of ``"CEB311"`` (``"CEB311Message"`` is accepted too); UnknownMessageType otherwise."""
    key = message_type.removesuffix("Message")
    try:
        return SPECS[key]
    except KeyError:
        raise UnknownMessageType(message_type) from None
