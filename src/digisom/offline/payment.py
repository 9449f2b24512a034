"""The offline payment: a compact, deterministic, signed CBOR message.

Wire form: the envelope `[body, signature]` (see `codec`), body =
`[version, payer_key_id, payee_id, amount_tyiyn, currency, counter, previous_hash,
time_s, cumulative_tyiyn]`. The payer is referenced by its 8-byte key id, not by its
certificate, and the payee by its 8-byte device id, so a payment is about 150 bytes
and fits one QR code of version 10 or lower.

`counter` starts at 1 and grows by one per payment of the device; `previous_hash` is
the hash of the device's previous payment body (a genesis value for the first), so
the payments of one device form a hash chain. `cumulative_tyiyn` is the device's total
offline spending under this key including this payment, so that a payee can check
the cumulative limit and that amounts add up along the part of the chain it has seen.
The payment hash (SHA-256 of the body, signature excluded) identifies the payment:
a second signature over the same body is the same payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, NamedTuple

from digisom.money import KGS, Currency
from digisom.offline import codec
from digisom.offline.errors import OfflineError, Reason
from digisom.offline.keys import Signer, signature_valid

PAYMENT_VERSION: Final = 1
# The budget for one payment, signature included; the decoder refuses more.
MAX_PAYMENT_BYTES: Final = 200
PAYMENT_CONTEXT: Final = b"digisom/offline/payment/v1\x00"
GENESIS_CONTEXT: Final = b"digisom/offline/genesis/v1\x00"
# Largest ISO 4217 numeric code.
MAX_CURRENCY_NUMERIC: Final = 999


class PaymentKey(NamedTuple):
    """Identity of a payment for deduplication: who paid, with which counter, what."""

    payer_key_id: bytes
    counter: int
    payment_hash: bytes


@dataclass(frozen=True, slots=True)
class Payment:
    """A decoded offline payment; `encoded` is its exact wire form, `body` the signed part."""

    payer_key_id: bytes
    payee_id: bytes
    amount_tyiyn: int
    currency_numeric: int
    counter: int
    previous_hash: bytes
    time_s: int
    cumulative_tyiyn: int
    payment_hash: bytes
    body: bytes
    signature: bytes
    encoded: bytes
    # The deduplication key (payer key id, counter, payment hash), computed once.
    key: PaymentKey


def genesis_hash(payer_key_id: bytes) -> bytes:
    """The `previous_hash` of a device's first payment (counter 1)."""
    return codec.digest(GENESIS_CONTEXT + payer_key_id)


def sign_payment(
    signer: Signer,
    payee_id: bytes,
    amount_tyiyn: int,
    counter: int,
    previous_hash: bytes,
    time_s: int,
    cumulative_tyiyn: int,
    currency: Currency = KGS,
) -> Payment:
    """Build and sign a payment from the device holding `signer`. No policy checks here:
    the device (`device.Device.pay`) decides whether it may pay."""
    body = codec.encode(
        [
            PAYMENT_VERSION,
            codec.key_id(signer.public_key),
            payee_id,
            amount_tyiyn,
            currency.numeric,
            counter,
            previous_hash,
            time_s,
            cumulative_tyiyn,
        ]
    )
    return decode_payment(codec.seal_envelope(body, signer.sign(PAYMENT_CONTEXT + body)))


def decode_payment(data: bytes) -> Payment:
    """Parse a payment's wire form; checks structure and encoding, not the signature."""
    fast = _read_canonical_layout(data) if type(data) is bytes and len(data) <= MAX_PAYMENT_BYTES else None
    if fast is None:
        body, signature = codec.open_envelope(data, MAX_PAYMENT_BYTES)
        fields = codec.as_array(codec.decode_strict(body, MAX_PAYMENT_BYTES), len(_LAYOUT))
    else:
        body, signature, fields = fast
    if fields[0] != PAYMENT_VERSION or type(fields[0]) is not int:
        raise OfflineError(Reason.UNSUPPORTED_VERSION)
    counter = codec.as_uint(fields[5])
    if counter < 1:
        raise OfflineError(Reason.MALFORMED, "counters start at 1")
    payer_key_id = codec.as_bytes(fields[1], codec.KEY_ID_BYTES)
    payment_hash = codec.digest(body)
    return Payment(
        payer_key_id=payer_key_id,
        payee_id=codec.as_bytes(fields[2], codec.KEY_ID_BYTES),
        amount_tyiyn=codec.as_uint(fields[3]),
        currency_numeric=codec.as_uint(fields[4], MAX_CURRENCY_NUMERIC),
        counter=counter,
        previous_hash=codec.as_bytes(fields[6], codec.HASH_BYTES),
        time_s=codec.as_uint(fields[7]),
        cumulative_tyiyn=codec.as_uint(fields[8]),
        payment_hash=payment_hash,
        body=body,
        signature=signature,
        encoded=data,
        key=PaymentKey(payer_key_id, counter, payment_hash),
    )


# The body's fields in order: an unsigned integer, or a byte string of this exact length.
_UINT: Final = -1
_LAYOUT: Final = (_UINT, codec.KEY_ID_BYTES, codec.KEY_ID_BYTES, _UINT, _UINT, _UINT, codec.HASH_BYTES, _UINT, _UINT)


def _read_canonical_layout(data: bytes) -> tuple[bytes, bytes, list[object]] | None:
    """(body, signature, fields) when `data` is exactly the canonical encoding of the
    payment layout, else None and the generic decoder decides.

    Settlement decodes every uploaded payment; reading the fixed layout directly costs
    a fraction of decoding and re-encoding with cbor2. Whatever this accepts is
    canonical (shortest heads, definite lengths, nothing left over), so the generic
    decoder would accept it too and return the same fields (tested by hypothesis)."""
    read = codec.read_head
    try:
        if read(data, 0)[:2] != (codec.MAJOR_ARRAY, 2):
            return None
        major, body_bytes, start = read(data, 1)
        body, position = data[start : start + body_bytes], start + body_bytes
        if major != codec.MAJOR_BYTES or len(body) != body_bytes:
            return None
        if read(data, position) != (codec.MAJOR_BYTES, codec.SIGNATURE_BYTES, position + 2):
            return None
        signature = data[position + 2 :]
        if len(signature) != codec.SIGNATURE_BYTES or read(body, 0)[:2] != (codec.MAJOR_ARRAY, len(_LAYOUT)):
            return None
        fields: list[object] = []
        position = 1
        for expected in _LAYOUT:
            major, argument, position = read(body, position)
            if expected == _UINT:
                if major != codec.MAJOR_UINT:
                    return None
                fields.append(argument)
            else:
                if major != codec.MAJOR_BYTES or argument != expected or position + argument > len(body):
                    return None
                fields.append(body[position : position + argument])
                position += argument
    except codec.NotShortestForm:
        return None
    return (body, signature, fields) if position == len(body) else None


def signature_matches(payment: Payment, payer_public_key: bytes) -> bool:
    """Whether the payer's key signed this payment."""
    return signature_valid(payer_public_key, payment.signature, PAYMENT_CONTEXT + payment.body)


# The canonical payment starts: array(2), byte string (one length byte), array(9),
# version 1, then the payer's and the payee's 8-byte ids, each behind a 0x48 head.
_REFERENCE_PREFIX: Final = bytes([0x82, 0x58])
_PAYER_SLICE: Final = slice(6, 14)
_PAYEE_SLICE: Final = slice(15, 23)


def referenced_key_ids(data: bytes) -> tuple[bytes, bytes] | None:
    """(payer key id, payee id) read from a canonical payment without decoding it, or None.

    Settlement needs the certificates of every device a batch names before it decodes
    the batch; a slice costs nothing. Whatever this returns is only a hint: `settle`
    decodes and checks every payment itself."""
    if len(data) < 24 or data[:2] != _REFERENCE_PREFIX or data[3:6] != b"\x89\x01\x48" or data[14] != 0x48:
        return None
    return data[_PAYER_SLICE], data[_PAYEE_SLICE]
