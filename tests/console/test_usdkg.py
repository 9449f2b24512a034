"""The USDKG issuer's screen: the coverage figure and the audits; the issuer publishes
today's coverage report, the auditor reads but sees no publish form and is refused when
it posts anyway, the central bank (no `usdkg.coverage.report`) has no screen. Checked
against the API's own report read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from digisom.api.runtime import Runtime
from tests.api.world import World
from tests.console.browser import Browser

USDKG = "/console/usdkg"
PUBLISH = f"{USDKG}/reports"


@pytest.fixture(scope="module")
def people(runtime: Runtime) -> World:
    return World.create(runtime)  # tokens only: the issuer's screen needs no bank or wallet


def published(world: World) -> int:
    day = datetime.now(UTC).date().isoformat()
    return world.get("issuer_operator", f"/v1/usdkg/coverage/reports/{day}").status_code


def test_the_auditor_reads_but_may_not_publish(people: World) -> None:
    auditor = Browser.signed_in(people.runtime, people.tokens["auditor"], USDKG)
    page = auditor.get(USDKG)
    assert page.status_code == 200 and "coverage_bps" in page.text and "Not published yet." in page.text
    assert "Publish today" not in page.text and PUBLISH not in page.text
    forced = auditor.post(PUBLISH)
    assert forced.status_code == 403 and "Your role may not do this." in forced.text
    assert published(people) == 404
    cb = Browser.signed_in(people.runtime, people.tokens["central_bank"])
    assert USDKG not in cb.get("/console").text
    assert cb.get(USDKG).status_code == 403 and cb.post(PUBLISH).status_code == 403
    assert published(people) == 404


def test_the_issuer_publishes_today_s_report(people: World) -> None:
    desk = Browser.signed_in(people.runtime, people.tokens["issuer_operator"], USDKG)
    assert USDKG in desk.get("/console").text
    page = desk.get(USDKG)
    assert "Publish today's coverage report" in page.text
    assert desk.post(PUBLISH, csrf=False).status_code == 403
    assert published(people) == 404
    assert desk.post(PUBLISH).status_code == 303
    day = datetime.now(UTC).date().isoformat()
    report = people.get("issuer_operator", f"/v1/usdkg/coverage/reports/{day}")
    assert report.status_code == 200
    page = desk.get(USDKG)
    assert report.headers["Report-SHA256"] in page.text and "Publish today" not in page.text
