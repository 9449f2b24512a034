"""Build and sign a publication (`digisom reserve publish`, the demo): every asset of the
policy at the wallet and at each EOA read at one block, the wallet's proof signed by
owners (EIP-712 `ReserveMessage` over the challenge's EIP-191 hash, packed for EIP-1271),
each EOA's proof an EIP-191 `personal_sign`; each watched Bitcoin address is read from a
balance source at its height and listed under the same root, unproven. The keys are the officers' and stay with the
caller: the API only receives the signed document and re-checks it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct

from digisom.reserve import publication
from digisom.reserve.bitcoin import WatchOnly
from digisom.reserve.bitcoin_balances import BitcoinBalances
from digisom.reserve.policy import AssetPolicy
from digisom.reserve.publication import BitcoinLine, ChainAtBlock, HoldingLine
from digisom.reserve.typed import message_typed_data, pack, sign_typed


def holdings_at(chain: ChainAtBlock, block: int, assets: Sequence[AssetPolicy],
                addresses: Sequence[str]) -> list[HoldingLine]:
    """Each asset's balance at each address at `block`."""
    return [HoldingLine(asset.symbol, asset.token, address,
                        chain.native_balance(address, block) if asset.token is None
                        else chain.token_balance(asset.token, address, block))
            for asset in assets for address in addresses]


def bitcoin_lines(source: BitcoinBalances, watched: Sequence[WatchOnly]) -> list[BitcoinLine]:
    """Each watched address's confirmed satoshis, at the height the source read them
    (`BitcoinUnavailable` if one cannot be read: a publication never lists a guess)."""
    lines = []
    for address in watched:
        found = source.balance(address.address)
        lines.append(BitcoinLine(address.descriptor, address.address, found.confirmed_sats, found.height))
    return lines


def signed_publication(day: str, chain: ChainAtBlock, block: int, assets: Sequence[AssetPolicy], wallet: str,
                       owner_keys: Sequence[bytes], eoa_keys: Sequence[bytes] = (),
                       bitcoin: Sequence[BitcoinLine] = ()) -> dict[str, Any]:
    """The publication of `wallet`, the EOAs of `eoa_keys` and the `bitcoin` lines, signed by
    `owner_keys` and those EOAs (the Bitcoin lines are under the root, unproven)."""
    eoas = [Account.from_key(k) for k in eoa_keys]
    lines: list[publication.Line] = [*holdings_at(chain, block, assets, [wallet, *(e.address for e in eoas)]),
                                     *bitcoin]
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
