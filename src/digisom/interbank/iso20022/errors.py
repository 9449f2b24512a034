"""Iso20022Error and the ISO 20022 status reason codes this layer answers with.

The codes come from the ISO 20022 external code set ExternalStatusReason1Code; docs/interbank.md
lists which failure maps to which code.
"""

from __future__ import annotations

from enum import StrEnum

from digisom.errors import DigisomError


class ReasonCode(StrEnum):
    """The ExternalStatusReason1Code values this layer uses (ISO 20022 external code set)."""

    INVALID_FILE_FORMAT = "FF01"  # not XML, forbidden XML constructs, unknown message, too large
    SYNTAX_ERROR = "FF02"  # well-formed XML that breaks the message's XSD
    INCORRECT_ACCOUNT_NUMBER = "AC01"  # account identifier breaks its format
    TRANSACTION_FORBIDDEN = "AG01"  # e.g. an on-us transfer sent to the interbank system
    ZERO_AMOUNT = "AM01"
    NOT_ALLOWED_CURRENCY = "AM03"  # currency code unknown to digisom.money or malformed
    WRONG_AMOUNT = "AM09"  # a total that does not match the transactions, a return above the original
    INVALID_CONTROL_SUM = "AM10"
    INVALID_AMOUNT = "AM12"  # negative, more decimals than the currency has, not a decimal
    INVALID_NUMBER_OF_TRANSACTIONS = "AM18"
    INVALID_DATE = "DT01"  # missing or malformed settlement or creation date
    DUPLICATE_MESSAGE_ID = "DU01"
    BANK_IDENTIFIER_INCORRECT = "RC01"  # BIC breaks its pattern, the agent has no identifier or is no participant
    # Answered by the RTGS itself (digisom.interbank.rtgs), not by the message layer:
    INSUFFICIENT_FUNDS = "AM04"  # still queued for lack of liquidity when the day closed
    INVALID_CUT_OFF_TIME = "TM01"  # received after the cut-off for its type, or the day is closed
    MISSING_DEBTOR_NAME = "RR02"  # a pacs.008 whose debtor has no name to screen
    MISSING_CREDITOR_NAME = "RR03"  # a pacs.008 whose creditor has no name to screen
    REGULATORY_REASON = "RR04"  # screening: a name is listed, or an officer confirmed a review


class Iso20022Error(DigisomError):
    """A message refused (inbound) or impossible to build (outbound), with the ISO 20022
    status reason code that a pacs.002 RJCT carries back to the sender."""

    def __init__(self, reason_code: ReasonCode, detail: str) -> None:
        super().__init__(f"{reason_code.value}: {detail}")
        self.reason_code = reason_code
        self.detail = detail
