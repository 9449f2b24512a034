"""What the exchange needs from outside, filled by the composition root: sanctions
screening (the kernel's `Screener`, over the compliance desk), the USD equivalent of an
amount (the remittance domain's reference rates) and whether a VASP is licensed for
transfers (the register's VASP licensing)."""

from __future__ import annotations

from typing import Protocol

from digisom.kernel.screening import Screener, Screening, ScreeningDecision

__all__ = ["Screener", "Screening", "ScreeningDecision", "UsdValuer", "VaspStanding"]


class UsdValuer(Protocol):
    """An amount's US dollar equivalent at the reference rates."""

    def usd_cents(self, currency: str, amount_minor: int) -> int:
        """`amount_minor` of `currency` (KGS, USD, RUB, ...) in US cents, rounded down
        (exact against an integer threshold); a missing or stale rate is a typed refusal."""
        ...


class VaspStanding(Protocol):
    """The VASP licence register's answer for the travel-rule exchange."""

    def licensed_for_transfers(self, vasp_id: str) -> bool:
        """Whether `vasp_id` holds a licence that permits transfers today."""
        ...
