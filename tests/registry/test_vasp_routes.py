"""/v1/vasps on each dialect: a VASP uploads a document and applies, one registrar
proposes, another approves, and the licence is in the public list; the refusals are typed
problems that write nothing."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from digisom.api.runtime import Runtime, build
from digisom.registry.documents import DOCUMENT_BYTES_MAX
from tests.api.world import World

CHARTER = b"Ala-Too Exchange LLC: charter, AML/CFT policy"
PATH = "/v1/vasps/vasp-ala-too"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """The API with its tokens and no banks (licensing needs none)."""
    db_url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    built: Runtime = build(data_dir=tmp_path / "data", db_url=db_url)
    yield World.create(built)
    built.close()


def _document(content: bytes, sha256: str | None = None) -> dict[str, str]:
    return {"name": "charter.pdf", "sha256": sha256 or hashlib.sha256(content).hexdigest(),
            "content_base64": base64.b64encode(content).decode()}


def _apply(world: World) -> None:
    ref = world.ok(world.post("vasp", f"{PATH}/documents", _document(CHARTER)), 201)
    world.ok(world.post("vasp", f"{PATH}/application", {
        "legal_name": "Ala-Too Exchange LLC", "address": "1 Chui Avenue, Bishkek", "activities": ["exchange"],
        "public_key": "cd" * 32, "documents": [ref["sha256"]]}), 201)


def _propose(world: World, number: str = "KG-VASP-0001") -> int:
    proposed = world.ok(world.post("registrar", f"{PATH}/review/proposal", {
        "decision": "grant", "licence_number": number, "activities": ["exchange"],
        "conditions": ["monthly volume reports"],
        "expires_on": (datetime.now(UTC).date() + timedelta(days=365)).isoformat(), "reason": "complete"}))
    return int(proposed["proposal"]["seq"])


def _events(world: World) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = world.ok(world.get(None, "/v1/register/events"))["items"]
    return items


def _problem(world: World, response: Any, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith(slug)


def test_applied_proposed_and_approved_by_two_registrars_the_licence_is_public(world: World) -> None:
    _apply(world)
    own = world.ok(world.get("vasp", f"{PATH}/application"))
    assert own["status"] == "applied" and own["application"]["documents"][0]["name"] == "charter.pdf"
    assert world.ok(world.get(None, "/v1/vasps"))["items"] == []
    seq = _propose(world)
    approved = world.ok(world.post("second_registrar", f"{PATH}/review/approval", {"proposal_seq": seq}))
    assert approved["status"] == "licensed"
    (licence,) = world.ok(world.get(None, "/v1/vasps"))["items"]  # public: no token
    assert (licence["number"], licence["vasp_id"], licence["status"]) == ("KG-VASP-0001", "vasp-ala-too", "licensed")
    assert (licence["proposed_by"], licence["approved_by"]) == ("registrar:-:registrar-aida",
                                                                "registrar:-:registrar-nurlan")
    assert world.ok(world.get(None, f"{PATH}/licence")) == licence
    kinds = [e["kind"] for e in world.ok(world.get(None, f"{PATH}/history"))["items"]]
    assert kinds == ["vasp.applied", "vasp.review_proposed", "vasp.review_approved"]


def test_the_proposer_approving_is_a_typed_refusal_that_writes_nothing(world: World) -> None:
    _apply(world)
    seq = _propose(world)
    before = _events(world)
    _problem(world, world.post("registrar", f"{PATH}/review/approval", {"proposal_seq": seq}), 403, "vasp-four-eyes")
    assert _events(world) == before
    assert world.ok(world.get(None, "/v1/vasps"))["items"] == []
    world.ok(world.post("second_registrar", f"{PATH}/review/approval", {"proposal_seq": seq}))


def test_a_licence_number_taken_is_a_conflict(world: World) -> None:
    _apply(world)
    world.ok(world.post("second_registrar", f"{PATH}/review/approval", {"proposal_seq": _propose(world)}))
    world.ok(world.post("registrar", "/v1/vasps/vasp-issyk/application", {
        "legal_name": "Issyk Coin LLC", "address": "5 Toktogul Street, Karakol", "activities": ["custody"],
        "public_key": "ef" * 32, "documents": []}), 201)
    response = world.post("registrar", "/v1/vasps/vasp-issyk/review/proposal", {
        "decision": "grant", "licence_number": "KG-VASP-0001", "activities": ["custody"],
        "expires_on": (datetime.now(UTC).date() + timedelta(days=365)).isoformat(), "reason": "complete"})
    _problem(world, response, 409, "vasp-duplicate-licence-number")


def test_an_oversized_or_misdeclared_document_is_refused_and_not_stored(world: World) -> None:
    big = b"x" * (DOCUMENT_BYTES_MAX + 1)
    _problem(world, world.post("vasp", f"{PATH}/documents", _document(big)), 413, "vasp-document-too-large")
    wrong = hashlib.sha256(b"another document").hexdigest()
    _problem(world, world.post("vasp", f"{PATH}/documents", _document(CHARTER, wrong)), 422, "register-bad-sha256")
    response = world.post("vasp", f"{PATH}/application", {
        "legal_name": "Ala-Too Exchange LLC", "address": "Bishkek", "activities": ["exchange"],
        "public_key": "cd" * 32, "documents": [hashlib.sha256(CHARTER).hexdigest()]})
    _problem(world, response, 404, "vasp-unknown-document")  # neither upload was kept
    assert _events(world) == []


def test_a_vasp_reads_and_writes_only_its_own(world: World) -> None:
    _apply(world)
    _problem(world, world.get("other_vasp", f"{PATH}/application"), 404, "vasp-unknown")
    _problem(world, world.get("other_vasp", "/v1/vasps/vasp-nowhere/application"), 404, "vasp-unknown")
    _problem(world, world.post("other_vasp", f"{PATH}/documents", _document(b"mine")), 404, "vasp-unknown")
    _problem(world, world.post("vasp", f"{PATH}/review/proposal", {"decision": "refuse", "reason": "self"}), 403,
             "forbidden")


def test_suspension_reinstatement_and_revocation_with_reasons(world: World) -> None:
    _apply(world)
    world.ok(world.post("second_registrar", f"{PATH}/review/approval", {"proposal_seq": _propose(world)}))
    world.ok(world.post("registrar", f"{PATH}/suspension", {"reason": "May report not filed"}))
    assert world.ok(world.get(None, "/v1/vasps", status="suspended"))["items"][0]["status_reason"] == \
        "May report not filed"
    assert world.ok(world.get(None, "/v1/vasps", status="licensed"))["items"] == []
    world.ok(world.post("second_registrar", f"{PATH}/reinstatement", {"reason": "report filed"}))
    assert world.ok(world.get(None, f"{PATH}/licence"))["status"] == "licensed"
    world.ok(world.post("registrar", f"{PATH}/revocation", {"reason": "customer funds commingled"}))
    licence = world.ok(world.get(None, f"{PATH}/licence"))
    assert (licence["status"], licence["status_reason"]) == ("revoked", "customer funds commingled")
    _problem(world, world.post("registrar", f"{PATH}/reinstatement", {"reason": "please"}), 409,
             "register-illegal-transition")
    assert world.post("registrar", f"{PATH}/suspension", {"reason": ""}).status_code == 422  # a reason is required
