"""Per-invoice receiving addresses, derived from the merchant service's secret.

key(invoice) = HMAC-SHA256(secret, "digisom/merchant-invoice/v1/" || invoice_id) mod n
(n: secp256k1's order; 0 is skipped by hashing again), an ordinary EOA key. The service
keeps no per-invoice key: it derives the key when it needs to sign, so the secret (a
32-byte file, like the chain's signing keys) is the only thing to back up, and anyone
holding it can recover every invoice's tokens.

Sweeping needs no gas at the invoice address: the invoice key signs an EIP-3009
`transferWithAuthorization` (to the bridge's redemption address, or back to a payer) and
the service's relayer submits it and pays the gas."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:  # imported when a key is derived: the API's start must not load the EVM stack
    from eth_account.signers.local import LocalAccount

SECP256K1_N: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
DERIVATION_LABEL: Final = b"digisom/merchant-invoice/v1/"
SECRET_BYTES_MIN: Final = 32


class InvoiceKeys:
    """Derives each invoice's key from one secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < SECRET_BYTES_MIN:
            raise ValueError(f"the merchant service secret must be at least {SECRET_BYTES_MIN} bytes")
        self._secret = secret

    def key(self, invoice_id: str) -> LocalAccount:
        from eth_account import Account  # noqa: PLC0415 (see the imports)

        message = DERIVATION_LABEL + invoice_id.encode()
        while True:
            digest = hmac.new(self._secret, message, hashlib.sha256).digest()
            scalar = int.from_bytes(digest, "big") % SECP256K1_N
            if scalar:
                account: LocalAccount = Account.from_key(scalar.to_bytes(32, "big"))
                return account
            message = digest

    def address(self, invoice_id: str) -> str:
        return str(self.key(invoice_id).address)


def parse_secret(raw: bytes) -> bytes:
    """The secret as its file holds it: hex text (with or without 0x), else the raw bytes;
    `ValueError` when shorter than `SECRET_BYTES_MIN` bytes."""
    secret = raw.strip()
    with contextlib.suppress(ValueError):
        secret = bytes.fromhex(secret.decode().removeprefix("0x"))
    if len(secret) < SECRET_BYTES_MIN:
        raise ValueError(f"the secret must be at least {SECRET_BYTES_MIN} bytes")
    return secret
