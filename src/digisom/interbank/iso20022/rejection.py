"""The pacs.002 RJCT that answers a refused inbound message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from digisom.interbank.iso20022.errors import Iso20022Error
from digisom.interbank.iso20022.model import StatusReport, TransactionStatus
from digisom.interbank.iso20022.outbound import MAX_REASON_DETAIL_CHARS, build_pacs002
from digisom.interbank.iso20022.registry import SchemaRegistry, message_type_for
from digisom.interbank.iso20022.secure import local_name, namespace_of, parse_xml

# What ISO 20022 usage guidelines put in a mandatory reference that could not be read.
NOT_PROVIDED: Final = "NOTPROVIDED"
# ISO 20022 Max35Text: the longest identifier a reference may echo back.
MAX_IDENTIFIER_CHARS: Final = 35


@dataclass(frozen=True, slots=True)
class OriginalReferences:
    """What could be read back from a refused message to tell its sender which one it was."""

    message_id: str = NOT_PROVIDED
    message_name: str = NOT_PROVIDED
    end_to_end_id: str | None = None
    instruction_id: str | None = None


def recover_references(original: bytes) -> OriginalReferences:
    """The ids of `original` that can be read safely (same defused parser and limits as
    inbound); NOTPROVIDED where the message is too broken to tell."""
    try:
        root = parse_xml(original)
    except Iso20022Error:
        return OriginalReferences()
    message_type = message_type_for(namespace_of(root.tag))
    found: dict[str, str] = {}
    for element in root.iter():
        name = local_name(element.tag)
        text = (element.text or "").strip()
        if name in {"MsgId", "EndToEndId", "InstrId"} and name not in found and _usable(text):
            found[name] = text
    return OriginalReferences(
        message_id=found.get("MsgId", NOT_PROVIDED),
        message_name=message_type.value if message_type is not None else NOT_PROVIDED,
        end_to_end_id=found.get("EndToEndId"),
        instruction_id=found.get("InstrId"),
    )


def rejection_for(
    error: Iso20022Error,
    original: bytes,
    *,
    message_id: str,
    created_at: datetime,
    registry: SchemaRegistry | None = None,
) -> bytes:
    """A validated pacs.002 RJCT with the error's reason code, referring to `original` as far
    as it can be read. `message_id` and `created_at` are the report's own."""
    references = recover_references(original)
    report = StatusReport(
        message_id=message_id,
        created_at=created_at,
        original_message_id=references.message_id,
        original_message_name=references.message_name,
        status=TransactionStatus.REJECTED,
        original_end_to_end_id=references.end_to_end_id,
        original_instruction_id=references.instruction_id,
        reason_code=error.reason_code.value,
        reason_detail=error.detail[:MAX_REASON_DETAIL_CHARS] or None,
    )
    return build_pacs002(report, registry)


def _usable(text: str) -> bool:
    return 0 < len(text) <= MAX_IDENTIFIER_CHARS
