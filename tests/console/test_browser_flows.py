"""The console in a real browser (Playwright driving Debian's Chromium) against a live
server that mounts the console as `digisom serve` does: the treasury's flow end to end
with two officers, a forbidden action absent and refused when forced, and every screen
free of console errors and of WCAG 2.1 AA violations (axe-core). Screenshots go to
test-artifacts/console/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import pytest

from digisom.api.runtime import Runtime
from tests.api.test_disbursement import PERIOD, payees, pension_file
from tests.api.world import World
from tests.browser_support import console_errors, live_server, new_page, screenshot, summary, violations
from tests.console.usdkg_desk import HOLDER, usdkg_desk
from tests.usdkg.world import bar_row, count_rows

ARTEFACTS: Final = "console"
PAYING_TIMEOUT_MS: Final = 60_000
expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def base_url(runtime: Runtime, treasury: World) -> Iterator[str]:
    # The world is built first (over the same app); then the app is served as `digisom serve` serves it.
    with live_server(runtime.app) as url:
        yield url


def sign_in(page: Any, base_url: str, token: str) -> None:
    page.goto(f"{base_url}/console/sign-in")
    page.get_by_label("Your access token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/console")
    expect(page.get_by_role("heading", name="Your screens")).to_be_visible()


def clean(page: Any, axe: str, shot: str) -> None:
    """The page as it stands passes axe-core's WCAG 2.1 AA rules; its screenshot is kept."""
    screenshot(page, ARTEFACTS, shot)
    found = violations(page, axe)
    assert found == [], (shot, json.dumps(summary(found)))


def unexpected(errors: list[str], *statuses: int) -> list[str]:
    """Console errors but Chromium's own line for a page answered with an expected status."""
    expected = tuple(f"status of {status} " for status in statuses)
    return [e for e in errors if not (e.startswith("Failed to load resource") and e.endswith(")")
                                      and any(s in e for s in expected))]


def upload(page: Any, data: bytes) -> Any:
    """Fill and send the upload form; the answer to the form's POST."""
    page.get_by_label("Month paid (YYYY-MM)").fill(PERIOD)
    page.get_by_label("File", exact=True).set_input_files(
        files=[{"name": "pensions.csv", "mimeType": "text/csv", "buffer": data}])
    with page.expect_navigation() as answer:
        page.get_by_role("button", name="Upload and check").click()
    return answer.value


def test_upload_refused_then_approved_by_a_second_officer_and_paid_to_100_percent(
        browser: Any, axe: str, base_url: str, treasury: World) -> None:
    clerk_context, clerk = new_page(browser)
    supervisor_context, supervisor = new_page(browser)
    clerk_errors, supervisor_errors = console_errors(clerk), console_errors(supervisor)
    try:
        sign_in(clerk, base_url, treasury.tokens["treasury_operator"])
        clerk.get_by_role("link", name="Disbursement programmes and runs").click()
        clerk.get_by_role("link", name="pensions").click()
        clean(clerk, axe, "treasury-programme")

        bad = pension_file(payees()[:3]).replace(b",100100,", b",12x,") + b"21203195,100,Short Pin,Naryn\n"
        refused = upload(clerk, bad)
        assert refused.status == 422
        expect(clerk.get_by_role("alert")).to_have_text("The file was refused; nothing was recorded or paid")
        expect(clerk.locator("tr.row-error")).to_have_count(2)
        expect(clerk.get_by_role("link", name="run_", exact=False)).to_have_count(0)  # nothing recorded
        clean(clerk, axe, "treasury-upload-refused")

        recorded = upload(clerk, pension_file(payees()))
        assert recorded.status == 200 and "/console/treasury/runs/run_" in clerk.url
        run_url = clerk.url
        expect(clerk.get_by_text("You uploaded this run: another officer must approve it.")).to_be_visible()
        expect(clerk.get_by_role("button", name="Approve this run")).to_have_count(0)
        clean(clerk, axe, "treasury-run-uploaded")

        sign_in(supervisor, base_url, treasury.tokens["treasury_supervisor"])
        supervisor.goto(run_url)
        supervisor.get_by_role("button", name="Approve this run").click()
        expect(supervisor.locator("#run-status")).to_have_text("approved")
        supervisor.get_by_role("button", name="Pay this run").click()

        clerk.goto(run_url)  # reloads itself (meta refresh) while the run pays
        expect(clerk.locator("#run-status")).to_have_text("completed", timeout=PAYING_TIMEOUT_MS)
        expect(clerk.locator('meta[http-equiv="refresh"]')).to_have_count(0, timeout=PAYING_TIMEOUT_MS)
        expect(clerk.locator("#run-progress")).to_have_attribute("value", "100")
        expect(clerk.locator("#run-percent")).to_have_text("100%")
        expect(clerk.get_by_role("definition").filter(has_text="treasury-supervisor")).to_have_count(1)
        clean(clerk, axe, "treasury-run-paid")
        assert unexpected(clerk_errors, 422) == [] and supervisor_errors == []
    finally:
        clerk_context.close()
        supervisor_context.close()


def test_a_forbidden_action_is_absent_and_refused_when_forced(page: Any, axe: str, base_url: str,
                                                              treasury: World) -> None:
    errors = console_errors(page)
    sign_in(page, base_url, treasury.tokens["auditor"])
    page.goto(f"{base_url}/console/treasury")
    expect(page.get_by_role("heading", name="Disbursement programmes")).to_be_visible()
    expect(page.locator('form[action$="/treasury/programmes"]')).to_have_count(0)
    # Forced: the auditor's browser builds the create-programme form and sends it anyway.
    with page.expect_navigation() as answer:
        page.evaluate("""() => {
            const form = document.createElement('form');
            form.method = 'post';
            form.action = '/console/treasury/programmes';
            const fields = {id: 'forced-by-auditor', name: 'Forced', source_wallet_id: 'w', budget_tyiyn: '1',
                            csrf_token: document.querySelector('input[name=csrf_token]').value};
            for (const [name, value] of Object.entries(fields)) {
                const input = document.createElement('input');
                input.type = 'hidden'; input.name = name; input.value = value;
                form.appendChild(input);
            }
            document.body.appendChild(form);
            form.submit();
        }""")
    assert answer.value.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text("Your role may not do this.")
    clean(page, axe, "forbidden-403")
    missing = treasury.get("treasury_operator", "/v1/disbursement/programmes/forced-by-auditor")
    assert missing.status_code == 404  # nothing was created
    assert unexpected(errors, 403) == []


def test_a_live_page_reloads_itself_until_paused(page: Any, base_url: str, treasury: World) -> None:
    """The RTGS queue updates itself, and offers to stop (WCAG 2.2.1), and stops. The page's
    clock is Playwright's, run forward: no real waiting."""
    errors = console_errors(page)
    page.clock.install()
    sign_in(page, base_url, treasury.tokens["central_bank"])
    page.goto(f"{base_url}/console/central-bank/rtgs")
    page.evaluate("window.stillLoaded = true")  # gone when the page reloads
    with page.expect_navigation():
        page.clock.run_for(6_000)  # past the queue's 5 s
    assert page.evaluate("window.stillLoaded") is None  # reloaded
    toggle = page.get_by_role("button", name="Pause updates")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(page.get_by_role("button", name="Resume updates")).to_have_attribute("aria-pressed", "true")
    page.evaluate("window.stillLoaded = true")
    page.clock.run_for(60_000)
    assert page.evaluate("window.stillLoaded") is True  # paused: not reloaded
    assert errors == []


# Every console screen, as a role that may open it.
SCREENS: Final = (
    ("sign-in", None, "/console/sign-in"),
    ("start-central-bank", "central_bank", "/console"),
    ("participants", "central_bank", "/console/central-bank/participants"),
    ("issuance", "central_bank", "/console/central-bank/issuance"),
    ("rtgs-queue", "central_bank", "/console/central-bank/rtgs"),
    ("console-sessions", "central_bank", "/console/central-bank/sessions"),
    ("wallets", "commercial_bank", "/console/wallets"),
    ("wallet", "commercial_bank", "/console/wallets/{pensioner}"),
    ("treasury-programmes", "treasury_operator", "/console/treasury"),
    ("compliance-reviews", "officer", "/console/compliance/reviews"),
    ("aliases", "commercial_bank", "/console/aliases?personal_number=21203199900099"),
    ("registrar", "registrar", "/console/registrar"),
    ("registrar-vasp", "registrar", "/console/registrar/vasps/vasp-ala-too"),
    ("usdkg", "issuer_operator", "/console/usdkg"),
)


def test_every_screen_is_accessible_and_error_free(browser: Any, axe: str, base_url: str, treasury: World) -> None:
    treasury.ok(treasury.post("vasp", "/v1/vasps/vasp-ala-too/application", {
        "legal_name": "Ala-Too Exchange LLC", "address": "Chui 1, Bishkek", "activities": ["exchange"],
        "public_key": "cd" * 32, "documents": []}), 201)  # for the application's page
    by_role: dict[str | None, list[tuple[str, str]]] = {}
    for shot, who, path in SCREENS:
        by_role.setdefault(who, []).append((shot, path.format(pensioner=treasury.wallets["pensioner"])))
    for who, screens in by_role.items():
        context, page = new_page(browser)
        try:
            errors = console_errors(page)
            if who is not None:
                sign_in(page, base_url, treasury.tokens[who])
            for shot, path in screens:
                response = page.goto(base_url + path)
                assert response is not None and response.status == 200, (path, response and response.status)
                clean(page, axe, shot)
            assert errors == [], (who, errors)
        finally:
            context.close()


def test_usdkg_forms_mint_and_file_an_audit_accessibly(browser: Any, axe: str,
                                                         tmp_path_factory: pytest.TempPathFactory) -> None:
    """The issuer mints through the form in a real browser (its page and the operation's
    page clean); the auditor files a count and sees the audit's page with the signing
    form (both clean). Over USDKG on fake chains, served live."""
    day = (datetime.now(UTC) - timedelta(days=1)).date()
    with usdkg_desk(tmp_path_factory.mktemp("browser-usdkg")) as desk, live_server(desk.world.runtime.app) as url:
        for who in ("issuer_operator", "auditor"):
            context, page = new_page(browser)
            try:
                errors = console_errors(page)
                sign_in(page, url, desk.world.tokens[who])
                page.goto(f"{url}/console/usdkg")
                clean(page, axe, f"usdkg-{who}")
                if who == "issuer_operator":
                    page.get_by_label("Recipient address (0x and 40 hex digits)").fill(HOLDER)
                    page.locator("#mint-amount").fill("2500000")
                    with page.expect_navigation():
                        page.get_by_role("button", name="Mint", exact=True).click()
                    expect(page.locator("#operation-state")).to_have_text("done")
                    clean(page, axe, "usdkg-operation")
                    assert desk.chains[1].balances[HOLDER] == 2_500_000
                else:
                    page.get_by_label("Audit date").fill(day.isoformat())
                    page.get_by_label("Auditor (the registered signer's name)").fill("kreston_like")
                    page.get_by_label("Count file").set_input_files(files=[{
                        "name": "count.csv", "mimeType": "text/csv",
                        "buffer": count_rows([bar_row("KG0001")], "bishkek-1", day)}])
                    with page.expect_navigation():
                        page.get_by_role("button", name="Import and reconcile").click()
                    expect(page.locator("#audit-findings")).to_have_text("0")
                    expect(page.get_by_role("button", name="Publish under this signature")).to_be_visible()
                    clean(page, axe, "usdkg-audit")
                assert errors == [], (who, errors)
            finally:
                context.close()
