"""Rail 2: KGST or USDKG sent on-chain, screened, then redeemed into a digital som wallet.

A holder abroad (the migrant, or the exchange that sold him the tokens) has an address
linked here to the recipient's wallet (`link`). The tokens go to the issuer's redemption
address; the chain follower hands every confirmed transfer of the token to `observe` (the
window kept for one-hop exposure) and each transfer to the redemption address to `admit`,
which screens its sender through the `Screener` port (exact listed address: `hit`;
received from a listed address in the window: `review`) and says whether the issuer's
redemption path may redeem it now:

- `clear`: `passed`, redeemed into the linked wallet by the bridge.
- `hit`: `stopped`; never redeemed, the tokens stay at the redemption address (still
  backed by the reserve) and the record says why, for the operator and the examiner.
- `review`: `held` until an officer decides (`decide`): cleared, it is `cleared` and the
  next poll hands it on (`releases`, then `released`); blocked, it is `blocked` like a hit.

Idempotent by (token, transaction hash, log index): a replay after a restart or a reorg
answers the recorded outcome. The table checks the flow twice (a hit never passes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from sqlalchemy import ColumnElement, Engine, and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from digisom.kernel.clock import utc_now
from digisom.kernel.db_errors import reraise_unless_unique
from digisom.remittance import tables as t
from digisom.remittance.errors import AddressLinked, InboundNotFound, NotPendingReview, RecipientInvalid
from digisom.remittance.ports import Decision, Screener

# Blocks of the window kept for one-hop exposure (about a week of 12-second blocks).
WINDOW_BLOCKS_DEFAULT: Final = 50_000
_EVM_CHARS: Final = 42
# More logs than one block can hold: each costs at least 375 gas, so even BNB Chain's
# 140M-gas blocks hold under 2**19. `Inbound.position` packs (block, log index) with it.
LOGS_PER_BLOCK_MAX: Final = 2**20


class InboundStatus(StrEnum):
    """Where an on-chain inbound transfer is. Values are stable (the table, reports)."""

    PASSED = "passed"  # clear: handed to the redemption path
    STOPPED = "stopped"  # hit: not redeemed, the tokens stay at the redemption address
    HELD = "held"  # review: waits for an officer
    CLEARED = "cleared"  # an officer cleared it: handed on at the next poll
    RELEASED = "released"  # cleared and handed on
    BLOCKED = "blocked"  # an officer blocked it: as a hit


@dataclass(frozen=True, slots=True)
class TokenTransfer:
    """One confirmed token transfer as the follower saw it (any sender, any recipient)."""

    tx_hash: str
    log_index: int
    block_number: int
    source: str
    to: str


@dataclass(frozen=True, slots=True)
class Inbound:
    """A transfer to the redemption address and what became of it."""

    token: str
    tx_hash: str
    log_index: int
    block_number: int
    sender: str
    wallet_id: str  # the linked wallet, "" when the sender is linked to none here
    amount_token_units: int
    decision: Decision
    reason: str
    status: InboundStatus
    officer: str = ""

    @property
    def inbound_id(self) -> str:
        """How an officer names it."""
        return f"{self.tx_hash}:{self.log_index}"

    @property
    def position(self) -> int:
        """Where it stands in chain order, as one number (a page's cursor)."""
        return self.block_number * LOGS_PER_BLOCK_MAX + self.log_index


def address_key(address: str) -> str:
    """The comparison key of an address (EVM addresses are case-insensitive)."""
    stripped = address.strip()
    return stripped.lower() if len(stripped) == _EVM_CHARS and stripped[:2].lower() == "0x" else stripped


class OnchainRail:
    """The links, the window and the inbound transfers of rail 2 on one database."""

    def __init__(self, engine: Engine, screener: Screener, window_blocks: int = WINDOW_BLOCKS_DEFAULT,
                 clock: Callable[[], datetime] = utc_now) -> None:
        if window_blocks < 1:
            raise ValueError("window_blocks must be at least 1")
        self._engine = engine
        self._screener = screener
        self._window_blocks = window_blocks
        self._clock = clock

    def link(self, address: str, wallet_id: str) -> None:
        """Link `address` (already checked by the token's adapter) to `wallet_id`; idempotent,
        `AddressLinked` if it is linked to another wallet."""
        if not address.strip() or len(address) > t.ADDRESS_CHARS_MAX or not wallet_id.strip():
            raise RecipientInvalid("an address and a wallet id are required", field="address")
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(t.chain_links).values(address_key=address_key(address), address=address,
                                                          wallet_id=wallet_id, created_at=self._now()))
        except IntegrityError as error:
            reraise_unless_unique(error)
            if self.linked_wallet(address) != wallet_id:
                raise AddressLinked(f"{address} is linked to another wallet") from None

    def linked_wallet(self, address: str) -> str | None:
        """The wallet `address` is linked to, if any."""
        with self._engine.connect() as conn:
            found = conn.execute(select(t.chain_links.c.wallet_id).where(
                t.chain_links.c.address_key == address_key(address))).scalar()
        return None if found is None else str(found)

    def observe(self, token: str, transfers: Sequence[TokenTransfer]) -> None:
        """Keep the follower's transfers for one-hop exposure; drop those older than the window."""
        if not transfers:
            return
        newest = max(tr.block_number for tr in transfers)
        with self._engine.begin() as conn:
            known = {(r.tx_hash, r.log_index) for r in conn.execute(
                select(t.chain_window.c.tx_hash, t.chain_window.c.log_index).where(
                    t.chain_window.c.token == token,
                    t.chain_window.c.block_number >= min(tr.block_number for tr in transfers)))}
            rows = [{"token": token, "tx_hash": tr.tx_hash.lower(), "log_index": tr.log_index,
                     "block_number": tr.block_number, "source_key": address_key(tr.source),
                     "to_key": address_key(tr.to)}
                    for tr in transfers if (tr.tx_hash.lower(), tr.log_index) not in known]
            if rows:
                conn.execute(insert(t.chain_window), rows)
            conn.execute(delete(t.chain_window).where(
                t.chain_window.c.token == token, t.chain_window.c.block_number <= newest - self._window_blocks))

    def admit(self, token: str, transfer: TokenTransfer, amount_token_units: int) -> bool:
        """Screen a transfer to the redemption address and record it; True if the
        redemption path may redeem it now."""
        found = self.inbound(token, transfer.tx_hash, transfer.log_index)
        if found is not None:
            return found.status is InboundStatus.PASSED
        with self._engine.connect() as conn:
            window = [(str(r.source_key), str(r.to_key)) for r in conn.execute(
                select(t.chain_window.c.source_key, t.chain_window.c.to_key).where(
                    t.chain_window.c.token == token, t.chain_window.c.to_key == address_key(transfer.source),
                    t.chain_window.c.block_number <= transfer.block_number))]
        screening = self._screener.screen_address(transfer.source, window)
        status = {Decision.CLEAR: InboundStatus.PASSED, Decision.HIT: InboundStatus.STOPPED,
                  Decision.REVIEW: InboundStatus.HELD}[screening.decision]
        now = self._now()
        wallet_id = self.linked_wallet(transfer.source) or ""
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(t.chain_inbound).values(
                    token=token, tx_hash=transfer.tx_hash.lower(), log_index=transfer.log_index,
                    block_number=transfer.block_number, sender=transfer.source,
                    wallet_id=wallet_id, amount_token_units=str(amount_token_units),
                    decision=screening.decision.value, reason=screening.reason[:t.REASON_CHARS_MAX],
                    status=status.value, officer="", created_at=now, updated_at=now))
        except IntegrityError as error:  # recorded meanwhile by another poller: its outcome stands
            reraise_unless_unique(error)
            recorded = self.inbound(token, transfer.tx_hash, transfer.log_index)
            return recorded is not None and recorded.status is InboundStatus.PASSED
        return status is InboundStatus.PASSED

    def decide(self, token: str, inbound_id: str, clear: bool, officer: str) -> Inbound:
        """An officer's decision on a held transfer: cleared, the next poll hands it on."""
        if not officer.strip():
            raise RecipientInvalid("the officer is required", field="officer")
        tx_hash, _, index = inbound_id.partition(":")
        if not (index.isascii() and index.isdigit()):
            raise InboundNotFound(f"no inbound transfer {inbound_id}")
        with self._engine.begin() as conn:
            moved = conn.execute(update(t.chain_inbound).where(
                *_key(token, tx_hash, int(index)), t.chain_inbound.c.status == InboundStatus.HELD.value).values(
                status=(InboundStatus.CLEARED if clear else InboundStatus.BLOCKED).value,
                officer=officer[:t.NAME_CHARS_MAX], updated_at=self._now()))
        found = self.inbound(token, tx_hash, int(index))
        if found is None:
            raise InboundNotFound(f"no inbound transfer {inbound_id}")
        if moved.rowcount != 1:
            raise NotPendingReview(f"inbound transfer {inbound_id} is {found.status.value}")
        return found

    def releases(self, token: str) -> list[Inbound]:
        """Cleared transfers the redemption path has not been handed yet."""
        return self._where(token, t.chain_inbound.c.status == InboundStatus.CLEARED.value)

    def mark_released(self, item: Inbound) -> None:
        """`item` was handed to the redemption path (which is idempotent by its transfer)."""
        with self._engine.begin() as conn:
            conn.execute(update(t.chain_inbound).where(
                *_key(item.token, item.tx_hash, item.log_index),
                t.chain_inbound.c.status == InboundStatus.CLEARED.value).values(
                status=InboundStatus.RELEASED.value, updated_at=self._now()))

    def forget_after(self, token: str, block_number: int) -> None:
        """A reorg dropped the blocks above `block_number`: forget their window and the
        screenings no officer decided (they come again and are screened again)."""
        with self._engine.begin() as conn:
            conn.execute(delete(t.chain_window).where(t.chain_window.c.token == token,
                                                      t.chain_window.c.block_number > block_number))
            conn.execute(delete(t.chain_inbound).where(
                t.chain_inbound.c.token == token, t.chain_inbound.c.block_number > block_number,
                t.chain_inbound.c.officer == ""))

    def inbound(self, token: str, tx_hash: str, log_index: int) -> Inbound | None:
        """One recorded transfer."""
        found = self._where(token, *_key(token, tx_hash, log_index))
        return found[0] if found else None

    def inbounds(self, token: str, status: InboundStatus | None = None, *, after_position: int | None = None,
                 limit: int | None = None) -> list[Inbound]:
        """The recorded transfers (of one status), in chain order; with `limit`, at most
        that many after `after_position` (an `Inbound.position`)."""
        c = t.chain_inbound.c
        conditions = [] if status is None else [c.status == status.value]
        if after_position is not None:
            block, log_index = divmod(after_position, LOGS_PER_BLOCK_MAX)
            conditions.append(or_(c.block_number > block, and_(c.block_number == block, c.log_index > log_index)))
        return self._where(token, *conditions, limit=limit)

    def _where(self, token: str, *conditions: ColumnElement[bool], limit: int | None = None) -> list[Inbound]:
        c = t.chain_inbound.c
        with self._engine.connect() as conn:
            rows = conn.execute(select(t.chain_inbound).where(and_(c.token == token, *conditions))
                                .order_by(c.block_number, c.log_index).limit(limit)).all()
        return [Inbound(r.token, r.tx_hash, r.log_index, r.block_number, r.sender, r.wallet_id,
                        int(r.amount_token_units), Decision(r.decision), r.reason, InboundStatus(r.status), r.officer)
                for r in rows]

    def _now(self) -> str:
        return self._clock().isoformat()


def _key(token: str, tx_hash: str, log_index: int) -> tuple[ColumnElement[bool], ...]:
    c = t.chain_inbound.c
    return (c.token == token, c.tx_hash == tx_hash.lower(), c.log_index == log_index)
