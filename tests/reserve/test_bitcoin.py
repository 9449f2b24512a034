"""Bitcoin watch-only descriptors: BIP-380's checksum, the address's own checksum, typed
refusals; the Esplora and file balance adapters count confirmed coins only and never turn
an unreadable answer into zero."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from digisom.reserve.bitcoin import descriptor_checksum, watch_only
from digisom.reserve.bitcoin_balances import EsploraBalances, FileBitcoinBalances
from digisom.reserve.errors import BitcoinUnavailable, DescriptorInvalid, PolicyInvalid
from digisom.reserve.policy import parse_policy
from tests.reserve.reserve_world import policy_text

SEGWIT = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
TAPROOT = "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297"
LEGACY = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
TESTNET = "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"


def _descriptor(address: str) -> str:
    return f"addr({address})#{descriptor_checksum(f'addr({address})')}"


def test_the_bip380_checksum_and_valid_addresses() -> None:
    assert descriptor_checksum("raw(deadbeef)") == "89f8spxm"  # BIP-380's test vector
    assert [watch_only(_descriptor(a)).network for a in (SEGWIT, TAPROOT, LEGACY, TESTNET)] == \
        ["main", "main", "main", "test"]


@pytest.mark.parametrize("descriptor", [
    f"addr({SEGWIT})",  # no checksum
    f"addr({SEGWIT})#qqqqqqqq",  # a wrong checksum
    _descriptor(SEGWIT[:-1] + "p"),  # the descriptor checksum fits, the address's bech32 checksum not
    _descriptor(LEGACY[:-1] + "3"),  # base58check
    _descriptor("bc1" + "q" * 40),
    f"pkh({SEGWIT})#abcdefgh",  # only addr() descriptors are watched
    "addr(" + "a" * 200 + ")#abcdefgh",
])
def test_bad_descriptors_are_typed_errors(descriptor: str) -> None:
    with pytest.raises(DescriptorInvalid):
        watch_only(descriptor)


def test_the_policy_lists_watched_addresses_and_refuses_a_bad_one() -> None:
    base = policy_text(56, "0x" + "11" * 20)
    policy = parse_policy(base + f'\n[[bitcoin]]\ndescriptor = "{_descriptor(SEGWIT)}"\n')
    assert [w.address for w in policy.bitcoin] == [SEGWIT]
    with pytest.raises(PolicyInvalid, match=r"bitcoin\.descriptor"):
        parse_policy(base + f'\n[[bitcoin]]\ndescriptor = "addr({SEGWIT})#qqqqqqqq"\n')


def _esplora(routes: dict[str, httpx.Response]) -> EsploraBalances:
    def answer(request: httpx.Request) -> httpx.Response:
        return routes.get(request.url.path, httpx.Response(404))
    return EsploraBalances("https://esplora.test/api", httpx.Client(transport=httpx.MockTransport(answer)))


def test_esplora_counts_confirmed_coins_and_refuses_nonsense() -> None:
    stats = {"chain_stats": {"funded_txo_sum": 500, "spent_txo_sum": 120},
             "mempool_stats": {"funded_txo_sum": 10**9, "spent_txo_sum": 0}}
    found = _esplora({"/api/blocks/tip/height": httpx.Response(200, text="870001"),
                      f"/api/address/{SEGWIT}": httpx.Response(200, json=stats)}).balance(SEGWIT)
    assert (found.confirmed_sats, found.height) == (380, 870_001)
    for broken in ({f"/api/address/{SEGWIT}": httpx.Response(200, json=stats)},  # no tip
                   {"/api/blocks/tip/height": httpx.Response(200, text="1"),
                    f"/api/address/{SEGWIT}": httpx.Response(200, json={"chain_stats": {"funded_txo_sum": -1,
                                                                                         "spent_txo_sum": 0}})},
                   {"/api/blocks/tip/height": httpx.Response(200, text="1"),
                    f"/api/address/{SEGWIT}": httpx.Response(200, text="x" * 70_000)}):
        with pytest.raises(BitcoinUnavailable):
            _esplora(broken).balance(SEGWIT)


def test_the_file_adapter(tmp_path: Path) -> None:
    path = tmp_path / "btc.json"
    path.write_text(json.dumps({"height": 5, "balances": {SEGWIT: "42"}}))
    assert FileBitcoinBalances(path).balance(SEGWIT).confirmed_sats == 42
    with pytest.raises(BitcoinUnavailable):
        FileBitcoinBalances(path).balance(LEGACY)
    path.write_text(json.dumps({"height": 5, "balances": {SEGWIT: 1.5}}))
    with pytest.raises(BitcoinUnavailable):
        FileBitcoinBalances(path).balance(SEGWIT)
