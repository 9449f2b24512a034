"""`digisom.por.reserves.HolderBalances` over a chain: the reserves a custodian attests,
read at a block from the token's Transfer logs and, at the head, checked against its own
`balanceOf`. Its own module: it loads the EVM stack, which the API process loads only
where a chain is configured (`tests/security/test_transport.py`)."""

from __future__ import annotations

from collections.abc import Sequence

from eth_utils.address import to_checksum_address

from digisom.chain.abi import ContractAbi
from digisom.chain.protocol import Chain
from digisom.chain.token import TokenContract
from digisom.por.reserves import ReservesInvalid


class ChainHolderBalances:
    """`digisom.por.reserves.HolderBalances` over one `Chain`; `from_block` is where the token was
    deployed (logs before it hold nothing of it)."""

    def __init__(self, chain: Chain, abi: ContractAbi, from_block: int = 0) -> None:
        self._chain = chain
        self._abi = abi
        self._from_block = from_block

    def chain_id(self) -> int:
        return self._chain.chain_id()

    def balances_at(self, token: str, addresses: Sequence[str], block: int) -> dict[str, int]:
        head = self._chain.block_number()
        if block > head:
            raise ReservesInvalid(f"block {block} is past the chain's head {head}")
        contract = TokenContract(self._chain, self._abi, token)
        holders = contract.holder_balances_from_transfer_logs(self._from_block, block)
        balances = {address: holders.get(to_checksum_address(address), 0) for address in addresses}
        if block == head:
            # Second, independent reading: the contract's own ledger must agree with the logs.
            for address, units in balances.items():
                if contract.balance_of(address) != units:
                    raise ReservesInvalid(f"{address}: Transfer logs and balanceOf disagree at block {block}")
        return balances
