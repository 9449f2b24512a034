"""/v1/reserve/publications under attack: only a reserve officer publishes (every other role
and an anonymous caller are refused before anything is read); a document with extra keys or
oversized lists is refused by the schema; without a chain to re-check it nothing is kept;
the one-publication route takes only a 64-hex root."""

from __future__ import annotations

from tests.api.world import World

DOCUMENT = {"title": "digisom national crypto reserve", "date": "2026-12-07", "chain_id": 56, "block": 1,
            "root": "ab" * 32, "holdings": [], "wallets": [], "proofs": []}
NOT_OFFICERS = ("central_bank", "commercial_bank", "auditor", "vasp", "registrar", "officer", "partner", "pensioner")


def test_only_reserve_officers_publish_and_nothing_unchecked_is_kept(world: World) -> None:
    for who in NOT_OFFICERS:
        answer = world.post(who, "/v1/reserve/publications", DOCUMENT)
        assert answer.status_code == 403, (who, answer.text)
    assert world.post(None, "/v1/reserve/publications", DOCUMENT).status_code == 401
    extra = world.post("reserve_officer", "/v1/reserve/publications", DOCUMENT | {"valid": True})
    assert extra.status_code == 422
    flood = world.post("reserve_officer", "/v1/reserve/publications", DOCUMENT | {"proofs": [{}] * 1001})
    assert flood.status_code == 422
    unchecked = world.post("reserve_officer", "/v1/reserve/publications", DOCUMENT)
    assert unchecked.status_code == 503 and unchecked.json()["type"].endswith("reserve-not-configured")
    assert world.ok(world.get(None, "/v1/reserve/publications"))["items"] == []
    for path in ("/v1/reserve/publications/" + "AB" * 32, "/v1/reserve/publications/..%2f..%2fetc"):
        assert world.get(None, path).status_code in (404, 422)
