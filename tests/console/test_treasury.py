"""The treasury's console flow end to end (TestClient): sign in, upload a file and see it
refused with its row report, upload a good one, approve it as a second officer, pay it
and watch its progress reach 100%."""

from __future__ import annotations

import re
import time

from tests.api.test_disbursement import PERIOD, payees, pension_file
from tests.api.world import World
from tests.console.browser import Browser

POLL_TIMEOUT_S = 60.0
RUN_LINK = re.compile(r"/console/treasury/runs/(run_[0-9a-f]{30})")


def upload(browser: Browser, data: bytes, key: str, period: str = PERIOD):
    return browser.post("/console/treasury/programmes/pensions/runs", {"period": period, "format": "csv",
                                                                        "upload_key": key},
                        files={"file": ("pensions.csv", data, "text/csv")})


def test_a_refused_file_shows_its_rows_and_records_nothing(treasury: World) -> None:
    clerk = Browser.open(treasury.runtime)
    clerk.sign_in(treasury.tokens["treasury_operator"])
    page = clerk.get("/console/treasury/programmes/pensions")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    bad = pension_file(payees()[:3]).replace(b",100100,", b",12x,") + b"21203195,100,Short Pin,Naryn\n"
    refused = upload(clerk, bad, "bad-file")
    assert refused.status_code == 422
    assert "The file was refused; nothing was recorded or paid" in refused.text
    assert refused.text.count('class="row-error"') == 2
    assert "invalid_amount" in refused.text or "amount" in refused.text
    assert not RUN_LINK.search(refused.text)  # no run recorded


def test_upload_approve_by_a_second_officer_and_pay_to_100_percent(treasury: World) -> None:
    clerk, supervisor = Browser.open(treasury.runtime), Browser.open(treasury.runtime)
    clerk.sign_in(treasury.tokens["treasury_operator"])
    supervisor.sign_in(treasury.tokens["treasury_supervisor"])
    clerk.get("/console/treasury/programmes/pensions")
    recorded = upload(clerk, pension_file(payees()), "november")
    assert recorded.status_code == 303, recorded.text
    run_path = recorded.headers["location"]
    run_id = RUN_LINK.fullmatch(run_path).group(1)  # type: ignore[union-attr]
    page = clerk.get(run_path)
    assert "You uploaded this run: another officer must approve it." in page.text
    assert "/approval" not in page.text
    # Forced anyway: dual control refuses the uploader, the run stays uploaded.
    forced = clerk.post(f"{run_path}/approval")
    assert forced.status_code == 403
    assert "Traceback" not in forced.text
    assert treasury.ok(treasury.get("treasury_operator", f"/v1/disbursement/runs/{run_id}"))["status"] == "uploaded"

    page = supervisor.get(run_path)
    assert "Approve this run" in page.text
    assert supervisor.post(f"{run_path}/approval").status_code == 303
    page = supervisor.get(run_path)
    assert "Pay this run" in page.text
    assert supervisor.post(f"{run_path}/execution").status_code == 303
    deadline = time.monotonic() + POLL_TIMEOUT_S
    while True:
        page = clerk.get(run_path)
        # Done, and the page stops reloading itself once the worker has finished.
        if 'value="100"' in page.text and ">completed<" in page.text and "data-refresh-s" not in page.text:
            break
        assert time.monotonic() < deadline, page.text
        time.sleep(0.05)
    run = treasury.ok(treasury.get("treasury_operator", f"/v1/disbursement/runs/{run_id}"))
    assert run["status"] == "completed"
    assert run["approved_by"] == "treasury-supervisor"
