"""A simulated device's whole state, key included, as JSON bytes (the CLI's device files).

Pilot only: the private key is stored in the file (software protection, like a phone
without a secure element); whoever copies the file has cloned the device, which is
exactly the attack settlement must catch. Everything binary is hex.
"""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from digisom.offline.certificates import TrustStore, decode_certificate, decode_revocation_list
from digisom.offline.device import DeviceState
from digisom.offline.errors import OfflineError, Reason
from digisom.offline.keys import SoftwareSigner
from digisom.offline.payment import PaymentKey
from digisom.offline.upload import Receipt
from digisom.offline.verify import PayerView

DEVICE_FILE_VERSION: Final = 1
# A device keeps at most a few thousand unsynced payments; 16 MiB is far above that.
MAX_DEVICE_FILE_BYTES: Final = 16 * 1024 * 1024


def encode_device(signer: SoftwareSigner, state: DeviceState) -> bytes:
    """The device file for `signer` and `state`."""
    document = {
        "version": DEVICE_FILE_VERSION,
        "private_key": signer.private_key.private_bytes_raw().hex(),
        "certificate": state.certificate.encoded.hex(),
        "trust": {
            "root": state.trust.root.encoded.hex(),
            "banks": [bank.encoded.hex() for bank in state.trust.banks.values()],
            "revocations": state.trust.revocations.encoded.hex(),
        },
        "funded_tyiyn": state.funded_tyiyn,
        "funding_total_tyiyn": state.funding_total_tyiyn,
        "spent_tyiyn": state.spent_tyiyn,
        "counter": state.counter,
        "previous_hash": state.previous_hash.hex(),
        "sent": [payload.hex() for payload in state.sent],
        "received": [[r.payload.hex(), r.received_at_s, r.revocation_sequence] for r in state.received],
        "payers": {k.hex(): [v.counter, v.payment_hash.hex(), v.cumulative_tyiyn] for k, v in state.payers.items()},
        "payer_certificates": {k.hex(): c.encoded.hex() for k, c in state.payer_certificates.items()},
        "received_keys": sorted([k.payer_key_id.hex(), k.counter, k.payment_hash.hex()] for k in state.received_keys),
    }
    return json.dumps(document, indent=1).encode()


def decode_device(data: bytes) -> tuple[SoftwareSigner, DeviceState]:
    """The signer and state in a device file; `OfflineError(MALFORMED)` for anything else."""
    if len(data) > MAX_DEVICE_FILE_BYTES:
        raise OfflineError(Reason.TOO_LARGE, "device file")
    try:
        d: dict[str, Any] = json.loads(data)
        if d["version"] != DEVICE_FILE_VERSION:
            raise OfflineError(Reason.UNSUPPORTED_VERSION, "device file")
        signer = SoftwareSigner(Ed25519PrivateKey.from_private_bytes(bytes.fromhex(d["private_key"])))
        banks = [decode_certificate(bytes.fromhex(b)) for b in d["trust"]["banks"]]
        trust = TrustStore(
            decode_certificate(bytes.fromhex(d["trust"]["root"])),
            MappingProxyType({b.key_id: b for b in banks}),
            decode_revocation_list(bytes.fromhex(d["trust"]["revocations"])),
        )
        state = DeviceState(
            certificate=decode_certificate(bytes.fromhex(d["certificate"])),
            trust=trust,
            funded_tyiyn=int(d["funded_tyiyn"]),
            spent_tyiyn=int(d["spent_tyiyn"]),
            counter=int(d["counter"]),
            previous_hash=bytes.fromhex(d["previous_hash"]),
            sent=tuple(bytes.fromhex(p) for p in d["sent"]),
            received=tuple(Receipt(bytes.fromhex(p), int(at), int(seq)) for p, at, seq in d["received"]),
            payers=MappingProxyType({
                bytes.fromhex(k): PayerView(int(v[0]), bytes.fromhex(v[1]), int(v[2])) for k, v in d["payers"].items()
            }),
            payer_certificates=MappingProxyType({
                bytes.fromhex(k): decode_certificate(bytes.fromhex(c)) for k, c in d["payer_certificates"].items()
            }),
            received_keys=frozenset(
                PaymentKey(bytes.fromhex(p), int(c), bytes.fromhex(h)) for p, c, h in d["received_keys"]
            ),
            # Files written before the total existed: funded so far is the best guess; a
            # wrong one only makes the server refuse a return (the value stays in the reserve).
            funding_total_tyiyn=int(d.get("funding_total_tyiyn", d["funded_tyiyn"])),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise OfflineError(Reason.MALFORMED, f"device file: {type(error).__name__}") from None
    return signer, state
