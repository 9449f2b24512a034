"""KGST on a `Chain`: deployment, and the stablecoin domain's `TokenGateway` and
`RedemptionFeed` for the issuer.

Decimals and the chain id come from the contract and the node, never from constants.
The minter key signs mints and burns; the master-minter key, if given, sets the
minter's allowance. Both keys come from files or the environment (`keys.load_key`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from eth_abi.abi import decode
from eth_utils.address import to_checksum_address

from digisom.chain.abi import ContractAbi, topic_address
from digisom.chain.contracts import Artifact
from digisom.chain.errors import NonceConflict, RpcError, TransactionReverted
from digisom.chain.follower import CursorStore, Follower
from digisom.chain.model import Log, SignedTx
from digisom.chain.protocol import Chain
from digisom.chain.token import (
    ZERO_ADDRESS,
    TokenContract,
    TokenDeployment,
    TokenMetadata,
    TokenRoles,
    deploy_token,
    normalize_address,
)
from digisom.chain.transactor import Transactor, TxState, first_settled, signed_from_raw
from digisom.stablecoin.ports import (
    BroadcastRefused,
    IncomingTransfer,
    NonceTaken,
    PreparedTx,
    Settled,
    TokenRefused,
)

KGST_METADATA: Final = TokenMetadata("KGST Kyrgyz Som", "KGST", 2)

# KGST's names for what every token of the shared source has (kept for the bridge and the demo).
KgstRoles = TokenRoles
KgstDeployment = TokenDeployment


def deploy_kgst(transactor: Transactor, artifact: Artifact, name: str, symbol: str, decimals: int,
                roles: TokenRoles, confirmations: int = 1) -> TokenDeployment:
    """Deploy KGST from `transactor`'s key and wait until it is `confirmations` deep."""
    return deploy_token(transactor, artifact, TokenMetadata(name, symbol, decimals), roles, confirmations)


class KgstGateway(TokenContract):
    """`TokenGateway` for KGST: the issuer's view of the contract."""

    def __init__(self, chain: Chain, abi: ContractAbi, address: str, minter: Transactor,
                 master_minter: Transactor | None = None) -> None:
        super().__init__(chain, abi, address)
        self._minter = minter
        self._master_minter = master_minter
        self._allowance_tx: str | None = None  # the newest configureMinter sent from here

    @property
    def redemption_address(self) -> str:
        """The minter's address: tokens sent there are burned by the minter."""
        return self._minter.address

    def minter_allowance(self) -> int:
        """`minterAllowance(minter)`."""
        return int(self.read("minterAllowance", self._minter.address))

    def normalize_address(self, address: str) -> str:
        """Checksummed; `ValueError` for anything not a non-zero 20-byte address."""
        return normalize_address(address)

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

    def redemptions(self, cursor: CursorStore, confirmations: int, start_block: int,
                    watcher: TransferWatcher | None = None) -> KgstRedemptionFeed:
        """The feed of transfers to the redemption address; `watcher` sees every transfer
        of the token first (a screener's window for one-hop exposure)."""
        follower = Follower(self._chain, self._address, [self._abi.events["Transfer"].topic0], confirmations,
                            start_block, cursor)
        return KgstRedemptionFeed(follower, self.redemption_address, watcher)


def _prepared(signed: SignedTx) -> PreparedTx:
    return PreparedTx(signed.tx_hash, signed.nonce, signed.raw, signed.sender)


@dataclass(frozen=True, slots=True)
class SeenTransfer:
    """Any confirmed `Transfer(source, to, value)` of the token."""

    tx_hash: str
    log_index: int
    block_number: int
    source: str
    to: str
    amount_token_units: int


TransferWatcher = Callable[[Sequence[SeenTransfer]], None]


class KgstRedemptionFeed:
    """`RedemptionFeed`: `Transfer(sender, redemption address, value)` logs from the follower."""

    def __init__(self, follower: Follower, redemption_address: str, watcher: TransferWatcher | None = None) -> None:
        self._follower = follower
        self._redemption_address = to_checksum_address(redemption_address)
        self._watcher = watcher

    def poll(self, on_transfer: Callable[[IncomingTransfer], None], on_rollback: Callable[[int], None]) -> None:
        """One follower poll."""

        def on_logs(logs: list[Log]) -> None:
            if self._watcher is not None:  # before the redemptions: a batch's own hops count
                self._watcher([seen for log in logs if (seen := _seen(log)) is not None])
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


def _seen(log: Log) -> SeenTransfer | None:
    if len(log.topics) != 3:
        return None
    (value,) = decode(["uint256"], log.data)
    return SeenTransfer(log.tx_hash, log.log_index, log.block_number, topic_address(log.topics[1]),
                        topic_address(log.topics[2]), int(value))
