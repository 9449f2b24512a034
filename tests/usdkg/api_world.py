"""USDKG driven through /v1/usdkg: the API world's tokens (`issuer_operator`,
`custodian`, `auditor`, ...), the signers' private keys, and two fake chains."""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from httpx import Response

from digisom.usdkg import signing
from digisom.usdkg.audits import resolution_body, signed_body
from digisom.usdkg.model import MovementKind
from digisom.usdkg.prices import signed_price_file
from digisom.usdkg.register import arrival_body, movement_body
from tests.api.world import World

PROBLEMS = "https://digisom.kg/problems/"
SIGNERS = {
    "vault_bank": "custodian",
    "other_bank": "custodian",
    "kreston_like": "auditor",
    "other_auditor": "auditor",
    "treasury_desk": "price_signer",
}


REDEMPTION_ADDRESS = "0x" + "4e" * 20


@dataclass
class FakeChain:
    """USDKG on one chain as the chain adapter drives it (`UsdkgChainToken`): balances by
    holder, the supply their sum; a mint takes `mint_s` to confirm."""

    chain_id: int
    balances: dict[str, int] = field(default_factory=dict)
    mint_s: float = 0.0
    address: str = "0x" + "70" * 20
    redemption_address: str = REDEMPTION_ADDRESS
    sent: list[str] = field(default_factory=list)

    def decimals(self) -> int:
        return 6

    def total_supply(self) -> int:
        return sum(self.balances.values())

    def balance_of(self, holder: str) -> int:
        return self.balances.get(holder, 0)

    def mint(self, to: str, amount_token_units: int) -> str:
        time.sleep(self.mint_s)  # the confirmations a real chain waits for
        self.balances[to] = self.balances.get(to, 0) + amount_token_units
        self.sent.append(f"mint {to} {amount_token_units}")
        return f"0x{len(self.sent):064x}"

    def burn(self, amount_token_units: int) -> str:
        self.balances[self.redemption_address] -= amount_token_units
        self.sent.append(f"burn {amount_token_units}")
        return f"0x{len(self.sent):064x}"


@dataclass
class FakeHolders:
    """The holder index over the fake chains."""

    chains: Mapping[int, FakeChain]

    def balances_units(self) -> Mapping[str, int]:
        total: dict[str, int] = {}
        for chain in self.chains.values():
            for address, units_ in chain.balances.items():
                total[address] = total.get(address, 0) + units_
        return total


def problem(response: Response, status: int, slug: str) -> dict[str, Any]:
    """The problem document of `response`, checked to be `slug` with `status`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEMS + slug, body
    return body


class UsdkgApi:
    """The API world plus what USDKG's signers hold: their keys."""

    def __init__(self, world: World, chains: Mapping[int, FakeChain]) -> None:
        self.world = world
        self.chains = chains
        self.keys = {name: Ed25519PrivateKey.generate() for name in SIGNERS}
        self.now = datetime.now(UTC)
        self.arrived = self.now - timedelta(days=2)
        self._keys = itertools.count()

    def register_signers(self) -> None:
        for name, role in SIGNERS.items():
            body = {"name": name, "role": role, "public_key": signing.public_bytes(self.keys[name]).hex()}
            self.world.ok(self.world.post("issuer_operator", "/v1/usdkg/signers", body), 201)

    def post_file(self, who: str, path: str, data: bytes, media_type: str, key: str | None = None,
                  **params: str) -> Response:
        headers = {**self.world.headers(who, key or f"file-{next(self._keys)}"), "Content-Type": media_type}
        return self.world.client.post(path, content=data, params=params, headers=headers)

    def import_bars(self, data: bytes, *, custodian: str = "vault_bank", signer: str | None = None,
                    vault: str = "bishkek-1", key: str | None = None, who: str = "custodian") -> Response:
        at = self.arrived
        signature = signing.sign(self.keys[signer or custodian], signing.MOVEMENT_TAG,
                                 arrival_body(custodian, vault, at, data))
        return self.post_file(who, "/v1/usdkg/bars/imports", data, "text/csv", key, vault=vault,
                              custodian=custodian, at=at.isoformat(), signature=signature.hex())

    def move(self, kind: str, serials: list[str], *, custodian: str = "vault_bank",
             vault: str = "bishkek-1") -> Response:
        at = self.now - timedelta(hours=1)
        signature = signing.sign(self.keys[custodian], signing.MOVEMENT_TAG,
                                 movement_body(MovementKind(kind), custodian, vault, at, serials))
        body = {"kind": kind, "serials": serials, "vault": vault, "custodian": custodian, "at": at.isoformat(),
                "signature": signature.hex()}
        return self.world.post("custodian", "/v1/usdkg/movements", body)

    def upload_price(self, cents: int, as_of: datetime, signer: str = "treasury_desk",
                     who: str = "issuer_operator") -> Response:
        data = signed_price_file(self.keys[signer], signer, cents, as_of)
        return self.post_file(who, "/v1/usdkg/prices", data, "application/json")

    def mint_check(self, amount_units: int) -> dict[str, Any]:
        return self.world.ok(self.world.get("issuer_operator", "/v1/usdkg/coverage/mint-check",
                                            amount_units=str(amount_units)))

    def import_count(self, data: bytes, audit_date: date, auditor: str = "kreston_like",
                     key: str | None = None) -> Response:
        return self.post_file("auditor", "/v1/usdkg/audits", data, "text/csv", key,
                              audit_date=audit_date.isoformat(), auditor=auditor)

    def sign_audit(self, audit: dict[str, Any], signer: str = "kreston_like") -> Response:
        signature = signing.sign(self.keys[signer], signing.AUDIT_TAG,
                                 signed_body(audit["audit_date"], audit["report_sha256"]))
        return self.world.post("auditor", f"/v1/usdkg/audits/{audit['audit_id']}/signature",
                               {"signature": signature.hex()})

    def resolve_audit(self, audit: dict[str, Any], resolution: str, signer: str = "kreston_like") -> Response:
        signature = signing.sign(self.keys[signer], signing.RESOLUTION_TAG,
                                 resolution_body(audit["audit_date"], audit["report_sha256"], resolution))
        return self.world.post("auditor", f"/v1/usdkg/audits/{audit['audit_id']}/resolution",
                               {"resolution": resolution, "signature": signature.hex()})
