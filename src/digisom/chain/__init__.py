"""The chain adapter: deploy, call and send on an EVM chain, wait for receipts with a
confirmation depth, and follow events through reorgs.

Two implementations of `Chain`: `EmbeddedChain` (titanoboa's in-process EVM, the
embedded default) and `RpcChain` (any JSON-RPC node through web3.py: anvil in tests,
BNB Chain in production). `KgstGateway` puts the stablecoin domain's `TokenGateway`
protocol on top of either.

The recursion limit: importing py_ecc (eth_account, web3 and titanoboa all do) raises
Python's recursion limit for the whole process to 100,000, and py-evm (titanoboa's EVM)
to 12,288. With such a limit, recursion that should end in `RecursionError` (a parser
fed JSON nested 100,000 deep) overflows the C stack and kills the process (issue 13).
This package is imported before any of its modules, so it imports py_ecc here and puts
the limit back; `restore_recursion_limit` does the same after py-evm's import. Nothing
digisom signs or sends needs the deeper limit.
"""

from __future__ import annotations

import importlib
import sys
from typing import Final

# The limit before the EVM stack raised it (the interpreter's default, 1000, unless the
# program chose another).
RECURSION_LIMIT: Final = sys.getrecursionlimit()


def restore_recursion_limit() -> None:
    """Put back the recursion limit an import of the EVM stack raised."""
    sys.setrecursionlimit(RECURSION_LIMIT)


# py_ecc sets the limit when first imported; imported here, it is cached before any
# module of this package imports eth_account or web3, and the limit is put back at once.
importlib.import_module("py_ecc")
restore_recursion_limit()
