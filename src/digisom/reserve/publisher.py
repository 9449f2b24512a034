"""Build and sign a publication (`digisom reserve publish`, the demo): every asset of the
policy at the wallet and at each EOA read at one block, the wallet's proof signed by
owners (EIP-712 `ReserveMessage` over the challenge's EIP-191 hash, packed for EIP-1271),
each EOA's proof an EIP-191 `personal_sign`. The keys are the officers' and stay with the
caller: the API only receives the signed document and re-checks it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct

from digisom.reserve import publication
from digisom.reserve.policy import AssetPolicy
from digisom.reserve.publication import ChainAtBlock, HoldingLine
from digisom.reserve.typed import message_typed_data, pack, sign_typed


def holdings_at(chain: ChainAtBlock, block: int, assets: Sequence[AssetPolicy],
                addresses: Sequence[str]) -> list[HoldingLine]:
    """Each asset's balance at each address at `block`."""
    return [HoldingLine(asset.symbol, asset.token, address,
                        chain.native_balance(address, block) if asset.token is None
                        else chain.token_balance(asset.token, address, block))
            for asset in assets for address in addresses]


def signed_publication(day: str, chain: ChainAtBlock, block: int, assets: Sequence[AssetPolicy], wallet: str,
                       owner_keys: Sequence[bytes], eoa_keys: Sequence[bytes] = ()) -> dict[str, Any]:
    """The publication of `wallet` and the EOAs of `eoa_keys`, signed by `owner_keys` and those EOAs."""
    eoas = [Account.from_key(k) for k in eoa_keys]
    lines = holdings_at(chain, block, assets, [wallet, *(e.address for e in eoas)])
    root = publication.holdings_root(lines)
    typed = message_typed_data(chain.chain_id(), wallet, publication.challenge_hash(day, root, wallet))
    owners = [Account.from_key(k) for k in owner_keys]
    proofs: dict[str, tuple[str, bytes]] = {
        wallet: ("eip1271", pack((o.address, sign_typed(o.key, typed)) for o in owners))}
    for eoa in eoas:
        signed = Account.sign_message(encode_defunct(text=publication.challenge(day, root, eoa.address)),
                                      private_key=eoa.key)
        proofs[eoa.address] = ("eip191", bytes(signed.signature))
    return publication.build(day, chain, block, lines, [wallet], proofs)
