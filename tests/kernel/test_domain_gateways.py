"""Every domain, wired as the API process and the demos wire it, reaches the ledger only
through a ledger gateway of its own domain: another domain's transfer code, or a debit of
an account code the chart of accounts does not give it, is refused with `DebitNotAllowed`
and nothing reaches the ledger. (Government payments: tests/kernel/test_gateway.py and
tests/security/test_programmes.py.)"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from digisom.api.interbank_wiring import build_rtgs
from digisom.api.offline_wiring import build_offline
from digisom.api.runtime import Runtime, build
from digisom.api.stablecoin_wiring import BridgeWalletDirectory
from digisom.cbdc import accounts
from digisom.cbdc.accounts import AccountCode, TransferCode
from digisom.cbdc.ledger_port import Leg
from digisom.cbdc.model import HolderKind, ParticipantKind
from digisom.interbank.accounts import CLEARING_ID
from digisom.interbank.accounts import TransferCode as RtgsCode
from digisom.interbank.ports import NO_PARTY_SCREENING
from digisom.kernel.access import Actor, Role
from digisom.kernel.chart import LEDGER_KGS
from digisom.kernel.gateway import DebitNotAllowed, TransferWriter
from digisom.ledger.model import Transfer
from digisom.ledger.service import Ledger
from digisom.offline.accounts import OfflineTransferCode
from digisom.stablecoin.accounts import StablecoinTransferCode
from digisom.stablecoin.bridge import Bridge
from digisom.stablecoin.ports import NO_ADDRESS_SCREENING
from digisom.stores.url import open_store

CENTRAL_BANK = Actor(Role.CENTRAL_BANK_OPERATOR, "nbkr-operator")
BANK = Actor(Role.BANK_OPERATOR, "ayil-teller", "AYIL")
SOM = 100
_ids = itertools.count(1)


class StubToken:
    """What building a bridge reads of its token (nothing here reaches a chain)."""

    chain_id = 31337
    address = "0x00000000000000000000000000000000000000aa"

    def decimals(self) -> int:
        return 2


@dataclass
class Wired:
    """One API process's domains on one database, and a reader of its ledger."""

    runtime: Runtime
    reader: Ledger
    wallet_account: int
    float_account: int
    issuance_account: int
    reserve_account: int  # the bank's reserves (interbank's settlement account when wired in)

    def assert_refused(self, post: TransferWriter, transfers: Sequence[Transfer], account_code: int) -> None:
        """`post` refuses the batch with `DebitNotAllowed` naming `account_code`, and nothing moved."""
        before = self.reader.lookup_accounts([t.debit_account_id for t in transfers])
        with pytest.raises(DebitNotAllowed) as refused:
            post.create_transfers(transfers)
        assert refused.value.account_code == account_code
        assert self.reader.lookup_transfers([t.id for t in transfers]) == []
        assert self.reader.lookup_accounts([t.debit_account_id for t in transfers]) == before


def _transfer(debit: int, credit: int, code: int) -> Transfer:
    return Transfer(next(_ids), debit, credit, 1 * SOM, LEDGER_KGS, code)


@pytest.fixture
def wired(tmp_path: Path) -> Iterator[Wired]:
    runtime = build(data_dir=tmp_path)
    service = runtime.service
    service.register_participant("ayil-bank", ParticipantKind.COMMERCIAL_BANK, "Ayil Bank", "AYIL")
    service.convert(CENTRAL_BANK, "reserve_credit", "AYIL", 1_000_000 * SOM, "reserves")
    service.convert(BANK, "issue", "AYIL", 100_000 * SOM, "issue")
    wallet = service.open_wallet(BANK, "open-holder", "holder", HolderKind.INDIVIDUAL, 1, "Holder", "+996700000001",
                                 "1234", None).id
    service.credit_deposit(BANK, wallet, 1_000 * SOM, "deposit")
    service.fund(BANK, wallet, 500 * SOM, "fund")
    store = open_store(runtime.db_url)
    try:
        yield Wired(runtime, Ledger(store), accounts.wallet_account_id(wallet),
                    accounts.bank_account_id("AYIL", AccountCode.BANK_FLOAT),
                    accounts.central_account_id(AccountCode.ISSUANCE),
                    accounts.bank_account_id("AYIL", AccountCode.BANK_RESERVE))
    finally:
        store.close()
        runtime.close()


class _CbdcPoster:
    """The digital som's own door to the ledger (its `LedgerPort`, as the runtime built it)."""

    def __init__(self, wired: Wired) -> None:
        self._port = wired.runtime.service.ctx.ledger

    def create_transfers(self, events: Sequence[Transfer]) -> list[object]:
        legs = [Leg(f"leg{t.id}", t.debit_account_id, t.credit_account_id, t.amount, t.code, "account")
                for t in events]
        self._port.submit(f"test-op-{events[0].id}", legs)
        return []


def test_the_digital_som_posts_only_its_codes_and_debits(wired: Wired) -> None:
    cbdc = _CbdcPoster(wired)
    # Another domain's code (an offline funding) on a wallet the digital som may debit.
    wired.assert_refused(cbdc, [_transfer(wired.wallet_account, wired.float_account,
                                          int(OfflineTransferCode.OFFLINE_FUNDING))], AccountCode.WALLET)
    # Its own code, debiting the RTGS's clearing account.
    # Building the RTGS creates the clearing account.
    build_rtgs(wired.runtime.service.ctx.engine, wired.runtime.db_url, screening=NO_PARTY_SCREENING)[1]()
    wired.assert_refused(cbdc, [_transfer(CLEARING_ID, wired.wallet_account, int(TransferCode.P2P))], 23)


def test_the_rtgs_posts_only_its_codes_and_debits(wired: Wired) -> None:
    rtgs, close = build_rtgs(wired.runtime.service.ctx.engine, wired.runtime.db_url, screening=NO_PARTY_SCREENING)
    try:
        ledger = rtgs.ctx.ledger
        # Its own code, debiting a wallet: the RTGS moves reserves, never the digital som.
        wired.assert_refused(ledger, [_transfer(wired.wallet_account, CLEARING_ID, int(RtgsCode.PAYMENT_DEBIT))],
                             AccountCode.WALLET)
        # The digital som's code on a bank's reserves, which the RTGS may debit with its own.
        wired.assert_refused(ledger, [_transfer(wired.reserve_account, CLEARING_ID, int(TransferCode.REDEEM))],
                             AccountCode.BANK_RESERVE)
    finally:
        close()


def test_offline_posts_only_its_codes_and_debits(wired: Wired) -> None:
    offline = build_offline(wired.runtime.service.ctx)
    try:
        ledger = offline.service._ledger  # the only ledger the service holds
        # A funding of a device from the bank's float instead of the wallet.
        wired.assert_refused(ledger, [_transfer(wired.float_account, wired.wallet_account,
                                                int(OfflineTransferCode.OFFLINE_FUNDING))], AccountCode.BANK_FLOAT)
        # The bridge's code on a wallet; the valid funding before it is refused with it.
        fine = _transfer(wired.wallet_account, wired.float_account, int(OfflineTransferCode.OFFLINE_FUNDING))
        wired.assert_refused(ledger, [fine, _transfer(wired.wallet_account, wired.float_account,
                                                      int(StablecoinTransferCode.KGST_MINT))], AccountCode.WALLET)
    finally:
        offline.close()


def test_the_kgst_bridge_posts_only_its_codes_and_debits(wired: Wired) -> None:
    ctx = wired.runtime.service.ctx
    store = open_store(wired.runtime.db_url)
    try:
        # Wired as the KGST demo wires it: its own ledger writer, the digital som's wallets.
        bridge = Bridge(ctx.engine, Ledger(store), StubToken(), BridgeWalletDirectory(ctx),
                        screening=NO_ADDRESS_SCREENING)
        ledger = bridge._ledger  # the only ledger the bridge holds
        # A mint from the issuance account: digital som out of nothing.
        wired.assert_refused(ledger, [_transfer(wired.issuance_account, bridge.reserve_account_id,
                                                int(StablecoinTransferCode.KGST_MINT))], AccountCode.ISSUANCE)
        # A wallet payment (the digital som's code) out of a holder's wallet.
        wired.assert_refused(ledger, [_transfer(wired.wallet_account, wired.float_account, int(TransferCode.P2P))],
                             AccountCode.WALLET)
    finally:
        store.close()
