"""Payments as QR codes: one code, binary mode, version 10 or lower.

Version 10 is the largest code a cheap phone camera reads reliably at arm's length;
at error correction level M it carries 213 bytes, so a payment (at most 200 bytes)
always fits. Reading a code back is the camera library's job; the bytes it yields go
to `payment.decode_payment`.
"""

from __future__ import annotations

import io
from typing import Final

import segno

from digisom.errors import invariant
from digisom.offline.errors import OfflineError, Reason

MAX_QR_VERSION: Final = 10
# M restores up to 15% damaged modules (a scratched screen) and still fits 200 bytes in v10.
QR_ERROR_LEVEL: Final = "m"


def payment_qr(payload: bytes) -> segno.QRCode:
    """The smallest binary-mode QR code for `payload`, refused above version 10."""
    try:
        code = segno.make(payload, mode="byte", error=QR_ERROR_LEVEL, boost_error=False, micro=False)
    except segno.DataOverflowError:
        raise OfflineError(Reason.QR_TOO_LARGE, f"{len(payload)} bytes do not fit any QR code") from None
    # segno types the version as int | str because Micro QR versions are named "M1".."M4".
    if not isinstance(code.version, int) or code.version > MAX_QR_VERSION:
        raise OfflineError(Reason.QR_TOO_LARGE, f"needs version {code.version} > {MAX_QR_VERSION}")
    return code


def qr_version(payload: bytes) -> int:
    """The QR version `payload` needs (at most 10, or `OfflineError`)."""
    version = payment_qr(payload).version
    invariant(isinstance(version, int), "payment_qr makes full-size QR codes only")
    return int(version)


def qr_svg(payload: bytes, scale: int = 4) -> str:
    """The QR code for `payload` as an SVG document, for a wallet's screen."""
    buffer = io.BytesIO()
    payment_qr(payload).save(buffer, kind="svg", scale=scale)
    return buffer.getvalue().decode("utf-8")


def qr_png(payload: bytes, scale: int = 4) -> bytes:
    """The QR code for `payload` as PNG bytes."""
    buffer = io.BytesIO()
    payment_qr(payload).save(buffer, kind="png", scale=scale)
    return buffer.getvalue()
