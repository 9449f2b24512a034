"""A small digital-som world driven through the HTTP API, shared by the API tests.

Roles: `central_bank` (the National Bank's operator), `commercial_bank` (an operator of
Ayil Bank), `second_bank` (an operator of Bakai Bank), `treasury` (the treasury's wallet
at Bakai Bank), `pensioner` and `merchant` (wallet holders at Ayil Bank), `auditor`,
and for USDKG `issuer_operator` and `custodian`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from digisom.api.runtime import Runtime
from digisom.kernel.access import Role

AYIL = "AYIL"
BAKAI = "BAKAI"
SOM = 100  # tyiyn


def kgs(som: int) -> dict[str, str]:
    """An amount body for `som` whole som."""
    return {"amount_tyiyn": str(som * SOM), "currency": "KGS"}


@dataclass
class World:
    """The client, a token per role, and the ids the setup created."""

    runtime: Runtime
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)
    wallets: dict[str, str] = field(default_factory=dict)
    _keys: itertools.count[int] = field(default_factory=itertools.count)

    @classmethod
    def create(cls, runtime: Runtime) -> World:
        world = cls(runtime, TestClient(runtime.app))
        issue = runtime.issuer.issue
        world.tokens = {
            "central_bank": issue(Role.CENTRAL_BANK_OPERATOR, "nbkr-operator"),
            "commercial_bank": issue(Role.BANK_OPERATOR, "ayil-teller", AYIL),
            "second_bank": issue(Role.BANK_OPERATOR, "bakai-teller", BAKAI),
            "treasury": issue(Role.WALLET_HOLDER, "treasury", BAKAI),
            "pensioner": issue(Role.WALLET_HOLDER, "pensioner", AYIL),
            "merchant": issue(Role.WALLET_HOLDER, "merchant", AYIL),
            "auditor": issue(Role.AUDITOR, "audit-chamber"),
            "treasury_operator": issue(Role.TREASURY_OPERATOR, "treasury-clerk"),
            "issuer_operator": issue(Role.ISSUER_OPERATOR, "usdkg-desk"),
            "custodian": issue(Role.CUSTODIAN, "vault-bank-clerk"),
            "partner": issue(Role.PARTNER, "zolotaya-mto"),
            "other_partner": issue(Role.PARTNER, "almaty-mto"),
            "officer": issue(Role.COMPLIANCE_OFFICER, "officer-asel"),
            "second_officer": issue(Role.COMPLIANCE_OFFICER, "officer-bakyt"),
            "registrar": issue(Role.REGISTRAR, "registrar-aida"),
            "second_registrar": issue(Role.REGISTRAR, "registrar-nurlan"),
            "vasp": issue(Role.VASP_OPERATOR, "vasp-ala-too"),
            "other_vasp": issue(Role.VASP_OPERATOR, "vasp-issyk"),
            "reserve_officer": issue(Role.RESERVE_OFFICER, "reserve-officer-1"),
            "second_reserve_officer": issue(Role.RESERVE_OFFICER, "reserve-officer-2"),
            "merchant_operator": issue(Role.MERCHANT, "cafe-karakol"),
        }
        return world

    def headers(self, who: str | None, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    def post(self, who: str | None, path: str, body: Any = None, key: str | None = None) -> Response:
        """POST with a fresh idempotency key unless one is given."""
        key = key if key is not None else f"k-{next(self._keys)}"
        return self.client.post(path, json=body, headers=self.headers(who, key))

    def get(self, who: str | None, path: str, **params: Any) -> Response:
        return self.client.get(path, params=params, headers=self.headers(who))

    def ok(self, response: Response, status: int = 200) -> dict[str, Any]:
        assert response.status_code == status, response.text
        body: dict[str, Any] = response.json()
        return body

    def balance(self, wallet: str) -> int:
        """A wallet's balance in tyiyn, read by the central bank."""
        return int(self.ok(self.get("central_bank", f"/v1/wallets/{self.wallets[wallet]}"))["balance_tyiyn"])

    def deposit(self, wallet: str) -> int:
        """A wallet's linked bank account in tyiyn (read by its bank)."""
        bank = "second_bank" if wallet == "treasury" else "commercial_bank"
        return int(self.ok(self.get(bank, f"/v1/wallets/{self.wallets[wallet]}"))["linked_deposit_tyiyn"])

    def assert_balanced(self) -> int:
        """Circulation equals the issuance liability; returns circulation in tyiyn."""
        summary = self.ok(self.get("central_bank", "/v1/issuance/summary"))
        assert summary["balanced"] is True, summary
        assert summary["circulation_tyiyn"] == summary["issuance_liability_tyiyn"]
        outstanding = sum(int(b["outstanding_tyiyn"]) for b in summary["banks"])
        assert int(summary["circulation_tyiyn"]) == outstanding
        return int(summary["circulation_tyiyn"])

    def license_vasp(self, vasp_id: str = "vasp-ala-too", who: str = "vasp",
                     activities: tuple[str, ...] = ("exchange",), public_key_hex: str = "cd" * 32,
                     expires_on: str = "2099-12-31") -> dict[str, Any]:
        """`vasp_id` applies (as `who`, its own token), registrar 1 proposes the grant and
        registrar 2 approves it: the licence."""
        self.ok(self.post(who, f"/v1/vasps/{vasp_id}/application", {
            "legal_name": f"{vasp_id.title()} LLC", "address": "Chui 1, Bishkek", "activities": list(activities),
            "public_key": public_key_hex, "documents": []}), 201)
        number = f"KG-VASP-{sum(map(ord, vasp_id)):05d}"
        proposed = self.ok(self.post("registrar", f"/v1/vasps/{vasp_id}/review/proposal", {
            "decision": "grant", "licence_number": number, "activities": list(activities), "expires_on": expires_on,
            "reason": "complete file"}))
        return self.ok(self.post("second_registrar", f"/v1/vasps/{vasp_id}/review/approval",
                                 {"proposal_seq": proposed["proposal"]["seq"]}))

    def setup(self) -> World:
        """Two banks, the treasury, reserves, issuance and three wallets."""
        for pid, kind, name, code in (
            ("ayil-bank", "commercial_bank", "Ayil Bank", AYIL),
            ("bakai-bank", "commercial_bank", "Bakai Bank", BAKAI),
            ("treasury", "treasury", "Central Treasury", None),
        ):
            self.ok(self.post("central_bank", "/v1/participants",
                              {"id": pid, "kind": kind, "name": name, "bank_code": code}), 201)
        for code, som in ((AYIL, 1_000_000), (BAKAI, 1_000_000)):
            self.ok(self.post("central_bank", "/v1/issuance/reserve-credits", {"bank_code": code, **kgs(som)}), 201)
        self.ok(self.post("commercial_bank", "/v1/issuance/issues", {"bank_code": AYIL, **kgs(200_000)}), 201)
        self.ok(self.post("second_bank", "/v1/issuance/issues", {"bank_code": BAKAI, **kgs(300_000)}), 201)
        self.open_wallet("commercial_bank", "pensioner", "individual", 0)
        self.open_wallet("commercial_bank", "merchant", "merchant", 2,
                         {"name": "Naryn Grocery", "city": "Naryn", "mcc": "5411"})
        self.open_wallet("second_bank", "treasury", "government", 2)
        self.ok(self.post("second_bank", f"/v1/wallets/{self.wallets['treasury']}/deposit-credits",
                          kgs(1_000_000)))
        self.ok(self.post("treasury", f"/v1/wallets/{self.wallets['treasury']}/funding", kgs(250_000)))
        return self

    def open_wallet(self, bank: str, holder: str, kind: str, tier: int, merchant: dict[str, str] | None = None) -> str:
        body: dict[str, Any] = {
            "holder_id": holder, "holder_kind": kind, "tier": tier,
            "identity": {"full_name": f"{holder.title()} Example", "phone": "+996555000111", "pin": "4321"},
        }
        if merchant:
            body["merchant"] = merchant
        wallet = self.ok(self.post(bank, "/v1/wallets", body), 201)
        self.wallets[holder] = wallet["id"]
        return str(wallet["id"])

    def pay(self, who: str, payer: str, payee: str, som: int, key: str | None = None) -> Response:
        body = {"payer_wallet_id": self.wallets[payer], "payee_wallet_id": self.wallets[payee], **kgs(som)}
        return self.post(who, "/v1/payments", body, key)
