"""Rail 3: a partner's ISO 20022 pacs.008 paid out on rail 1's send path
(`RemittanceService.send`: the same screening, limits, travel rule, payout and records;
docs/remittance.md, "Rail 3").

How the message maps onto a remittance:

- the partner's reference is the transaction's `EndToEndId` (idempotent by it: the same
  transfer again answers the same outcome, another transfer under it is a conflict);
- the quote is named in the unstructured remittance information, a line `QUOTE/<quote
  id>`: the conversion happened when the sender saw the quote, so `IntrBkSttlmAmt` is in
  KGS and must be exactly what the quote pays out (one conversion, never a second one);
- the sender is `DbtrAcct` (its id at the partner, which the monthly limit follows) and
  `Dbtr/Nm`; the recipient is `Cdtr/Nm` and `CdtrAcct`: 14 digits are a personal number
  resolved through the alias directory, anything else a wallet id (rail 1's rule);
- `CdtrAgt` names the bank that onboarded the partner, by its national bank code;
- travel-rule data (IVMS101) is built from the message's parties when the debtor has a
  postal address (the partner as originating VASP); it is then validated like any
  payload; with no debtor address there is none, and from the threshold the service
  refuses the transfer as it refuses rail 1's.

What the message cannot be paid on is a typed error (`MessageInvalid` with its ISO reason,
or rail 1's own: quote unknown or expired, reference conflict, travel rule missing or
invalid) and nothing is recorded; a refusal by a rule is the remittance returned, answered
with a pacs.002 RJCT whose reason code `ISO_REASONS` maps from the return reason.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final

from digisom.remittance.currencies import TARGET
from digisom.remittance.customer_transfer import CustomerTransfer, PartyAddress, StatusAnswer, TransferStatus
from digisom.remittance.errors import MessageInvalid, Returned
from digisom.remittance.model import Partner, Remittance, ReturnReason, Status
from digisom.remittance.service import RemittanceService, SendRequest

QUOTE_PREFIX: Final = "QUOTE/"
PERSONAL_NUMBER_DIGITS: Final = 14


class IsoReason(StrEnum):
    """The ISO 20022 ExternalStatusReason1Code values rail 3 answers with."""

    NOT_ALLOWED_CURRENCY = "AM03"
    WRONG_AMOUNT = "AM09"
    SYNTAX_ERROR = "FF02"  # the message lacks what this rail's usage requires (the quote line)
    BANK_IDENTIFIER_INCORRECT = "RC01"
    MISSING_DEBTOR_ACCOUNT = "RR01"
    MISSING_DEBTOR_NAME = "RR02"
    MISSING_CREDITOR_NAME = "RR03"
    REGULATORY = "RR04"
    INCORRECT_ACCOUNT_NUMBER = "AC01"
    INVALID_CREDITOR_ACCOUNT = "AC03"
    CLOSED_ACCOUNT = "AC04"
    BLOCKED_ACCOUNT = "AC06"
    NOT_ALLOWED_AMOUNT = "AM02"
    INSUFFICIENT_FUNDS = "AM04"
    AMOUNT_EXCEEDS_LIMIT = "AM14"
    TRANSACTION_FORBIDDEN = "AG01"
    NOT_SPECIFIED = "MS03"


ISO_REASONS: Final[dict[ReturnReason, IsoReason]] = {
    ReturnReason.SCREENING_HIT: IsoReason.REGULATORY,
    ReturnReason.REVIEW_BLOCKED: IsoReason.REGULATORY,
    ReturnReason.TRANSFER_LIMIT: IsoReason.NOT_ALLOWED_AMOUNT,
    ReturnReason.SENDER_MONTH_LIMIT: IsoReason.AMOUNT_EXCEEDS_LIMIT,
    ReturnReason.PARTNER_MONTH_LIMIT: IsoReason.AMOUNT_EXCEEDS_LIMIT,
    ReturnReason.POSITION_INSUFFICIENT: IsoReason.INSUFFICIENT_FUNDS,
    ReturnReason.PARTNER_INACTIVE: IsoReason.TRANSACTION_FORBIDDEN,
    ReturnReason.RECIPIENT_UNKNOWN: IsoReason.INVALID_CREDITOR_ACCOUNT,
    ReturnReason.WALLET_FROZEN: IsoReason.BLOCKED_ACCOUNT,
    ReturnReason.WALLET_CLOSED: IsoReason.CLOSED_ACCOUNT,
    ReturnReason.LEDGER_REFUSED: IsoReason.NOT_SPECIFIED,
}


def receive(service: RemittanceService, partner_id: str, transfer: CustomerTransfer) -> StatusAnswer:
    """Pay out the partner's `transfer` on rail 1's path and say how it stands."""
    partner = service.partner(partner_id)
    try:
        done = service.send(send_request(service, partner, transfer))
    except Returned as returned:
        return rejected(returned.remittance_id, returned.reason)
    return answer_for(done)


def send_request(service: RemittanceService, partner: Partner, transfer: CustomerTransfer) -> SendRequest:
    """The rail 1 request `transfer` asks for, or the typed error of what it lacks."""
    if transfer.currency != TARGET.code:
        raise MessageInvalid(f"rail 3 pays out {TARGET.code}; convert on a quote first, not {transfer.currency}",
                             IsoReason.NOT_ALLOWED_CURRENCY.value)
    if transfer.creditor_agent_bank_code != partner.bank_code:
        raise MessageInvalid(f"the creditor agent must be the partner's bank {partner.bank_code} (ClrSysMmbId)",
                             IsoReason.BANK_IDENTIFIER_INCORRECT.value)
    quote_id = quote_reference(transfer.remittance_information)
    quote = service.quote_of(partner.partner_id, quote_id)
    if transfer.amount_minor != quote.receive_tyiyn:
        raise MessageInvalid(f"the amount must be the quote's {quote.receive_tyiyn} tyiyn",
                             IsoReason.WRONG_AMOUNT.value)
    sender_id = _required(transfer.debtor_account, "DbtrAcct", IsoReason.MISSING_DEBTOR_ACCOUNT)
    sender_name = _required(transfer.debtor_name, "Dbtr/Nm", IsoReason.MISSING_DEBTOR_NAME)
    recipient_name = _required(transfer.creditor_name, "Cdtr/Nm", IsoReason.MISSING_CREDITOR_NAME)
    account = _required(transfer.creditor_account, "CdtrAcct", IsoReason.INCORRECT_ACCOUNT_NUMBER)
    personal = account.isascii() and account.isdigit() and len(account) == PERSONAL_NUMBER_DIGITS
    return SendRequest(partner.partner_id, transfer.end_to_end_id, quote_id, sender_id, sender_name, recipient_name,
                       "" if personal else account, account if personal else "",
                       travel_rule(partner, transfer, sender_name, recipient_name))


def quote_reference(lines: tuple[str, ...]) -> str:
    """The quote id of the first `QUOTE/<id>` line of the remittance information."""
    for line in lines:
        if line.strip().startswith(QUOTE_PREFIX):
            return line.strip().removeprefix(QUOTE_PREFIX).strip()
    raise MessageInvalid(f"name the quote in RmtInf/Ustrd as {QUOTE_PREFIX}<quote id>", IsoReason.SYNTAX_ERROR.value)


def travel_rule(partner: Partner, transfer: CustomerTransfer, sender_name: str,
                recipient_name: str) -> dict[str, Any] | None:
    """The IVMS101 payload of the message's parties, or None when the debtor has no address."""
    if transfer.debtor_address is None:
        return None
    originator = _natural_person(sender_name, transfer.debtor_address)
    beneficiary = _natural_person(recipient_name, transfer.creditor_address)
    return {
        "originator": {"originatorPersons": [originator], "accountNumber": [transfer.debtor_account]},
        "beneficiary": {"beneficiaryPersons": [beneficiary], "accountNumber": [transfer.creditor_account]},
        "originatingVASP": {"originatingVASP": {"legalPerson": {
            "name": {"nameIdentifier": [{"legalPersonName": partner.name,
                                         "legalPersonNameIdentifierType": "LEGL"}]},
            "countryOfRegistration": partner.country}}},
    }


def answer_for(remittance: Remittance) -> StatusAnswer:
    """ACSC when paid, PDNG while held (or still paying), RJCT with its reason when returned."""
    if remittance.status is Status.RETURNED:
        return rejected(remittance.remittance_id, remittance.reason)
    if remittance.status is Status.PAID:
        return StatusAnswer(TransferStatus.SETTLED, remittance.remittance_id)
    return StatusAnswer(TransferStatus.PENDING, remittance.remittance_id, None,
                        "held for a compliance review" if remittance.status is Status.PENDING_REVIEW else "paying")


def rejected(remittance_id: str, reason: str) -> StatusAnswer:
    """RJCT with the ISO code of the return reason ("ledger_refused:<result>" keeps its detail)."""
    code = ISO_REASONS.get(_return_reason(reason), IsoReason.NOT_SPECIFIED)
    return StatusAnswer(TransferStatus.REJECTED, remittance_id, code.value, reason)


def _return_reason(reason: str) -> ReturnReason:
    try:
        return ReturnReason(reason.split(":", 1)[0])
    except ValueError:
        return ReturnReason.LEDGER_REFUSED  # a reason this rail does not know: answered as not specified


def _required(value: str | None, field: str, reason: IsoReason) -> str:
    if value is None or not value.strip():
        raise MessageInvalid(f"rail 3 needs {field}", reason.value)
    return value.strip()


def _natural_person(name: str, address: PartyAddress | None) -> dict[str, Any]:
    person: dict[str, Any] = {"name": {"nameIdentifier": [{"primaryIdentifier": name,
                                                           "nameIdentifierType": "LEGL"}]}}
    if address is not None:
        person["geographicAddress"] = [_address(address)]
    return {"naturalPerson": person}


def _address(address: PartyAddress) -> dict[str, Any]:
    fields = {"addressType": "HOME", "streetName": address.street_name, "buildingNumber": address.building_number,
              "buildingName": address.building_name, "postCode": address.post_code, "townName": address.town_name,
              "country": address.country}
    found: dict[str, Any] = {k: v for k, v in fields.items() if v is not None}
    if address.address_lines:
        found["addressLine"] = list(address.address_lines)
    return found
