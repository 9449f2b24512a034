"""A reserve on one chain for the service tests: three officers own a 2-of-3 wallet that
allows one destination and time-locks BNB movements above 1 BNB; the policy file says the
same (checked with `mismatches`); a SQLite database holds proposals."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine

from digisom.api.runtime import domain_engine
from digisom.chain.contracts import Artifact
from digisom.chain.reserve_multisig import ZERO_ADDRESS, MultisigCustody, MultisigWallet
from digisom.reserve import migrations
from digisom.reserve.policy import Policy, mismatches, parse_policy
from digisom.reserve.typed import pack, sign_typed
from tests.reserve.conftest import Backend, key

OFFICERS: Final = ("reserve-officer-1", "reserve-officer-2", "reserve-officer-3")
BNB: Final = 10**18
SMALL_UNITS: Final = BNB  # up to 1 BNB: 2 approvals, no lock
LARGE_UNITS: Final = 100 * BNB  # up to 100 BNB: 3 approvals and the lock
TIME_LOCK_S: Final = 600
WINDOW_S: Final = 3600
WALLET_FUNDS_WEI: Final = 1000 * BNB


def officer_key(officer_id: str) -> LocalAccount:
    return key(f"officer {officer_id}")


def policy_text(chain_id: int, wallet: str, officers: tuple[str, ...] = OFFICERS) -> str:
    officer_lines = "\n".join(f'[[officers]]\nid = "{o}"\naddress = "{officer_key(o).address}"\n' for o in officers)
    return f"""
chain_id = {chain_id}
wallet = "{wallet}"
time_lock_s = {TIME_LOCK_S}
approval_window_s = {WINDOW_S}

{officer_lines}
[[assets]]
symbol = "BNB"
decimals = 18
destinations = ["{key('dest').address}"]
bands = [{{ up_to_units = "{SMALL_UNITS}", approvals = 2 }},
         {{ up_to_units = "{LARGE_UNITS}", approvals = 3, time_locked = true }}]
"""


class ReserveWorld:
    def __init__(self, folder: Path, backend: Backend, artifact: Artifact) -> None:
        self.backend = backend
        owners = [officer_key(o).address for o in OFFICERS]
        self.wallet = MultisigWallet.deploy(backend.relayer, owners, 2, [key("dest").address], TIME_LOCK_S, artifact)
        backend.fund(self.wallet.address, WALLET_FUNDS_WEI)
        lock = self.wallet.tx(self.wallet.address, 0,
                              self.wallet.call_data("setTimeLock", ZERO_ADDRESS, SMALL_UNITS + 1, TIME_LOCK_S))
        self.wallet.execute(backend.relayer, lock, self.sign(lock.typed_data(), OFFICERS[:2]))
        self.policy: Policy = parse_policy(policy_text(backend.chain.chain_id(), self.wallet.address))
        assert mismatches(self.policy, self.wallet) == []
        self.custody = MultisigCustody(self.wallet, backend.relayer)
        self.engine: Engine = domain_engine(f"sqlite:///{folder / 'reserve.db'}")
        migrations.migrate(self.engine)
        self.now_s = 1_800_000_000

    def sign(self, typed: dict[str, object], officers: tuple[str, ...]) -> bytes:
        return pack((officer_key(o).address, sign_typed(officer_key(o).key, typed)) for o in officers)
