"""The six ISO 20022 messages this system speaks, and their XSDs loaded once per process.

Schemas load lazily, one per message type, on first use (about 0.2 s each); the loader is
`functools.cache`d so the process pays once. Code that parses or builds messages takes a
`SchemaRegistry` so that tests and callers can see and replace where schemas come from.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from types import MappingProxyType
from typing import Final

import xmlschema

NAMESPACE_PREFIX: Final = "urn:iso:std:iso:20022:tech:xsd:"
_SCHEMA_PACKAGE: Final = "digisom.interbank.iso20022.schemas"


class MessageType(StrEnum):
    """A message definition identifier, as in OrgnlMsgNmId (e.g. "pacs.008.001.08")."""

    PACS_008 = "pacs.008.001.08"  # FI to FI customer credit transfer
    PACS_009 = "pacs.009.001.08"  # financial institution (bank-to-bank) credit transfer
    PACS_002 = "pacs.002.001.10"  # FI to FI payment status report
    PACS_004 = "pacs.004.001.09"  # payment return
    CAMT_053 = "camt.053.001.08"  # bank to customer statement
    CAMT_054 = "camt.054.001.08"  # bank to customer debit/credit notification

    @property
    def namespace(self) -> str:
        """The XML namespace of the message's Document element."""
        return NAMESPACE_PREFIX + self.value

    @property
    def root(self) -> str:
        """The message element directly under Document."""
        return _ROOTS[self]


_ROOTS: Final = MappingProxyType(
    {
        MessageType.PACS_008: "FIToFICstmrCdtTrf",
        MessageType.PACS_009: "FICdtTrf",
        MessageType.PACS_002: "FIToFIPmtStsRpt",
        MessageType.PACS_004: "PmtRtr",
        MessageType.CAMT_053: "BkToCstmrStmt",
        MessageType.CAMT_054: "BkToCstmrDbtCdtNtfctn",
    }
)


def message_type_for(namespace: str) -> MessageType | None:
    """The message type whose namespace is `namespace`, or None for any other."""
    if not namespace.startswith(NAMESPACE_PREFIX):
        return None
    try:
        return MessageType(namespace.removeprefix(NAMESPACE_PREFIX))
    except ValueError:
        return None


@functools.cache
def load_schema(message_type: MessageType) -> xmlschema.XMLSchema:
    """The XSD of `message_type`, read from package data; loaded once per process."""
    text = resources.files(_SCHEMA_PACKAGE).joinpath(f"{message_type.value}.xsd").read_text("utf-8")
    # The ISO XSDs import nothing: allow no other resource and refuse entities even in them.
    return xmlschema.XMLSchema(text, allow="none", defuse="always")


@dataclass(frozen=True, slots=True)
class SchemaRegistry:
    """Where message schemas come from; pass one to the parse and build functions."""

    loader: Callable[[MessageType], xmlschema.XMLSchema] = load_schema

    def schema(self, message_type: MessageType) -> xmlschema.XMLSchema:
        """The XSD for `message_type`."""
        return self.loader(message_type)


@functools.cache
def default_registry() -> SchemaRegistry:
    """The process-wide registry over the vendored XSDs (immutable; schemas load lazily)."""
    return SchemaRegistry()
