"""The merchant-presented QR code in the EMV layout, as the National Bank's QR rules use it.

A payload is a run of TLV fields: a two-digit tag, a two-digit length, the value. We
write and read: 00 payload format "01", 01 point of initiation ("11" static, "12" with
an amount), 32 the merchant template (00 our GUI, 01 the merchant's wallet id), 52 the
merchant category code, 53 currency "417", 54 the amount in integer tyiyn (the national
rules' choice, not EMV's decimal point), 58 "KG", 59 name, 60 city, 62 additional data
(01 bill number), 63 the checksum over everything before its value (including "6304").

The checksum is pluggable: EMV's CRC-16/CCITT-FALSE by default; some Kyrgyz bank
payloads use another one. Every failure is a typed `QrError` with a stable `reason`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import segno

from digisom.cbdc.errors import CbdcError
from digisom.kernel.errors import Invalid

# EMV caps a merchant-presented payload at 512 characters.
PAYLOAD_CHARS_MAX: Final = 512
DIGISOM_GUI: Final = "kg.nbkr.digisom"
CURRENCY_KGS: Final = "417"
COUNTRY_KG: Final = "KG"
NAME_CHARS_MAX: Final = 25
CITY_CHARS_MAX: Final = 15
BILL_CHARS_MAX: Final = 25
# 13 characters is EMV's limit for tag 54.
AMOUNT_DIGITS_MAX: Final = 13
WALLET_ID_PATTERN: Final = re.compile(r"w[a-z2-7]{24}")
_MCC: Final = re.compile(r"[0-9]{4}")
_TEXT: Final = re.compile(r"[\x20-\x7e\u00a0-\u04ff]*")  # printable Latin and Cyrillic, no controls

Checksum = Callable[[bytes], str]
"""A checksum over the payload bytes up to and including "6304": four uppercase hex digits."""


class QrError(CbdcError, Invalid):
    """A QR payload that cannot be paid; `reason` says why (stable, machine-readable)."""

    slug = "invalid-qr"
    title = "The QR code is not a valid digital-som payment code"
    status = 422
    reason = "malformed"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, reason=self.reason)


class QrMalformed(QrError):
    """Not a TLV run: a tag or length that is not two digits, or trailing bytes."""

    reason = "malformed-tlv"


class QrTruncated(QrError):
    """A field's length runs past the end of the payload."""

    reason = "truncated"


class QrTooLong(QrError):
    """Longer than `PAYLOAD_CHARS_MAX`."""

    reason = "too-long"


class QrBadChecksum(QrError):
    """Tag 63 is missing, misplaced, or does not match the payload."""

    reason = "bad-checksum"


class QrWrongCurrency(QrError):
    """Tag 53 is not 417 (KGS)."""

    reason = "wrong-currency"


class QrMissingField(QrError):
    """A mandatory tag is absent."""

    reason = "missing-field"


class QrInvalidField(QrError):
    """A field's value is out of its format (e.g. a non-numeric amount)."""

    reason = "invalid-field"


def crc16_ccitt_false(data: bytes) -> str:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection), EMV's tag-63 checksum."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


@dataclass(frozen=True, slots=True)
class MerchantQr:
    """What a merchant-presented code says: whom to pay, and optionally how much."""

    wallet_id: str
    merchant_name: str
    merchant_city: str
    mcc: str
    amount_tyiyn: int | None = None
    bill_number: str | None = None


def _tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise QrInvalidField(f"tag {tag}: value longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def encode(qr: MerchantQr, checksum: Checksum = crc16_ccitt_false) -> str:
    """The payload string for `qr`, checked by decoding it again."""
    template = _tlv("00", DIGISOM_GUI) + _tlv("01", qr.wallet_id)
    parts = [
        _tlv("00", "01"),
        _tlv("01", "12" if qr.amount_tyiyn is not None else "11"),
        _tlv("32", template),
        _tlv("52", qr.mcc),
        _tlv("53", CURRENCY_KGS),
    ]
    if qr.amount_tyiyn is not None:
        parts.append(_tlv("54", str(qr.amount_tyiyn)))
    parts += [_tlv("58", COUNTRY_KG), _tlv("59", qr.merchant_name), _tlv("60", qr.merchant_city)]
    if qr.bill_number:
        parts.append(_tlv("62", _tlv("01", qr.bill_number)))
    body = "".join(parts) + "6304"
    payload = body + checksum(body.encode())
    decode(payload, checksum)  # never hand out a code we would refuse
    return payload


def parse_tlv(text: str) -> dict[str, str]:
    """Split a TLV run into {tag: value}; typed errors for anything else."""
    fields: dict[str, str] = {}
    position = 0
    while position < len(text):
        if len(text) - position < 4:
            raise QrTruncated(f"a field header at character {position} is cut off")
        tag, length_text = text[position : position + 2], text[position + 2 : position + 4]
        if not (tag.isascii() and tag.isdigit() and length_text.isascii() and length_text.isdigit()):
            raise QrMalformed(f"tag and length at character {position} must be two digits each")
        length = int(length_text)
        start = position + 4
        if start + length > len(text):
            raise QrTruncated(f"tag {tag} says {length} characters, only {len(text) - start} remain")
        if tag in fields:
            raise QrMalformed(f"tag {tag} appears twice")
        fields[tag] = text[start : start + length]
        position = start + length
    return fields


def decode(payload: str, checksum: Checksum = crc16_ccitt_false) -> MerchantQr:
    """Read and check a payload: checksum first, then every field we rely on."""
    if len(payload) > PAYLOAD_CHARS_MAX:
        raise QrTooLong(f"payload is {len(payload)} characters; at most {PAYLOAD_CHARS_MAX}")
    if not _TEXT.fullmatch(payload):
        raise QrMalformed("payload holds control or unsupported characters")
    fields = parse_tlv(payload)
    if "63" not in fields or not payload.endswith("63" + "04" + fields["63"]) or len(fields["63"]) != 4:
        raise QrBadChecksum("tag 63 must be the last field, four hex digits")
    body = payload[:-4]
    expected = checksum(body.encode())
    if fields["63"].upper() != expected:
        raise QrBadChecksum(f"checksum {fields['63']} does not match the payload ({expected})")
    for tag in ("00", "32", "52", "53", "59", "60"):
        if tag not in fields:
            raise QrMissingField(f"tag {tag} is mandatory")
    if fields["00"] != "01":
        raise QrInvalidField("tag 00 (payload format) must be 01")
    if fields["53"] != CURRENCY_KGS:
        raise QrWrongCurrency(f"currency {fields['53']!r} is not {CURRENCY_KGS} (KGS)")
    if "58" in fields and fields["58"] != COUNTRY_KG:
        raise QrInvalidField(f"country {fields['58']!r} is not {COUNTRY_KG}")
    template = parse_tlv(fields["32"])
    if template.get("00") != DIGISOM_GUI:
        raise QrInvalidField(f"merchant template 32 is not a digital-som template ({DIGISOM_GUI})")
    wallet_id = template.get("01", "")
    if not WALLET_ID_PATTERN.fullmatch(wallet_id):
        raise QrInvalidField("merchant template 32 has no valid wallet id in sub-tag 01")
    if not _MCC.fullmatch(fields["52"]):
        raise QrInvalidField("tag 52 (merchant category code) must be four digits")
    amount = _amount(fields.get("54"))
    initiation = fields.get("01", "11")
    if initiation not in ("11", "12") or (initiation == "12") != (amount is not None):
        raise QrInvalidField("tag 01 must be 11 without an amount and 12 with one")
    name, city = fields["59"], fields["60"]
    if not 0 < len(name) <= NAME_CHARS_MAX or not 0 < len(city) <= CITY_CHARS_MAX:
        raise QrInvalidField(f"name (tag 59) and city (tag 60) need 1..{NAME_CHARS_MAX} and 1..{CITY_CHARS_MAX}")
    bill = parse_tlv(fields["62"]).get("01") if "62" in fields else None
    if bill is not None and not 0 < len(bill) <= BILL_CHARS_MAX:
        raise QrInvalidField(f"bill number (62/01) needs 1..{BILL_CHARS_MAX} characters")
    return MerchantQr(wallet_id, name, city, fields["52"], amount, bill)


def _amount(text: str | None) -> int | None:
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > AMOUNT_DIGITS_MAX or text.startswith("0"):
        raise QrInvalidField("tag 54 (amount) must be a positive integer of tyiyn without leading zeros")
    return int(text)


def render_png(payload: str, scale: int = 6) -> bytes:
    """The payload as a PNG image."""
    out = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def render_svg(payload: str, scale: int = 6) -> bytes:
    """The payload as an SVG image."""
    out = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(out, kind="svg", scale=scale, border=4, xmldecl=False)
    return out.getvalue()
