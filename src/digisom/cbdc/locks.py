"""Per-wallet locks: operations that read a balance to plan a chain (holding limit,
waterfall) run one at a time per wallet, while different wallets still go in parallel
and their chains are batched by the ledger's writer.

Striped: a fixed number of locks, a wallet hashes to one. Locks are taken in stripe
order, so two operations on the same pair of wallets cannot deadlock. Within one
process only; several API processes on one database need row locks (docs/adr/0003).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Final

STRIPES: Final = 1024


class WalletLocks:
    """A fixed set of locks; `hold(ids)` takes those of the given wallets."""

    def __init__(self, stripes: int = STRIPES) -> None:
        # Re-entrant: accepting a request to pay holds the wallets, then pays between them.
        self._locks = [threading.RLock() for _ in range(stripes)]

    def _stripe(self, wallet_id: str) -> int:
        digest = hashlib.blake2b(wallet_id.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") % len(self._locks)

    @contextmanager
    def hold(self, *wallet_ids: str) -> Iterator[None]:
        """Hold the locks of `wallet_ids` for the block."""
        with ExitStack() as stack:
            for stripe in sorted({self._stripe(w) for w in wallet_ids}):
                stack.enter_context(self._locks[stripe])
            yield
