"""A device's side of sync: sign its upload in requests, send them, acknowledge what the
server settled, install the trust material it returned. Transport-agnostic: `send`
delivers one signed request (in process, or over HTTP) and returns its outcome."""

from __future__ import annotations

from collections.abc import Callable

from digisom.offline.device import Device
from digisom.offline.keys import Signer
from digisom.offline.service import SyncOutcome
from digisom.offline.sync_request import sign_sync_request, split_upload


def sync_device(
    device: Device, signer: Signer, now_s: int, return_unspent: bool, send: Callable[[bytes], SyncOutcome]
) -> list[SyncOutcome]:
    """Sync `device`; with `return_unspent` its whole unspent allowance goes back to its
    wallet (the device gives it up before signing, so it cannot spend it meanwhile)."""
    upload = device.upload()
    if return_unspent and device.balance_tyiyn:
        device.defund(device.balance_tyiyn)
    outcomes = []
    for piece in split_upload(upload):
        outcomes.append(send(sign_sync_request(
            signer, piece, now_s, device.spent_tyiyn, return_unspent, device.funding_total_tyiyn
        )))
        device.acknowledge(piece)
    trust = outcomes[-1].trust
    device.sync(trust.banks, trust.revocations, now_s)
    return outcomes
