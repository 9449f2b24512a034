"""Every route with every role: the allowed/denied matrix, and docs/security.md shows
exactly that matrix. Scope: a bank's token never reaches another bank's wallet."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digisom.api.app import routers
from digisom.api.signing_key import load_or_create_key
from digisom.api.transparency_wiring import CHECKPOINT
from digisom.http.auth import TokenIssuer
from digisom.http.permissions import MATRIX, ROLES, markdown_matrix, route_operations
from digisom.http.services import filled
from digisom.kernel.access import Role
from tests.api.world import World, kgs
from tests.por.helpers import built as por_built
from tests.por.test_api import reserves as por_reserves

PERSONAL_NUMBER = "21204199000123"
DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
# The token each role uses; `public` sends none.
ROLE_TOKENS = {
    Role.CENTRAL_BANK_OPERATOR: "central_bank",
    Role.BANK_OPERATOR: "commercial_bank",
    Role.TREASURY_OPERATOR: "treasury_operator",
    Role.WALLET_HOLDER: "pensioner",
    Role.AUDITOR: "auditor",
    Role.ISSUER_OPERATOR: "issuer_operator",
    Role.CUSTODIAN: "custodian",
    Role.PARTNER: "partner",
    Role.COMPLIANCE_OFFICER: "officer",
    Role.REGISTRAR: "registrar",
    Role.VASP_OPERATOR: "vasp",
    Role.RESERVE_OFFICER: "reserve_officer",
    Role.MERCHANT: "merchant_operator",
    Role.PUBLIC: None,
}


def _fill(path: str, ids: dict[str, str]) -> tuple[str, bool]:
    """The path with real ids; False if it names a parameter this world has no id for."""
    names = re.findall(r"\{(\w+)\}", path)
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), "unknown"), path), all(n in ids for n in names)


def test_every_route_with_every_role(world: World) -> None:
    pensioner, merchant = world.wallets["pensioner"], world.wallets["merchant"]
    world.ok(world.pay("treasury", "treasury", "pensioner", 1_000), 201)
    payment = world.ok(world.pay("pensioner", "pensioner", "merchant", 100), 201)
    asked = world.ok(world.post("merchant", "/v1/payment-requests",
                                {"payee_wallet_id": merchant, "payer_wallet_id": pensioner, **kgs(5)}), 201)
    qr = world.ok(world.post("merchant", "/v1/qr", {"wallet_id": merchant}), 201)["payload"]
    alias = {"wallet_id": pensioner}
    world.client.put(f"/v1/aliases/{PERSONAL_NUMBER}", json=alias, headers=world.headers("commercial_bank", "a-1"))
    ids = {"wallet_id": pensioner, "payment_id": payment["id"], "request_id": asked["id"],
           "participant_id": "ayil-bank", "day": datetime.now(UTC).date().isoformat(),
           "personal_number": PERSONAL_NUMBER, "vasp_id": "vasp-ala-too", "period": "2026-11"}
    scheme = {"name": "School supplies", "categories": ["5943"], "treasury_wallet_id": world.wallets["treasury"],
              "expires_on": (datetime.now(UTC).date() + timedelta(days=30)).isoformat()}
    ids["scheme_id"] = world.ok(world.post("treasury_operator", "/v1/benefit-schemes", scheme), 201)["id"]
    world.ok(world.post("issuer_operator", "/v1/usdkg/coverage/reports"), 201)  # today's, for `{day}`
    ids |= _licensed_vasp(world)
    with por_built({"c-1": 1}) as (_, por_root):  # a published proof-of-reserves root, for `{root_id}`
        world.ok(world.post("vasp", "/v1/por/custodians/vasp-ala-too/roots",
                            {"root": por_root, "reserves": por_reserves("vasp-ala-too", por_root, 1)}), 201)
    ids["root_id"], ids["custodian_id"] = por_root["root"], "vasp-ala-too"
    head = filled(world.runtime.app, CHECKPOINT)()  # a signed tree head, for `{tree_size}` and `{record_id}`
    ids["tree_size"], ids["record_id"] = str(head.tree_size), f"por_root:{por_root['root']}"
    routes = route_operations(routers())
    assert {op for _, _, op in routes} == set(MATRIX), "every operation has a route and every route a permission"
    checked = 0
    for method, path, operation in routes:
        url, known = _fill(path, ids)
        for role in ROLES:
            who = ROLE_TOKENS[role]
            if method != "GET":
                # An invalid key: an allowed caller gets 422 and nothing runs; the check comes first.
                body = None if method == "DELETE" else {}
                response = world.client.request(method, url, json=body, headers=world.headers(who, "not a valid key!"))
            else:
                queries = {"/image": {"payload": qr}, "/mint-check": {"amount_units": "1"},
                           "/log/entries": {"start": 0, "end": 1},
                           "/log/consistency": {"first": 0, "second": head.tree_size}}
                params = next((q for end, q in queries.items() if path.endswith(end)), {})
                response = world.client.get(url, params=params, headers=world.headers(who))
            allowed = role in MATRIX[operation]
            context = f"{method} {path} as {role.value}: {response.status_code} {response.text[:200]}"
            if not allowed:
                assert response.status_code == (401 if role is Role.PUBLIC else 403), context
                assert response.headers["content-type"] == "application/problem+json", context
            elif method == "GET" and known:
                assert response.status_code == 200, context
            else:  # past the permission check: refused later for the invalid key, body or id
                assert response.status_code not in (401, 403) and response.status_code < 500, context
            checked += 1
    assert checked == len(routes) * len(ROLES)


def _licensed_vasp(world: World) -> dict[str, str]:
    """The `vasp` token's VASP, licensed by two registrars, and a registered asset: their path ids."""
    paper = "ab" * 32
    world.ok(world.post("registrar", "/v1/register/assets", {
        "symbol": "KGST", "name": "KGST", "kind": "fiat_backed", "issuer": "KGST issuer", "issuer_licence": "L-1",
        "peg": "1 KGST = 1 KGS", "white_paper_sha256": paper,
        "chains": [{"chain_id": 56, "contract_address": "0x" + "12" * 20, "decimals": 2, "standard": "BEP-20"}]}),
        201)
    world.license_vasp("vasp-ala-too", expires_on=(datetime.now(UTC).date() + timedelta(days=365)).isoformat())
    return {"symbol": "KGST", "vasp_id": "vasp-ala-too"}


def test_security_doc_shows_the_matrix() -> None:
    doc = DOC.read_text(encoding="utf-8")
    start, end = "<!-- permission-matrix:start -->\n", "<!-- permission-matrix:end -->"
    assert start in doc and end in doc
    shown = doc.split(start, 1)[1].split(end, 1)[0]
    assert shown == markdown_matrix(routers()), "regenerate it with `python -m digisom.api.matrix_doc`"


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("second_bank", "/v1/wallets/{pensioner}"),
        ("second_bank", "/v1/wallets/{pensioner}/identity"),
        ("second_bank", "/v1/wallets/{pensioner}/statement"),
        ("merchant", "/v1/wallets/{pensioner}"),
        ("treasury", "/v1/wallets/{pensioner}/payments"),
    ],
)
def test_another_banks_or_holders_wallet_is_404_and_reveals_nothing(world: World, who: str, path: str) -> None:
    response = world.get(who, path.format(pensioner=world.wallets["pensioner"]))
    assert response.status_code == 404  # the answer for a wallet that does not exist (tests/security)
    body = response.json()
    assert body["type"] == "https://digisom.kg/problems/not-found"
    assert world.wallets["pensioner"] not in response.text and "balance" not in response.text


def test_another_banks_token_cannot_pay_from_or_freeze_a_wallet(world: World) -> None:
    pensioner = world.wallets["pensioner"]
    assert world.pay("second_bank", "pensioner", "merchant", 1).status_code == 404
    freeze = world.post("second_bank", f"/v1/wallets/{pensioner}/freeze", {"reason": "x", "legal_order_ref": "y"})
    assert freeze.status_code == 404
    issue = world.post("second_bank", "/v1/issuance/issues", {"bank_code": "AYIL", **kgs(1)})
    assert issue.status_code == 403


def test_unknown_wallet_is_404(world: World) -> None:
    response = world.get("central_bank", "/v1/wallets/w" + "a" * 24)
    assert response.status_code == 404
    assert response.json()["type"] == "https://digisom.kg/problems/not-found"


@pytest.mark.parametrize("token", ["garbage", "a.b.c"])
def test_a_bad_token_is_401(world: World, token: str) -> None:
    response = world.client.get("/v1/issuance/summary", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_token_signed_by_another_key_is_401(world: World, tmp_path: Path) -> None:
    forged = TokenIssuer(load_or_create_key(tmp_path / "elsewhere")).issue(Role.CENTRAL_BANK_OPERATOR, "mallory")
    response = world.client.get("/v1/issuance/summary", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
