"""The money chart of a deployment: every account code that holds digital som, from every
domain wired into this process, in one table. The kernel's auditor
(`digisom.kernel.circulation`) cannot import the domains, so the entry point names them.

A new domain whose accounts hold digital som adds its code here; until it does, the
issuance summary reports `balanced: false` as soon as value moves into that code.
"""

from __future__ import annotations

from typing import Final

from digisom.cbdc.accounts import CBDC_MONEY
from digisom.kernel.circulation import MoneyChart
from digisom.offline.accounts import OfflineAccountCode
from digisom.remittance import accounts as remittance_accounts
from digisom.stablecoin.accounts import StablecoinAccountCode

# Beyond the digital som's own (bank floats, wallets, benefits). Interbank codes hold
# central-bank reserves, not digital som; the offline guarantee account nets to zero
# after every payout and is listed so a payout left half-done shows.
MONEY_HOLDING_CODES: Final[dict[int, str]] = {
    OfflineAccountCode.OFFLINE_RESERVE: "offline_reserves",
    OfflineAccountCode.OFFLINE_GUARANTEE: "offline_guarantees",
    StablecoinAccountCode.KGST_RESERVE: "kgst_reserves",
    **remittance_accounts.MONEY_HOLDING_CODES,  # partners' prefunded positions
}
MONEY_CHART: Final[MoneyChart] = CBDC_MONEY.with_codes(MONEY_HOLDING_CODES)
