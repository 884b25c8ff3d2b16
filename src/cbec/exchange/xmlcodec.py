"""Customs CBEC XML ↔ ``Message``, hardened against hostile input.

Parsing refuses, before any tree is built, documents over ``max_bytes`` and documents that declare a
DTD (the only way to define entities: billion laughs, external entities). lxml runs with entity
resolution, network and DTD loading off and without ``huge_tree``, so libxml2's own limits stay
on (it stops at 256 levels; that error is reported as ``xml.too_deep`` like ours).

Structure is checked against the message spec: an unknown element is an error (with its path),
an element out of schema order only a warning — real clients send them, and customs' own parser
is what finally judges order. Values are kept as the exact text sent. ``ds:Signature`` is kept as
serialised XML; only namespace declarations it does not use are dropped, so that re-emitting it
inside our own root is stable (XML → model → XML → model is equal).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from lxml import etree

from cbec.exchange.model import NAMESPACE, Message, Unit
from cbec.exchange.spec import BASE_TRANSFER, FieldSpec, MessageSpec, UnknownMessageType, spec_for
from cbec.kernel.errors import FieldError

__all__ = ["DSIG_NAMESPACE", "ParseResult", "normalise_signature", "parse_xml", "signature_from_text", "to_xml"]

DSIG_NAMESPACE = "http://www.w3.org/2000/09/xmldsig#"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DOCUMENT = "/"  # the path of errors about the document as a whole
_ROOT_NAME = re.compile(r"^(CEB\d{3})Message$")
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


@dataclass(frozen=True)
class ParseResult:
    """A parsed message (None when errors made it unusable) with the problems found on the way."""

    message: Message | None
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[FieldError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.message is not None and not self.errors


def failed(path: str, code: str, message: str, hint: str = "") -> ParseResult:
    return ParseResult(None, [FieldError(path, code, message, hint)], [])


def _parser() -> etree.XMLParser:
    # A fresh parser per document: lxml keeps an error log per parser object.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
    )


class _SyntaxProblem(Exception):
    """lxml's syntax error with this parse's own log (the exception's log also holds older entries)."""

    def __init__(self, entries: list[etree._LogEntry]) -> None:
        super().__init__(entries[0].message if entries else "syntax error")
        self.entries = entries


def _build_tree(data: bytes) -> etree._Element:
    parser = _parser()
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise _SyntaxProblem(list(parser.error_log)) from exc


def parse_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = 32) -> ParseResult:
    """Parse one CEB message; never raises on bad input, reports it in ``ParseResult.errors``."""
    if len(data) > max_bytes:
        return failed(DOCUMENT, "xml.too_large", f"document is {len(data)} bytes; the limit is {max_bytes}")
    if any(marker in data for marker in _DTD_MARKERS):
        return _doctype_refused()
    try:
        root = _build_tree(data)
    except _SyntaxProblem as exc:
        return _syntax_failure(exc.entries)
    if root.getroottree().docinfo.internalDTD is not None:
        return _doctype_refused()  # a DTD in an encoding the byte scan cannot see (UTF-16)
    if _deeper_than(root, max_depth):
        return failed(DOCUMENT, "xml.too_deep", f"elements are nested deeper than {max_depth} levels")
    return _Reader().read(root)


def _doctype_refused() -> ParseResult:
    return failed(
        DOCUMENT,
        "xml.doctype_forbidden",
        "the document declares a DTD (DOCTYPE or ENTITY); CEB messages never do",
        "remove the <!DOCTYPE …> declaration; entity declarations are refused for safety",
    )


def _syntax_failure(entries: list[etree._LogEntry]) -> ParseResult:
    fatal = [entry for entry in entries if entry.level_name == "FATAL"] or entries
    if any(entry.type_name == "ERR_RESOURCE_LIMIT" and "depth" in entry.message for entry in entries):
        return failed(DOCUMENT, "xml.too_deep", "elements are nested deeper than the parser allows (256 levels)")
    line, column = (fatal[0].line, fatal[0].column) if fatal else (0, 0)
    text = fatal[0].message if fatal else "the document is empty or unreadable"
    return failed(
        DOCUMENT,
        "xml.not_well_formed",
        f"not well-formed XML at line {line}, column {column}: {text}",
        "check that every start tag has a matching end tag and that the file is complete",
    )


def _deeper_than(root: etree._Element, limit: int) -> bool:
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in element if isinstance(child.tag, str))
    return False


def _split(tag: str) -> tuple[str | None, str]:
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return None, tag


def _elements(parent: etree._Element) -> list[etree._Element]:
    return [child for child in parent if isinstance(child.tag, str)]


def normalise_signature(element: etree._Element) -> str:
    """The signature as text, without namespace declarations it inherited but does not use."""
    detached = copy.deepcopy(element)
    detached.tail = None
    etree.cleanup_namespaces(detached)
    return etree.tostring(detached, encoding="unicode")


def signature_from_text(text: str) -> etree._Element:
    """Parse a stored signature (hardened parser); raises ValueError when it is not a ds:Signature."""
    data = text.encode("utf-8")
    if len(data) > DEFAULT_MAX_BYTES or any(marker in data for marker in _DTD_MARKERS):
        raise ValueError("signature too large or declares a DTD")
    try:
        element = _build_tree(data)
    except _SyntaxProblem as exc:
        raise ValueError(f"signature is not well-formed XML: {exc}") from exc
    if element.tag != f"{{{DSIG_NAMESPACE}}}Signature":
        raise ValueError("signature must be a ds:Signature element")
    return element


class _Reader:
    """Walks one parsed document against its spec, collecting errors and warnings."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []
        self.warnings: list[FieldError] = []
        self.namespace: str | None = NAMESPACE

    def error(self, path: str, code: str, message: str, hint: str = "") -> None:
        self.errors.append(FieldError(path, code, message, hint))

    def warn(self, path: str, code: str, message: str, hint: str = "") -> None:
        self.warnings.append(FieldError(path, code, message, hint))

    def read(self, root: etree._Element) -> ParseResult:
        namespace, local = _split(root.tag)
        match = _ROOT_NAME.match(local)
        if match is None:
            return failed(DOCUMENT, "schema.unknown_message", f"root element <{local}> is not a CEB message")
        if not self._accept_namespace(namespace):
            return ParseResult(None, self.errors, self.warnings)
        try:
            spec = spec_for(match.group(1))
        except UnknownMessageType as exc:
            return failed(DOCUMENT, "schema.unknown_message", str(exc), "only import messages are accepted so far")
        message = self._message(root, spec)
        return ParseResult(None if self.errors else message, self.errors, self.warnings)

    def _accept_namespace(self, namespace: str | None) -> bool:
        if namespace == NAMESPACE:
            return True
        if namespace is None:
            self.namespace = None
            self.warn(DOCUMENT, "xml.no_namespace", f"elements are not in the namespace {NAMESPACE}")
            return True
        self.error(DOCUMENT, "xml.wrong_namespace", f"namespace {namespace} is not {NAMESPACE}")
        return False

    def _message(self, root: etree._Element, spec: MessageSpec) -> Message:
        units: list[Unit] = []
        base_transfer: dict[str, str] | None = None
        signature: str | None = None
        rank = 0  # units, then BaseTransfer, then the signature
        for child in _elements(root):
            namespace, local = _split(child.tag)
            if namespace == DSIG_NAMESPACE and local == "Signature" and signature is None:
                signature, rank = normalise_signature(child), self._ranked(rank, 2, "ds:Signature")
            elif namespace != self.namespace:
                self.error(local, "schema.unknown_element", f"<{local}> is not part of {spec.root_element}")
            elif local == spec.unit:
                units.append(self._unit(child, spec, f"{spec.unit}[{len(units)}]"))
                rank = self._ranked(rank, 0, local)
            elif local == BASE_TRANSFER.name and base_transfer is None:
                base_transfer = self._record(child, BASE_TRANSFER.fields, BASE_TRANSFER.name)
                rank = self._ranked(rank, 1, local)
            else:
                self.error(local, "schema.unknown_element", f"<{local}> is not expected in {spec.root_element}")
        guid, version = root.get("guid", ""), root.get("version", "")
        return Message(spec.type, guid, version, units, base_transfer, signature)

    def _ranked(self, previous: int, rank: int, name: str) -> int:
        if rank < previous:
            self.warn(name, "schema.element_order", f"<{name}> is out of schema order")
        return max(previous, rank)

    def _unit(self, element: etree._Element, spec: MessageSpec, path: str) -> Unit:
        if spec.head is None:
            return Unit(self._record(element, spec.head_fields, path))
        head: dict[str, str] | None = None
        lists: dict[str, list[dict[str, str]]] = {}
        order = (spec.head, *spec.list_order)
        rank = 0
        for child in _elements(element):
            namespace, local = _split(child.tag)
            list_spec = spec.list_spec(local)
            if namespace == self.namespace and local == spec.head and head is None:
                head = self._record(child, spec.head_fields, f"{path}/{local}")
            elif namespace == self.namespace and list_spec is not None:
                records = lists.setdefault(local, [])
                records.append(self._record(child, list_spec.fields, f"{path}/{local}[{len(records)}]"))
            else:
                self.error(f"{path}/{local}", "schema.unknown_element", f"<{local}> is not expected in <{spec.unit}>")
                continue
            rank = self._ranked(rank, order.index(local), f"{path}/{local}")
        if head is None:
            self.error(f"{path}/{spec.head}", "schema.required", f"<{spec.head}> is missing")
        return Unit(head or {}, lists)

    def _record(self, element: etree._Element, fields: tuple[FieldSpec, ...], path: str) -> dict[str, str]:
        order = {spec.name: index for index, spec in enumerate(fields)}
        values: dict[str, str] = {}
        last, warned = -1, False
        for child in _elements(element):
            namespace, local = _split(child.tag)
            where = f"{path}/{local}"
            if namespace != self.namespace or local not in order:
                self.error(where, "schema.unknown_element", f"<{local}> is not a field of <{_split(element.tag)[1]}>")
            elif local in values:
                self.error(where, "schema.duplicate_element", f"<{local}> appears more than once")
            elif _elements(child):
                self.error(where, "schema.unexpected_children", f"<{local}> must hold text, not elements")
            else:
                values[local] = child.text or ""
                if order[local] < last and not warned:
                    warned = True
                    before = fields[last].name
                    self.warn(
                        where, "schema.element_order", f"<{local}> comes after <{before}>; the schema puts it before"
                    )
                last = max(last, order[local])
        return values


def to_xml(message: Message, *, prefix: str = "ceb") -> bytes:
    """The message as UTF-8 XML in schema order, writing only the fields present.

    Raises ValueError for a field or list the spec does not know (a model built by hand).
    """
    spec = spec_for(message.type)

    def qualified(local: str) -> str:
        return f"{{{NAMESPACE}}}{local}"

    if prefix:
        root = etree.Element(qualified(spec.root_element), nsmap={prefix: NAMESPACE})
    else:
        # lxml takes None as the default namespace key; lxml-stubs only allows str keys.
        root = etree.Element(qualified(spec.root_element), nsmap={None: NAMESPACE})  # type: ignore[dict-item]
    root.set("guid", message.guid)
    root.set("version", message.version)
    for index, unit in enumerate(message.units):
        _write_unit(etree.SubElement(root, qualified(spec.unit)), unit, spec, f"{spec.unit}[{index}]")
    if message.base_transfer is not None:
        node = etree.SubElement(root, qualified(BASE_TRANSFER.name))
        _write_record(node, message.base_transfer, BASE_TRANSFER.fields, BASE_TRANSFER.name)
    # Indent our elements only: pretty-printing the signature would change what was signed.
    etree.indent(root, space="  ")
    if message.signature is not None:
        signature = signature_from_text(message.signature)
        if len(root):
            root[-1].tail = "\n  "
        else:
            root.text = "\n  "
        signature.tail = "\n"
        root.append(signature)
    return _DECLARATION + etree.tostring(root, encoding="UTF-8") + b"\n"


def _write_unit(node: etree._Element, unit: Unit, spec: MessageSpec, path: str) -> None:
    if spec.head is None:
        if unit.lists:
            raise ValueError(f"{path}: {spec.type} has no lists")
        _write_record(node, unit.head, spec.head_fields, path)
        return
    unknown = set(unit.lists) - set(spec.list_order)
    if unknown:
        raise ValueError(f"{path}: unknown lists {sorted(unknown)}")
    _write_record(etree.SubElement(node, f"{{{NAMESPACE}}}{spec.head}"), unit.head, spec.head_fields, path)
    for list_spec in spec.lists:
        for record in unit.lists.get(list_spec.name, []):
            child = etree.SubElement(node, f"{{{NAMESPACE}}}{list_spec.name}")
            _write_record(child, record, list_spec.fields, f"{path}/{list_spec.name}")


def _write_record(node: etree._Element, values: dict[str, str], fields: tuple[FieldSpec, ...], path: str) -> None:
    known = {spec.name for spec in fields}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"{path}: fields not in the schema: {sorted(unknown)}")
    for spec in fields:
        if spec.name in values:
            etree.SubElement(node, f"{{{NAMESPACE}}}{spec.name}").text = values[spec.name]
