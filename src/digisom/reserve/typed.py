"""EIP-712 typed data of the `ReserveMultisig` contract wallet, in Python.

The same domain, types and digests the contract computes (contracts/ReserveMultisig.vy),
so an officer's signature made here is the one the contract checks. Signatures are
65-byte (r, s, v); `pack` sorts them by signer, as `execTransaction` requires.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from digisom.reserve.errors import SignatureInvalid

DOMAIN_NAME: Final = "digisom ReserveMultisig"
DOMAIN_VERSION: Final = "1"
SIGNATURE_BYTES: Final = 65
# The lower half of the curve order: the only canonical s (EIP-2), as the contract checks.
SECP256K1N_HALF: Final = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0

_DOMAIN_TYPE: Final = [
    {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"},
]
_TX_TYPE: Final = [
    {"name": "to", "type": "address"}, {"name": "value", "type": "uint256"},
    {"name": "data", "type": "bytes"}, {"name": "nonce", "type": "uint256"},
]
_MESSAGE_TYPE: Final = [{"name": "hash", "type": "bytes32"}]


@dataclass(frozen=True, slots=True)
class MultisigTx:
    """The exact call a wallet runs: officers approve this, nothing looser."""

    chain_id: int
    wallet: str
    to: str
    value_units: int
    data: bytes
    nonce: int

    def typed_data(self) -> dict[str, Any]:
        """The EIP-712 message (as `eth_signTypedData_v4` takes it)."""
        return {
            "types": {"EIP712Domain": _DOMAIN_TYPE, "ReserveTx": _TX_TYPE},
            "primaryType": "ReserveTx",
            "domain": _domain(self.chain_id, self.wallet),
            "message": {"to": to_checksum_address(self.to), "value": self.value_units, "data": self.data,
                        "nonce": self.nonce},
        }


def message_typed_data(chain_id: int, wallet: str, hash32: bytes) -> dict[str, Any]:
    """The EIP-712 message owners sign so the wallet's EIP-1271 check accepts `hash32`."""
    if len(hash32) != 32:
        raise SignatureInvalid("an EIP-1271 hash is 32 bytes")
    return {
        "types": {"EIP712Domain": _DOMAIN_TYPE, "ReserveMessage": _MESSAGE_TYPE},
        "primaryType": "ReserveMessage",
        "domain": _domain(chain_id, wallet),
        "message": {"hash": hash32},
    }


def _domain(chain_id: int, wallet: str) -> dict[str, Any]:
    return {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id,
            "verifyingContract": to_checksum_address(wallet)}


def digest(typed: dict[str, Any]) -> bytes:
    """The 32-byte EIP-712 digest a signer signs (`\\x19\\x01 || domain || struct`)."""
    from eth_account.messages import encode_typed_data  # noqa: PLC0415 - the API loads the EVM stack on use only

    message = encode_typed_data(full_message=typed)
    return bytes(keccak(b"\x19" + message.version + message.header + message.body))


def sign_typed(private_key: bytes | str, typed: dict[str, Any]) -> bytes:
    """A 65-byte signature of `typed` (an officer's approval)."""
    from eth_account import Account  # noqa: PLC0415 - as above
    from eth_account.messages import encode_typed_data  # noqa: PLC0415

    signed = Account.sign_message(encode_typed_data(full_message=typed), private_key=private_key)
    return bytes(signed.signature)


def recover_typed(typed: dict[str, Any], signature: bytes) -> str:
    """The checksummed signer of `typed`; `SignatureInvalid` for anything the contract would refuse."""
    if len(signature) != SIGNATURE_BYTES:
        raise SignatureInvalid(f"a signature is {SIGNATURE_BYTES} bytes, got {len(signature)}")
    if int.from_bytes(signature[32:64], "big") > SECP256K1N_HALF or signature[64] not in (27, 28):
        raise SignatureInvalid("signature is not canonical (high s or bad v)")
    try:
        from eth_account import Account  # noqa: PLC0415 - as above
        from eth_account.messages import encode_typed_data  # noqa: PLC0415

        signer = Account.recover_message(encode_typed_data(full_message=typed), signature=signature)
    except Exception:  # any undecodable signature is the caller's error
        raise SignatureInvalid("signature does not recover to an address") from None
    return str(to_checksum_address(signer))


def pack(signed: Iterable[tuple[str, bytes]]) -> bytes:
    """(signer, signature) pairs concatenated in increasing signer order, as the contract wants."""
    ordered = sorted(signed, key=lambda pair: int(pair[0], 16))
    return b"".join(signature for _, signature in ordered)
