"""The assets an inquiry may name, each valued by the fiat currency it is or is pegged to.

Amounts are integer minor units of that currency: KGST in tyiyn (1 KGST = 1 som), USDKG
in US cents (1 USDKG = 1 dollar), the others in their ISO 4217 minor units. A token's
own on-chain units (its contract's decimals) are converted by the sender, exactly as
the bridge does, so one inquiry never depends on which chain carries the token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Asset:
    """An asset and the currency that values it (its own code for a fiat currency)."""

    code: str
    valued_as: str
    on_chain: bool


ASSETS: Final[dict[str, Asset]] = {a.code: a for a in (
    Asset("KGS", "KGS", False), Asset("KGST", "KGS", True), Asset("USDKG", "USD", True),
    Asset("USD", "USD", False), Asset("RUB", "RUB", False), Asset("KZT", "KZT", False),
    Asset("EUR", "EUR", False), Asset("TRY", "TRY", False),
)}
