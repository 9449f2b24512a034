"""Compact CBOR certificates (central bank root -> commercial bank -> device) and the
central bank's signed revocation list.

A certificate is the envelope `[body, signature]` (see `codec`) where body is
`[version, role, subject_key, issuer_key_id, not_before_s, not_after_s,
per_payment_max_tyiyn, cumulative_max_tyiyn]`. The serial is the subject's key id
(the head of SHA-256 of its public key); it is derived, not transmitted. A certificate
is valid for `not_before_s <= now_s < not_after_s`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum, unique
from types import MappingProxyType
from typing import Final

from digisom.offline import codec
from digisom.offline.errors import OfflineError, Reason
from digisom.offline.keys import Signer, signature_valid

CERTIFICATE_VERSION: Final = 1
REVOCATION_LIST_VERSION: Final = 1
# A device certificate encodes to about 140 bytes; the cap leaves room and refuses junk early.
MAX_CERTIFICATE_BYTES: Final = 256
# Sized for every device of a national pilot being revoked at once (9 bytes per entry).
MAX_REVOKED_KEYS: Final = 200_000
MAX_REVOCATION_LIST_BYTES: Final = 64 + MAX_REVOKED_KEYS * (codec.KEY_ID_BYTES + 1)
# Domain separation: a signature made for one kind of message never verifies as another.
CERTIFICATE_CONTEXT: Final = b"digisom/offline/certificate/v1\x00"
REVOCATION_CONTEXT: Final = b"digisom/offline/revocation-list/v1\x00"


@unique
class Role(IntEnum):
    """Who a certificate's subject is; each role may only be issued by the one above it."""

    CENTRAL_BANK = 1
    COMMERCIAL_BANK = 2
    DEVICE = 3


_ISSUER_ROLE: Final = MappingProxyType(
    {Role.CENTRAL_BANK: Role.CENTRAL_BANK, Role.COMMERCIAL_BANK: Role.CENTRAL_BANK, Role.DEVICE: Role.COMMERCIAL_BANK}
)


@dataclass(frozen=True, slots=True)
class Certificate:
    """A decoded certificate; `encoded` is its exact wire form, `body` the signed part."""

    role: Role
    subject_key: bytes
    issuer_key_id: bytes
    not_before_s: int
    not_after_s: int
    per_payment_max_tyiyn: int
    cumulative_max_tyiyn: int
    key_id: bytes
    body: bytes
    signature: bytes
    encoded: bytes

    def valid_at(self, now_s: int) -> bool:
        """Whether `now_s` lies in the validity window."""
        return self.not_before_s <= now_s < self.not_after_s


def _check_validity(cert: Certificate, now_s: int) -> None:
    if now_s < cert.not_before_s:
        raise OfflineError(Reason.CERTIFICATE_NOT_YET_VALID, cert.key_id.hex())
    if now_s >= cert.not_after_s:
        raise OfflineError(Reason.CERTIFICATE_EXPIRED, cert.key_id.hex())


def _check_limits(role: Role, per_payment_max_tyiyn: int, cumulative_max_tyiyn: int) -> None:
    if role is Role.DEVICE:
        if not 0 < per_payment_max_tyiyn <= cumulative_max_tyiyn:
            raise OfflineError(Reason.MALFORMED, "device limits must satisfy 0 < per-payment <= cumulative")
    elif per_payment_max_tyiyn or cumulative_max_tyiyn:
        raise OfflineError(Reason.MALFORMED, "only device certificates carry limits")


def issue_certificate(
    issuer: Signer,
    role: Role,
    subject_key: bytes,
    not_before_s: int,
    not_after_s: int,
    per_payment_max_tyiyn: int = 0,
    cumulative_max_tyiyn: int = 0,
) -> Certificate:
    """Sign a certificate for `subject_key` with `issuer`'s key (self-signed for the root)."""
    _check_limits(role, per_payment_max_tyiyn, cumulative_max_tyiyn)
    if not 0 <= not_before_s < not_after_s <= codec.MAX_UINT:
        raise OfflineError(Reason.MALFORMED, "validity window must be non-empty")
    body = codec.encode(
        [
            CERTIFICATE_VERSION,
            int(role),
            codec.as_bytes(subject_key, codec.PUBLIC_KEY_BYTES),
            codec.key_id(issuer.public_key),
            not_before_s,
            not_after_s,
            per_payment_max_tyiyn,
            cumulative_max_tyiyn,
        ]
    )
    return decode_certificate(codec.seal_envelope(body, issuer.sign(CERTIFICATE_CONTEXT + body)))


def decode_certificate(data: bytes) -> Certificate:
    """Parse a certificate's wire form; checks structure, not signatures or validity."""
    body, signature = codec.open_envelope(data, MAX_CERTIFICATE_BYTES)
    fields = codec.as_array(codec.decode_strict(body, MAX_CERTIFICATE_BYTES), 8)
    if fields[0] != CERTIFICATE_VERSION or type(fields[0]) is not int:
        raise OfflineError(Reason.UNSUPPORTED_VERSION)
    role_number = codec.as_uint(fields[1], max(Role))
    if role_number < min(Role):
        raise OfflineError(Reason.MALFORMED, "unknown role")
    role = Role(role_number)
    subject_key = codec.as_bytes(fields[2], codec.PUBLIC_KEY_BYTES)
    not_before_s, not_after_s = codec.as_uint(fields[4]), codec.as_uint(fields[5])
    if not_before_s >= not_after_s:
        raise OfflineError(Reason.MALFORMED, "empty validity window")
    per_payment, cumulative = codec.as_uint(fields[6]), codec.as_uint(fields[7])
    _check_limits(role, per_payment, cumulative)
    return Certificate(
        role=role,
        subject_key=subject_key,
        issuer_key_id=codec.as_bytes(fields[3], codec.KEY_ID_BYTES),
        not_before_s=not_before_s,
        not_after_s=not_after_s,
        per_payment_max_tyiyn=per_payment,
        cumulative_max_tyiyn=cumulative,
        key_id=codec.key_id(subject_key),
        body=body,
        signature=signature,
        encoded=data,
    )


def verify_issued_by(cert: Certificate, issuer: Certificate, now_s: int) -> None:
    """Check that `issuer` may issue `cert`, signed it, and that both are valid at `now_s`."""
    if cert.issuer_key_id != issuer.key_id:
        raise OfflineError(Reason.WRONG_ISSUER, f"{cert.key_id.hex()} not issued by {issuer.key_id.hex()}")
    if issuer.role is not _ISSUER_ROLE[cert.role]:
        raise OfflineError(Reason.WRONG_ROLE, f"a {issuer.role.name} may not issue a {cert.role.name}")
    if not signature_valid(issuer.subject_key, cert.signature, CERTIFICATE_CONTEXT + cert.body):
        raise OfflineError(Reason.BAD_SIGNATURE, f"certificate {cert.key_id.hex()}")
    _check_validity(issuer, now_s)
    _check_validity(cert, now_s)


@dataclass(frozen=True, slots=True)
class RevocationList:
    """The central bank's list of revoked key ids, ordered by `sequence`."""

    issuer_key_id: bytes
    sequence: int
    issued_at_s: int
    revoked_key_ids: frozenset[bytes]
    body: bytes
    signature: bytes
    encoded: bytes

    def revokes(self, key_id: bytes) -> bool:
        """Whether `key_id` is on the list."""
        return key_id in self.revoked_key_ids


def issue_revocation_list(
    root: Signer, sequence: int, issued_at_s: int, revoked_key_ids: Iterable[bytes]
) -> RevocationList:
    """Sign a revocation list; entries are sorted so that the encoding is unique."""
    entries = sorted(set(revoked_key_ids))
    if len(entries) > MAX_REVOKED_KEYS:
        raise OfflineError(Reason.TOO_LARGE, f"{len(entries)} > {MAX_REVOKED_KEYS} revoked keys")
    body = codec.encode([REVOCATION_LIST_VERSION, codec.key_id(root.public_key), sequence, issued_at_s, list(entries)])
    return decode_revocation_list(codec.seal_envelope(body, root.sign(REVOCATION_CONTEXT + body)))


def decode_revocation_list(data: bytes) -> RevocationList:
    """Parse a revocation list's wire form; checks structure, not the signature."""
    body, signature = codec.open_envelope(data, MAX_REVOCATION_LIST_BYTES)
    fields = codec.as_array(codec.decode_strict(body, MAX_REVOCATION_LIST_BYTES), 5)
    if fields[0] != REVOCATION_LIST_VERSION or type(fields[0]) is not int:
        raise OfflineError(Reason.UNSUPPORTED_VERSION)
    entries = fields[4]
    if type(entries) is not list or len(entries) > MAX_REVOKED_KEYS:
        raise OfflineError(Reason.MALFORMED, "revoked keys must be a bounded array")
    revoked = [codec.as_bytes(entry, codec.KEY_ID_BYTES) for entry in entries]
    if any(a >= b for a, b in itertools.pairwise(revoked)):
        raise OfflineError(Reason.NON_CANONICAL, "revoked keys must be strictly ascending")
    return RevocationList(
        issuer_key_id=codec.as_bytes(fields[1], codec.KEY_ID_BYTES),
        sequence=codec.as_uint(fields[2]),
        issued_at_s=codec.as_uint(fields[3]),
        revoked_key_ids=frozenset(revoked),
        body=body,
        signature=signature,
        encoded=data,
    )


def verify_revocation_list(crl: RevocationList, root: Certificate) -> None:
    """Check that the central bank `root` signed `crl`."""
    if crl.issuer_key_id != root.key_id:
        raise OfflineError(Reason.WRONG_ISSUER, "revocation list not issued by the trusted root")
    if not signature_valid(root.subject_key, crl.signature, REVOCATION_CONTEXT + crl.body):
        raise OfflineError(Reason.BAD_SIGNATURE, "revocation list")


@dataclass(frozen=True, slots=True)
class TrustStore:
    """What a device trusts, as of its last sync: the root, the banks, the revocation list.

    Immutable: a sync builds a new store (`with_sync`), so a half-applied sync is impossible.
    """

    root: Certificate
    banks: Mapping[bytes, Certificate]
    revocations: RevocationList

    @classmethod
    def create(cls, root: Certificate, revocations: RevocationList, now_s: int) -> TrustStore:
        """A store anchored at the self-signed central bank certificate `root`."""
        if root.role is not Role.CENTRAL_BANK:
            raise OfflineError(Reason.UNTRUSTED_ROOT, "the root must be a central bank certificate")
        verify_issued_by(root, root, now_s)
        verify_revocation_list(revocations, root)
        return cls(root, MappingProxyType({}), revocations)

    def with_sync(self, banks: Iterable[Certificate], revocations: RevocationList, now_s: int) -> TrustStore:
        """The store after a sync: verified bank certificates and a newer revocation list.

        A list older than the one held is refused (`STALE_REVOCATION_LIST`): replaying an
        old list must not un-revoke a device. The same list again is accepted (idempotent).
        """
        verify_revocation_list(revocations, self.root)
        current = self.revocations
        if revocations.sequence < current.sequence or (
            revocations.sequence == current.sequence and revocations.encoded != current.encoded
        ):
            raise OfflineError(Reason.STALE_REVOCATION_LIST, f"{revocations.sequence} after {current.sequence}")
        verified: dict[bytes, Certificate] = {}
        for bank in banks:
            verify_issued_by(bank, self.root, now_s)
            verified[bank.key_id] = bank
        return TrustStore(self.root, MappingProxyType(verified), revocations)

    def verify_device(self, device: Certificate, now_s: int) -> None:
        """Full check of a device certificate: issuer, signature, validity, revocation."""
        if device.role is not Role.DEVICE:
            raise OfflineError(Reason.WRONG_ROLE, "not a device certificate")
        bank = self.banks.get(device.issuer_key_id)
        if bank is None:
            raise OfflineError(Reason.UNKNOWN_ISSUER, device.issuer_key_id.hex())
        verify_issued_by(device, bank, now_s)
        self.check_current(device, now_s)

    def check_current(self, device: Certificate, now_s: int) -> None:
        """The per-payment part of the check for an already verified device certificate:
        expiry of the device and its bank, and revocation as of the last sync."""
        bank = self.banks.get(device.issuer_key_id)
        if bank is None:
            raise OfflineError(Reason.UNKNOWN_ISSUER, device.issuer_key_id.hex())
        _check_validity(self.root, now_s)
        _check_validity(bank, now_s)
        _check_validity(device, now_s)
        for key_id in (device.key_id, bank.key_id):
            if self.revocations.revokes(key_id):
                raise OfflineError(Reason.REVOKED, key_id.hex())
