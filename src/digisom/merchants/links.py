"""The invoice as the payer's wallet reads it: an EIP-681 link and its QR code.

`ethereum:<token>@<chainId>/transfer?address=<to>&uint256=<amount>`: a call of the
token's `transfer(address, uint256)` on chain `chainId`; the amount is in the token's
smallest unit (KGST: tyiyn), written as a plain integer (EIP-681 allows scientific
notation; wallets differ in reading it, a plain integer they all read)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Final

import segno

_LINK: Final = re.compile(
    r"^ethereum:(0x[0-9a-fA-F]{40})@([1-9][0-9]{0,18})/transfer\?address=(0x[0-9a-fA-F]{40})&uint256=([1-9][0-9]{0,77})$"
)


@dataclass(frozen=True, slots=True)
class TransferLink:
    token_address: str
    chain_id: int
    to: str
    amount_units: int


def eip681(link: TransferLink) -> str:
    """The EIP-681 URI of a token transfer."""
    return (f"ethereum:{link.token_address}@{link.chain_id}/transfer"
            f"?address={link.to}&uint256={link.amount_units}")


def parse_eip681(text: str) -> TransferLink:
    """Read back a link written by `eip681` (ValueError for anything else)."""
    match = _LINK.fullmatch(text)
    if match is None:
        raise ValueError(f"not an EIP-681 token transfer link: {text[:120]!r}")
    return TransferLink(match.group(1), int(match.group(2)), match.group(3), int(match.group(4)))


def render_png(payload: str, scale: int = 6) -> bytes:
    """The link as a PNG QR code."""
    out = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def render_svg(payload: str, scale: int = 6) -> bytes:
    """The link as an SVG QR code."""
    out = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(out, kind="svg", scale=scale, border=4, xmldecl=False)
    return out.getvalue()
