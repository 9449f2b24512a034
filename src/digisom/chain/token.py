"""What KGST and USDKG share on a `Chain`: one contract source (`contracts/KGST.vy`,
ADR 0008), deployed with each token's metadata and roles, read the same way.

`kgst.py` (the stablecoin bridge's gateway) and `usdkg.py` (the gold-backed dollar's
issuer operations) are thin layers over this module; neither repeats a read, a deploy
or an address check.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from eth_abi.abi import decode
from eth_typing import ChecksumAddress
from eth_utils.address import is_address, to_checksum_address

from digisom.chain.abi import ContractAbi, topic_address
from digisom.chain.contracts import Artifact
from digisom.chain.errors import ChainError
from digisom.chain.follower import BLOCKS_PER_READ_MAX
from digisom.chain.protocol import Chain
from digisom.chain.transactor import Transactor

ZERO_ADDRESS: Final = "0x" + "00" * 20
# Big enough for any token's smallest unit and small enough that a typo is caught.
MAX_DECIMALS: Final = 36
UINT256_LIMIT: Final = 2**256


class InvalidTokenAddress(ChainError, ValueError):
    """Not a non-zero 20-byte address (a `ValueError` too: the bridge's ports expect one)."""


class InvalidTokenAmount(ChainError, ValueError):
    """An amount of token units that is not an integer in range."""


@dataclass(frozen=True, slots=True)
class TokenMetadata:
    """Constructor metadata: what tells one token of the shared source from another."""

    name: str
    symbol: str
    decimals: int

    def __post_init__(self) -> None:
        if isinstance(self.decimals, bool) or not 0 <= self.decimals <= MAX_DECIMALS:
            raise ValueError(f"decimals must be an integer 0..{MAX_DECIMALS}, not {self.decimals!r}")
        if not self.name or not self.symbol:
            raise ValueError("a token needs a name and a symbol")


@dataclass(frozen=True, slots=True)
class TokenRoles:
    """Who holds which role at deployment."""

    owner: str
    master_minter: str
    pauser: str
    blacklister: str
    rescuer: str

    @classmethod
    def all_to(cls, address: str) -> TokenRoles:
        """Every role to one address (tests, demos; production gives each its own custody)."""
        return cls(address, address, address, address, address)


@dataclass(frozen=True, slots=True)
class TokenDeployment:
    """Where a token contract lives."""

    address: str
    chain_id: int
    block_number: int


def deploy_token(transactor: Transactor, artifact: Artifact, metadata: TokenMetadata, roles: TokenRoles,
                 confirmations: int = 1) -> TokenDeployment:
    """Deploy the shared contract from `transactor`'s key and wait until it is `confirmations` deep."""
    init = artifact.init_code(metadata.name, metadata.symbol, metadata.decimals, roles.owner,
                              roles.master_minter, roles.pauser, roles.blacklister, roles.rescuer)
    address = transactor.deploy(init, confirmations)
    block = transactor.chain.block_number() - confirmations + 1
    return TokenDeployment(address, transactor.chain.chain_id(), block)


def normalize_address(address: object) -> str:
    """Checksummed; `InvalidTokenAddress` for anything not a non-zero 20-byte address."""
    if not isinstance(address, str) or not is_address(address):
        raise InvalidTokenAddress(f"not an address: {address!r}")
    checksummed: ChecksumAddress = to_checksum_address(address)
    if checksummed == to_checksum_address(ZERO_ADDRESS):
        raise InvalidTokenAddress("the zero address")
    return str(checksummed)


def token_units(amount: object, minimum: int = 1) -> int:
    """`amount` if it is an integer of token units, at least `minimum` and below 2**256;
    `InvalidTokenAmount` otherwise (floats and bools included)."""
    if isinstance(amount, bool) or not isinstance(amount, int) or not minimum <= amount < UINT256_LIMIT:
        raise InvalidTokenAmount(f"an amount of token units must be an integer from {minimum} below 2**256, "
                                 f"not {amount!r}")
    return amount


class TokenContract:
    """Reads of one deployed token on one chain."""

    def __init__(self, chain: Chain, abi: ContractAbi, address: str) -> None:
        self._chain = chain
        self._abi = abi
        self._address = to_checksum_address(address)

    @property
    def chain_id(self) -> int:
        """The node's chain id (asked each time: the node, not a setting, is the authority)."""
        return self._chain.chain_id()

    @property
    def address(self) -> str:
        """The token contract."""
        return str(self._address)

    def read(self, name: str, *args: Any) -> Any:
        """One view function's single return value."""
        fn = self._abi.fn(name)
        return fn.decode(self._chain.call(self._address, fn.encode(*args)))[0]

    def decimals(self) -> int:
        """`decimals()` of the contract."""
        return int(self.read("decimals"))

    def total_supply(self) -> int:
        """`totalSupply()`, in token units."""
        return int(self.read("totalSupply"))

    def balance_of(self, holder: str) -> int:
        """`balanceOf(holder)`, in token units."""
        return int(self.read("balanceOf", to_checksum_address(holder)))

    def supply_from_transfer_logs(self, from_block: int, to_block: int | None = None) -> int:
        """Supply as an indexer rebuilds it: mints are `Transfer`s from the zero address,
        burns and seizures `Transfer`s to it. Equals `total_supply()` only if every supply
        change logs one (the real USDKG contract's issue, redeem and seizure do not)."""
        zero = to_checksum_address(ZERO_ADDRESS)
        supply = 0
        for sender, recipient, value in self.transfers(from_block, to_block):
            if sender == zero:
                supply += value
            if recipient == zero:
                supply -= value
        return supply

    def holder_balances_from_transfer_logs(self, from_block: int, to_block: int | None = None) -> dict[str, int]:
        """Every holder's balance as an indexer rebuilds it from `Transfer` logs: checksummed
        address -> token units, holders with a positive balance only (the zero address is
        where mints come from and burns go, never a holder)."""
        zero = to_checksum_address(ZERO_ADDRESS)
        balances: dict[str, int] = {}
        for sender, recipient, value in self.transfers(from_block, to_block):
            balances[sender] = balances.get(sender, 0) - value
            balances[recipient] = balances.get(recipient, 0) + value
        return {holder: units for holder, units in balances.items() if holder != zero and units > 0}

    def transfers(self, from_block: int, to_block: int | None = None) -> Iterator[tuple[str, str, int]]:
        """Each `Transfer` log from `from_block` to `to_block` (default: the newest block), in
        chain order: (from, to, value in token units), addresses checksummed."""
        last = self._chain.block_number() if to_block is None else to_block
        topic = self._abi.events["Transfer"].topic0
        # In ranges the follower also uses: public nodes refuse wide eth_getLogs ranges.
        for start in range(from_block, last + 1, BLOCKS_PER_READ_MAX):
            end = min(start + BLOCKS_PER_READ_MAX - 1, last)
            for log in self._chain.logs(self._address, start, end, [topic]):
                (value,) = decode(["uint256"], log.data)
                yield topic_address(log.topics[1]), topic_address(log.topics[2]), int(value)
