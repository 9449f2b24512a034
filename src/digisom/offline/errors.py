"""The one typed error of the offline package and its reasons.

Every refusal — a malformed payload, a bad signature, a replayed counter — is an
`OfflineError` carrying a `Reason`. Decoders and verifiers raise nothing else, so a
device or the server can log, count and answer every refusal the same way.
"""

from __future__ import annotations

from enum import Enum, unique
from typing import Final

from digisom.kernel.errors import NO_SUCH_WALLET, Invalid


@unique
class Reason(Enum):
    """Why an offline payload, certificate or payment was refused. Values are stable."""

    # Encoding
    TOO_LARGE = "too_large"
    MALFORMED = "malformed"
    NON_CANONICAL = "non_canonical"
    UNSUPPORTED_VERSION = "unsupported_version"
    QR_TOO_LARGE = "qr_too_large"
    # Certificates and revocation
    BAD_SIGNATURE = "bad_signature"
    UNTRUSTED_ROOT = "untrusted_root"
    UNKNOWN_ISSUER = "unknown_issuer"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_ROLE = "wrong_role"
    CERTIFICATE_EXPIRED = "certificate_expired"
    CERTIFICATE_NOT_YET_VALID = "certificate_not_yet_valid"
    UNKNOWN_PAYER_CERTIFICATE = "unknown_payer_certificate"
    REVOKED = "revoked"
    STALE_REVOCATION_LIST = "stale_revocation_list"
    # Payment content
    WRONG_CURRENCY = "wrong_currency"
    WRONG_PAYEE = "wrong_payee"
    SELF_PAYMENT = "self_payment"
    NON_POSITIVE_AMOUNT = "non_positive_amount"
    OVER_PAYMENT_LIMIT = "over_payment_limit"
    OVER_CUMULATIVE_LIMIT = "over_cumulative_limit"
    PAYMENT_FROM_FUTURE = "payment_from_future"
    # Counter and hash chain, as far as the verifier has seen the payer
    REPLAY = "replay"
    COUNTER_ROLLBACK = "counter_rollback"
    CHAIN_FORK = "chain_fork"
    CUMULATIVE_MISMATCH = "cumulative_mismatch"
    # Payer side
    INSUFFICIENT_ALLOWANCE = "insufficient_allowance"
    COUNTER_EXHAUSTED = "counter_exhausted"
    # Server side: registry, funding and sync
    UNKNOWN_DEVICE = "unknown_device"
    DUPLICATE_KEY_ID = "duplicate_key_id"
    UNKNOWN_WALLET = "unknown_wallet"
    UNKNOWN_RUN = "unknown_run"
    WALLET_NOT_USABLE = "wallet_not_usable"
    WRONG_BANK = "wrong_bank"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    LEDGER_REFUSED = "ledger_refused"
    # Returning unspent value: the request must name the reserve's current funding
    UNBOUND_RETURN = "unbound_return"  # a version-1 request: it names no funding
    STALE_RETURN = "stale_return"  # it names a funding that is no longer the current one


# HTTP status per reason; every other reason is 422 (the kind's). The problem type is
# stable: https://digisom.kg/problems/offline-<reason with dashes>.
REASON_STATUS: Final = {
    Reason.UNKNOWN_DEVICE: 404,
    Reason.UNKNOWN_WALLET: 404,
    Reason.UNKNOWN_RUN: 404,
    Reason.WRONG_BANK: 403,
    Reason.BAD_SIGNATURE: 401,
    Reason.TOO_LARGE: 413,
    Reason.DUPLICATE_KEY_ID: 409,
    Reason.INSUFFICIENT_FUNDS: 409,
    Reason.WALLET_NOT_USABLE: 409,
    Reason.REVOKED: 409,
    Reason.CERTIFICATE_EXPIRED: 409,
    Reason.LEDGER_REFUSED: 409,
}
# One detail per "not found", whatever the cause: an unknown id and another bank's (or
# another wallet's) device or wallet get the same answer, with nothing of the id in it.
_NOT_FOUND_DETAIL: Final = {Reason.UNKNOWN_DEVICE: "no such device", Reason.UNKNOWN_WALLET: NO_SUCH_WALLET}


class OfflineError(Invalid):
    """A refused offline payload, certificate or payment, with a machine-readable reason.

    One class for every reason, so decoders and verifiers raise nothing else; its kind is
    `Invalid` (most reasons are a bad payload), and the reason picks the problem's slug,
    title and status (`REASON_STATUS`). A refusal is not kept as an idempotency key's
    answer: a device retries the same request after it has been set right."""

    stored_with_key = False

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value, reason=reason.value)
        self.reason = reason
        self.detail = detail
        self.slug = "offline-" + reason.value.replace("_", "-")
        self.title = reason.value.replace("_", " ").capitalize()
        self.status = REASON_STATUS.get(reason, Invalid.status)

    def problem_detail(self) -> str:
        """The same text for every "not found"; else the detail, or the reason when none."""
        return _NOT_FOUND_DETAIL.get(self.reason) or self.detail or self.reason.value
