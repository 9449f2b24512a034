"""What merchant invoices need from the rest of the system (the composition root fills
each: digisom/api/merchants_wiring.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol

from digisom.merchants.authorization import Authorization
from digisom.merchants.model import Transfer


@dataclass(frozen=True, slots=True)
class MerchantWallet:
    wallet_id: str
    bank_code: str
    usable: bool
    refusal: str = ""


class MerchantWallets(Protocol):
    """The digital som wallets merchants are settled into."""

    def merchant_wallet(self, wallet_id: str) -> MerchantWallet | None:
        """The wallet if it is a merchant's (kind merchant), else None."""
        ...


@dataclass(frozen=True, slots=True)
class UsdRate:
    som_e6: int  # som per US dollar times 10^6
    on: date


class UsdRates(Protocol):
    """The reference rate of the US dollar (USDKG is quoted at it, 1 USDKG = 1 USD)."""

    def usd(self, today: date) -> UsdRate:
        """Today's usable rate; raises if missing or stale."""
        ...


class Decision(StrEnum):
    CLEAR = "clear"
    HIT = "hit"
    REVIEW = "review"


@dataclass(frozen=True, slots=True)
class Screening:
    decision: Decision
    reason: str


class PayerScreening(Protocol):
    """Screens a paying address (context `merchant_payment`) before settling or refunding."""

    def screen_address(self, address: str) -> Screening:
        ...


class TokenRail(Protocol):
    """One listed token on its chain: its identity, the follower of its transfers, and
    the relayer that submits EIP-3009 authorizations."""

    @property
    def name(self) -> str:
        """The token's EIP-712 domain name."""
        ...

    @property
    def chain_id(self) -> int:
        ...

    @property
    def address(self) -> str:
        ...

    @property
    def decimals(self) -> int:
        ...

    def poll(self, on_transfers: Callable[[list[Transfer]], None], on_rollback: Callable[[int], None]) -> None:
        """Hand on confirmed transfers (configured depth) and re-orgs below it."""
        ...

    def submit(self, auth: Authorization) -> str:
        """Simulate and send `transferWithAuthorization`; the hash. Raises
        `AuthorizationRefused` if the token would refuse it."""
        ...

    def outcome(self, tx_hash: str) -> bool | None:
        """True mined and confirmed, False reverted, None not (yet, or no longer) mined."""
        ...

    def authorization_used(self, authorizer: str, nonce: str) -> bool:
        """`authorizationState(authorizer, nonce)` on chain."""
        ...


class CreditState(StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Credit:
    state: CreditState
    reason: str = ""


class Settlement(Protocol):
    """The KGST bridge's redemption path: tokens sent to `redemption_address` from an
    address linked to a wallet are burned and the reserve released into the wallet."""

    @property
    def redemption_address(self) -> str:
        ...

    def link(self, address: str, wallet_id: str) -> None:
        """Link an invoice address to the merchant's wallet (idempotent)."""
        ...

    def credit(self, sweep_tx_hash: str) -> Credit | None:
        """What the bridge did with the sweep's tokens; None before it saw them."""
        ...


class QuoteRedemption(Protocol):
    """The USDKG issuer's redemption at an invoice's quote: the swept tokens (at
    `redemption_address`) are burned through the issuer's one redeem path, and the
    invoice's som price is paid into the merchant's wallet from the issuer's digital som
    (a ledger transfer). Both steps are keyed by the invoice: a retry repeats neither."""

    @property
    def redemption_address(self) -> str:
        ...

    def redeem(self, invoice_id: str, chain_id: int, amount_units: int, wallet_id: str,
               amount_tyiyn: int) -> Credit:
        """Burn `amount_units` and credit `amount_tyiyn` (POSTED), or say why not: PENDING
        (in doubt, try again) or REFUSED (the reason)."""
        ...
