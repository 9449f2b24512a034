"""Property: after any sequence of inflows, executed movements, mined blocks and re-orgs
shallower than the confirmation depth, the reserve's books equal the chain. Posted plus
pending is the wallet's balance now; once the chain is `CONFIRMATIONS` deeper, nothing is
pending and the posted balance is the wallet's balance. Inflows removed by a re-org are
voided, never posted; nothing is posted twice."""

from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Final

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from digisom.api.runtime import domain_engine
from digisom.chain.contracts import Artifact, reserve_multisig_artifact
from digisom.chain.embedded import EmbeddedChain, Snapshot
from digisom.chain.model import TxRequest
from digisom.chain.reserve_multisig import MultisigWallet
from digisom.chain.transactor import Transactor, sign
from digisom.ledger.service import Ledger
from digisom.reserve import migrations
from digisom.reserve.books import Books
from digisom.reserve.observer import Observer
from digisom.reserve.policy import AssetPolicy, Band
from digisom.reserve.typed import pack, sign_typed
from digisom.stores.url import open_store
from tests.reserve.conftest import key
from tests.stablecoin.conftest import CHAIN_ID

CONFIRMATIONS: Final = 3
FUNDS_WEI: Final = 10**21
BNB_ASSET: Final = AssetPolicy("BNB", None, 18, (Band(10**30, 2, False),), frozenset())
OWNERS: Final = [key(f"owner {i}") for i in range(3)]
ARTIFACT: Final[list[Artifact]] = []

ops = st.lists(st.one_of(
    st.tuples(st.just("in"), st.integers(1, 10**6)),
    st.tuples(st.just("out"), st.integers(1, 10**6)),
    st.tuples(st.just("mine"), st.integers(1, 4)),
    st.tuples(st.just("reorg"), st.integers(1, CONFIRMATIONS - 1)),
    st.tuples(st.just("sync"), st.just(0)),
), max_size=25)


def artifact() -> Artifact:
    if not ARTIFACT:
        ARTIFACT.append(reserve_multisig_artifact())
    return ARTIFACT[0]


class Run:
    def __init__(self, folder: Path) -> None:
        self.chain = EmbeddedChain(CHAIN_ID)
        relayer = key("relayer")
        self.chain.fund(relayer.address, FUNDS_WEI)
        self.payer = key("payer")
        self.chain.fund(self.payer.address, FUNDS_WEI)
        self.relayer = Transactor(self.chain, relayer)
        self.wallet = MultisigWallet.deploy(self.relayer, [o.address for o in OWNERS], 2, [key("dest").address], 0,
                                            artifact())
        self.engine = domain_engine(f"sqlite:///{folder / 'reserve.db'}")
        migrations.migrate(self.engine)
        self.ledger = Ledger(open_store("memory:"))
        self.books = Books(self.ledger)
        self.observer = Observer(self.engine, self.books, self.chain, CONFIRMATIONS)
        self.snapshots: dict[int, Snapshot] = {}

    def balance(self) -> int:
        return int(self.chain._env.get_balance(self.wallet.address))  # the in-process EVM is the truth

    def inflow(self, amount: int) -> None:
        tx = sign(self.payer, CHAIN_ID, TxRequest(self.wallet.address, b"", 100_000, amount),
                  self.chain.nonce(self.payer.address), self.chain.fees())
        self.chain.broadcast(tx.raw)

    def outflow(self, amount: int) -> None:
        if amount > self.balance():
            return
        tx = self.wallet.tx(key("dest").address, amount, b"")
        typed = tx.typed_data()
        self.wallet.execute(self.relayer, tx, pack((o.address, sign_typed(o.key, typed)) for o in OWNERS[:2]))

    def reorg(self, depth: int) -> None:
        target = self.chain.block_number() - depth
        snapshot = self.snapshots.get(target)
        if snapshot is None:
            return
        self.chain.revert(snapshot)
        # The EVM consumes a checkpoint (and every later one) when it reverts to it: take
        # the fork point again so that a second re-org can reach it.
        self.snapshots = {n: s for n, s in self.snapshots.items() if n < target}
        self.snapshots[target] = self.chain.snapshot()
        self.chain.mine(depth + 1)  # the new branch is longer; the removed blocks' moves are gone

    def remember(self) -> None:
        # A re-org can only reach blocks not yet confirmed (the property's premise).
        self.snapshots[self.chain.block_number()] = self.chain.snapshot()
        confirmed = self.chain.block_number() - CONFIRMATIONS + 1
        self.snapshots = {n: s for n, s in self.snapshots.items() if n >= confirmed}

    def check(self) -> None:
        self.observer.sync(BNB_ASSET, self.wallet.address)
        books = self.books.holding("BNB", CHAIN_ID, self.wallet.address)
        assert books.unconfirmed_units == self.balance()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
@example([("in", 5), ("mine", 1), ("reorg", 1), ("reorg", 2)])  # two re-orgs back to one fork point
def test_books_equal_the_chain_after_any_moves_and_reorgs(steps: list[tuple[str, int]]) -> None:
    with TemporaryDirectory() as folder:
        run = Run(Path(folder))
        run.remember()
        for kind, amount in steps:
            if kind == "in":
                run.inflow(amount)
            elif kind == "out":
                run.outflow(amount)
            elif kind == "mine":
                run.chain.mine(amount)
            elif kind == "reorg":
                run.reorg(amount)
            run.remember()
            run.check()
        run.chain.mine(CONFIRMATIONS)
        run.check()
        settled = run.books.holding("BNB", CHAIN_ID, run.wallet.address)
        assert settled.pending_in_units == settled.pending_out_units == 0
        assert settled.posted_units == run.balance()
        run.engine.dispose()


def test_a_reorg_voids_an_unconfirmed_inflow(tmp_path: Path) -> None:
    run = Run(tmp_path)
    run.remember()
    run.inflow(500)
    run.check()
    assert run.books.holding("BNB", CHAIN_ID, run.wallet.address).pending_in_units == 500
    run.reorg(1)
    run.check()
    after = run.books.holding("BNB", CHAIN_ID, run.wallet.address)
    assert (after.posted_units, after.pending_in_units) == (0, 0)
    run.chain.mine(CONFIRMATIONS)
    run.check()
    assert run.books.holding("BNB", CHAIN_ID, run.wallet.address).posted_units == 0 == run.balance()
