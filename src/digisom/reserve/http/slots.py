"""What the reserve's routes need from the composition root. Policy and custody are None
when no reserve is configured: reads answer empty, writes 503."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from sqlalchemy import Engine

from digisom.http.services import Slot
from digisom.reserve.bitcoin_balances import BitcoinBalances
from digisom.reserve.books import Books
from digisom.reserve.chain_reads import ChainAtBlock
from digisom.reserve.custody import Custody
from digisom.reserve.policy import Policy
from digisom.reserve.prices import Prices

RESERVE_DB: Final = Slot[Engine]("reserve.db")
RESERVE_NOW_S: Final = Slot[Callable[[], int]]("reserve.now_s")  # Unix seconds
RESERVE_POLICY: Final = Slot[Policy | None]("reserve.policy")
RESERVE_CUSTODY: Final = Slot[Custody | None]("reserve.custody")
RESERVE_BOOKS: Final = Slot[Books | None]("reserve.books")
RESERVE_PRICES: Final = Slot[Prices | None]("reserve.prices")  # None: holdings are not valued
RESERVE_BITCOIN: Final = Slot[BitcoinBalances | None]("reserve.bitcoin")  # None: BTC balances unknown
RESERVE_READER: Final = Slot[ChainAtBlock | None]("reserve.reader")  # None: publications cannot be checked
