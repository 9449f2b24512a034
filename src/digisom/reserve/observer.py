"""The observer: reads a reserve address's inflows and outflows from chain logs and keeps
the books equal to the chain through re-orgs.

Where a move shows: the native coin through the wallet's own events (`Received` for each
inflow, `Executed` with a value for each movement out); a token through its ERC-20
`Transfer` logs to or from the address. Each `sync` re-reads the blocks that are not yet
confirmed (from the oldest pending move or the cursor), voids every pending move no longer
on the canonical chain, posts those now `confirmations` deep, holds the new ones, and then
moves the cursor to the newest confirmed block. `reserve_chain_events` remembers each
move's state so a second sync after a crash repeats nothing (the ledger answers `exists`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from eth_abi.abi import decode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from sqlalchemy import Engine, func, insert, select, update

from digisom.reserve import tables
from digisom.reserve.books import Books, ChainMove
from digisom.reserve.policy import AssetPolicy

RECEIVED_TOPIC: Final = keccak(text="Received(address,uint256)")
EXECUTED_TOPIC: Final = keccak(text="Executed(uint256,address,uint256,bytes32)")
TRANSFER_TOPIC: Final = keccak(text="Transfer(address,address,uint256)")


class ChainLog(Protocol):
    """One event log (`digisom.chain.model.Log` fits)."""

    @property
    def topics(self) -> tuple[bytes, ...]: ...
    @property
    def data(self) -> bytes: ...
    @property
    def block_number(self) -> int: ...
    @property
    def block_hash(self) -> str: ...
    @property
    def tx_hash(self) -> str: ...
    @property
    def log_index(self) -> int: ...


class ChainLogs(Protocol):
    """What the observer reads from a chain (`digisom.chain.protocol.Chain` fits)."""

    def chain_id(self) -> int: ...
    def block_number(self) -> int: ...
    def logs(self, address: str, from_block: int, to_block: int,
             topic0s: Sequence[bytes]) -> Sequence[ChainLog]: ...


def topic_address(topic: bytes) -> str:
    """The address in an indexed address topic (its low 20 bytes)."""
    return str(to_checksum_address(topic[-20:]))


@dataclass(frozen=True, slots=True)
class SyncReport:
    held: int
    posted: int
    voided: int
    confirmed_to_block: int


def event_id(chain_id: int, tx_hash: str, log_index: int, block_hash: str) -> str:
    """One move in one block: a re-mined transaction in another block is another move."""
    return hashlib.sha256(f"{chain_id}:{tx_hash.lower()}:{log_index}:{block_hash.lower()}".encode()).hexdigest()


def moves(chain: ChainLogs, asset: AssetPolicy, address: str, from_block: int, to_block: int) -> list[ChainMove]:
    """The address's moves of `asset` in the canonical blocks from..to, in chain order."""
    chain_id = chain.chain_id()
    found: list[ChainMove] = []
    if asset.token is None:
        for log in chain.logs(address, from_block, to_block, [RECEIVED_TOPIC, EXECUTED_TOPIC]):
            if log.topics[0] == RECEIVED_TOPIC:
                (amount,) = decode(["uint256"], log.data)
                direction = "in"
            else:
                amount, _ = decode(["uint256", "bytes32"], log.data)
                direction = "out"
            if amount:
                found.append(ChainMove(event_id(chain_id, log.tx_hash, log.log_index, log.block_hash), asset.symbol,
                                       chain_id, address, direction, int(amount), log.tx_hash, log.log_index,
                                       log.block_number, log.block_hash))
        return found
    for log in chain.logs(asset.token, from_block, to_block, [TRANSFER_TOPIC]):
        sender, receiver = topic_address(log.topics[1]), topic_address(log.topics[2])
        (amount,) = decode(["uint256"], log.data)
        ours = address.lower()
        if amount and (receiver.lower() == ours) != (sender.lower() == ours):
            found.append(ChainMove(event_id(chain_id, log.tx_hash, log.log_index, log.block_hash), asset.symbol,
                                   chain_id, address, "in" if receiver.lower() == ours else "out", int(amount),
                                   log.tx_hash, log.log_index, log.block_number, log.block_hash))
    return found


class Observer:
    """Keeps one address's books of one asset equal to the chain."""

    def __init__(self, engine: Engine, books: Books, chain: ChainLogs, confirmations: int) -> None:
        self._engine = engine
        self._books = books
        self._chain = chain
        self._confirmations = max(confirmations, 1)

    def sync(self, asset: AssetPolicy, address: str) -> SyncReport:
        head = self._chain.block_number()
        chain_id = self._chain.chain_id()
        self._books.open(asset.symbol, chain_id, address)
        ev = tables.chain_events.c
        with self._engine.connect() as conn:
            cursor = conn.execute(select(tables.cursors.c.confirmed_to_block).where(
                tables.cursors.c.asset == asset.symbol, tables.cursors.c.address == address)).scalar()
            oldest_pending = conn.execute(select(func.min(ev.block_number)).where(
                ev.asset == asset.symbol, ev.address == address, ev.state == "pending")).scalar()
            pending = {row.event_id: row for row in conn.execute(select(tables.chain_events).where(
                ev.asset == asset.symbol, ev.address == address, ev.state == "pending"))}
        start = 0 if cursor is None else int(cursor) + 1
        if oldest_pending is not None:
            start = min(start, int(oldest_pending))
        canonical = moves(self._chain, asset, address, start, head)
        seen = {move.event_id for move in canonical}
        voided = posted = held = 0
        for gone_id, row in pending.items():
            if gone_id not in seen:
                self._books.void(_move_of(row, chain_id))
                self._set_state(gone_id, "voided")
                voided += 1
        for move in canonical:
            deep = head - move.block_number + 1 >= self._confirmations
            if move.event_id in pending:
                if deep:
                    self._books.post(move, held=True)
                    self._set_state(move.event_id, "posted")
                    posted += 1
                continue
            if self._known(move.event_id):
                continue
            if deep:
                self._books.post(move, held=False)
            else:
                self._books.hold(move)
            self._insert(move, "posted" if deep else "pending")
            posted, held = posted + deep, held + (not deep)
        confirmed_to = head - self._confirmations + 1
        self._advance(asset.symbol, address, cursor, confirmed_to)
        return SyncReport(held, posted, voided, confirmed_to)

    def _known(self, move_id: str) -> bool:
        with self._engine.connect() as conn:
            return conn.execute(select(tables.chain_events.c.event_id)
                                .where(tables.chain_events.c.event_id == move_id)).first() is not None

    def _insert(self, move: ChainMove, state: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(insert(tables.chain_events).values(
                event_id=move.event_id, asset=move.asset, address=move.address, direction=move.direction,
                amount_units=str(move.amount_units), tx_hash=move.tx_hash, log_index=move.log_index,
                block_number=move.block_number, block_hash=move.block_hash, state=state))

    def _set_state(self, move_id: str, state: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(update(tables.chain_events).where(tables.chain_events.c.event_id == move_id,
                                                           tables.chain_events.c.state == "pending")
                         .values(state=state))

    def _advance(self, asset: str, address: str, cursor: int | None, confirmed_to: int) -> None:
        if confirmed_to < 0 or (cursor is not None and confirmed_to <= cursor):
            return
        with self._engine.begin() as conn:
            if cursor is None:
                conn.execute(insert(tables.cursors).values(asset=asset, address=address,
                                                           confirmed_to_block=confirmed_to))
            else:
                conn.execute(update(tables.cursors).where(tables.cursors.c.asset == asset,
                                                          tables.cursors.c.address == address)
                             .values(confirmed_to_block=confirmed_to))


def _move_of(row: object, chain_id: int) -> ChainMove:
    r = row._mapping  # type: ignore[attr-defined]
    return ChainMove(r["event_id"], r["asset"], chain_id, r["address"], r["direction"], int(r["amount_units"]),
                     r["tx_hash"], int(r["log_index"]), int(r["block_number"]), r["block_hash"])
