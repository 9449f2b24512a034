"""A bank's alias directory in the console: look a number up, register it to a customer's
wallet, remove it; another bank sees none of it and removes nothing; the central bank
(no `aliases.*` operation) sees no screen and is refused when it posts anyway. Checked
against the API's own alias read."""

from __future__ import annotations

from tests.api.world import World
from tests.console.browser import Browser

ALIASES = "/console/aliases"
NUMBER = "21203199900011"


def api_alias(world: World, who: str = "commercial_bank") -> int:
    return world.get(who, f"/v1/aliases/{NUMBER}").status_code


def test_a_bank_looks_up_registers_and_removes_an_alias(world: World) -> None:
    bank = Browser.signed_in(world.runtime, world.tokens["commercial_bank"], ALIASES)
    assert ALIASES in bank.get("/console").text
    page = bank.get(ALIASES, personal_number=NUMBER)
    assert page.status_code == 200 and "This bank holds no alias for that number." in page.text
    wallet = world.wallets["pensioner"]
    form = {"personal_number": NUMBER, "wallet_id": wallet, "bank_account": ""}
    assert bank.post(ALIASES, form, csrf=False).status_code == 403
    assert bank.post(ALIASES, {**form, "personal_number": "123"}).status_code == 400
    assert bank.post(ALIASES, {**form, "bank_account": "KG21AYIL01"}).status_code == 422  # two: as the API
    assert bank.post(ALIASES, {**form, "wallet_id": "not a wallet"}).status_code == 400  # AliasIn refuses it
    assert api_alias(world) == 404
    registered = bank.post(ALIASES, form)
    assert registered.status_code == 303 and registered.headers["location"] == f"{ALIASES}?personal_number={NUMBER}"
    assert world.ok(world.get("commercial_bank", f"/v1/aliases/{NUMBER}"))["wallet_id"] == wallet
    page = bank.get(ALIASES, personal_number=NUMBER)
    assert wallet in page.text and "Remove this alias" in page.text

    other = Browser.signed_in(world.runtime, world.tokens["second_bank"], ALIASES)
    assert "This bank holds no alias for that number." in other.get(ALIASES, personal_number=NUMBER).text
    assert wallet not in other.get(ALIASES, personal_number=NUMBER).text
    assert other.post(f"{ALIASES}/{NUMBER}/removal").status_code == 303  # its own (none): nothing removed
    assert api_alias(world) == 200

    assert bank.post(f"{ALIASES}/{NUMBER}/removal", csrf=False).status_code == 403
    assert api_alias(world) == 200
    assert bank.post(f"{ALIASES}/{NUMBER}/removal").status_code == 303
    assert api_alias(world) == 404


def test_the_central_bank_has_no_alias_screen_and_is_refused(world: World) -> None:
    cb = Browser.signed_in(world.runtime, world.tokens["central_bank"])
    assert ALIASES not in cb.get("/console").text
    assert cb.get(ALIASES).status_code == 403
    forced = cb.post(ALIASES, {"personal_number": "21203199900022", "wallet_id": world.wallets["pensioner"]})
    assert forced.status_code == 403 and "Your role may not do this." in forced.text
    assert world.get("commercial_bank", "/v1/aliases/21203199900022").status_code == 404
    assert cb.get(ALIASES, personal_number="12").status_code == 400
