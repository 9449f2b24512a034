"""The EMV merchant-presented QR codec: round trips, tampering, malformed TLV, a
pluggable checksum, and a fuzz test that only typed errors ever come out."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digisom.cbdc import qr
from digisom.cbdc.qr import MerchantQr

MERCHANT_WALLET = "w" + "m" * 24
GROCERY = MerchantQr(MERCHANT_WALLET, "Naryn Grocery", "Naryn", "5411", 250_000, "B-17")


def _recrc(body_without_crc: str) -> str:
    """A payload with a correct checksum over `body_without_crc` (which ends before 6304)."""
    body = body_without_crc + "6304"
    return body + qr.crc16_ccitt_false(body.encode())


def test_crc16_ccitt_false_check_value() -> None:
    assert qr.crc16_ccitt_false(b"123456789") == "29B1"


@pytest.mark.parametrize(
    "code",
    [GROCERY, MerchantQr(MERCHANT_WALLET, "Dordoi Stall 7", "Bishkek", "5311"),
     MerchantQr(MERCHANT_WALLET, "Кафе Ала-Тоо", "Ош", "5812", 1, None)],
)
def test_round_trip(code: MerchantQr) -> None:
    payload = qr.encode(code)
    assert qr.decode(payload) == code
    assert payload.startswith("000201")
    assert "5303417" in payload


def test_layout_of_the_fields() -> None:
    fields = qr.parse_tlv(qr.encode(GROCERY))
    assert fields["01"] == "12"  # dynamic: it carries an amount
    assert qr.parse_tlv(fields["32"]) == {"00": qr.DIGISOM_GUI, "01": MERCHANT_WALLET}
    assert (fields["53"], fields["54"], fields["58"]) == ("417", "250000", "KG")
    assert list(fields)[-1] == "63"


def test_a_flipped_character_fails_the_checksum() -> None:
    payload = qr.encode(GROCERY)
    tampered = payload.replace("250000", "950000")
    with pytest.raises(qr.QrBadChecksum) as caught:
        qr.decode(tampered)
    assert caught.value.extensions["reason"] == "bad-checksum"


def test_a_wrong_currency_is_refused_even_with_a_good_checksum() -> None:
    body = qr.encode(GROCERY)[:-8].replace("5303417", "5303840")
    with pytest.raises(qr.QrWrongCurrency):
        qr.decode(_recrc(body))


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ("0002", qr.QrTruncated),
        ("000201010", qr.QrTruncated),
        ("00020101021232", qr.QrTruncated),
        ("0X0201", qr.QrMalformed),
        ("000201010a12", qr.QrMalformed),
        ("0002010002XX", qr.QrMalformed),  # a tag twice
        ("x" * (qr.PAYLOAD_CHARS_MAX + 1), qr.QrTooLong),
        ("000201\x00", qr.QrMalformed),
        ("000201", qr.QrBadChecksum),
    ],
)
def test_malformed_payloads_get_typed_errors(payload: str, error: type[qr.QrError]) -> None:
    with pytest.raises(error):
        qr.decode(payload)


def test_missing_and_invalid_fields() -> None:
    body = qr.encode(GROCERY)[:-8]
    with pytest.raises(qr.QrMissingField):
        qr.decode(_recrc(body.replace("5204541153", "53")))
    with pytest.raises(qr.QrInvalidField):
        qr.decode(_recrc(body.replace("5406250000", "540602.500")))
    with pytest.raises(qr.QrInvalidField):  # a static code (11) must not carry an amount
        qr.decode(_recrc(body.replace("010212", "010211")))


def test_the_checksum_is_pluggable() -> None:
    def other_bank_checksum(data: bytes) -> str:
        return f"{sum(data) & 0xFFFF:04X}"

    payload = qr.encode(GROCERY, checksum=other_bank_checksum)
    assert qr.decode(payload, checksum=other_bank_checksum) == GROCERY
    with pytest.raises(qr.QrBadChecksum):
        qr.decode(payload)


def test_rendering_png_and_svg() -> None:
    payload = qr.encode(GROCERY)
    assert qr.render_png(payload).startswith(b"\x89PNG\r\n\x1a\n")
    assert qr.render_svg(payload).lstrip().startswith(b"<svg")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_fuzz_any_text_gives_a_code_or_a_typed_error(text: str) -> None:
    try:
        qr.decode(text)
    except qr.QrError as error:
        reason = error.extensions["reason"]
    else:
        return
    assert reason


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_fuzz_mutated_valid_payloads_give_only_typed_errors(data: st.DataObject) -> None:
    payload = qr.encode(GROCERY)
    position = data.draw(st.integers(0, len(payload) - 1))
    replacement = data.draw(st.text(max_size=3))
    mutated = payload[:position] + replacement + payload[position + 1 :]
    try:
        decoded = qr.decode(mutated)
    except qr.QrError:
        return
    assert mutated == payload or decoded == GROCERY
