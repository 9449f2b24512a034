"""/v1/merchant-invoices over the invoice service of the merchant world: the merchant, its
bank and the payer, each seeing only what is theirs; idempotent creates; the payer's
EIP-3009 submission; a refund."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import event

from digisom.http import migrations as http_migrations
from digisom.http import problems
from digisom.http.auth import TokenIssuer, TokenVerifier
from digisom.http.gate import Gate
from digisom.http.idempotency import RESPONSES
from digisom.http.response_store import TableResponseStore
from digisom.http.services import provide
from digisom.kernel.access import Role
from digisom.merchants.http import routes
from digisom.merchants.http.slots import MERCHANT_INVOICES
from tests.merchants.test_edge_cases import PRICE, fields
from tests.merchants.world import BANK, MERCHANT, WALLET, MerchantWorld
from tests.stablecoin.world import OPENING_TYIYN


class Api:
    def __init__(self, world: MerchantWorld) -> None:
        key = Ed25519PrivateKey.generate()
        app = FastAPI()
        app.state.verifier = TokenVerifier(key.public_key())
        problems.install(app)
        http_migrations.migrate(world.kgst.engine)
        provide(app, RESPONSES, TableResponseStore(world.kgst.engine, lambda: world.clock().isoformat(), None))
        provide(app, MERCHANT_INVOICES, world.service)
        router = routes.router()
        app.include_router(router)
        app.add_middleware(Gate, routes=[r for r in router.routes if isinstance(r, APIRoute)],
                           verifier=app.state.verifier)
        issue = TokenIssuer(key).issue
        self.tokens = {"merchant": issue(Role.MERCHANT, MERCHANT), "other_merchant": issue(Role.MERCHANT, "yurt-cafe"),
                       "bank": issue(Role.BANK_OPERATOR, "ayil-teller", BANK),
                       "other_bank": issue(Role.BANK_OPERATOR, "bakai-teller", "BAKAI")}
        self.client = TestClient(app)

    def headers(self, who: str | None, key: str | None = None) -> dict[str, str]:
        found = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return found | ({"Idempotency-Key": key} if key else {})


@pytest.fixture
def api(world: MerchantWorld) -> Api:
    return Api(world)


def test_merchant_creates_payer_pays_by_authorization_merchant_and_bank_read(world: MerchantWorld, api: Api) -> None:
    world.fund_payer("pensioner", 500_00)
    body = {"wallet_id": WALLET, "amount_tyiyn": str(PRICE), "asset": "KGST", "description": "lagman"}
    created = api.client.post("/v1/merchant-invoices", json=body, headers=api.headers("merchant", "inv-1"))
    assert created.status_code == 201, created.text
    again = api.client.post("/v1/merchant-invoices", json=body, headers=api.headers("merchant", "inv-1"))
    assert again.json() == created.json()
    invoice_id = created.json()["invoice_id"]
    pay = api.client.get(f"/v1/merchant-invoices/{invoice_id}/pay")  # no token: the payer
    assert pay.status_code == 200 and pay.json()["pay_units"] == str(PRICE)
    assert "wallet_id" not in pay.json() and "bank_code" not in pay.json()
    assert pay.json()["link"].startswith(f"ethereum:{world.kgst.deployment.address}@56/transfer?address=")
    svg = api.client.get(f"/v1/merchant-invoices/{invoice_id}/qr")
    png = api.client.get(f"/v1/merchant-invoices/{invoice_id}/qr", params={"image": "png"})
    assert svg.headers["content-type"] == "image/svg+xml" and png.content.startswith(b"\x89PNG")
    invoice = world.service.invoice(invoice_id)
    bad = {**fields(world, invoice, value=PRICE + 1)}
    refused = api.client.post(f"/v1/merchant-invoices/{invoice_id}/authorizations", json=bad,
                              headers=api.headers(None, "a-1"))
    assert refused.status_code == 422 and refused.json()["type"].endswith("authorization-refused")
    submitted = api.client.post(f"/v1/merchant-invoices/{invoice_id}/authorizations",
                                json=fields(world, invoice), headers=api.headers(None, "a-2"))
    assert submitted.status_code == 202, submitted.text
    world.settle()
    read = api.client.get(f"/v1/merchant-invoices/{invoice_id}", headers=api.headers("merchant"))
    assert read.json()["status"] == "settled" and read.json()["settled_tyiyn"] == str(PRICE)
    assert world.kgst.balance_tyiyn("merchant") == OPENING_TYIYN + PRICE
    assert api.client.get(f"/v1/merchant-invoices/{invoice_id}", headers=api.headers("bank")).status_code == 200
    for stranger in ("other_merchant", "other_bank"):
        assert api.client.get(f"/v1/merchant-invoices/{invoice_id}", headers=api.headers(stranger)).status_code == 404
    assert [i["invoice_id"] for i in api.client.get("/v1/merchant-invoices", headers=api.headers("bank")).json()[
        "items"]] == [invoice_id]
    assert api.client.get("/v1/merchant-invoices", headers=api.headers("other_bank")).json()["items"] == []
    assert api.client.post("/v1/merchant-invoices", json=body).status_code == 401  # the payer cannot create


def test_bad_requests_are_problems(world: MerchantWorld, api: Api) -> None:
    post = api.client.post
    h = api.headers("merchant", "k-1")
    fraction = post("/v1/merchant-invoices", json={"wallet_id": WALLET, "amount_tyiyn": "1.5"}, headers=h)
    assert fraction.status_code == 422
    assert post("/v1/merchant-invoices", json={"wallet_id": WALLET, "amount_tyiyn": "100", "asset": "DOGE"},
                headers=h).status_code == 422
    unknown = post("/v1/merchant-invoices", json={"wallet_id": "pensioner", "amount_tyiyn": "100"}, headers=h)
    assert unknown.status_code == 422 and unknown.json()["type"].endswith("wallet-refused")
    assert api.client.get("/v1/merchant-invoices/inv-" + "0" * 24 + "/pay").status_code == 404
    nothing = post("/v1/merchant-invoices", json={"wallet_id": WALLET, "amount_tyiyn": "100"},
                   headers=api.headers("merchant", "k-2")).json()["invoice_id"]
    refund = post(f"/v1/merchant-invoices/{nothing}/refund", headers=api.headers("merchant", "r-1"))
    assert refund.status_code == 409 and "nothing to refund" in refund.json()["detail"]


def test_the_invoice_list_comes_a_page_at_a_time_to_the_newest(api: Api) -> None:
    """The list used to stop at its first hundred, oldest first: a busy merchant never saw
    its newest invoices. Every invoice is reached by following next_cursor."""
    created = []
    for n in range(5):
        body = {"wallet_id": WALLET, "amount_tyiyn": str(PRICE + n), "asset": "KGST", "description": f"plov {n}"}
        response = api.client.post("/v1/merchant-invoices", json=body, headers=api.headers("merchant", f"page-{n}"))
        assert response.status_code == 201, response.text
        created.append(response.json()["invoice_id"])
    for who in ("merchant", "bank"):
        seen, params = [], {"limit": 2}
        for _ in range(5):
            page = api.client.get("/v1/merchant-invoices", params=params, headers=api.headers(who)).json()
            assert len(page["items"]) <= 2
            seen += [i["invoice_id"] for i in page["items"]]
            if page["next_cursor"] is None:
                break
            params = {"limit": 2, "cursor": page["next_cursor"]}
        assert sorted(seen) == sorted(created) and len(seen) == len(set(seen))
    assert api.client.get("/v1/merchant-invoices", headers=api.headers("other_merchant")).json() == \
        {"items": [], "next_cursor": None}
    for bad in ({"limit": 0}, {"limit": 201}, {"cursor": "not-a-cursor"}):
        refused = api.client.get("/v1/merchant-invoices", params=bad, headers=api.headers("merchant"))
        assert refused.status_code == 422


def test_a_page_of_invoices_costs_the_same_queries_whatever_its_length(world: MerchantWorld, api: Api) -> None:
    """Each listed invoice used to cost two more queries (its payments, its moves): a page
    of 200 was 400 round trips. The payments and moves of a page now come in one query each."""
    for n in range(6):
        body = {"wallet_id": WALLET, "amount_tyiyn": str(PRICE + n), "asset": "KGST"}
        assert api.client.post("/v1/merchant-invoices", json=body,
                               headers=api.headers("merchant", f"count-{n}")).status_code == 201
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(world.kgst.engine, "before_cursor_execute", count)
    try:
        queries = {}
        for limit in (1, 6):
            statements.clear()
            page = api.client.get("/v1/merchant-invoices", params={"limit": limit}, headers=api.headers("merchant"))
            assert len(page.json()["items"]) == limit
            queries[limit] = len(statements)
    finally:
        event.remove(world.kgst.engine, "before_cursor_execute", count)
    assert queries[1] == queries[6] > 0
