"""The issuer's one mint and redeem path on two in-process chains (ids 1 and 56): coverage
reads the supply of both, a mint beyond coverage mints nothing, an operation id mints
once, and the mint lock keeps two minters from both filling the same room."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from digisom.api.runtime import domain_engine
from digisom.api.usdkg_wiring import build_issuer
from digisom.chain.contracts import Artifact, usdkg_artifact
from digisom.chain.embedded import EmbeddedChain
from digisom.chain.errors import ChainUnavailable as NodeGone
from digisom.chain.transactor import Transactor
from digisom.chain.usdkg import UsdkgToken
from digisom.usdkg import allocation, units
from digisom.usdkg.coverage import CoveragePolicy
from digisom.usdkg.errors import (
    ChainRefused,
    ChainUnavailable,
    CoverageRefused,
    InvalidAddress,
    InvalidOperationId,
    OperationConflict,
    OperationInDoubt,
    RedemptionRefused,
    UnknownChain,
)
from digisom.usdkg.issuer import Issuer
from digisom.usdkg.issuing import UsdkgIssuer
from digisom.usdkg.operations import OperationState
from tests.chain.usdkg_world import FUNDING_WEI, ROLES, USDKG, deploy, role_key
from tests.usdkg.world import PRICE_CENTS_PER_OZ, START, World, bar_row, count_rows, csv_bytes

CHAIN_IDS = (1, 56)
NOW = START + timedelta(hours=1)
BAR_FINE_MOZ = units.fine_weight_moz(400_125, 9999)
BAR_VALUE_UNITS = units.value_units(BAR_FINE_MOZ, PRICE_CENTS_PER_OZ)  # one bar's worth of USDKG
HOLDER = role_key("holder").address


@pytest.fixture(scope="module")
def artifact() -> Artifact:
    return usdkg_artifact()


def _tokens(artifact: Artifact) -> dict[int, UsdkgToken]:
    tokens = {}
    for chain_id in CHAIN_IDS:
        chain = EmbeddedChain(chain_id)
        for role in ROLES:
            chain.fund(role_key(role).address, FUNDING_WEI)
        deployed = deploy(chain, artifact)
        deployed.token.set_minter_allowance(10**9 * USDKG)
        tokens[chain_id] = deployed.token
    return tokens


@dataclass
class Issuing:
    world: World
    tokens: dict[int, UsdkgToken]
    issuer: UsdkgIssuer
    clock: list[datetime]

    def build(self, tokens: dict[int, UsdkgToken] | None = None) -> UsdkgIssuer:
        """Another issuer on the same database and chains: another process, with its own lock."""
        return self.services(tokens).minting

    def services(self, tokens: dict[int, UsdkgToken] | None = None) -> Issuer:
        """The issuer's services as the API wires them on these chains (the holder index their logs)."""
        return build_issuer(self.world.engine, lambda: self.clock[0], tokens or self.tokens,
                            policy=CoveragePolicy(price_staleness_s=86_400))

    def supply(self) -> dict[int, int]:
        return {chain_id: token.total_supply() for chain_id, token in self.tokens.items()}


def _issuing(engine: Engine, artifact: Artifact, bars: int = 2) -> Issuing:
    world = World(engine)
    world.import_bars(csv_bytes(bar_row(f"AB{n:05d}") for n in range(bars)))
    world.set_price(PRICE_CENTS_PER_OZ, START)
    tokens = _tokens(artifact)
    issuing = Issuing(world, tokens, None, [NOW])  # type: ignore[arg-type]
    issuing.issuer = issuing.build()
    return issuing


@pytest.fixture
def issuing(tmp_path: Path, artifact: Artifact) -> Iterator[Issuing]:
    engine = domain_engine(f"sqlite:///{tmp_path / 'usdkg.db'}")
    yield _issuing(engine, artifact)
    engine.dispose()


def test_coverage_reads_the_supply_of_both_chains(issuing: Issuing) -> None:
    issuer = issuing.issuer
    issuer.mint(1, HOLDER, BAR_VALUE_UNITS, "m-1")
    issuer.mint(56, HOLDER, BAR_VALUE_UNITS // 2, "m-56")
    figure = issuer.coverage.figure(NOW)
    assert dict(figure.supply_units_by_chain) == issuing.supply() == {1: BAR_VALUE_UNITS, 56: BAR_VALUE_UNITS // 2}
    # Room left is half a bar: a mint of a bar on chain 56 fits chain 56's own supply, not the total.
    with pytest.raises(CoverageRefused) as refused:
        issuer.mint(56, HOLDER, BAR_VALUE_UNITS, "m-56-too-much")
    assert refused.value.rule == "coverage_floor"
    room = 2 * BAR_VALUE_UNITS - BAR_VALUE_UNITS - BAR_VALUE_UNITS // 2
    issuer.mint(56, HOLDER, room, "m-56-the-rest")  # exactly to the floor passes
    assert issuing.supply() == {1: BAR_VALUE_UNITS, 56: BAR_VALUE_UNITS // 2 + room}
    assert issuer.coverage.figure(NOW).coverage_bps == 10_000


def test_a_mint_beyond_coverage_mints_nothing_and_may_be_retried(issuing: Issuing) -> None:
    issuer = issuing.issuer
    with pytest.raises(CoverageRefused) as refused:
        issuer.mint(1, HOLDER, 2 * BAR_VALUE_UNITS + 1, "big")
    assert refused.value.rule == "coverage_floor"
    assert issuing.supply() == {1: 0, 56: 0}
    assert issuer.operations() == []
    issuing.world.import_bars(csv_bytes([bar_row("AB99999")]), at=START + timedelta(minutes=30))
    done = issuer.mint(1, HOLDER, 2 * BAR_VALUE_UNITS + 1, "big")  # a refusal is not the id's answer
    assert done.state is OperationState.DONE
    assert issuing.supply() == {1: 2 * BAR_VALUE_UNITS + 1, 56: 0}


def test_the_gate_refuses_for_a_stale_price_and_an_unresolved_audit(issuing: Issuing) -> None:
    issuing.clock[0] = START + timedelta(days=2)
    with pytest.raises(CoverageRefused, match="stale_price"):
        issuing.issuer.mint(1, HOLDER, USDKG, "stale")
    issuing.clock[0] = NOW
    world = issuing.world
    count = count_rows([bar_row("AB00000")], "bishkek-1", START.date())
    audit = world.audits.import_count(START.date(), "kreston_like", count, NOW)
    world.audits.sign(audit.audit_id, world.sign_audit(audit.audit_id), NOW)  # AB00001 missing
    with pytest.raises(CoverageRefused, match="audit_unresolved"):
        issuing.issuer.mint(1, HOLDER, USDKG, "audited")
    assert issuing.supply() == {1: 0, 56: 0}


def test_a_replayed_operation_acts_once(issuing: Issuing) -> None:
    issuer = issuing.issuer
    first = issuer.mint(56, HOLDER, 100 * USDKG, "op-7")
    again = issuer.mint(56, HOLDER, 100 * USDKG, "op-7")
    assert again == first and first.tx_hash is not None
    assert issuing.supply() == {1: 0, 56: 100 * USDKG}
    assert issuing.build().mint(56, HOLDER, 100 * USDKG, "op-7") == first  # another process answers the same
    with pytest.raises(OperationConflict):
        issuer.mint(56, HOLDER, 101 * USDKG, "op-7")
    with pytest.raises(OperationConflict):
        issuer.mint(1, HOLDER, 100 * USDKG, "op-7")

    send_to_redemption(issuing.tokens[56], 40 * USDKG)
    burned = issuer.redeem(56, 40 * USDKG, "r-1")
    assert issuer.redeem(56, 40 * USDKG, "r-1") == burned
    assert issuing.supply() == {1: 0, 56: 60 * USDKG}
    with pytest.raises(RedemptionRefused, match="0 units wait"):
        issuer.redeem(56, USDKG, "r-2")  # nothing left at the redemption address
    assert [op.request.operation_id for op in issuer.operations()] == ["op-7", "r-1"]


def test_the_lookup_reads_the_holders_from_both_chains_logs(issuing: Issuing) -> None:
    """Mints to two addresses on two chains: the lookup's backing is the allocation rule
    applied to the bars and the balances on the chains, each address's summed over both."""
    other = role_key("blacklister").address
    issuing.issuer.mint(1, HOLDER, BAR_VALUE_UNITS // 2, "a-1")
    issuing.issuer.mint(56, HOLDER, BAR_VALUE_UNITS // 4, "a-56")
    issuing.issuer.mint(56, other, BAR_VALUE_UNITS, "b-56")
    services = issuing.services()
    balances = {HOLDER.lower(): 3 * BAR_VALUE_UNITS // 4, other.lower(): BAR_VALUE_UNITS}
    bars = [(bar.serial, bar.fine_moz) for bar in issuing.world.register.bars()]
    expected = allocation.allocate(bars, balances, PRICE_CENTS_PER_OZ)
    for address in (HOLDER, other):
        found = services.lookup(address)
        assert found.backing == expected[address.lower()] and found.price_cents_per_oz == PRICE_CENTS_PER_OZ
    # The larger holder takes the first bar whole; the other starts on the second bar.
    assert [b.serial for b in services.lookup(other).backing.bars] == ["AB00000"]
    assert [b.serial for b in services.lookup(HOLDER).backing.bars] == ["AB00001"]


def send_to_redemption(token: UsdkgToken, amount_units: int) -> None:
    """The holder sends `amount_units` to the redemption address (a redemption request)."""
    sender = Transactor(token._chain, role_key("holder"))
    data = token._abi.fn("transfer").encode(token.redemption_address, amount_units)
    sender.wait(sender.send(token.address, data).tx_hash, 1)


def test_bad_requests_are_typed_and_record_nothing(issuing: Issuing) -> None:
    issuer = issuing.issuer
    with pytest.raises(UnknownChain):
        issuer.mint(137, HOLDER, USDKG, "x")
    with pytest.raises(InvalidOperationId):
        issuer.mint(1, HOLDER, USDKG, "has space")
    with pytest.raises(InvalidAddress):
        issuer.mint(1, "0x1234", USDKG, "bad-address")
    issuing.tokens[1].set_minter_allowance(USDKG)
    with pytest.raises(ChainRefused, match="exceeds minter allowance"):
        issuer.mint(1, HOLDER, 2 * USDKG, "over-allowance")
    assert issuer.operations() == []
    issuing.tokens[1].set_minter_allowance(10 * USDKG)
    issuer.mint(1, HOLDER, 2 * USDKG, "over-allowance")  # the chain's refusal freed the id
    assert issuing.supply() == {1: 2 * USDKG, 56: 0}


class _LostAnswer:
    """A token whose node goes away while a mint is sent: the outcome is unknown."""

    def __init__(self, token: UsdkgToken) -> None:
        self._token = token

    def __getattr__(self, name: str) -> object:
        return getattr(self._token, name)

    @property
    def chain_id(self) -> int:
        return self._token.chain_id

    def mint(self, to: str, amount_token_units: int) -> str:
        raise NodeGone("the node closed the connection")


def test_a_mint_in_doubt_is_not_sent_again_and_counts_as_issued(issuing: Issuing) -> None:
    lossy = issuing.build({1: _LostAnswer(issuing.tokens[1]), 56: issuing.tokens[56]})  # type: ignore[dict-item]
    with pytest.raises(ChainUnavailable):
        lossy.mint(1, HOLDER, BAR_VALUE_UNITS, "lost")
    with pytest.raises(OperationInDoubt):
        issuing.issuer.mint(1, HOLDER, BAR_VALUE_UNITS, "lost")
    # The chain shows nothing, but the lost mint may land: a second bar's worth no longer fits.
    assert issuing.supply() == {1: 0, 56: 0}
    with pytest.raises(CoverageRefused, match="coverage_floor"):
        issuing.issuer.mint(56, HOLDER, BAR_VALUE_UNITS + 1, "after-lost")
    issuing.issuer.mint(56, HOLDER, BAR_VALUE_UNITS, "after-lost")


class _SlowMint:
    """A token whose mint takes a while to confirm, so two unlocked checks would both pass."""

    def __init__(self, token: UsdkgToken, delay_s: float) -> None:
        self._token = token
        self._delay_s = delay_s

    def __getattr__(self, name: str) -> object:
        return getattr(self._token, name)

    @property
    def chain_id(self) -> int:
        return self._token.chain_id

    def mint(self, to: str, amount_token_units: int) -> str:
        time.sleep(self._delay_s)
        return self._token.mint(to, amount_token_units)


def _race(issuers: list[UsdkgIssuer]) -> list[str]:
    """Each issuer mints 1.5 bars' worth at once (room for one): what each got."""
    outcomes: list[str] = ["" for _ in issuers]
    start = threading.Barrier(len(issuers))

    def run(index: int) -> None:
        start.wait()
        try:
            issuers[index].mint(1, HOLDER, 3 * BAR_VALUE_UNITS // 2, f"race-{index}")
            outcomes[index] = "minted"
        except CoverageRefused as error:
            outcomes[index] = error.rule

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(issuers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def _slow(issuing: Issuing) -> dict[int, UsdkgToken]:
    return {chain_id: _SlowMint(token, 0.3) for chain_id, token in issuing.tokens.items()}  # type: ignore[misc]


def test_two_minters_in_one_process_cannot_both_fill_the_room(issuing: Issuing) -> None:
    issuer = issuing.build(_slow(issuing))
    assert _race([issuer, issuer]) == ["coverage_floor", "minted"]
    assert issuing.supply() == {1: 3 * BAR_VALUE_UNITS // 2, 56: 0}


@pytest.mark.postgres
def test_two_processes_cannot_both_fill_the_room(postgres_url: str, artifact: Artifact) -> None:
    """Two issuers, each with its own lock object as two processes have: only PostgreSQL's
    advisory lock stands between them."""
    engine = domain_engine(postgres_url)
    try:
        issuing = _issuing(engine, artifact)
        slow = _slow(issuing)
        assert _race([issuing.build(slow), issuing.build(slow)]) == ["coverage_floor", "minted"]
        assert issuing.supply() == {1: 3 * BAR_VALUE_UNITS // 2, 56: 0}
    finally:
        engine.dispose()
