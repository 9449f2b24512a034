"""The proof-of-reserves page: a customer pastes the proof the custodian gave them and sees,
in their language, whether it verifies against the published root (the por verifier)."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from digisom.api.runtime import Runtime


def _check(client: TestClient, proof_text: str, lang: str = "en") -> tuple[int, str]:
    response = client.post("/por", params={"lang": lang}, data={"proof": proof_text})
    return response.status_code, response.text


def test_the_customers_proof_verifies(client: TestClient, seeded: Runtime) -> None:
    proof: dict[str, Any] = seeded.app.state.por_proof
    status, page = _check(client, json.dumps(proof), "ky")
    assert status == 200
    assert "Далил туура" in page
    listed = client.get("/por", params={"lang": "en"}).text
    assert proof["root"] in listed


def test_a_proof_with_another_balance_does_not(client: TestClient, seeded: Runtime) -> None:
    proof = {**seeded.app.state.por_proof, "balance": 601}
    status, page = _check(client, json.dumps(proof))
    assert status == 200
    assert "The proof is not valid" in page


def test_a_proof_for_an_unpublished_root_or_not_a_proof(client: TestClient, seeded: Runtime) -> None:
    proof = {**seeded.app.state.por_proof, "root": "ab" * 32}
    assert _check(client, json.dumps(proof), "ru")[0] == 404
    for text in ("", "not json", "[1, 2]", '{"root": 5}', "[" * 5000, json.dumps({"root": "AB" * 32})):
        status, page = _check(client, text, "ru")
        assert status == 400, text[:20]
        assert "Это не подтверждение" in page
