"""KGST on a `Chain`: deployment, and the stablecoin domain's `TokenGateway` and
`RedemptionFeed` for the issuer.

Decimals and the chain id come from the contract and the node, never from constants.
The minter key signs mints and burns; the master-minter key, if given, sets the
minter's allowance. Both keys come from files or the environment (`keys.load_key`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from eth_abi.abi import decode
from eth_typing import ChecksumAddress
from eth_utils.address import is_address, to_checksum_address

from digisom.chain.abi import ContractAbi, topic_address
from digisom.chain.contracts import Artifact
from digisom.chain.errors import NonceConflict, RpcError, TransactionReverted
from digisom.chain.follower import CursorStore, Follower
from digisom.chain.model import Log, SignedTx
from digisom.chain.protocol import Chain
from digisom.chain.transactor import Transactor, TxState, first_settled, signed_from_raw
from digisom.stablecoin.ports import (
    BroadcastRefused,
    IncomingTransfer,
    NonceTaken,
    PreparedTx,
    Settled,
    TokenRefused,
)

ZERO_ADDRESS: Final = "0x" + "00" * 20


@dataclass(frozen=True, slots=True)
class KgstRoles:
    """Who holds which role at deployment."""

    owner: str
    master_minter: str
    pauser: str
    blacklister: str
    rescuer: str


@dataclass(frozen=True, slots=True)
class KgstDeployment:
    """Where a KGST contract lives."""

    address: str
    chain_id: int
    block_number: int


def deploy_kgst(transactor: Transactor, artifact: Artifact, name: str, symbol: str, decimals: int,
                roles: KgstRoles, confirmations: int = 1) -> KgstDeployment:
    """Deploy KGST from `transactor`'s key and wait until it is `confirmations` deep."""
    init = artifact.init_code(name, symbol, decimals, roles.owner, roles.master_minter, roles.pauser,
                              roles.blacklister, roles.rescuer)
    address = transactor.deploy(init, confirmations)
    block = transactor.chain.block_number() - confirmations + 1
    return KgstDeployment(address, transactor.chain.chain_id(), block)


class KgstGateway:
    """`TokenGateway` for KGST: the issuer's view of the contract."""

    def __init__(self, chain: Chain, abi: ContractAbi, address: str, minter: Transactor,
                 master_minter: Transactor | None = None) -> None:
        self._chain = chain
        self._abi = abi
        self._address = to_checksum_address(address)
        self._minter = minter
        self._master_minter = master_minter
        self._allowance_tx: str | None = None  # the newest configureMinter sent from here

    @property
    def chain_id(self) -> int:
        """The node's chain id."""
        return self._chain.chain_id()

    @property
    def address(self) -> str:
        """The token contract."""
        return str(self._address)

    @property
    def redemption_address(self) -> str:
        """The minter's address: tokens sent there are burned by the minter."""
        return self._minter.address

    def read(self, name: str, *args: Any) -> Any:
        """One view function's single return value."""
        fn = self._abi.fn(name)
        return fn.decode(self._chain.call(self._address, fn.encode(*args)))[0]

    def decimals(self) -> int:
        """`decimals()` of the contract."""
        return int(self.read("decimals"))

    def total_supply(self) -> int:
        """`totalSupply()`."""
        return int(self.read("totalSupply"))

    def balance_of(self, holder: str) -> int:
        """`balanceOf(holder)`."""
        return int(self.read("balanceOf", to_checksum_address(holder)))

    def minter_allowance(self) -> int:
        """`minterAllowance(minter)`."""
        return int(self.read("minterAllowance", self._minter.address))

    def normalize_address(self, address: str) -> str:
        """Checksummed; `ValueError` for anything not a non-zero 20-byte address."""
        if not isinstance(address, str) or not is_address(address):
            raise ValueError(f"not an address: {address!r}")
        checksummed: ChecksumAddress = to_checksum_address(address)
        if checksummed == to_checksum_address(ZERO_ADDRESS):
            raise ValueError("the zero address")
        return str(checksummed)

    def next_nonce(self) -> int:
        """The minter's next nonce on the node."""
        return self._chain.nonce(self._minter.address)

    def prepare_mint(self, to: str, amount_token_units: int, nonce: int) -> PreparedTx:
        """Simulated and signed `mint`."""
        return self._prepare(self._abi.fn("mint").encode(to_checksum_address(to), amount_token_units), nonce)

    def prepare_burn(self, amount_token_units: int, nonce: int) -> PreparedTx:
        """Simulated and signed `burn`."""
        return self._prepare(self._abi.fn("burn").encode(amount_token_units), nonce)

    def replace(self, tx: PreparedTx) -> PreparedTx:
        """Same nonce, same call (read back from the signed bytes), fees bumped."""
        decoded = signed_from_raw(tx.raw)
        return _prepared(self._minter.bump(decoded.tx, decoded.to, decoded.data, decoded.gas))

    def broadcast(self, tx: PreparedTx) -> None:
        """Send (again); a nonce used by an unknown transaction is `NonceTaken`, any other
        refusal by the node `BroadcastRefused`."""
        try:
            self._chain.broadcast(tx.raw)
        except NonceConflict as error:
            raise NonceTaken(str(error)) from None
        except RpcError as error:
            raise BroadcastRefused(f"the node refused {tx.tx_hash}: {error}") from None

    def outcome(self, tx_hashes: Sequence[str], confirmations: int) -> Settled | None:
        """The settled attempt, if any."""
        found = first_settled(self._chain, tx_hashes, confirmations)
        if found.state not in (TxState.CONFIRMED, TxState.REVERTED) or found.receipt is None:
            return None
        return Settled(found.receipt.tx_hash, found.state is TxState.CONFIRMED, found.receipt.block_number)

    def set_minter_allowance(self, amount_token_units: int) -> str:
        """configureMinter(minter, amount) from the master-minter key."""
        if self._master_minter is None:
            raise TokenRefused("no master-minter key is configured to set the minter's allowance")
        if self._allowance_tx is not None and self._chain.receipt(self._allowance_tx) is None:
            return self._allowance_tx  # the last one is still on its way: do not pile up another
        data = self._abi.fn("configureMinter").encode(self._minter.address, amount_token_units)
        try:
            self._allowance_tx = self._master_minter.send(self._address, data).tx_hash
        except TransactionReverted as error:
            raise TokenRefused(error.reason) from None
        return self._allowance_tx

    def _prepare(self, data: bytes, nonce: int) -> PreparedTx:
        try:
            return _prepared(self._minter.prepare(self._address, data, nonce))
        except TransactionReverted as error:
            raise TokenRefused(error.reason) from None

    def redemptions(self, cursor: CursorStore, confirmations: int, start_block: int) -> KgstRedemptionFeed:
        """The feed of transfers to the redemption address."""
        follower = Follower(self._chain, self._address, [self._abi.events["Transfer"].topic0], confirmations,
                            start_block, cursor)
        return KgstRedemptionFeed(follower, self.redemption_address)


def _prepared(signed: SignedTx) -> PreparedTx:
    return PreparedTx(signed.tx_hash, signed.nonce, signed.raw, signed.sender)


class KgstRedemptionFeed:
    """`RedemptionFeed`: `Transfer(sender, redemption address, value)` logs from the follower."""

    def __init__(self, follower: Follower, redemption_address: str) -> None:
        self._follower = follower
        self._redemption_address = to_checksum_address(redemption_address)

    def poll(self, on_transfer: Callable[[IncomingTransfer], None], on_rollback: Callable[[int], None]) -> None:
        """One follower poll."""

        def on_logs(logs: list[Log]) -> None:
            for log in logs:
                transfer = self._incoming(log)
                if transfer is not None:
                    on_transfer(transfer)

        self._follower.poll(on_logs, on_rollback)

    def _incoming(self, log: Log) -> IncomingTransfer | None:
        if len(log.topics) != 3 or topic_address(log.topics[2]) != self._redemption_address:
            return None
        sender = topic_address(log.topics[1])
        if sender == to_checksum_address(ZERO_ADDRESS):
            return None  # a mint straight to the redemption address is not a redemption
        (value,) = decode(["uint256"], log.data)
        return IncomingTransfer(log.tx_hash, log.log_index, log.block_number, sender, int(value))
