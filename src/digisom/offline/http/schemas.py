"""Bodies of /v1/offline. Binary objects (certificates, revocation lists, signed sync
requests) travel as standard base64 of their exact CBOR bytes; key ids as hex."""

from __future__ import annotations

import base64
from typing import Annotated, Final

from pydantic import BaseModel, Field

from digisom.http.fields import AmountTyiyn, Currency, Input, WalletId
from digisom.offline.certificates import Certificate, RevocationList
from digisom.offline.service import DEVICE_VALIDITY_S_MAX, Funding, SyncOutcome, TrustMaterial
from digisom.offline.sync_request import MAX_SYNC_REQUEST_BYTES

# base64 of the largest sync request, rounded up to whole 4-character groups.
SYNC_REQUEST_CHARS_MAX: Final = (MAX_SYNC_REQUEST_BYTES + 2) // 3 * 4
KeyIdHex = Annotated[str, Field(pattern=r"^[0-9a-f]{16}$", description="An 8-byte device key id, hex.")]
PublicKeyHex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="A raw Ed25519 public key, hex.")]


class DeviceIn(Input):
    wallet_id: WalletId
    public_key: PublicKeyHex
    per_payment_max_tyiyn: AmountTyiyn
    cumulative_max_tyiyn: AmountTyiyn
    validity_s: Annotated[int, Field(gt=0, le=DEVICE_VALIDITY_S_MAX)] = 90 * 86_400


class CertificateOut(BaseModel):
    key_id: str
    role: str
    issuer_key_id: str
    not_before_s: int
    not_after_s: int
    per_payment_max_tyiyn: str
    cumulative_max_tyiyn: str
    encoded: str


class RevocationListOut(BaseModel):
    sequence: int
    issued_at_s: int
    revoked_key_ids: list[str]
    encoded: str


class TrustOut(BaseModel):
    root: CertificateOut
    banks: list[CertificateOut]
    revocation_list: RevocationListOut


class FundingIn(Input):
    device_key_id: KeyIdHex
    amount_tyiyn: AmountTyiyn
    currency: Currency


class RevocationIn(Input):
    device_key_id: KeyIdHex
    reason: Annotated[str, Field(pattern=r"^[a-z_]{1,32}$", examples=["lost", "stolen"])]


class FundingOut(BaseModel):
    device_key_id: str
    amount_tyiyn: str
    funded_net_tyiyn: str
    currency: Currency = "KGS"


class SyncIn(Input):
    request: Annotated[str, Field(min_length=4, max_length=SYNC_REQUEST_CHARS_MAX,
                                  pattern=r"^[A-Za-z0-9+/]+={0,2}$",
                                  description="The device-signed sync request (CBOR), base64.")]


class FindingOut(BaseModel):
    device_key_id: str
    fraud: str
    counter: int


class SyncOut(BaseModel):
    run_id: int
    payments_decided: int
    duplicates: int
    paid_tyiyn: str
    guaranteed_tyiyn: str
    returned_tyiyn: str
    findings: list[FindingOut]
    revoked_key_ids: list[str]
    trust: TrustOut
    # Why the device's unspent value was not returned (`stale_return`, `unbound_return`).
    return_refused: str | None = None
    # Set when this run's posting was refused: parked for an operator, its value kept.
    parked_reason: str | None = None
    currency: Currency = "KGS"


def b64(data: bytes) -> str:
    """Standard base64 text of `data`."""
    return base64.b64encode(data).decode("ascii")


def certificate_out(cert: Certificate) -> CertificateOut:
    return CertificateOut(
        key_id=cert.key_id.hex(), role=cert.role.name.lower(), issuer_key_id=cert.issuer_key_id.hex(),
        not_before_s=cert.not_before_s, not_after_s=cert.not_after_s,
        per_payment_max_tyiyn=str(cert.per_payment_max_tyiyn), cumulative_max_tyiyn=str(cert.cumulative_max_tyiyn),
        encoded=b64(cert.encoded),
    )


def revocation_list_out(crl: RevocationList) -> RevocationListOut:
    return RevocationListOut(
        sequence=crl.sequence, issued_at_s=crl.issued_at_s,
        revoked_key_ids=sorted(k.hex() for k in crl.revoked_key_ids), encoded=b64(crl.encoded),
    )


def trust_out(trust: TrustMaterial) -> TrustOut:
    return TrustOut(root=certificate_out(trust.root), banks=[certificate_out(b) for b in trust.banks],
                    revocation_list=revocation_list_out(trust.revocations))


def funding_out(funding: Funding) -> FundingOut:
    return FundingOut(device_key_id=funding.device_key_id.hex(), amount_tyiyn=str(funding.amount_tyiyn),
                      funded_net_tyiyn=str(funding.funded_net_tyiyn))


def sync_out(outcome: SyncOutcome) -> SyncOut:
    result = outcome.result
    return SyncOut(
        run_id=outcome.run_id, payments_decided=outcome.decided, duplicates=result.duplicates,
        paid_tyiyn=str(outcome.paid_tyiyn), guaranteed_tyiyn=str(outcome.guaranteed_tyiyn),
        returned_tyiyn=str(sum(outcome.returned_tyiyn.values())),
        findings=[FindingOut(device_key_id=f.device_key_id.hex(), fraud=f.fraud.value, counter=f.counter)
                  for f in result.findings],
        revoked_key_ids=sorted(k.hex() for k in result.revocations), trust=trust_out(outcome.trust),
        return_refused=next((r.value for r in outcome.returns_refused.values()), None),
        parked_reason=outcome.parked.reason.value if outcome.parked else None,
    )
