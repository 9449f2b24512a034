"""Wallets in the console: a bank opens one for its customer and changes its KYC tier,
the central bank freezes and unfreezes it under a legal order; the central bank sees
no tier form and is refused one forced; another bank may not touch the wallet; the
forms want the session's CSRF token, and a refusal changes nothing."""

from __future__ import annotations

import re

from digisom.cbdc.http.slots import CBDC_SERVICE
from digisom.cbdc.model import Wallet
from digisom.http.services import filled
from digisom.kernel.access import Actor, Role
from tests.api.world import World
from tests.console.browser import Browser

WALLETS = "/console/wallets"
WALLET_LINK = re.compile(r"^/console/wallets/(w[a-z2-7]{24})$")
CUSTOMER = {"holder_id": "cust-console-1", "holder_kind": "individual", "tier": "0",
            "full_name": "Aigul Console", "phone": "+996555000222", "pin": "2468"}


def wallet(world: World, wallet_id: str) -> Wallet:
    service = filled(world.runtime.app, CBDC_SERVICE)
    return service.wallet(Actor(Role.CENTRAL_BANK_OPERATOR, "test"), wallet_id).wallet


def signed_in(world: World, who: str, page: str = WALLETS) -> Browser:
    browser = Browser.open(world.runtime)
    browser.sign_in(world.tokens[who])
    browser.get(page)
    return browser


def open_one(bank: Browser, holder_id: str) -> str:
    page = bank.get(WALLETS).text
    key = page.split('name="form_key" value="')[1].split('"')[0]
    opened = bank.post(WALLETS, {**CUSTOMER, "holder_id": holder_id, "form_key": key})
    assert opened.status_code == 303, opened.text
    found = WALLET_LINK.match(opened.headers["location"])
    assert found
    return found.group(1)


def test_a_bank_opens_a_wallet_and_changes_its_tier(world: World) -> None:
    bank = signed_in(world, "commercial_bank")
    page = bank.get(WALLETS)
    assert "Open a wallet" in page.text and world.wallets["pensioner"] in page.text
    assert world.wallets["treasury"] not in page.text  # another bank's customer
    key = page.text.split('name="form_key" value="')[1].split('"')[0]
    assert bank.post(WALLETS, {**CUSTOMER, "holder_id": "no-csrf", "form_key": key}, csrf=False).status_code == 403
    assert bank.post(WALLETS, {**CUSTOMER, "holder_id": "bad-phone", "phone": "555", "form_key": key}
                     ).status_code == 400
    wallet_id = open_one(bank, "cust-console-1")
    assert wallet(world, wallet_id).holder_id == "cust-console-1"
    assert "no-csrf" not in bank.get(WALLETS).text and "bad-phone" not in bank.get(WALLETS).text
    page = bank.get(f"{WALLETS}/{wallet_id}")
    assert page.status_code == 200 and "Change the KYC tier" in page.text
    assert bank.post(f"{WALLETS}/{wallet_id}/tier", {"tier": "2"}, csrf=False).status_code == 403
    assert wallet(world, wallet_id).tier == 0
    assert bank.post(f"{WALLETS}/{wallet_id}/tier", {"tier": "99"}).status_code == 400
    assert bank.post(f"{WALLETS}/{wallet_id}/tier", {"tier": "2"}).status_code == 303
    assert wallet(world, wallet_id).tier == 2


def test_the_central_bank_freezes_and_unfreezes_but_changes_no_tier(world: World) -> None:
    wallet_id = open_one(signed_in(world, "commercial_bank"), "cust-console-2")
    cb = signed_in(world, "central_bank", f"{WALLETS}/{wallet_id}")
    page = cb.get(f"{WALLETS}/{wallet_id}")
    assert "Freeze this wallet" in page.text
    assert "Change the KYC tier" not in page.text and "/tier\"" not in page.text
    order = {"reason": "court order", "legal_order_ref": "BISHKEK-2026-77"}
    assert cb.post(f"{WALLETS}/{wallet_id}/freeze", order, csrf=False).status_code == 403
    assert cb.post(f"{WALLETS}/{wallet_id}/freeze", {**order, "reason": ""}).status_code == 400
    assert wallet(world, wallet_id).status.value == "active"
    assert cb.post(f"{WALLETS}/{wallet_id}/freeze", order).status_code == 303
    assert wallet(world, wallet_id).status.value == "frozen"
    page = cb.get(f"{WALLETS}/{wallet_id}")
    assert "BISHKEK-2026-77" in page.text and "Unfreeze this wallet" in page.text
    forced = cb.post(f"{WALLETS}/{wallet_id}/tier", {"tier": "2"})
    assert forced.status_code == 403 and "Your role may not do this." in forced.text
    assert wallet(world, wallet_id).tier == 0
    assert cb.post(f"{WALLETS}/{wallet_id}/unfreeze", {**order, "reason": "order lifted"}).status_code == 303
    assert wallet(world, wallet_id).status.value == "active"


def test_another_bank_and_other_roles_are_refused(world: World) -> None:
    wallet_id = open_one(signed_in(world, "commercial_bank"), "cust-console-3")
    other = signed_in(world, "second_bank")
    assert other.get(f"{WALLETS}/{wallet_id}").status_code in (403, 404)
    refused = other.post(f"{WALLETS}/{wallet_id}/freeze", {"reason": "x", "legal_order_ref": "y"})
    assert refused.status_code in (403, 404) and "Traceback" not in refused.text
    assert other.post(f"{WALLETS}/{wallet_id}/tier", {"tier": "2"}).status_code in (403, 404)
    assert (wallet(world, wallet_id).status.value, wallet(world, wallet_id).tier) == ("active", 0)
    auditor = signed_in(world, "auditor", "/console")
    assert WALLETS not in auditor.get("/console").text
    assert auditor.get(WALLETS).status_code == 403
    assert auditor.post(f"{WALLETS}/{wallet_id}/freeze", {"reason": "x", "legal_order_ref": "y"}).status_code == 403
    assert wallet(world, wallet_id).status.value == "active"


def test_unknown_wallets_and_pages_past_the_end_are_plain_pages(world: World) -> None:
    cb = signed_in(world, "central_bank")
    assert cb.get(f"{WALLETS}/w" + "a" * 24).status_code == 404
    assert cb.get(f"{WALLETS}/not-a-wallet").status_code == 400
    assert cb.get(WALLETS, after=10**9).status_code == 404
