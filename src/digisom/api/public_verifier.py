"""The public log's verification as `digisom verify-public` and the demo run it: the
transparency domain's walk (`digisom.transparency.public`) with the checks only other
domains and the chain can make plugged in: the State Register's signed event chain, each
anchor's transaction on a chain, and each reserve publication's holdings root.

Nothing here loads the EVM stack until a chain or a reserve publication needs it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from digisom.registry.chain import verify_chain
from digisom.transparency import verify as v
from digisom.transparency.public import AnchorCheck, Checks, verify_log
from digisom.transparency.records import Record

if TYPE_CHECKING:
    from digisom.chain.protocol import Chain


def on_chain(chain: Chain) -> AnchorCheck:
    """An anchor checked on `chain`: its raw transaction, calldata, chain id and block."""
    from digisom.chain.anchor import check_anchor  # noqa: PLC0415 - the EVM stack, only with a chain

    def check(document: Mapping[str, Any], digest: bytes) -> str | None:
        raw = v.hex_bytes(str(document.get("raw_tx", "")).removeprefix("0x"), "a raw transaction")
        return check_anchor(chain, int(document["chain_id"]), str(document["tx_hash"]), raw, digest,
                            int(document["block_number"]))

    return check


def reserve_root(record: Record) -> str | None:
    """A reserve publication's holdings root recomputed from its lines (the reserve's own rule)."""
    from digisom.reserve.errors import PublicationInvalid  # noqa: PLC0415
    from digisom.reserve.publication import holdings_root, parse  # noqa: PLC0415 - eth_account, only when logged

    document = dict(record.body.get("publication", {}))
    try:
        lines, _ = parse(document)
    except PublicationInvalid as error:
        return f"{record.record_id}: not a reserve publication ({error})"
    if holdings_root(lines) != document.get("root"):
        return f"{record.record_id}: its holdings do not hash to its published root (altered)"
    return None


def checks(chain: Chain | None = None) -> Checks:
    """Everything verify-public checks beyond the log itself (with `chain`, the anchors on it)."""
    return Checks(anchor=None if chain is None else on_chain(chain), register=verify_chain,
                  figures={"reserve_publication": reserve_root})


def verify_public_log(client: httpx.Client, *, public_key: bytes | None = None, chain: Chain | None = None,
                      state_path: Path | None = None) -> v.Findings:
    """Check the log `client` serves (base URL: the API's); `verify.Discrepancy` on the first
    thing that does not check out."""
    return verify_log(client, public_key=public_key, checks=checks(chain), state_path=state_path)
