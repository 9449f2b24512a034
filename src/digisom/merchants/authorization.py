"""EIP-3009 `transferWithAuthorization`: the typed data, signing (the invoice addresses'
own sweeps and refunds; a payer's wallet in tests) and the off-chain check of a payer's
signature before the platform spends gas on it.

The digest is built from what the invoice expects (token name, version "1", chain id,
token address, payee, amount), never from what the payer sends: a signature over any
other transaction recovers another address and is refused as not the payer's."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from eth_utils.address import is_address, to_checksum_address

from digisom.merchants.errors import AuthorizationRefused

if TYPE_CHECKING:  # eth_account is imported where a signature is made or checked: the API's
    # start must not load the EVM stack (tests/security/test_transport.py)
    from eth_account.signers.local import LocalAccount

EIP712_VERSION: Final = "1"
UINT256_MAX: Final = 2**256 - 1
_NONCE: Final = re.compile(r"^0x[0-9a-fA-F]{64}$")
_SIGNATURE: Final = re.compile(r"^0x[0-9a-fA-F]{130}$")
TYPES: Final = {
    "TransferWithAuthorization": [
        {"name": "from", "type": "address"}, {"name": "to", "type": "address"},
        {"name": "value", "type": "uint256"}, {"name": "validAfter", "type": "uint256"},
        {"name": "validBefore", "type": "uint256"}, {"name": "nonce", "type": "bytes32"},
    ],
}


@dataclass(frozen=True, slots=True)
class TokenDomain:
    """The token's EIP-712 domain (EIP-5267: name, version, chainId, verifyingContract)."""

    name: str
    chain_id: int
    address: str


@dataclass(frozen=True, slots=True)
class Authorization:
    """A signed `TransferWithAuthorization` (`signature`: r || s || v, 65 bytes hex)."""

    source: str
    to: str
    value: int
    valid_after: int
    valid_before: int
    nonce: str
    signature: str

    def vrs(self) -> tuple[int, bytes, bytes]:
        raw = bytes.fromhex(self.signature[2:])
        v = raw[64] if raw[64] >= 27 else raw[64] + 27
        return v, raw[:32], raw[32:64]


def typed_data(domain: TokenDomain, source: str, to: str, value: int, valid_after: int, valid_before: int,
               nonce: str) -> dict[str, Any]:
    return {
        "types": {"EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                                   {"name": "chainId", "type": "uint256"},
                                   {"name": "verifyingContract", "type": "address"}], **TYPES},
        "primaryType": "TransferWithAuthorization",
        "domain": {"name": domain.name, "version": EIP712_VERSION, "chainId": domain.chain_id,
                   "verifyingContract": domain.address},
        "message": {"from": source, "to": to, "value": value, "validAfter": valid_after,
                    "validBefore": valid_before, "nonce": bytes.fromhex(nonce[2:])},
    }


def sign(key: LocalAccount, domain: TokenDomain, to: str, value: int, valid_after: int, valid_before: int,
         nonce: str) -> Authorization:
    """`key` authorizes `value` units to `to`."""
    from eth_account.messages import encode_typed_data  # noqa: PLC0415 (see the imports)

    data = typed_data(domain, key.address, to, value, valid_after, valid_before, nonce)
    signed = key.sign_message(encode_typed_data(full_message=data))
    signature = "0x" + bytes(signed.signature).hex()
    return Authorization(key.address, to_checksum_address(to), value, valid_after, valid_before, nonce, signature)


def parse(fields: dict[str, Any]) -> Authorization:
    """An authorization from untrusted fields (typed refusal for every malformed one)."""
    try:
        source, to, nonce, signature = (str(fields[k]) for k in ("from", "to", "nonce", "signature"))
        value, after, before = (fields[k] for k in ("value", "validAfter", "validBefore"))
    except KeyError as missing:
        raise AuthorizationRefused(f"the authorization lacks {missing}") from None
    if not (is_address(source) and is_address(to)):
        raise AuthorizationRefused("from and to must be addresses")
    for name, number in (("value", value), ("validAfter", after), ("validBefore", before)):
        if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= UINT256_MAX:
            raise AuthorizationRefused(f"{name} must be an integer of uint256")
    if not _NONCE.fullmatch(nonce):
        raise AuthorizationRefused("nonce must be 32 bytes of hex")
    if not _SIGNATURE.fullmatch(signature):
        raise AuthorizationRefused("signature must be 65 bytes of hex (r, s, v)")
    return Authorization(to_checksum_address(source), to_checksum_address(to), value, after, before,
                         nonce.lower(), signature.lower())


def verify(auth: Authorization, domain: TokenDomain, to: str, value: int, now_s: int, valid_for_min_s: int) -> None:
    """Refuse `auth` unless it pays exactly `value` to `to` on `domain`, is valid now and for
    at least `valid_for_min_s` more seconds, and is signed by its `from`."""
    if to_checksum_address(auth.to) != to_checksum_address(to):
        raise AuthorizationRefused(f"the authorization pays {auth.to}, the invoice's address is {to}")
    if auth.value != value:
        raise AuthorizationRefused(f"the authorization is for {auth.value} units, the invoice is {value}")
    if auth.valid_after >= now_s:
        raise AuthorizationRefused("the authorization is not valid yet")
    if auth.valid_before < now_s + valid_for_min_s:
        raise AuthorizationRefused(f"the authorization expires before it can be mined (validBefore "
                                   f"{auth.valid_before} < now {now_s} + {valid_for_min_s} s)")
    from eth_account import Account  # noqa: PLC0415 (see the imports)
    from eth_account.messages import encode_typed_data  # noqa: PLC0415

    data = typed_data(domain, auth.source, to, value, auth.valid_after, auth.valid_before, auth.nonce)
    try:
        signer = Account.recover_message(encode_typed_data(full_message=data), signature=auth.signature)
    except Exception:
        raise AuthorizationRefused("the signature does not decode") from None
    if to_checksum_address(signer) != to_checksum_address(auth.source):
        raise AuthorizationRefused("the signature is not the payer's over this transfer of this token on this "
                                   "chain (signed over another transaction)")
