"""Contract tests of the token source KGST and USDKG share (ADR 0008): one test body,
two tokens (KGST: 2 decimals; USDKG: 6), two backends.

`titanoboa` runs the contract in titanoboa's in-process EVM. `anvil` deploys it on a real
anvil node (chain id 56, started from the npm package pinned in package.json) through
titanoboa's NetworkEnv, which signs and broadcasts every transaction and reads receipts.
On anvil a call that must revert is simulated against the node's state and confirmed by the
node refusing it in eth_estimateGas, so it is never broadcast; the revert message checked is
the simulation's, and any disagreement between simulation and node fails the test.
Each test runs inside an anchor: a local state snapshot, or evm_snapshot/evm_revert on anvil.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boa
import pytest
from boa.network import NetworkEnv
from boa.rpc import EthereumRPC
from boa.vm.fork import CachingRPC
from boa.vm.py_evm import Sha3PreimageTracer, SstoreTracer
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from digisom.chain.kgst import KGST_METADATA
from digisom.chain.token import TokenMetadata
from digisom.chain.usdkg import USDKG_METADATA
from digisom.devtools.anvil import AnvilUnavailable, start_anvil

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "contracts" / "KGST.vy"
CHAIN_ID = 56
# cancun: the EVM version the contract is compiled for and the one titanoboa simulates.
ANVIL_FLAGS = ("--hardfork", "cancun", "--silent")
ROLES = (
    "owner",
    "master_minter",
    "minter",
    "pauser",
    "blacklister",
    "rescuer",
    "central_bank",
    "merchant",
    "pensioner",
)
# Amounts are in token units whatever the token's decimals: SOM is 100 units.
SOM = 100
TOKENS = {"KGST": KGST_METADATA, "USDKG": USDKG_METADATA}
MINTER_ALLOWANCE = 1_000_000 * SOM
CENTRAL_BANK_OPENING = 10_000 * SOM
PENSIONER_OPENING = 500 * SOM
FUNDING_WEI = 10**21
BLACKLIST_FLAG = 2**255
SECP256K1N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def role_key(role: str) -> LocalAccount:
    """A fixed key per role, so failures are reproducible on both backends."""
    return Account.from_key(keccak(text=f"digisom KGST test role {role}"))


# --- anvil ---------------------------------------------------------------------------


def _unavailable(reason: str) -> None:
    # In CI a missing node is a broken build, not a reason to test less.
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"anvil backend unavailable: {reason}")
    pytest.skip(f"anvil backend unavailable: {reason}")


@pytest.fixture(scope="session")
def anvil_url() -> Iterator[str]:
    """A fresh anvil on a free loopback port for the whole session, stopped at the end."""
    try:
        with start_anvil(CHAIN_ID, ANVIL_FLAGS) as url:
            yield url
    except AnvilUnavailable as error:
        _unavailable(str(error))


# --- backends ----------------------------------------------------------------------------


class SnapshotSafeNetworkEnv(NetworkEnv):
    """titanoboa's NetworkEnv with two work-arounds for titanoboa 0.2.8, applied on every fork reset.

    - Its read cache lives for one simulated block only. titanoboa caches state reads by block
      number (on disk by default); after evm_revert anvil mines the same block numbers again
      with other contents, so a cached read would be stale and the local simulation (which
      decides `boa.reverts`) would drift from the node.
    - The SHA3 and SSTORE tracers stay one deep. Each reset wraps them once more in an opcode
      table that is shared rather than copied, so after a few hundred transactions an SSTORE
      recursed past Python's limit.
    """

    def _reset_fork(self, block_identifier: str | int = "latest") -> None:
        CachingRPC._loaded.pop((self._rpc.identifier, CHAIN_ID, None), None)
        self.fork_rpc(self._rpc, reset_traces=False, block_identifier=block_identifier, cache_dir=None)
        _flatten_tracers(self.evm.vm.state.computation_class.opcodes)


def _flatten_tracers(opcodes: dict[int, Any]) -> None:
    for code, tracer, inner in ((0x20, Sha3PreimageTracer, "sha3"), (0x55, SstoreTracer, "sstore")):
        outer = op = opcodes[code]
        while isinstance(op, tracer):
            op = getattr(op, inner)
        if outer is not op:
            opcodes[code] = tracer(op, outer.env)


@dataclass
class Backend:
    name: str
    env: Any
    rpc: EthereumRPC | None
    # Hypothesis examples per property test: every anvil transaction is a real round trip.
    property_examples: int

    def now(self) -> int:
        """Timestamp of the latest block: the one the next transaction is simulated against."""
        if self.rpc is not None:
            return int(self.rpc.fetch("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        return int(self.env.evm.patch.timestamp)

    def time_travel(self, seconds: int) -> None:
        if self.rpc is None:
            self.env.time_travel(seconds=seconds)
            return
        self.rpc.fetch("evm_increaseTime", [seconds])
        self.rpc.fetch("evm_mine", [])
        self.env._reset_fork()


@pytest.hookimpl(tryfirst=True)  # before `-m "not slow"` deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).parent != here:
            continue
        # A simulation that disagrees with the node is a broken test, not a footnote.
        item.add_marker(pytest.mark.filterwarnings("error:local fork did not match node"))
        # USDKG's bytecode is KGST's (ADR 0008), which runs on anvil by default; USDKG's
        # metadata runs in process by default, and both on anvil in the slow run.
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("backend") == "anvil" and params.get("metadata") == "USDKG":
            item.add_marker(pytest.mark.slow)


def titanoboa_backend() -> Backend:
    """A fresh in-process EVM on chain 56 with every role funded."""
    env = boa.Env()
    env.evm.patch.chain_id = CHAIN_ID
    for role in ROLES:
        env.set_balance(role_key(role).address, FUNDING_WEI)
    return Backend("titanoboa", env, None, property_examples=60)


@pytest.fixture(scope="session", params=["titanoboa", pytest.param("anvil", marks=pytest.mark.anvil)])
def backend(request: pytest.FixtureRequest) -> Backend:
    keys = [role_key(role) for role in ROLES]
    if request.param == "titanoboa":
        return titanoboa_backend()
    url = request.getfixturevalue("anvil_url")
    rpc = EthereumRPC(url)
    env = SnapshotSafeNetworkEnv(rpc)
    for key in keys:
        rpc.fetch("anvil_setBalance", [key.address, hex(FUNDING_WEI)])
        env.add_account(key)
    return Backend("anvil", env, rpc, property_examples=6)


@pytest.fixture(scope="session")
def kgst_deployer() -> Any:
    return boa.load_partial(str(CONTRACT))


@pytest.fixture(scope="session", params=list(TOKENS))
def metadata(request: pytest.FixtureRequest) -> TokenMetadata:
    """Which token the shared source is deployed as."""
    return TOKENS[request.param]


@dataclass
class World:
    """The deployed token and who holds which role."""

    token: Any
    keys: dict[str, LocalAccount]
    backend: Backend
    metadata: TokenMetadata
    deployer: Any  # the compiled source `token` came from (the shared one, or a variant with a fault)

    def address(self, role: str) -> str:
        return str(self.keys[role].address)

    def __getattr__(self, role: str) -> str:
        # world.merchant -> the merchant's address
        if role in self.__dict__.get("keys", {}):
            return self.address(role)
        raise AttributeError(role)


def deploy_world(backend: Backend, deployer: Any, metadata: TokenMetadata) -> World:
    """Deploy `deployer` as the token `metadata` names, a minter configured, two holders funded."""
    keys = {role: role_key(role) for role in ROLES}
    a = {role: key.address for role, key in keys.items()}
    with boa.swap_env(backend.env):
        token = deployer.deploy(
            metadata.name,
            metadata.symbol,
            metadata.decimals,
            a["owner"],
            a["master_minter"],
            a["pauser"],
            a["blacklister"],
            a["rescuer"],
            sender=a["owner"],
        )
        token.configureMinter(a["minter"], MINTER_ALLOWANCE, sender=a["master_minter"])
        token.mint(a["central_bank"], CENTRAL_BANK_OPENING, sender=a["minter"])
        token.mint(a["pensioner"], PENSIONER_OPENING, sender=a["minter"])
    return World(token, keys, backend, metadata, deployer)


@pytest.fixture(scope="session")
def deployed(backend: Backend, kgst_deployer: Any, metadata: TokenMetadata) -> World:
    return deploy_world(backend, kgst_deployer, metadata)


@pytest.fixture
def world(deployed: World) -> Iterator[World]:
    """The deployed world; every change a test makes is rolled back after it."""
    with boa.swap_env(deployed.backend.env), boa.env.anchor():
        yield deployed


@pytest.fixture
def deploy_kgst(world: World) -> Any:
    """Deploy another token from the world's source with other metadata (for decimals and constructor checks)."""

    def deploy(*args: Any) -> Any:
        return world.deployer.deploy(*args, sender=world.owner)

    return deploy


# --- EIP-712 signing, done independently of the contract with eth_account ----------------

PERMIT_TYPES = [
    {"name": "owner", "type": "address"},
    {"name": "spender", "type": "address"},
    {"name": "value", "type": "uint256"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]
AUTHORIZATION_TYPES = [
    {"name": "from", "type": "address"},
    {"name": "to", "type": "address"},
    {"name": "value", "type": "uint256"},
    {"name": "validAfter", "type": "uint256"},
    {"name": "validBefore", "type": "uint256"},
    {"name": "nonce", "type": "bytes32"},
]
CANCEL_TYPES = [{"name": "authorizer", "type": "address"}, {"name": "nonce", "type": "bytes32"}]
DOMAIN_TYPES = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


@dataclass(frozen=True)
class Signature:
    v: int
    r: bytes
    s: bytes

    def args(self) -> tuple[int, bytes, bytes]:
        return self.v, self.r, self.s


def sign_typed(
    token: Any, signer: LocalAccount, primary: str, types: list[dict[str, str]], message: dict[str, Any]
) -> Signature:
    full = {
        "types": {"EIP712Domain": DOMAIN_TYPES, primary: types},
        "primaryType": primary,
        "domain": {
            "name": token.name(),
            "version": "1",
            "chainId": CHAIN_ID,
            "verifyingContract": str(token.address),
        },
        "message": message,
    }
    signed = signer.sign_message(encode_typed_data(full_message=full))
    return Signature(signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big"))


def sign_permit(token: Any, signer: LocalAccount, spender: str, value: int, nonce: int, deadline: int) -> Signature:
    message = {"owner": signer.address, "spender": spender, "value": value, "nonce": nonce, "deadline": deadline}
    return sign_typed(token, signer, "Permit", PERMIT_TYPES, message)


def sign_authorization(
    token: Any,
    signer: LocalAccount,
    to: str,
    value: int,
    valid_after: int,
    valid_before: int,
    nonce: bytes,
    primary: str = "TransferWithAuthorization",
) -> Signature:
    message = {
        "from": signer.address,
        "to": to,
        "value": value,
        "validAfter": valid_after,
        "validBefore": valid_before,
        "nonce": nonce,
    }
    return sign_typed(token, signer, primary, AUTHORIZATION_TYPES, message)


def sign_cancel(token: Any, signer: LocalAccount, nonce: bytes) -> Signature:
    message = {"authorizer": signer.address, "nonce": nonce}
    return sign_typed(token, signer, "CancelAuthorization", CANCEL_TYPES, message)


def malleable(sig: Signature) -> Signature:
    """The same signature with s flipped to the upper half: valid for ecrecover, refused by KGST."""
    return Signature(55 - sig.v, sig.r, (SECP256K1N - int.from_bytes(sig.s, "big")).to_bytes(32, "big"))


def events(token: Any, name: str) -> list[Any]:
    """Decoded logs of the token's last call with the given event name."""
    return [e for e in token.get_logs() if type(e).__name__ == name]
