"""What the bridge needs from outside it, as protocols the entry point wires.

- `TokenGateway`: the token on its chain (the chain adapter implements it for KGST).
- `RedemptionFeed`: incoming transfers to the redemption address, confirmation-deep,
  with reorg roll-backs (the chain adapter's event follower implements it).
- `WalletDirectory`: digital som wallets, and how a redemption's credit lands in one (the
  digital som's rule for every credit: frozen, closed, holding limit, waterfall); the
  digital som domain implements it.
- `AddressScreening`: sanctions screening of a mint's destination and a redemption's
  sender (the composition root fills it with the compliance desk).
- the ledger: `digisom.kernel.gateway.LedgerWriter` (`digisom.ledger.service.Ledger`
  satisfies it as is), which the bridge keeps only behind its domain's ledger gateway.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Protocol

from digisom.kernel.credit_plans import CreditPlan
from digisom.kernel.screening import ScreeningDecision
from digisom.stablecoin.errors import BroadcastRefused, NonceTaken, TokenRefused

__all__ = ["BroadcastRefused", "NonceTaken", "TokenRefused"]  # raised by implementations of the protocols below


@dataclass(frozen=True, slots=True)
class PreparedTx:
    """A signed, simulated transaction, recorded before it is broadcast."""

    tx_hash: str
    nonce: int
    raw: bytes
    sender: str


@dataclass(frozen=True, slots=True)
class BlockMark:
    """A block the redemption feed has handed on: its number, hash and parent's hash."""

    number: int
    hash: str
    parent_hash: str


@dataclass(frozen=True, slots=True)
class Settled:
    """Mined with enough confirmations: `success` false means it reverted."""

    tx_hash: str
    success: bool
    block_number: int


@dataclass(frozen=True, slots=True)
class IncomingTransfer:
    """A token transfer to the redemption address, `confirmations` deep."""

    tx_hash: str
    log_index: int
    block_number: int
    sender: str
    amount_token_units: int


class TokenGateway(Protocol):
    """The token contract on its chain, seen by its issuer."""

    @property
    def chain_id(self) -> int:
        """The chain the token lives on."""
        ...

    @property
    def address(self) -> str:
        """The token contract's address."""
        ...

    @property
    def redemption_address(self) -> str:
        """Where holders send tokens to redeem them (the minter, who burns them)."""
        ...

    def decimals(self) -> int:
        """The token's decimals, read from the contract."""
        ...

    def total_supply(self) -> int:
        """Total supply, in token units."""
        ...

    def minter_allowance(self) -> int:
        """What the issuer's minter may still mint, in token units."""
        ...

    def normalize_address(self, address: str) -> str:
        """The checksummed address; `ValueError` if it is not a valid, non-zero address."""
        ...

    def next_nonce(self) -> int:
        """The minter's next nonce as the node sees it (including its pool)."""
        ...

    def prepare_mint(self, to: str, amount_token_units: int, nonce: int) -> PreparedTx:
        """Simulate and sign `mint(to, amount)`; `TokenRefused` if it would revert."""
        ...

    def prepare_burn(self, amount_token_units: int, nonce: int) -> PreparedTx:
        """Simulate and sign `burn(amount)`; `TokenRefused` if it would revert."""
        ...

    def replace(self, tx: PreparedTx) -> PreparedTx:
        """The same call with the same nonce and higher fees (to unstick `tx`)."""
        ...

    def broadcast(self, tx: PreparedTx) -> None:
        """Send a prepared transaction; sending it again is harmless. `NonceTaken` if its nonce
        went to a transaction not known here, `BroadcastRefused` if the node will not take it now."""
        ...

    def outcome(self, tx_hashes: Sequence[str], confirmations: int) -> Settled | None:
        """The settled attempt among `tx_hashes` (one nonce), or None while none is settled."""
        ...

    def set_minter_allowance(self, amount_token_units: int) -> str:
        """As master minter, set the minter's allowance (configureMinter); returns the transaction hash."""
        ...


class RedemptionFeed(Protocol):
    """Transfers to the redemption address, handed on at depth, replayed after a reorg."""

    def poll(self, on_transfer: Callable[[IncomingTransfer], None], on_rollback: Callable[[int], None]) -> None:
        """Hand on new transfers; call `on_rollback(block)` first if blocks after `block` left the chain."""
        ...


@dataclass(frozen=True, slots=True)
class WalletRef:
    """A digital som wallet as the bridge sees it."""

    wallet_id: str
    account_id: int  # the wallet's ledger account (ledger 417, credit-normal)
    usable: bool  # neither frozen nor closed
    refusal: str = ""  # when not usable, why, as a stable reason (`wallet_frozen`, `wallet_closed`)






class WalletDirectory(Protocol):
    """Looks up digital som wallets."""

    def wallet(self, wallet_id: str) -> WalletRef | None:
        """The wallet, or None if there is no such wallet."""
        ...

    def held(self, wallet_id: str) -> AbstractContextManager[None]:
        """Hold the wallet's lock (the digital som's, which freezing takes too) for a block
        that reads the wallet and places a hold on it."""
        ...

    def plan_credit(self, wallet_id: str, amount_tyiyn: int, debit_account_id: int, code: int,
                    waterfall_code: int) -> CreditPlan:
        """The legs that credit `amount_tyiyn` from `debit_account_id` to the wallet: under
        `code` what fits under its holding limit (counting credits still pending), under
        `waterfall_code` the rest to the holder's linked deposit; or the refusal. Call it
        holding `held` until the hold is placed."""
        ...



class AddressPurpose(StrEnum):
    """Why the bridge screens an address: where a mint sends tokens, who sent a redemption."""

    MINT_DESTINATION = "mint_destination"
    REDEMPTION_SENDER = "redemption_sender"


@dataclass(frozen=True, slots=True)
class AddressVerdict:
    """A recorded screening's decision and the reason kept with the operation (rule, score, lists)."""

    decision: ScreeningDecision
    reason: str


class AddressScreening(Protocol):
    """Screens an address the bridge is about to act on; every call is recorded by the screening side."""

    def screen_address(self, address: str, purpose: AddressPurpose) -> AddressVerdict:
        """Screen the checksummed `address`."""
        ...


class NoAddressScreening:
    """Screens nothing, said so in each verdict: for bridges built without screening on purpose."""

    def screen_address(self, address: str, purpose: AddressPurpose) -> AddressVerdict:
        """Always clear, reason `no screening configured`."""
        del address, purpose
        return AddressVerdict(ScreeningDecision.CLEAR, "no screening configured")


NO_ADDRESS_SCREENING: Final = NoAddressScreening()
