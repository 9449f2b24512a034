"""The compliance review queue in the console: an officer proposes, the same officer
sees no approval form and is refused one forced (four eyes, as the API), a second
officer approves; an auditor reads the queue without forms and is refused a forced
proposal; a bank has no queue; the forms want the session's CSRF token; a refusal
leaves the review as it was."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from digisom.api.runtime import Runtime, build
from digisom.compliance.http.slots import COMPLIANCE_DESK
from digisom.console.app import mount
from digisom.http.services import filled
from tests.api.world import World
from tests.compliance.conftest import FTM_ENTITIES
from tests.console.browser import Browser

QUEUE = "/console/compliance/reviews"


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    folder = tmp_path_factory.mktemp("console-compliance")
    lists = folder / "entities.ftm.json"
    lists.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in FTM_ENTITIES), encoding="utf-8")
    built = build(data_dir=folder / "data", sanctions_lists=[lists])
    mount(built.app, built.issuer.key)
    yield built
    built.close()


@pytest.fixture(scope="module")
def world(runtime: Runtime) -> World:
    return World.create(runtime)


def open_review(world: World) -> int:
    """A bank screens a name like a listed one: a review opens (the bank is its opener)."""
    found = world.ok(world.post("commercial_bank", "/v1/compliance/screenings",
                                {"name": "Sooronbek Jeenbekov", "schema": "Person"}), 201)
    assert found["decision"] == "review"
    return int(filled(world.runtime.app, COMPLIANCE_DESK).decisions.open_reviews()[-1].review_id)


def status(world: World, review_id: int) -> str:
    return filled(world.runtime.app, COMPLIANCE_DESK).decisions.review(review_id).status


def signed_in(world: World, who: str, page: str = QUEUE) -> Browser:
    browser = Browser.open(world.runtime)
    browser.sign_in(world.tokens[who])
    browser.get(page)
    return browser


def test_one_officer_proposes_and_a_second_approves(world: World) -> None:
    review_id = open_review(world)
    path = f"{QUEUE}/{review_id}"
    first, second = signed_in(world, "officer"), signed_in(world, "second_officer")
    assert f'href="{path}"' in first.get(QUEUE).text
    page = first.get(path)
    assert "Propose a decision" in page.text
    proposal = {"outcome": "confirmed", "reason": "same birth date"}
    assert first.post(f"{path}/propose", proposal, csrf=False).status_code == 403
    assert first.post(f"{path}/propose", {**proposal, "outcome": "maybe"}).status_code == 400
    assert status(world, review_id) == "open"
    assert first.post(f"{path}/propose", proposal).status_code == 303
    assert status(world, review_id) == "proposed"
    page = first.get(path)
    assert "another officer must decide it" in page.text and f"{path}/approve" not in page.text
    forced = first.post(f"{path}/approve", {"outcome": "confirmed", "reason": "me again"})
    assert forced.status_code == 403 and "Traceback" not in forced.text
    assert status(world, review_id) == "proposed"
    page = second.get(path)
    assert "Approve the proposal" in page.text and "Send back" in page.text
    assert second.post(f"{path}/approve", {"outcome": "confirmed", "reason": "agreed"}, csrf=False).status_code == 403
    assert status(world, review_id) == "proposed"
    assert second.post(f"{path}/approve", {"outcome": "confirmed", "reason": "agreed"}).status_code == 303
    assert status(world, review_id) == "confirmed"
    page = second.get(path)
    assert "officer-bakyt" in page.text and "Approve the proposal" not in page.text
    assert f'href="{path}"' not in second.get(QUEUE).text  # decided: out of the queue


def test_a_second_officer_sends_a_proposal_back(world: World) -> None:
    review_id = open_review(world)
    path = f"{QUEUE}/{review_id}"
    first, second = signed_in(world, "officer"), signed_in(world, "second_officer")
    first.get(path)
    assert first.post(f"{path}/propose", {"outcome": "cleared", "reason": "other person"}).status_code == 303
    second.get(path)
    assert second.post(f"{path}/reject", {"reason": ""}).status_code == 400
    assert second.post(f"{path}/reject", {"reason": "check the passport"}).status_code == 303
    assert status(world, review_id) == "open"


def test_an_auditor_reads_without_forms_and_a_bank_has_no_queue(world: World) -> None:
    review_id = open_review(world)
    path = f"{QUEUE}/{review_id}"
    auditor = signed_in(world, "auditor")
    assert f'href="{path}"' in auditor.get(QUEUE).text
    page = auditor.get(path)
    assert page.status_code == 200 and "Propose a decision" not in page.text and "/propose" not in page.text
    forced = auditor.post(f"{path}/propose", {"outcome": "cleared", "reason": "x"})
    assert forced.status_code == 403 and "Your role may not do this." in forced.text
    assert status(world, review_id) == "open"
    bank = signed_in(world, "commercial_bank", "/console")
    assert QUEUE not in bank.get("/console").text
    assert bank.get(QUEUE).status_code == 403
    assert bank.post(f"{path}/propose", {"outcome": "cleared", "reason": "x"}).status_code == 403
    assert status(world, review_id) == "open"


def test_unknown_reviews_and_pages_past_the_end_are_plain_pages(world: World) -> None:
    officer = signed_in(world, "officer")
    assert officer.get(f"{QUEUE}/999999").status_code == 404
    assert officer.get(f"{QUEUE}/0").status_code == 400
    assert officer.get(QUEUE, after=10**9).status_code == 404
    assert officer.post(f"{QUEUE}/999999/propose", {"outcome": "cleared", "reason": "x"}).status_code == 404
