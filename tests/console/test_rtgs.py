"""The RTGS queue in the console: the central bank and the auditor watch the queued
payments (the page reloads itself); only the central bank sees and uses the LSM form,
which settles what can be and shows how many; a bank is refused the screen; the form
wants the session's CSRF token; a refusal leaves the queue as it was."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from digisom.api.runtime import Runtime, build
from digisom.console.app import mount
from digisom.http.services import filled
from digisom.interbank.http.slots import RTGS
from tests.api.world import AYIL, BAKAI, World
from tests.console.browser import Browser
from tests.interbank.rtgs_world import Clock, payment_xml

QUEUE = "/console/central-bank/rtgs"
LSM = QUEUE + "/lsm-runs"
QUEUED_TYIYN = 900_000_00  # more than Ayil Bank's reserves (800,000 som): it waits


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    built = build(data_dir=tmp_path_factory.mktemp("console-rtgs") / "data", rtgs_clock=Clock())
    mount(built.app, built.issuer.key)
    yield built
    built.close()


@pytest.fixture(scope="module")
def world(runtime: Runtime) -> World:
    world = World.create(runtime).setup()
    for code in (AYIL, BAKAI):
        world.ok(world.post("central_bank", "/v1/interbank/banks", {"bank_code": code, "name": code}), 201)
    answer = world.client.post("/v1/interbank/messages", content=payment_xml(AYIL, BAKAI, QUEUED_TYIYN, 1),
                               headers={**world.headers("commercial_bank"), "content-type": "application/xml"})
    assert answer.headers["Digisom-Transaction-Status"] == "PDNG", answer.text
    # Collateral opens the credit it lacked; nothing settles until the next queue run (the LSM).
    filled(runtime.app, RTGS).get().pledge_collateral(AYIL, 200_000_00, "console-rtgs-test")
    return world


def queued(world: World) -> int:
    return len(filled(world.runtime.app, RTGS).get().queued(0, 200))


def signed_in(world: World, who: str, page: str = QUEUE) -> Browser:
    browser = Browser.open(world.runtime)
    browser.sign_in(world.tokens[who])
    browser.get(page)
    return browser


def test_the_auditor_watches_the_queue_but_may_not_run_the_lsm(world: World) -> None:
    auditor = signed_in(world, "auditor")
    page = auditor.get(QUEUE)
    assert page.status_code == 200
    assert page.text.count('class="queued"') == 1 and "9,000,000.00" not in page.text
    assert "900,000.00" in page.text
    assert 'data-refresh-s="5"' in page.text and "/static/live.js" in page.text  # updates itself
    assert "Run the LSM now" not in page.text and LSM not in page.text
    forced = auditor.post(LSM)
    assert forced.status_code == 403 and "Your role may not do this." in forced.text
    assert queued(world) == 1
    assert world.ok(world.get("auditor", "/v1/interbank/queue"))["items"][0]["debtor_bank"] == AYIL


def test_a_bank_has_no_queue_screen(world: World) -> None:
    bank = signed_in(world, "commercial_bank", "/console")
    assert QUEUE not in bank.get("/console").text
    assert bank.get(QUEUE).status_code == 403
    assert bank.post(LSM).status_code == 403
    assert world.get("commercial_bank", "/v1/interbank/queue").status_code == 403
    assert queued(world) == 1


def test_the_central_bank_runs_the_lsm_and_sees_what_it_settled(world: World) -> None:
    cb = signed_in(world, "central_bank")
    page = cb.get(QUEUE)
    assert "Run the LSM now" in page.text and page.text.count('class="queued"') == queued(world) == 1
    assert cb.post(LSM, csrf=False).status_code == 403
    assert cb.post(LSM, headers={"Origin": "https://evil.example"}).status_code == 403
    assert queued(world) == 1
    ran = cb.post(LSM)
    assert ran.status_code == 200
    assert "settled this many queued payments: 1" in ran.text
    assert "data-refresh-s" not in ran.text  # a reload would post again
    assert queued(world) == 0
    assert 'id="queue-empty"' in cb.get(QUEUE).text
    assert cb.get(QUEUE, after=10**6).status_code == 404
