"""ISO 20022 messages of the interbank settlement system, bound to the official XSDs.

Inbound: `parse_inbound(bytes) -> InboundMessage` or `Iso20022Error(reason_code, detail)`;
`rejection_for(error, bytes, ...)` is the pacs.002 RJCT that answers a refusal.
Outbound: `build_pacs008/009/002/004`, `build_camt053/054` return bytes that validate.
"""

from digisom.interbank.iso20022.errors import Iso20022Error, ReasonCode
from digisom.interbank.iso20022.inbound import MAX_TRANSACTIONS_PER_MESSAGE, parse_inbound
from digisom.interbank.iso20022.model import (
    AccountStatement,
    Agent,
    CreditDebit,
    CreditTransferOrder,
    InboundMessage,
    MessageBody,
    Notification,
    PaymentReturn,
    PostalAddress,
    Priority,
    StatementEntry,
    StatusReport,
    TransactionStatus,
)
from digisom.interbank.iso20022.outbound import (
    build_camt053,
    build_camt054,
    build_pacs002,
    build_pacs004,
    build_pacs008,
    build_pacs009,
)
from digisom.interbank.iso20022.registry import MessageType, SchemaRegistry, default_registry, load_schema
from digisom.interbank.iso20022.rejection import NOT_PROVIDED, recover_references, rejection_for
from digisom.interbank.iso20022.secure import MAX_INBOUND_MESSAGE_BYTES

__all__ = [
    "MAX_INBOUND_MESSAGE_BYTES",
    "MAX_TRANSACTIONS_PER_MESSAGE",
    "NOT_PROVIDED",
    "AccountStatement",
    "Agent",
    "CreditDebit",
    "CreditTransferOrder",
    "InboundMessage",
    "Iso20022Error",
    "MessageBody",
    "MessageType",
    "Notification",
    "PaymentReturn",
    "PostalAddress",
    "Priority",
    "ReasonCode",
    "SchemaRegistry",
    "StatementEntry",
    "StatusReport",
    "TransactionStatus",
    "build_camt053",
    "build_camt054",
    "build_pacs002",
    "build_pacs004",
    "build_pacs008",
    "build_pacs009",
    "default_registry",
    "load_schema",
    "parse_inbound",
    "recover_references",
    "rejection_for",
]
