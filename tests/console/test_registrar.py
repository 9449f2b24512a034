"""The registrar's screen: a VASP's application reviewed with four eyes (one registrar
proposes, the proposer sees no approve form and is refused when forcing it, a second
approves), a register entry's status changed with its reason; a VASP reads its own
application only and may not review; the auditor reads the public register but changes
nothing. Checked against the API's own reads."""

from __future__ import annotations

import pytest

from digisom.api.runtime import Runtime
from tests.api.world import World
from tests.console.browser import Browser

REGISTRAR = "/console/registrar"
VASP_PAGE = f"{REGISTRAR}/vasps/vasp-ala-too"
GRANT = {"decision": "grant", "licence_number": "KG-VASP-CONSOLE-1", "activities": "exchange",
         "expires_on": "2099-12-31", "conditions": "quarterly reports\n", "reason": "complete file"}


@pytest.fixture(scope="module")
def people(runtime: Runtime) -> World:
    world = World.create(runtime)  # tokens; an asset applied for and a VASP's application
    world.ok(world.post("registrar", "/v1/register/assets", {
        "symbol": "KGST", "name": "KGST", "kind": "fiat_backed", "issuer": "KGST issuer", "issuer_licence": "L-1",
        "peg": "1 KGST = 1 KGS", "white_paper_sha256": "ab" * 32,
        "chains": [{"chain_id": 56, "contract_address": "0x" + "12" * 20, "decimals": 2, "standard": "BEP-20"}]}),
        201)
    world.ok(world.post("vasp", "/v1/vasps/vasp-ala-too/application", {
        "legal_name": "Ala-Too Exchange LLC", "address": "Chui 1, Bishkek", "activities": ["exchange"],
        "public_key": "cd" * 32, "documents": []}), 201)
    return world


def vasp_status(world: World) -> str:
    return str(world.ok(world.get("registrar", "/v1/vasps/vasp-ala-too/application"))["status"])


def test_a_licence_is_proposed_by_one_registrar_and_approved_by_another(people: World) -> None:
    first = Browser.signed_in(people.runtime, people.tokens["registrar"], REGISTRAR)
    assert REGISTRAR in first.get("/console").text
    overview = first.get(REGISTRAR)
    assert overview.status_code == 200 and "Ala-Too Exchange LLC" in overview.text
    page = first.get(VASP_PAGE)
    assert "Propose a decision" in page.text and "Approve this decision" not in page.text
    assert first.post(f"{VASP_PAGE}/proposal", GRANT, csrf=False).status_code == 403
    assert first.post(f"{VASP_PAGE}/proposal", {**GRANT, "decision": "maybe"}).status_code == 400
    assert vasp_status(people) == "applied"
    assert first.post(f"{VASP_PAGE}/proposal", GRANT).status_code == 303
    application = people.ok(people.get("registrar", "/v1/vasps/vasp-ala-too/application"))
    assert application["status"] == "proposed"
    assert application["proposal"]["conditions"] == ["quarterly reports"]
    seq = str(application["proposal"]["seq"])
    page = first.get(VASP_PAGE)
    assert "You proposed this decision: another registrar must approve it." in page.text
    assert "/approval" not in page.text
    forced = first.post(f"{VASP_PAGE}/approval", {"proposal_seq": seq})  # four eyes: the service refuses
    assert forced.status_code == 403 and "Traceback" not in forced.text
    assert vasp_status(people) == "proposed"

    second = Browser.signed_in(people.runtime, people.tokens["second_registrar"], VASP_PAGE)
    assert "Approve this decision" in second.get(VASP_PAGE).text
    assert second.post(f"{VASP_PAGE}/approval", {"proposal_seq": "x"}).status_code == 400
    assert second.post(f"{VASP_PAGE}/approval", {"proposal_seq": seq}).status_code == 303
    licence = people.ok(people.get("auditor", "/v1/vasps/vasp-ala-too/licence"))
    assert licence["status"] == "licensed" and licence["approved_by"].endswith(":registrar-nurlan")
    page = second.get(VASP_PAGE)
    assert "registrar-nurlan" in page.text and "Suspend the licence" in page.text
    assert second.post(f"{VASP_PAGE}/suspension", {"reason": ""}).status_code == 400
    assert second.post(f"{VASP_PAGE}/suspension", {"reason": "late reports"}).status_code == 303
    assert vasp_status(people) == "suspended"
    assert second.post(f"{VASP_PAGE}/reinstatement", {"reason": "reports filed"}).status_code == 303
    assert vasp_status(people) == "licensed"


def test_a_vasp_reads_its_own_application_only_and_reviews_nothing(people: World) -> None:
    vasp = Browser.signed_in(people.runtime, people.tokens["vasp"], VASP_PAGE)
    assert REGISTRAR not in vasp.get("/console").text  # the screen is the registrars'
    page = vasp.get(VASP_PAGE)
    assert page.status_code == 200 and "Ala-Too Exchange LLC" in page.text
    assert "Propose a decision" not in page.text and "/suspension" not in page.text
    before = vasp_status(people)
    forced = vasp.post(f"{VASP_PAGE}/revocation", {"reason": "self-revoked"})
    assert forced.status_code == 403 and "Your role may not do this." in forced.text
    assert vasp_status(people) == before
    other = Browser.signed_in(people.runtime, people.tokens["other_vasp"], REGISTRAR)
    assert other.get(VASP_PAGE).status_code == 404  # another VASP's: as absent, as over the API


def test_an_entry_s_status_changes_with_a_reason_and_the_auditor_only_reads(people: World) -> None:
    auditor = Browser.signed_in(people.runtime, people.tokens["auditor"], REGISTRAR)
    page = auditor.get(REGISTRAR)
    assert page.status_code == 200 and "KGST" in page.text
    assert "/assets/KGST/status" not in page.text and "Applications to review" not in page.text
    status = {"status": "registered", "reason": "complete"}
    assert auditor.post(f"{REGISTRAR}/assets/KGST/status", status).status_code == 403
    assert people.ok(people.get("auditor", "/v1/register/assets/KGST"))["status"] == "applied"
    registrar = Browser.signed_in(people.runtime, people.tokens["registrar"], REGISTRAR)
    assert "/assets/KGST/status" in registrar.get(REGISTRAR).text
    assert registrar.post(f"{REGISTRAR}/assets/KGST/status", {**status, "status": "applied"}).status_code == 400
    assert registrar.post(f"{REGISTRAR}/assets/KGST/status", status).status_code == 303
    assert people.ok(people.get("auditor", "/v1/register/assets/KGST"))["status"] == "registered"
    assert registrar.get(f"{REGISTRAR}/vasps/vasp-nobody").status_code == 404
