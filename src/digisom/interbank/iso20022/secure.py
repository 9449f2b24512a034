"""Turning untrusted bytes into an XML element tree, or refusing them (FF01).

defusedxml refuses DTDs, entity declarations (billion laughs) and external references
(XXE) before any expansion happens; we add a size and a depth limit.
"""

from __future__ import annotations

from typing import Final
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree

from digisom.interbank.iso20022.errors import Iso20022Error, ReasonCode

# A single-transaction pacs message is a few KiB and a day's camt.053 for one settlement
# account stays well below this; anything larger is refused before parsing, so a sender
# cannot make us spend memory and CPU on it.
MAX_INBOUND_MESSAGE_BYTES: Final = 1024 * 1024
# The deepest path in these six XSDs is about 15 elements; extension points (xs:any in
# SplmtryData) could otherwise nest without bound and exhaust recursion in validation.
MAX_ELEMENT_DEPTH: Final = 40


def parse_xml(xml_bytes: bytes) -> Element:
    """The document element of `xml_bytes`, or Iso20022Error FF01 (too large, not
    well-formed, DTD, entities, external references, or nested too deep)."""
    if not isinstance(xml_bytes, bytes | bytearray):
        raise Iso20022Error(ReasonCode.INVALID_FILE_FORMAT, "a message is bytes")
    if len(xml_bytes) > MAX_INBOUND_MESSAGE_BYTES:
        raise Iso20022Error(
            ReasonCode.INVALID_FILE_FORMAT,
            f"message of {len(xml_bytes)} bytes exceeds the limit of {MAX_INBOUND_MESSAGE_BYTES}",
        )
    try:
        root: Element = defusedxml.ElementTree.fromstring(
            bytes(xml_bytes), forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except defusedxml.DefusedXmlException as exc:
        raise Iso20022Error(ReasonCode.INVALID_FILE_FORMAT, f"forbidden XML construct: {type(exc).__name__}") from None
    except ParseError as exc:
        raise Iso20022Error(ReasonCode.INVALID_FILE_FORMAT, f"not well-formed XML: {exc}") from None
    except (LookupError, ValueError) as exc:
        # The XML declaration names an encoding Python lacks or expat cannot read (utf-7, base64).
        raise Iso20022Error(ReasonCode.INVALID_FILE_FORMAT, f"unusable XML encoding: {exc}") from None
    _check_depth(root)
    return root


def _check_depth(root: Element) -> None:
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_ELEMENT_DEPTH:
            raise Iso20022Error(ReasonCode.INVALID_FILE_FORMAT, f"elements nested deeper than {MAX_ELEMENT_DEPTH}")
        stack.extend((child, depth + 1) for child in element)


def local_name(tag: str) -> str:
    """The tag without its "{namespace}" part."""
    return tag.rpartition("}")[2]


def namespace_of(tag: str) -> str:
    """The namespace of a "{namespace}local" tag, or "" for none."""
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""
