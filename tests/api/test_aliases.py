"""/v1/aliases over HTTP: a bank's own customers only, idempotent PUT and DELETE, problems."""

from __future__ import annotations

from tests.api.world import World

PN = "21204199000123"


def test_a_bank_keeps_its_customers_alias_over_http(any_store_world: World) -> None:
    world = any_store_world
    pensioner = world.wallets["pensioner"]
    url = f"/v1/aliases/{PN}"
    put = world.client.put(url, json={"wallet_id": pensioner}, headers=world.headers("commercial_bank", "al-1"))
    alias = world.ok(put)
    assert (alias["personal_number"], alias["bank_code"], alias["wallet_id"]) == (PN, "AYIL", pensioner)
    again = world.client.put(url, json={"wallet_id": pensioner}, headers=world.headers("commercial_bank", "al-1"))
    assert again.headers["idempotent-replayed"] == "true" and again.json() == alias
    assert world.ok(world.get("commercial_bank", url)) == alias
    # Another bank neither reads it nor learns of it: its own registration of the number is
    # answered as a fresh one, and it reads back only its own. The central bank reads no aliases.
    assert world.get("second_bank", url).status_code == 404
    own = world.client.put(url, json={"bank_account": "KG1"}, headers=world.headers("second_bank", "al-2"))
    assert world.ok(own)["bank_code"] == "BAKAI" and "AYIL" not in own.text
    assert world.ok(world.get("second_bank", url)) == own.json()
    assert world.ok(world.get("commercial_bank", url)) == alias
    assert world.get("central_bank", url).status_code == 403
    # Both destinations, or another bank's wallet: refused.
    both = world.client.put(url, json={"wallet_id": pensioner, "bank_account": "KG1"},
                            headers=world.headers("commercial_bank", "al-3"))
    assert both.status_code == 422
    foreign = world.client.put(url, json={"wallet_id": world.wallets["treasury"]},
                               headers=world.headers("commercial_bank", "al-4"))
    assert foreign.status_code == 404  # another bank's wallet: as if it did not exist
    assert world.client.get("/v1/aliases/123", headers=world.headers("commercial_bank")).status_code == 422
    # Removal: 204, replayed for the same key, and the alias is gone.
    for _ in range(2):
        assert world.client.delete(url, headers=world.headers("commercial_bank", "al-5")).status_code == 204
    assert world.get("commercial_bank", url).status_code == 404
    assert world.runtime.service.resolve_aliases([PN])[PN].bank_code == "BAKAI"  # Bakai's own stays
