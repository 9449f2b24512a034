"""Fuzzing the decoders: hostile bytes give an `OfflineError` with a reason, never a crash."""

from __future__ import annotations

from collections.abc import Callable

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digisom.offline import codec
from digisom.offline import payment as payment_module
from digisom.offline.certificates import decode_certificate, decode_revocation_list, issue_revocation_list
from digisom.offline.device import Device
from digisom.offline.errors import OfflineError, Reason
from digisom.offline.payment import MAX_PAYMENT_BYTES, decode_payment
from digisom.offline.settlement import settle
from digisom.offline.upload import Receipt, Upload
from tests.offline.world import NOW_S, World, signer

WORLD = World()
PENSIONER = WORLD.device("pensioner")
MERCHANT_CERTIFICATE = WORLD.device("merchant", fund_tyiyn=0).certificate
VALID_PAYMENT = PENSIONER.pay(MERCHANT_CERTIFICATE.key_id, 12_345, NOW_S)
VALID_CERTIFICATE = PENSIONER.certificate.encoded
MERCHANT_STATE = Device.provision(signer("merchant"), MERCHANT_CERTIFICATE, WORLD.trust(), NOW_S).snapshot()
VALID_REVOCATIONS = issue_revocation_list(WORLD.central_bank, 7, NOW_S, [b"\x01" * 8, b"\x02" * 8]).encoded

Decoder = Callable[[bytes], object]
DECODERS: list[tuple[Decoder, bytes]] = [
    (decode_payment, VALID_PAYMENT),
    (decode_certificate, VALID_CERTIFICATE),
    (decode_revocation_list, VALID_REVOCATIONS),
]


def mutations(valid: bytes) -> st.SearchStrategy[bytes]:
    """Valid bytes with flipped bits, cut, extended, or a span overwritten."""
    flip = st.tuples(st.integers(0, len(valid) - 1), st.integers(1, 255)).map(
        lambda at: valid[: at[0]] + bytes([valid[at[0]] ^ at[1]]) + valid[at[0] + 1 :]
    )
    cut = st.integers(0, len(valid)).map(lambda n: valid[:n])
    extend = st.binary(min_size=1, max_size=16).map(lambda tail: valid + tail)
    splice = st.tuples(st.integers(0, len(valid)), st.binary(max_size=12)).map(
        lambda at: valid[: at[0]] + at[1] + valid[at[0] + len(at[1]) :]
    )
    return st.one_of(flip, cut, extend, splice)


def inner_mutations(valid: bytes) -> st.SearchStrategy[bytes]:
    """Re-encoded envelopes whose body fields are replaced by arbitrary CBOR values."""
    body, signature = cbor2.loads(valid)
    fields = cbor2.loads(body)
    values = st.one_of(
        st.integers(-(2**70), 2**70),
        st.binary(max_size=40),
        st.text(max_size=8),
        st.none(),
        st.booleans(),
        st.floats(allow_nan=False),
        st.lists(st.integers(0, 3), max_size=3),
    )
    return st.tuples(st.integers(0, len(fields) - 1), values).map(
        lambda change: cbor2.dumps(
            [
                cbor2.dumps([*fields[: change[0]], change[1], *fields[change[0] + 1 :]], canonical=True),
                signature,
            ],
            canonical=True,
        )
    )


def reason_or_none(call: Callable[[], object]) -> Reason | None:
    """Run `call`; an `OfflineError` gives its reason, any other exception fails the test."""
    try:
        call()
    except OfflineError as error:
        return error.reason
    return None


def only_typed_errors(decode: Decoder, data: bytes) -> None:
    reason = reason_or_none(lambda: decode(data))
    assert reason is None or isinstance(reason, Reason)


@pytest.mark.parametrize(("decode", "valid"), DECODERS)
@given(data=st.data())
@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_random_bytes(decode: Decoder, valid: bytes, data: st.DataObject) -> None:
    del valid
    only_typed_errors(decode, data.draw(st.binary(max_size=400)))


@pytest.mark.parametrize(("decode", "valid"), DECODERS)
@given(data=st.data())
@settings(max_examples=300)
def test_mutated_valid_payloads(decode: Decoder, valid: bytes, data: st.DataObject) -> None:
    only_typed_errors(decode, data.draw(mutations(valid)))


@pytest.mark.parametrize(("decode", "valid"), DECODERS)
@given(data=st.data())
@settings(max_examples=300)
def test_mutated_fields(decode: Decoder, valid: bytes, data: st.DataObject) -> None:
    only_typed_errors(decode, data.draw(inner_mutations(valid)))


@given(st.recursive(st.integers() | st.binary(max_size=8) | st.none(), lambda inner: st.lists(inner, max_size=4)))
@settings(max_examples=300)
def test_arbitrary_cbor_structures(value: object) -> None:
    only_typed_errors(decode_payment, cbor2.dumps(value))
    only_typed_errors(decode_payment, cbor2.dumps([cbor2.dumps(value), b"\x00" * 64]))


@pytest.mark.parametrize(
    "payload",
    [
        b"\x81" * 150,  # deeply nested arrays
        b"\x9f" * 150,  # indefinite-length arrays
        b"\x5b\xff\xff\xff\xff\xff\xff\xff\xff",  # a byte string claiming 2**64 bytes
        b"\xc2\x58\x40" + b"\xff" * 64,  # a bignum
        b"\xd9\xd9\xf7\x80",  # self-described CBOR tag
        b"\xc1\x1b\xff\xff\xff\xff\xff\xff\xff\xff",  # an epoch date out of range
        b"\xfb\x7f\xf8\x00\x00\x00\x00\x00\x00",  # NaN
    ],
)
def test_known_nasty_inputs(payload: bytes) -> None:
    for decode, _valid in DECODERS:
        only_typed_errors(decode, payload)


@given(data=st.data())
@settings(max_examples=200)
def test_device_receive_never_crashes(data: st.DataObject) -> None:
    merchant = Device.from_state(signer("merchant"), MERCHANT_STATE)
    payload = data.draw(st.one_of(st.binary(max_size=220), mutations(VALID_PAYMENT), inner_mutations(VALID_PAYMENT)))
    certificate = data.draw(st.one_of(st.none(), st.just(VALID_CERTIFICATE), mutations(VALID_CERTIFICATE)))
    reason = reason_or_none(lambda: merchant.receive(payload, NOW_S, certificate))
    assert reason is None or isinstance(reason, Reason)


@given(st.lists(st.one_of(st.binary(max_size=220), mutations(VALID_PAYMENT)), max_size=20))
@settings(max_examples=100)
def test_settlement_never_crashes_on_garbage(payloads: list[bytes]) -> None:
    uploads = [
        Upload(PENSIONER.device_id, tuple(payloads), ()),
        Upload(MERCHANT_CERTIFICATE.key_id, (), tuple(Receipt(p, NOW_S, 0) for p in payloads)),
    ]
    result = settle(uploads, WORLD.context())
    assert sum(p.amount_tyiyn for p in result.payouts) <= WORLD.funded_tyiyn[PENSIONER.device_id]


field_values = st.one_of(
    st.integers(0, 2**64 - 1),
    st.integers(-(2**64), -1),
    st.sampled_from([0, 23, 24, 255, 256, 65_535, 65_536, 2**32 - 1, 2**32, 2**63 - 1, 2**63]),
    st.binary(max_size=40),
    st.sampled_from([b"\x00" * 8, b"\x01" * 32]),
)


@given(
    fields=st.lists(field_values, min_size=7, max_size=11),
    signature=st.one_of(st.just(b"\x00" * 64), st.binary(max_size=70)),
    data=st.data(),
)
@settings(max_examples=500)
def test_fast_layout_reader_agrees_with_the_generic_decoder(
    fields: list[object], signature: bytes, data: st.DataObject
) -> None:
    body = cbor2.dumps(fields, canonical=True)
    payload = cbor2.dumps([body, signature], canonical=True)
    payload = data.draw(st.one_of(st.just(payload), mutations(payload), mutations(VALID_PAYMENT)))
    fast = payment_module._read_canonical_layout(payload)
    if fast is not None:
        generic_body, generic_signature = codec.open_envelope(payload, MAX_PAYMENT_BYTES)
        generic_fields = codec.decode_strict(generic_body, MAX_PAYMENT_BYTES)
        assert fast == (generic_body, generic_signature, generic_fields)
    assert reason_or_none(lambda: decode_payment(payload)) == reason_or_none(lambda: generic_decode(payload))


def generic_decode(payload: bytes) -> None:
    """The generic path alone: what decode_payment did before the fast reader."""
    body, _signature = codec.open_envelope(payload, MAX_PAYMENT_BYTES)
    fields = codec.as_array(codec.decode_strict(body, MAX_PAYMENT_BYTES), 9)
    if fields[0] != 1 or type(fields[0]) is not int:
        raise OfflineError(Reason.UNSUPPORTED_VERSION)
    counter = codec.as_uint(fields[5])
    if counter < 1:
        raise OfflineError(Reason.MALFORMED)
    codec.as_bytes(fields[1], 8)
    codec.as_bytes(fields[2], 8)
    codec.as_uint(fields[3])
    codec.as_uint(fields[4], 999)
    codec.as_bytes(fields[6], 32)
    codec.as_uint(fields[7])
    codec.as_uint(fields[8])


def test_fast_layout_reader_takes_valid_payments() -> None:
    assert payment_module._read_canonical_layout(VALID_PAYMENT) is not None
