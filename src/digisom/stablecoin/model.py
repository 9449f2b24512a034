"""The bridge's records: operations with their states, and the reserve report."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final


class Kind(Enum):
    """What an operation does."""

    MINT = "mint"
    REDEEM = "redeem"


class State(Enum):
    """An operation's state. Mint and redeem share one machine:

    requested -> pending_in_ledger -> sent(tx hash, nonce) -> confirmed -> posted
                                              \\-> failed -> voided
    `rejected`: refused before anything moved (e.g. insufficient funds).
    `unmatched`: a redemption transfer the bridge cannot pay out (unknown sender, an
    inexact amount, a closed wallet): the tokens stay at the redemption address, recorded
    for the operator, never lost.
    """

    REQUESTED = "requested"
    PENDING_IN_LEDGER = "pending_in_ledger"
    SENT = "sent"
    CONFIRMED = "confirmed"
    POSTED = "posted"
    FAILED = "failed"
    VOIDED = "voided"
    REJECTED = "rejected"
    UNMATCHED = "unmatched"


TERMINAL: Final = frozenset({State.POSTED, State.VOIDED, State.REJECTED, State.UNMATCHED})


@dataclass(frozen=True, slots=True)
class Operation:
    """One mint or redemption and where it stands."""

    id: str
    kind: Kind
    state: State
    wallet_id: str | None
    address: str
    amount_tyiyn: int
    amount_token_units: int
    tx_hash: str | None = None
    nonce: int | None = None
    raw_tx: bytes | None = None
    source_tx_hash: str | None = None
    source_log_index: int | None = None
    source_block: int | None = None
    failure: str | None = None
    created_at: str = ""
    updated_at: str = ""

    @property
    def open(self) -> bool:
        """Not in a final state."""
        return self.state not in TERMINAL


@dataclass(frozen=True, slots=True)
class ReserveReport:
    """totalSupply against the reserve, in ledger units (tyiyn), with what is in flight.

    Balanced when `reserve - redeem_in_flight <= supply <= reserve + mint_in_flight`: a
    mint's som is held before its tokens exist, a redemption's som is released only after
    its tokens are burned. With nothing in flight, supply equals the reserve exactly.
    """

    chain_id: int
    token_address: str
    decimals: int
    supply_token_units: int
    supply_tyiyn: int | None  # None if the supply is not a whole number of tyiyn
    reserve_tyiyn: int
    mint_in_flight_tyiyn: int
    redeem_in_flight_tyiyn: int
    minter_allowance_token_units: int
    at: str

    @property
    def balanced(self) -> bool:
        """The invariant, allowing only for transfers in flight."""
        if self.supply_tyiyn is None:
            return False
        low = self.reserve_tyiyn - self.redeem_in_flight_tyiyn
        return low <= self.supply_tyiyn <= self.reserve_tyiyn + self.mint_in_flight_tyiyn
