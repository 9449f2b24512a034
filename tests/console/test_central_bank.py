"""The central bank's console screens: participants (list, register) and issuance (the
summary; reserve credits, issues, redemptions). The central bank sees and acts; a role
the matrix refuses sees no form and is refused (403 page) when it posts one anyway,
and nothing changes; every new form wants the session's CSRF token."""

from __future__ import annotations

from digisom.cbdc.http.slots import CBDC_SERVICE
from digisom.http.services import filled
from tests.api.world import AYIL, World
from tests.console.browser import Browser

PARTICIPANTS = "/console/central-bank/participants"
ISSUANCE = "/console/central-bank/issuance"


def participant_ids(world: World) -> set[str]:
    return {p.id for p in filled(world.runtime.app, CBDC_SERVICE).participants(0, 1000).items}


def outstanding_tyiyn(world: World, bank_code: str) -> int:
    banks = filled(world.runtime.app, CBDC_SERVICE).issuance_summary().banks
    return next(b.outstanding_tyiyn for b in banks if b.bank_code == bank_code)


def signed_in(world: World, who: str, page: str) -> Browser:
    browser = Browser.open(world.runtime)
    browser.sign_in(world.tokens[who])
    browser.get(page)
    return browser


def test_the_central_bank_lists_and_registers_participants(world: World) -> None:
    cb = signed_in(world, "central_bank", PARTICIPANTS)
    page = cb.get(PARTICIPANTS)
    assert page.status_code == 200
    assert "ayil-bank" in page.text and "Register a participant" in page.text
    form = {"id": "kyrgyz-post", "kind": "payment_provider", "name": "Kyrgyz Post", "bank_code": "KPOST"}
    assert cb.post(PARTICIPANTS, form, csrf=False).status_code == 403
    assert "kyrgyz-post" not in participant_ids(world)
    assert cb.post(PARTICIPANTS, {**form, "id": "Bad Id"}).status_code == 400
    done = cb.post(PARTICIPANTS, form)
    assert done.status_code == 303
    assert "kyrgyz-post" in participant_ids(world)
    assert "Kyrgyz Post" in cb.get(PARTICIPANTS).text


def test_a_bank_reads_participants_but_may_not_register(world: World) -> None:
    bank = signed_in(world, "commercial_bank", PARTICIPANTS)
    page = bank.get(PARTICIPANTS)
    assert page.status_code == 200 and "ayil-bank" in page.text
    assert "Register a participant" not in page.text
    assert f'action="{PARTICIPANTS}"' not in page.text
    forced = bank.post(PARTICIPANTS, {"id": "by-a-bank", "kind": "treasury", "name": "X"})
    assert forced.status_code == 403 and "Your role may not do this." in forced.text
    assert "by-a-bank" not in participant_ids(world)


def test_participants_pages_are_bounded(world: World) -> None:
    cb = signed_in(world, "central_bank", PARTICIPANTS)
    assert cb.get(PARTICIPANTS, after=10**9).status_code == 404
    assert cb.get(PARTICIPANTS, after=-1).status_code == 400


def test_the_central_bank_sees_the_summary_and_issues_once_per_form(world: World) -> None:
    cb = signed_in(world, "central_bank", ISSUANCE)
    page = cb.get(ISSUANCE)
    assert page.status_code == 200
    assert "Digital som in circulation" in page.text
    for action in ("reserve_credit", "issue", "redeem"):
        assert f'action="{ISSUANCE}/{action}"' in page.text
    before = outstanding_tyiyn(world, AYIL)
    key = cb.get(ISSUANCE).text.split('name="form_key" value="')[2].split('"')[0]  # the issue form's key
    form = {"bank_code": AYIL, "amount_tyiyn": "12345", "form_key": key}
    assert cb.post(ISSUANCE + "/issue", form, csrf=False).status_code == 403
    assert outstanding_tyiyn(world, AYIL) == before
    assert cb.post(ISSUANCE + "/issue", {**form, "amount_tyiyn": "1.5"}).status_code == 400
    assert cb.post(ISSUANCE + "/issue", form).status_code == 303
    assert cb.post(ISSUANCE + "/issue", form).status_code == 303  # a reload: the same key, done once
    assert outstanding_tyiyn(world, AYIL) == before + 12345
    world.assert_balanced()


def test_a_role_without_the_summary_is_refused_and_cannot_convert(world: World) -> None:
    bank = signed_in(world, "commercial_bank", "/console")
    assert ISSUANCE not in bank.get("/console").text
    assert bank.get(ISSUANCE).status_code == 403
    auditor = signed_in(world, "auditor", ISSUANCE)
    page = auditor.get(ISSUANCE)
    assert page.status_code == 200 and "Digital som in circulation" in page.text
    assert "/issuance/issue" not in page.text and "form_key" not in page.text
    before = outstanding_tyiyn(world, AYIL)
    forced = auditor.post(ISSUANCE + "/issue", {"bank_code": AYIL, "amount_tyiyn": "100", "form_key": "a" * 32})
    assert forced.status_code == 403
    assert outstanding_tyiyn(world, AYIL) == before
    assert auditor.post(ISSUANCE + "/mint", {}).status_code == 404
