"""Follow a contract's events through reorgs.

The follower reads logs only down to a confirmation depth, in bounded block ranges, and
remembers the hash of the last block of each range it handed on (`CursorStore`). Before
reading on it checks that the remembered blocks are still on the chain; if the newest is
not, it walks back to the newest one that is (the fork point), tells the consumer to
forget everything after it, and reads again from there. Logs after the fork point are
therefore emitted again: consumers are idempotent by (transaction hash, log index).
A log is handed on only if its block is still the chain's block at that height.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from digisom.chain.errors import ChainError
from digisom.chain.model import BlockRef, Log
from digisom.chain.protocol import Chain

# Blocks read per eth_getLogs request: providers cap ranges (often at 1,000 or 5,000).
BLOCKS_PER_READ_MAX: Final = 500
# Remembered range ends; a reorg deeper than this many ranges stops the follower.
CURSOR_BLOCKS_KEPT: Final = 64


class ReorgTooDeep(ChainError):
    """The chain no longer holds any block the follower remembers: an operator must look."""


class BlockLike(Protocol):
    """A remembered block: `BlockRef` or any record with the same fields."""

    @property
    def number(self) -> int:
        """Block number."""
        ...

    @property
    def hash(self) -> str:
        """Block hash."""
        ...

    @property
    def parent_hash(self) -> str:
        """Parent block's hash."""
        ...


class CursorStore(Protocol):
    """Where a follower keeps the blocks it has handed on (the consumer's database)."""

    def recent(self) -> Sequence[BlockLike]:
        """The remembered blocks, oldest first."""
        ...

    def remember(self, block: Any, keep: int) -> None:
        """Add `block` as the newest handed on, keeping at most `keep` blocks."""
        ...

    def forget_after(self, number: int) -> None:
        """Drop remembered blocks above `number`."""
        ...


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll did."""

    logs: int
    rolled_back_to: int | None
    next_block: int


class Follower:
    """Hands on the logs of one contract, `confirmations` deep, surviving reorgs."""

    def __init__(self, chain: Chain, address: str, topic0s: Sequence[bytes], confirmations: int,
                 start_block: int, cursor: CursorStore) -> None:
        if confirmations < 1:
            raise ValueError("confirmations must be at least 1")
        self._chain = chain
        self._address = address
        self._topic0s = tuple(topic0s)
        self._confirmations = confirmations
        self._start_block = start_block
        self._cursor = cursor

    def poll(self, on_logs: Callable[[list[Log]], None], on_rollback: Callable[[int], None]) -> PollResult:
        """Check for a reorg, then hand on every confirmed log not handed on yet."""
        rolled_back_to = self._check_reorg(on_rollback)
        recent: list[BlockLike] = list(self._cursor.recent())
        next_block = recent[-1].number + 1 if recent else self._start_block
        safe_head = self._chain.block_number() - self._confirmations + 1
        handed = 0
        while next_block <= safe_head:
            last = min(next_block + BLOCKS_PER_READ_MAX - 1, safe_head)
            read = self._read(next_block, last, recent[-1] if recent else None)
            if read is None:  # the chain moved under us; the next poll sorts it out
                break
            end, logs = read
            if logs:
                on_logs(logs)
                handed += len(logs)
            self._cursor.remember(end, CURSOR_BLOCKS_KEPT)
            recent = [*recent, end]
            next_block = last + 1
        return PollResult(handed, rolled_back_to, next_block)

    def _check_reorg(self, on_rollback: Callable[[int], None]) -> int | None:
        recent = self._cursor.recent()
        if not recent or self._on_chain(recent[-1]):
            return None
        kept = [block for block in recent if self._on_chain(block)]
        # With fewer ends remembered than kept, the history reaches back to the start block,
        # so replaying from there is safe; a full window with nothing left is too deep.
        if not kept and len(recent) >= CURSOR_BLOCKS_KEPT:
            raise ReorgTooDeep(
                f"none of the {len(recent)} remembered blocks from {recent[0].number} is on the chain any more"
            )
        fork = kept[-1].number if kept else self._start_block - 1
        self._cursor.forget_after(fork)
        on_rollback(fork)
        return fork

    def _on_chain(self, block: BlockLike) -> bool:
        found = self._chain.block(block.number)
        return found is not None and found.hash == block.hash

    def _read(self, first: int, last: int, previous: BlockLike | None) -> tuple[BlockRef, list[Log]] | None:
        end = self._chain.block(last)
        if end is None:
            return None
        logs = self._chain.logs(self._address, first, last, self._topic0s)
        hashes: dict[int, str] = {end.number: end.hash}
        for log in logs:
            if log.block_number not in hashes:
                block = self._chain.block(log.block_number)
                hashes[log.block_number] = block.hash if block else ""
            if hashes[log.block_number] != log.block_hash:
                return None
        if previous is not None and not self._on_chain(previous):
            return None
        if not self._on_chain(end):
            return None
        return end, sorted(logs, key=lambda log: (log.block_number, log.log_index))
