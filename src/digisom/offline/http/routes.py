"""/v1/offline: device certificates, the CA chain, the revocation list, funding, sync.

Roles: a bank operator certifies devices of its own customers' wallets; the wallet's
holder (or its bank) funds the device's offline reserve; the CA chain and the signed
revocation list are public; a sync is public at the HTTP level because the device
authenticates itself by signing the request with its certified key.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from digisom.http.fields import WalletPath
from digisom.http.idempotency import IdempotencyKey, idempotent
from digisom.http.permissions import Authorize
from digisom.http.render import READ_PROBLEMS, WRITE_PROBLEMS, amount, json
from digisom.http.wallet_access import wallet_access
from digisom.kernel.access import Actor, Role
from digisom.offline.errors import OfflineError, Reason
from digisom.offline.http import schemas as s
from digisom.offline.http.slots import offline_service


def router() -> APIRouter:
    """The offline routes."""
    r = APIRouter(prefix="/v1/offline", tags=["offline"])

    @r.post("/devices", status_code=201, response_model=s.CertificateOut, responses=WRITE_PROBLEMS)
    def register_device(
        request: Request, body: s.DeviceIn, key: IdempotencyKey,
        actor: Annotated[Actor, Depends(Authorize("offline.devices.register"))],
    ) -> Response:
        """The wallet's bank certifies a device key; a second key with a taken key id is refused."""
        bank_code = actor.bank_code or ""
        wallet_access(request).require_bank(actor, body.wallet_id)  # another bank's: as unknown
        return idempotent(request, actor, key, body, lambda: json(s.certificate_out(
            offline_service(request).register_device(
                bank_code, body.wallet_id, bytes.fromhex(body.public_key), amount(body.per_payment_max_tyiyn),
                amount(body.cumulative_max_tyiyn), body.validity_s)
        ), 201))

    @r.get("/ca", response_model=s.TrustOut, responses=READ_PROBLEMS)
    def ca_chain(
        request: Request, _actor: Annotated[Actor, Depends(Authorize("offline.ca"))]
    ) -> JSONResponse:
        """The central bank's root, every commercial bank's certificate, the latest revocation list."""
        return json(s.trust_out(offline_service(request).trust()))

    @r.get("/revocation-list", response_model=s.RevocationListOut, responses=READ_PROBLEMS)
    def revocation_list(
        request: Request, _actor: Annotated[Actor, Depends(Authorize("offline.revocations"))]
    ) -> JSONResponse:
        """The latest revocation list, signed by the central bank (public: it names key ids only)."""
        return json(s.revocation_list_out(offline_service(request).trust().revocations))

    @r.post("/revocations", response_model=s.RevocationListOut, responses=WRITE_PROBLEMS)
    def revoke(
        request: Request, body: s.RevocationIn, key: IdempotencyKey,
        actor: Annotated[Actor, Depends(Authorize("offline.revoke"))],
    ) -> Response:
        """The device's bank revokes it (lost, stolen); answers with the new signed list."""
        bank_code = actor.bank_code or ""
        offline = offline_service(request)
        device_key_id = bytes.fromhex(body.device_key_id)
        if offline.device(device_key_id).bank_code != bank_code:
            raise OfflineError(Reason.UNKNOWN_DEVICE)  # another bank's device: as an unknown one
        return idempotent(request, actor, key, body, lambda: json(s.revocation_list_out(
            offline_service(request).revoke_device(bank_code, bytes.fromhex(body.device_key_id), body.reason)
        )))

    @r.post("/wallets/{wallet_id}/fundings", response_model=s.FundingOut, responses=WRITE_PROBLEMS)
    def fund(
        request: Request, wallet_id: WalletPath, body: s.FundingIn, key: IdempotencyKey,
        actor: Annotated[Actor, Depends(Authorize("offline.fund"))],
    ) -> Response:
        """Move an offline allowance from the wallet to its device's offline reserve."""
        wallet_access(request).require_operate(actor, wallet_id)
        operation = f"{actor.principal}|{key}"
        return idempotent(request, actor, key, body, lambda: json(s.funding_out(
            offline_service(request).fund(
                wallet_id, bytes.fromhex(body.device_key_id), amount(body.amount_tyiyn), operation)
        )))

    @r.post("/sync", response_model=s.SyncOut, responses=WRITE_PROBLEMS)
    def sync(
        request: Request, body: s.SyncIn, key: IdempotencyKey,
        _actor: Annotated[Actor, Depends(Authorize("offline.sync"))],
    ) -> Response:
        """Upload what a device sent and received, signed by the device key; settle it."""
        try:
            raw = base64.b64decode(body.request, validate=True)
        except binascii.Error:
            raise OfflineError(Reason.MALFORMED, "the request is not base64") from None
        offline = offline_service(request)
        verified = offline.authenticate(raw)
        device = Actor(Role.PUBLIC, "device-" + verified.upload.device_key_id.hex())
        return idempotent(request, device, key, body,
                          lambda: json(s.sync_out(offline.sync_verified(verified))))

    return r
