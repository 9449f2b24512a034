"""Watched Bitcoin addresses in a publication: each a holding line under the root (its
descriptor, its height, `control_proven: false`), re-read by `verify` from a balance source
at that height. A changed balance fails naming it; a line that cannot be re-read there
fails too; an EVM address still needs its proof of control, a Bitcoin line none."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Final

import pytest

from digisom.reserve import publication
from digisom.reserve.bitcoin import descriptor_checksum, watch_only
from digisom.reserve.bitcoin_balances import FileBitcoinBalances
from digisom.reserve.errors import PublicationInvalid
from digisom.reserve.publication import BitcoinLine, HoldingLine
from digisom.reserve.publisher import bitcoin_lines

SEGWIT: Final = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
LEGACY: Final = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
HEIGHT: Final = 870_000
SATS: Final = {SEGWIT: 150_000_000, LEGACY: 7}
EOA: Final = "0x" + "ab" * 20
EOA_WEI: Final = 3 * 10**18
DAY: Final = "2026-12-07"


class FakeChain:
    """An EVM chain that holds `EOA_WEI` at `EOA` at every block (the EVM side is tested on anvil)."""

    def chain_id(self) -> int:
        return 56

    def native_balance(self, address: str, block: int) -> int:
        return EOA_WEI if address.lower() == EOA else 0

    def token_balance(self, token: str, address: str, block: int) -> int:
        return 0

    def owners(self, wallet: str, block: int) -> list[str]:
        return []

    def threshold(self, wallet: str, block: int) -> int:
        return 0

    def is_valid_signature(self, wallet: str, hash32: bytes, signatures: bytes, block: int) -> bool:
        return False


def _descriptor(address: str) -> str:
    return f"addr({address})#{descriptor_checksum(f'addr({address})')}"


@pytest.fixture
def source(tmp_path: Path) -> FileBitcoinBalances:
    path = tmp_path / "btc.json"
    path.write_text(json.dumps({"height": HEIGHT, "balances": {a: str(s) for a, s in SATS.items()}}))
    return FileBitcoinBalances(path)


def _published(source: FileBitcoinBalances, evm: bool = False) -> dict[str, Any]:
    lines: list[publication.Line] = list(bitcoin_lines(source, [watch_only(_descriptor(a)) for a in SATS]))
    if evm:
        lines.append(HoldingLine("BNB", None, EOA, EOA_WEI))
    return publication.build(DAY, FakeChain(), 100, lines, [], {})


def _reroot(document: dict[str, Any]) -> dict[str, Any]:
    lines, _ = publication.parse(document)
    document["root"] = publication.holdings_root(lines)  # a consistent root: only the source can tell
    return document


def test_bitcoin_lines_are_under_the_root_unproven_and_verify(source: FileBitcoinBalances) -> None:
    document = _published(source)
    line = next(h for h in document["holdings"] if h["address"] == SEGWIT)
    assert line == {"asset": "BTC", "token": None, "address": SEGWIT, "balance_units": str(SATS[SEGWIT]),
                    "descriptor": _descriptor(SEGWIT), "height": HEIGHT, "control_proven": False}
    assert publication.verify(document, FakeChain(), source) == []
    hidden = copy.deepcopy(document)  # the root commits to the Bitcoin lines
    hidden["holdings"] = [h for h in hidden["holdings"] if h["address"] != LEGACY]
    assert any(f.startswith("root:") for f in publication.verify(hidden, FakeChain(), source))


def test_a_changed_bitcoin_balance_fails_naming_it(source: FileBitcoinBalances) -> None:
    tampered = copy.deepcopy(_published(source))
    tampered["holdings"][0]["balance_units"] = str(int(tampered["holdings"][0]["balance_units"]) + 1)
    address = tampered["holdings"][0]["address"]
    found = publication.verify(_reroot(tampered), FakeChain(), source)
    assert found == [f"balance: BTC at {address} is {SATS[address]} at height {HEIGHT}, "
                     f"published {SATS[address] + 1}"]


def test_a_line_not_re_readable_at_its_height_fails(source: FileBitcoinBalances, tmp_path: Path) -> None:
    document = _published(source)
    assert all(f.startswith("bitcoin:") and "no Bitcoin balance source" in f
               for f in publication.verify(document, FakeChain(), None))
    later = tmp_path / "later.json"
    later.write_text(json.dumps({"height": HEIGHT + 1, "balances": {a: str(s) for a, s in SATS.items()}}))
    moved_on = publication.verify(document, FakeChain(), FileBitcoinBalances(later))
    assert len(moved_on) == 2 and all(f"at height {HEIGHT}: the source is at height {HEIGHT + 1}" in f
                                      for f in moved_on)


def test_evm_addresses_still_need_a_proof_bitcoin_lines_none(source: FileBitcoinBalances) -> None:
    failures = publication.verify(_published(source, evm=True), FakeChain(), source)
    assert failures == [f"proof: {EOA} has no proof of control"]


@pytest.mark.parametrize(("field", "wrong"), [
    ("control_proven", True),  # a Bitcoin line never claims control here
    ("descriptor", _descriptor(LEGACY)),  # another address's descriptor
    ("descriptor", f"addr({SEGWIT})#qqqqqqqq"),  # a wrong checksum
    ("asset", "BNB"),
    ("height", -1),
])
def test_malformed_bitcoin_lines_are_refused(source: FileBitcoinBalances, field: str, wrong: object) -> None:
    document = _published(source)
    line = next(h for h in document["holdings"] if h["address"] == SEGWIT)
    line[field] = wrong
    with pytest.raises(PublicationInvalid):
        publication.parse(document)


def test_the_line_keeps_a_base58_address_as_written(source: FileBitcoinBalances) -> None:
    lines, _ = publication.parse(_published(source))
    assert BitcoinLine(_descriptor(LEGACY), LEGACY, SATS[LEGACY], HEIGHT) in lines
