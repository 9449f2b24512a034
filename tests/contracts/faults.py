"""Variants of the shared token source with one known fault each, to prove the contract
tests catch it: a check that passes on a faulty variant proves nothing.

`REAL_USDKG` is the real USDKG contract's two weaknesses (issue 15): the blacklist does
not check the recipient (or the spender), and issue, redeem and seizure log no `Transfer`.
The others take away one control each (pause, the pauser role, the permit nonce, the
EIP-3009 nonce). Each fault is text replaced in `contracts/KGST.vy`; a replacement that
no longer matches the source fails loudly, so the variants cannot drift silently.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boa

from .conftest import CONTRACT

Edit = tuple[str, str, int]  # old text, new text, how many times it must occur

FAULTS: dict[str, tuple[Edit, ...]] = {
    "recipient_unchecked": (
        ('    assert to_word < BLACKLIST_FLAG, "KGST: recipient blacklisted"\n', "", 2),
    ),
    "spender_unchecked": (
        ('    self._require_not_blacklisted(msg.sender, "KGST: spender blacklisted")\n', "", 1),
        ('    self._require_not_blacklisted(spender, "KGST: spender blacklisted")\n', "", 1),
    ),
    "silent_supply_changes": (
        ("    log Transfer(sender=empty(address), receiver=to, value=amount)\n", "", 1),
        ("    log Transfer(sender=msg.sender, receiver=empty(address), value=amount)\n", "", 1),
        ("    log Transfer(sender=account, receiver=empty(address), value=amount)\n", "", 1),
    ),
    "transfer_while_paused": (
        ('    assert not self.paused, "KGST: paused"\n    self._transfer(msg.sender, to, amount)\n',
         "    self._transfer(msg.sender, to, amount)\n", 1),
    ),
    "anyone_pauses": (
        ('    assert msg.sender == self.pauser, "KGST: caller is not the pauser"\n    self.paused = True\n',
         "    self.paused = True\n", 1),
    ),
    "permit_nonce_reusable": (
        ("    self.nonces[owner] = unsafe_add(nonce, 1)\n", "", 1),
    ),
    "authorization_reusable": (
        ("    self._authorization_states[sender][nonce] = True\n", "", 1),
    ),
}
REAL_USDKG = ("recipient_unchecked", "spender_unchecked", "silent_supply_changes")


def faulty_source(*faults: str) -> str:
    """The shared source with `faults` applied."""
    source = CONTRACT.read_text()
    for fault in faults:
        for old, new, count in FAULTS[fault]:
            found = source.count(old)
            assert found == count, f"fault {fault}: expected {count} of {old!r} in KGST.vy, found {found}"
            source = source.replace(old, new)
    return source


@cache
def faulty_deployer(*faults: str) -> Any:
    """The variant compiled (once per set of faults)."""
    return boa.loads_partial(faulty_source(*faults), name="KGST")
