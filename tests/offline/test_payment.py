"""The payment message: canonical encoding, size, hash, signature, QR transport."""

from __future__ import annotations

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digisom.offline import codec
from digisom.offline.errors import OfflineError, Reason
from digisom.offline.payment import (
    MAX_PAYMENT_BYTES,
    PAYMENT_CONTEXT,
    decode_payment,
    genesis_hash,
    sign_payment,
    signature_matches,
)
from digisom.offline.qr import MAX_QR_VERSION, payment_qr, qr_png, qr_svg, qr_version
from tests.offline.qr_reader import QrReadError, read_qr
from tests.offline.world import NOW_S, signer

MERCHANT_ID = codec.key_id(signer("merchant").public_key)


def largest_payment() -> bytes:
    """A payment with every integer field at its widest."""
    return sign_payment(
        signer("pensioner"),
        payee_id=MERCHANT_ID,
        amount_tyiyn=codec.MAX_UINT,
        counter=codec.MAX_UINT,
        previous_hash=b"\xff" * 32,
        time_s=codec.MAX_UINT,
        cumulative_tyiyn=codec.MAX_UINT,
    ).encoded


def test_payment_round_trips() -> None:
    key = signer("pensioner")
    payment = sign_payment(key, MERCHANT_ID, 12_345, 1, genesis_hash(codec.key_id(key.public_key)), NOW_S, 12_345)
    again = decode_payment(payment.encoded)
    assert again == payment
    assert again.payer_key_id == codec.key_id(key.public_key)
    assert again.currency_numeric == 417
    assert signature_matches(again, key.public_key)
    assert not signature_matches(again, signer("shop").public_key)


def test_payment_is_compact_even_at_its_widest() -> None:
    assert len(largest_payment()) <= MAX_PAYMENT_BYTES


def test_encoding_is_deterministic() -> None:
    key = signer("pensioner")
    first = sign_payment(key, MERCHANT_ID, 500, 7, b"\x00" * 32, NOW_S, 900)
    second = sign_payment(key, MERCHANT_ID, 500, 7, b"\x00" * 32, NOW_S, 900)
    assert first.body == second.body
    assert first.payment_hash == second.payment_hash
    assert first.key == second.key


def test_tampered_amount_breaks_the_signature() -> None:
    key = signer("pensioner")
    payment = sign_payment(key, MERCHANT_ID, 500, 1, genesis_hash(codec.key_id(key.public_key)), NOW_S, 500)
    fields = cbor2.loads(payment.body)
    fields[3] = 50_000
    tampered = decode_payment(codec.seal_envelope(codec.encode(fields), payment.signature))
    assert tampered.amount_tyiyn == 50_000
    assert not signature_matches(tampered, key.public_key)


def test_signature_is_domain_separated() -> None:
    key = signer("pensioner")
    payment = sign_payment(key, MERCHANT_ID, 500, 1, b"\x00" * 32, NOW_S, 500)
    assert payment.signature == key.sign(PAYMENT_CONTEXT + payment.body)
    assert payment.signature != key.sign(payment.body)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda data: data + b"\x00", Reason.NON_CANONICAL),
        (lambda data: data[:-1], Reason.MALFORMED),
        (lambda data: b"", Reason.MALFORMED),
        (lambda data: data + b"\x00" * MAX_PAYMENT_BYTES, Reason.TOO_LARGE),
        (lambda data: cbor2.dumps({"a": 1}), Reason.MALFORMED),
    ],
)
def test_bad_encodings_are_typed(mutate: object, reason: Reason) -> None:
    key = signer("pensioner")
    payload = sign_payment(key, MERCHANT_ID, 500, 1, b"\x00" * 32, NOW_S, 500).encoded
    with pytest.raises(OfflineError) as excinfo:
        decode_payment(mutate(payload))  # type: ignore[operator]
    assert excinfo.value.reason is reason


def test_non_shortest_integer_is_non_canonical() -> None:
    key = signer("pensioner")
    payment = sign_payment(key, MERCHANT_ID, 5, 1, b"\x00" * 32, NOW_S, 5)
    # amount 5 spelled with a one-byte argument (0x18 0x05) instead of inline.
    body = payment.body.replace(b"\x05\x19\x01\xa1", b"\x18\x05\x19\x01\xa1", 1)
    assert body != payment.body
    with pytest.raises(OfflineError) as excinfo:
        decode_payment(codec.seal_envelope(body, payment.signature))
    assert excinfo.value.reason is Reason.NON_CANONICAL


def test_counter_zero_is_malformed() -> None:
    key = signer("pensioner")
    body = codec.encode([1, codec.key_id(key.public_key), MERCHANT_ID, 5, 417, 0, b"\x00" * 32, NOW_S, 5])
    with pytest.raises(OfflineError) as excinfo:
        decode_payment(codec.seal_envelope(body, key.sign(PAYMENT_CONTEXT + body)))
    assert excinfo.value.reason is Reason.MALFORMED


def test_unknown_version() -> None:
    key = signer("pensioner")
    body = codec.encode([2, codec.key_id(key.public_key), MERCHANT_ID, 5, 417, 1, b"\x00" * 32, NOW_S, 5])
    with pytest.raises(OfflineError) as excinfo:
        decode_payment(codec.seal_envelope(body, key.sign(PAYMENT_CONTEXT + body)))
    assert excinfo.value.reason is Reason.UNSUPPORTED_VERSION


def test_qr_fits_version_10() -> None:
    payload = largest_payment()
    version = qr_version(payload)
    assert version <= MAX_QR_VERSION
    code = payment_qr(payload)
    assert code.mode == "byte"
    assert code.error == "M"


def test_qr_refuses_what_does_not_fit() -> None:
    with pytest.raises(OfflineError) as excinfo:
        qr_version(b"\x00" * 400)
    assert excinfo.value.reason is Reason.QR_TOO_LARGE


def test_qr_renders() -> None:
    payload = largest_payment()
    assert qr_svg(payload).lstrip().startswith("<?xml")
    assert qr_png(payload).startswith(b"\x89PNG")


def test_qr_round_trip() -> None:
    key = signer("pensioner")
    payment = sign_payment(key, MERCHANT_ID, 12_345, 1, genesis_hash(codec.key_id(key.public_key)), NOW_S, 12_345)
    for payload in (payment.encoded, largest_payment()):
        assert qr_version(payload) <= MAX_QR_VERSION
        assert decode_payment(read_qr(payment_qr(payload).matrix)) == decode_payment(payload)


@given(st.binary(min_size=1, max_size=213))
@settings(max_examples=60, deadline=None)
def test_qr_reader_reads_any_payload_up_to_version_10(payload: bytes) -> None:
    assert read_qr(payment_qr(payload).matrix) == payload


def test_qr_reader_notices_a_damaged_module() -> None:
    matrix = [list(row) for row in payment_qr(largest_payment()).matrix]
    matrix[-1][-1] ^= 1  # the first data module
    with pytest.raises(QrReadError):
        read_qr(matrix)
