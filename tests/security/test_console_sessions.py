"""Console sessions end on the server (docs/security.md, "Console sessions end on the
server"): a copy of the cookie taken before sign-out is refused after it, an operator's
`digisom console sessions revoke` ends a subject's live session on its next request, a
cookie whose session row is not in this database is refused, and expired rows are
pruned. Two apps on one database stand for two processes of `digisom serve --workers N`:
the rows are the only state, so what one revokes the other refuses."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from digisom.api.runtime import Runtime, build, domain_engine
from digisom.api.signing_key import KEY_FILE_NAME
from digisom.cli.main import app as cli
from digisom.console import tables
from digisom.console.app import mount
from digisom.console.migrations import migrate
from digisom.console.session import COOKIE_NAME_HTTP, SessionSeal, session_key
from digisom.console.sessions import SessionStore, id_sha256
from digisom.kernel.access import Actor, Role
from tests.console.browser import Browser

PAGE = "/console/central-bank/participants"
SIGN_IN = "/console/sign-in"


@dataclass(frozen=True)
class Servers:
    """`first` and `second` share a database and the platform key (two processes of one
    server); `elsewhere` has the key but its own database."""

    first: Runtime
    second: Runtime
    elsewhere: Runtime
    data_dir: Path


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    root = tmp_path_factory.mktemp("console-sessions")
    first = build(data_dir=root / "data")
    key_path = root / "data" / KEY_FILE_NAME
    second = build(db_url=first.db_url, key_path=key_path)
    elsewhere = build(data_dir=root / "elsewhere", key_path=key_path)
    for runtime in (first, second, elsewhere):
        mount(runtime.app, runtime.issuer.key)
    yield Servers(first, second, elsewhere, root / "data")
    for runtime in (first, second, elsewhere):
        runtime.close()


def central_bank(runtime: Runtime, subject: str) -> str:
    return runtime.issuer.issue(Role.CENTRAL_BANK_OPERATOR, subject, ttl_s=600)


def replay(runtime: Runtime, cookie: str) -> Browser:
    """Another browser holding a copy of `cookie`."""
    thief = Browser.open(runtime)
    thief.client.cookies.set(COOKIE_NAME_HTTP, cookie, path="/console")
    return thief


def participant_ids(runtime: Runtime) -> set[str]:
    return {p.id for p in runtime.service.participants(0, 100).items}


def console(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["console", "sessions", *args])
    return result.exit_code, result.output


def test_a_cookie_copied_before_sign_out_is_refused_after_it_in_every_process(servers: Servers) -> None:
    browser = Browser.signed_in(servers.first, central_bank(servers.first, "cb-aigul"), PAGE)
    copied = browser.client.cookies[COOKIE_NAME_HTTP]
    assert replay(servers.second, copied).get(PAGE).status_code == 200  # the other process serves it
    out = browser.post("/console/sign-out")
    assert (out.status_code, out.headers["location"]) == (303, SIGN_IN)
    for runtime in (servers.first, servers.second):
        thief = replay(runtime, copied)
        refused = thief.get(PAGE)
        assert (refused.status_code, refused.headers.get("location")) == (303, SIGN_IN)
        thief.csrf_token = browser.csrf_token  # the thief read the page before sign-out, too
        posted = thief.post(PAGE, {"id": f"replayed-{id(runtime)}", "kind": "bank", "name": "Replayed",
                                   "bank_code": "RPLY"})
        assert (posted.status_code, posted.headers.get("location")) == (303, SIGN_IN)
        assert f"replayed-{id(runtime)}" not in participant_ids(runtime)
        # Signing out of the ended session again is a normal redirect that clears the cookie.
        again = thief.post("/console/sign-out")
        assert (again.status_code, again.headers["location"]) == (303, SIGN_IN)
        assert "max-age=0" in again.headers["set-cookie"].lower()


def test_an_operator_revoking_a_subject_ends_its_live_session_on_the_next_request(servers: Servers) -> None:
    target = Browser.signed_in(servers.first, central_bank(servers.first, "cb-stolen"), PAGE)
    bystander = Browser.signed_in(servers.second, central_bank(servers.second, "cb-bystander"), PAGE)
    data = ["--data", str(servers.data_dir)]
    code, listed = console("list", *data)
    assert code == 0
    subjects = [json.loads(line)["subject"] for line in listed.splitlines()]
    assert {"cb-stolen", "cb-bystander"} <= set(subjects)
    assert "id" not in listed and "token" not in listed
    code, output = console("revoke", "--subject", "cb-stolen", "--reason", "laptop stolen", *data)
    assert (code, json.loads(output)) == (0, {"revoked": 1})
    assert target.get(PAGE).headers["location"] == SIGN_IN
    assert bystander.get(PAGE).status_code == 200
    # Idempotent: nothing live is left to end, and that is no error.
    assert console("revoke", "--subject", "cb-stolen", "--reason", "again", *data) == (0, '{"revoked": 0}\n')
    _, after = console("list", *data)
    assert "cb-stolen" not in after
    assert "cb-bystander" in after


@pytest.mark.parametrize("args", [
    [],  # neither --subject nor --all
    ["--subject", "cb-x", "--all"],
    ["--subject", "cb-x", "--reason", "   "],
    ["--subject", "cb-x", "--reason", "x" * 201],
    ["--subject", "cb-x", "--reason", "bad\u202ereason"],
    ["--subject", "s" * 65, "--reason", "too long"],
])
def test_a_bad_revocation_is_a_typed_error_and_ends_nothing(servers: Servers, args: list[str]) -> None:
    browser = Browser.signed_in(servers.first, central_bank(servers.first, "cb-x"), PAGE)
    if "--reason" not in args:
        args = [*args, "--reason", "checked"]
    code, output = console("revoke", *args, "--data", str(servers.data_dir))
    assert code == 2
    assert output.startswith("error: ")
    assert browser.get(PAGE).status_code == 200


def test_a_cookie_sealed_for_another_database_is_refused(servers: Servers) -> None:
    # Same platform key, same valid token: only the session's row is missing there.
    browser = Browser.signed_in(servers.first, central_bank(servers.first, "cb-roaming"), PAGE)
    elsewhere = replay(servers.elsewhere, browser.client.cookies[COOKIE_NAME_HTTP])
    refused = elsewhere.get(PAGE)
    assert (refused.status_code, refused.headers.get("location")) == (303, SIGN_IN)
    assert browser.get(PAGE).status_code == 200


def test_the_database_keeps_only_the_session_ids_hash(servers: Servers) -> None:
    browser = Browser.signed_in(servers.first, central_bank(servers.first, "cb-hash"), PAGE)
    session = SessionSeal(session_key(servers.first.issuer.key)).open(browser.client.cookies[COOKIE_NAME_HTTP])
    assert session is not None and len(session.session_id) >= 22  # 128 bits or more, base64
    engine = domain_engine(servers.first.db_url)
    try:
        with engine.begin() as conn:
            rows = [tuple(map(str, row)) for row in conn.execute(select(tables.sessions))]
    finally:
        engine.dispose()
    cells = [cell for row in rows for cell in row]
    assert id_sha256(session.session_id) in cells
    assert not any(session.session_id in cell or session.token in cell for cell in cells)


def test_expired_rows_are_pruned_at_sign_in(servers: Servers) -> None:
    engine = domain_engine(servers.first.db_url)
    try:
        an_hour_ago = SessionStore(engine, now_s=lambda: time.time() - 3600)
        actor = Actor(Role.CENTRAL_BANK_OPERATOR, "cb-long-gone")
        an_hour_ago.open(actor, expires_at_s=int(time.time()) - 1800)
        an_hour_ago.revoke_subject("cb-long-gone", "revoked, then expired")
        an_hour_ago.open(actor, expires_at_s=int(time.time()) - 60)
        store = SessionStore(engine)
        with engine.begin() as conn:
            subjects = list(conn.execute(select(tables.sessions.c.subject)).scalars())
        assert subjects.count("cb-long-gone") == 2
        Browser.signed_in(servers.first, central_bank(servers.first, "cb-prune"), PAGE)
        with engine.begin() as conn:
            subjects = list(conn.execute(select(tables.sessions.c.subject)).scalars())
        assert "cb-long-gone" not in subjects
        assert "cb-prune" in subjects
        assert store.prune() == 0  # nothing expired is left; live rows are kept
        assert [r.subject for r in store.active()].count("cb-prune") == 1
    finally:
        engine.dispose()


def test_revoking_all_ends_every_live_session_once_and_keeps_the_first_reason(tmp_path: Path) -> None:
    engine = domain_engine(f"sqlite:///{tmp_path / 'sessions.db'}")
    try:
        migrate(engine)
        store = SessionStore(engine)
        until_s = int(time.time()) + 600
        ids = [store.open(Actor(Role.AUDITOR, subject), until_s) for subject in ("audit-a", "audit-b")]
        assert store.revoke(ids[0], "signed out") is True
        assert store.revoke_all("key rotation") == 1  # the one still live
        assert store.revoke_all("key rotation") == 0
        assert store.revoke(ids[0], "signed out") is False
        assert [store.live(session_id) for session_id in ids] == [None, None]
        with engine.begin() as conn:
            reasons = dict(conn.execute(select(tables.sessions.c.subject, tables.sessions.c.revoked_reason)).all())
        assert reasons == {"audit-a": "signed out", "audit-b": "key rotation"}
    finally:
        engine.dispose()


SESSIONS_PAGE = "/console/central-bank/sessions"


def test_the_central_bank_ends_a_subjects_sessions_from_the_console(servers: Servers) -> None:
    target = Browser.signed_in(servers.first, central_bank(servers.first, "cb-page-target"), PAGE)
    target_id = SessionSeal(session_key(servers.first.issuer.key)).open(target.client.cookies[COOKIE_NAME_HTTP])
    assert target_id is not None
    admin = Browser.signed_in(servers.second, central_bank(servers.second, "cb-page-admin"), SESSIONS_PAGE)
    page = admin.get(SESSIONS_PAGE)
    assert page.status_code == 200
    assert "cb-page-target" in page.text
    assert target_id.session_id not in page.text and id_sha256(target_id.session_id) not in page.text
    ended = admin.post(SESSIONS_PAGE + "/revocations", {"subject": "cb-page-target", "reason": "left the bank"})
    assert (ended.status_code, ended.headers.get("location")) == (303, SESSIONS_PAGE)
    assert target.get(PAGE).headers.get("location") == SIGN_IN
    assert "cb-page-target" not in admin.get(SESSIONS_PAGE).text
    assert admin.get(SESSIONS_PAGE).status_code == 200  # the admin's own session goes on


def test_only_the_central_bank_ends_sessions_and_only_with_the_forms_token(servers: Servers) -> None:
    target = Browser.signed_in(servers.first, central_bank(servers.first, "cb-kept"), PAGE)
    form = {"subject": "cb-kept", "reason": "not yours to end"}
    auditor = Browser.signed_in(servers.first, servers.first.issuer.issue(Role.AUDITOR, "audit-s", ttl_s=600),
                                SESSIONS_PAGE)
    read = auditor.get(SESSIONS_PAGE)
    assert read.status_code == 200 and "cb-kept" in read.text
    assert "/revocations" not in read.text  # no form for a role that may not
    assert auditor.post(SESSIONS_PAGE + "/revocations", form).status_code == 403
    bank = Browser.signed_in(servers.first, servers.first.issuer.issue(Role.BANK_OPERATOR, "bank-s", "AYIL",
                                                                       ttl_s=600))
    assert bank.get(SESSIONS_PAGE).status_code == 403
    assert bank.post(SESSIONS_PAGE + "/revocations", form).status_code == 403
    admin = Browser.signed_in(servers.first, central_bank(servers.first, "cb-admin-2"), SESSIONS_PAGE)
    assert admin.post(SESSIONS_PAGE + "/revocations", form, csrf=False).status_code == 403
    assert admin.post(SESSIONS_PAGE + "/revocations", form,
                      headers={"Origin": "https://evil.example"}).status_code == 403
    assert admin.post(SESSIONS_PAGE + "/revocations", {"subject": "cb-kept", "reason": "x\u202ey"}).status_code == 400
    assert target.get(PAGE).status_code == 200  # none of the above ended it


def test_the_api_lists_and_ends_console_sessions_for_the_central_bank_only(servers: Servers) -> None:
    target = Browser.signed_in(servers.first, central_bank(servers.first, "cb-api-target"), PAGE)
    api = target.client  # a plain API client: bearer tokens, no cookie needed

    def call(token: str, method: str, body: dict[str, str] | None = None, key: str = "k-1") -> httpx.Response:
        return api.request(method, "/v1/console/sessions" + ("/revocations" if body is not None else ""), json=body,
                           headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})

    auditor = servers.first.issuer.issue(Role.AUDITOR, "audit-api", ttl_s=600)
    listed = call(auditor, "GET").json()["sessions"]
    assert "cb-api-target" in {s["subject"] for s in listed}
    assert all(set(s) == {"subject", "role", "bank_code", "created_at", "expires_at"} for s in listed)
    paged, cursor = [], ""
    while True:  # the list comes in pages; following them gives the whole list
        page = api.get("/v1/console/sessions", params={"limit": 1, **({"cursor": cursor} if cursor else {})},
                       headers={"Authorization": f"Bearer {auditor}"}).json()
        assert len(page["sessions"]) <= 1
        paged += page["sessions"]
        if (cursor := page["next_cursor"]) is None:
            break
    assert paged == listed and len(listed) >= 2
    body = {"subject": "cb-api-target", "reason": "token leaked"}
    assert call(auditor, "POST", body).status_code == 403
    assert target.get(PAGE).status_code == 200
    admin = central_bank(servers.first, "cb-api-admin")
    assert call(admin, "POST", body).json() == {"revoked": 1, "tokens_revoked": False}
    assert target.get(PAGE).headers.get("location") == SIGN_IN
    assert call(admin, "POST", body, key="k-2").json() == {"revoked": 0, "tokens_revoked": False}  # no error
