"""The sync request: a device's upload, signed by the device key.

Payments sign themselves, but what the upload says about them — which device received
which payment, when, with which revocation list, and whether to return the unspent
allowance — is only as good as the uploader. So the whole upload is an envelope
`[body, signature]` signed by the device key (domain-separated), with body =
`[version, device_key_id, created_at_s, spent_tyiyn, return_unspent, [sent payloads],
[[payload, received_at_s, revocation_sequence], ...], funding_total_tyiyn]`.

Replaying a captured request changes nothing: settlement counts every payment once, and
a request to return unspent value is bound to the funding it returns. Version 2 signs
`funding_total_tyiyn`, everything ever funded into the device's reserve as the device
knows it; every funding raises it, so it names one funding epoch. The server returns
value only while that total is the reserve's current one, so a request replayed after a
later funding sends nothing back (docs/offline.md, "Returning unspent value"). Version 1
(7 fields, no total) still decodes and settles its payments; its return is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from digisom.offline import codec
from digisom.offline.certificates import Certificate
from digisom.offline.errors import OfflineError, Reason
from digisom.offline.keys import Signer, signature_valid
from digisom.offline.payment import MAX_PAYMENT_BYTES
from digisom.offline.upload import Receipt, Upload

SYNC_REQUEST_VERSION: Final = 2
# Version 1 had no funding total: decoded for its payments, its return is not honoured.
_FIELDS_BY_VERSION: Final = {1: 7, 2: 8}
SYNC_CONTEXT: Final = b"digisom/offline/sync-request/v1\x00"
# One request carries at most this many payments (sent and received together); a device
# with more uploads in several requests, each settled on its own (runs are final).
MAX_PAYMENTS_PER_REQUEST: Final = 48
# A payment of at most 200 bytes, a receipt's two integers and CBOR heads, times the
# count, plus the envelope: fits the API's 16 KiB body limit after base64 with room.
MAX_SYNC_REQUEST_BYTES: Final = 128 + MAX_PAYMENTS_PER_REQUEST * (MAX_PAYMENT_BYTES + 24)


@dataclass(frozen=True, slots=True)
class SyncRequest:
    """A decoded sync request; `upload` is believed only after `verify_sync_request`."""

    upload: Upload
    created_at_s: int
    spent_tyiyn: int
    return_unspent: bool
    # The funding epoch a return is bound to; None for a version-1 request (unbound).
    funding_total_tyiyn: int | None
    body: bytes
    signature: bytes


def sign_sync_request(
    signer: Signer, upload: Upload, created_at_s: int, spent_tyiyn: int, return_unspent: bool,
    funding_total_tyiyn: int = 0,
) -> bytes:
    """The wire form of `upload`, signed by the device key. `funding_total_tyiyn` is what
    the device was ever funded (`Device.funding_total_tyiyn`); it matters only for a return."""
    count = len(upload.sent) + len(upload.received)
    if count > MAX_PAYMENTS_PER_REQUEST:
        raise OfflineError(Reason.TOO_LARGE, f"{count} > {MAX_PAYMENTS_PER_REQUEST} payments in one request")
    body = codec.encode(
        [
            SYNC_REQUEST_VERSION,
            upload.device_key_id,
            created_at_s,
            spent_tyiyn,
            int(return_unspent),
            list(upload.sent),
            [[r.payload, r.received_at_s, r.revocation_sequence] for r in upload.received],
            funding_total_tyiyn,
        ]
    )
    return codec.seal_envelope(body, signer.sign(SYNC_CONTEXT + body))


def decode_sync_request(data: bytes) -> SyncRequest:
    """Parse a sync request; checks structure and sizes, not the signature."""
    body, signature = codec.open_envelope(data, MAX_SYNC_REQUEST_BYTES)
    decoded = codec.decode_strict(body, MAX_SYNC_REQUEST_BYTES)
    version = decoded[0] if type(decoded) is list and decoded else None
    if type(version) is not int or version not in _FIELDS_BY_VERSION:
        raise OfflineError(Reason.UNSUPPORTED_VERSION)
    fields = codec.as_array(decoded, _FIELDS_BY_VERSION[version])
    sent_items, received_items = fields[5], fields[6]
    if type(sent_items) is not list or type(received_items) is not list:
        raise OfflineError(Reason.MALFORMED, "sent and received must be arrays")
    if len(sent_items) + len(received_items) > MAX_PAYMENTS_PER_REQUEST:
        raise OfflineError(Reason.TOO_LARGE, f"more than {MAX_PAYMENTS_PER_REQUEST} payments in one request")
    sent = tuple(_payload(item) for item in sent_items)
    received = []
    for item in received_items:
        payload, received_at_s, sequence = codec.as_array(item, 3)
        received.append(Receipt(_payload(payload), codec.as_uint(received_at_s), codec.as_uint(sequence)))
    return_unspent = codec.as_uint(fields[4], 1)
    return SyncRequest(
        upload=Upload(codec.as_bytes(fields[1], codec.KEY_ID_BYTES), sent, tuple(received)),
        created_at_s=codec.as_uint(fields[2]),
        spent_tyiyn=codec.as_uint(fields[3]),
        return_unspent=bool(return_unspent),
        funding_total_tyiyn=codec.as_uint(fields[7]) if version >= 2 else None,
        body=body,
        signature=signature,
    )


def verify_sync_request(request: SyncRequest, device: Certificate) -> None:
    """Check that the registered device named in the request signed it."""
    if device.key_id != request.upload.device_key_id:
        raise OfflineError(Reason.WRONG_ISSUER, "the certificate is not the uploader's")
    if not signature_valid(device.subject_key, request.signature, SYNC_CONTEXT + request.body):
        raise OfflineError(Reason.BAD_SIGNATURE, "sync request")


def _payload(value: object) -> bytes:
    if type(value) is not bytes or not 0 < len(value) <= MAX_PAYMENT_BYTES:
        raise OfflineError(Reason.MALFORMED, "a payment payload must be 1..200 bytes")
    return value


def split_upload(upload: Upload) -> list[Upload]:
    """`upload` in pieces of at most `MAX_PAYMENTS_PER_REQUEST` payments, one request each
    (always at least one, so an empty upload still syncs the trust material)."""
    items: list[tuple[bytes | None, Receipt | None]] = [
        *((p, None) for p in upload.sent), *((None, r) for r in upload.received)
    ]
    pieces = []
    for start in range(0, max(len(items), 1), MAX_PAYMENTS_PER_REQUEST):
        part = items[start : start + MAX_PAYMENTS_PER_REQUEST]
        sent = tuple(p for p, _r in part if p is not None)
        received = tuple(r for _p, r in part if r is not None)
        pieces.append(Upload(upload.device_key_id, sent, received))
    return pieces
