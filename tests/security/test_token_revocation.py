"""Bearer tokens are revocable on the server (docs/security.md, "Bearer tokens revocable"):
a revoked token id, or a subject's cut-off, is a 401 on every process once its copy of the
revocations is reloaded (at most `REVOCATIONS_REFRESH_S` later; here a fake monotonic
clock stands for the wait); console sign-out revokes the token inside the session.
`first` and `second` share a database and the platform key: two processes of
`digisom serve --workers N`."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from digisom.api.runtime import Runtime, build, domain_engine
from digisom.api.signing_key import KEY_FILE_NAME, load_or_create_key
from digisom.cli.main import app as cli
from digisom.console.app import mount
from digisom.http import tables
from digisom.http.auth import ALGORITHM, AUDIENCE, ISSUER, TOKEN_TTL_S_MAX
from digisom.http.revocation_check import REVOCATIONS_REFRESH_S
from digisom.http.revocations import Revocations, RevocationStore
from digisom.kernel.access import Role
from tests.console.browser import Browser

READ = "/v1/participants"  # central bank, banks and auditors read it
REVOCATIONS = "/v1/tokens/revocations"
AYIL, BAKAI = "AYIL", "BAKAI"


class FakeMonotonic:
    """The processes' monotonic clock: a test moves it past the refresh interval."""

    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s

    def wait_refresh(self) -> None:
        self.now_s += REVOCATIONS_REFRESH_S


@dataclass(frozen=True)
class Servers:
    first: Runtime
    second: Runtime
    clock: FakeMonotonic
    data_dir: Path

    def clients(self) -> tuple[TestClient, TestClient]:
        return TestClient(self.first.app), TestClient(self.second.app)

    def token(self, role: Role, subject: str, bank: str | None = None) -> str:
        return self.first.issuer.issue(role, subject, bank, ttl_s=600)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    root = tmp_path_factory.mktemp("token-revocation")
    clock = FakeMonotonic()
    first = build(data_dir=root / "data", monotonic_s=clock)
    second = build(db_url=first.db_url, key_path=root / "data" / KEY_FILE_NAME, monotonic_s=clock)
    mount(first.app, first.issuer.key)
    yield Servers(first, second, clock, root / "data")
    first.close()
    second.close()


_keys = itertools.count()


def status(client: TestClient, token: str) -> int:
    return client.get(READ, headers={"Authorization": f"Bearer {token}"}).status_code


def revoke(client: TestClient, token: str, body: dict[str, str]) -> tuple[int, dict[str, object]]:
    answer = client.post(REVOCATIONS, json=body,
                         headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"rv-{next(_keys)}"})
    return answer.status_code, answer.json()


def jti_of(token: str) -> str:
    claims = jwt.decode(token, options={"verify_signature": False})
    return str(claims["jti"])


def token_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["token", *args])
    return result.exit_code, result.output


def test_a_revoked_token_is_401_on_every_process_after_the_refresh_interval(servers: Servers) -> None:
    first, second = servers.clients()
    leaked = servers.token(Role.BANK_OPERATOR, "ayil-leaky", AYIL)
    kept = servers.token(Role.BANK_OPERATOR, "ayil-leaky", AYIL)  # the same subject's other token
    assert (status(first, leaked), status(second, leaked)) == (200, 200)
    admin = servers.token(Role.CENTRAL_BANK_OPERATOR, "nbkr-security")
    code, body = revoke(first, admin, {"jti": jti_of(leaked), "reason": "posted in a public chat"})
    assert (code, body["kind"], body["jti"]) == (201, "token", jti_of(leaked))
    servers.clock.wait_refresh()
    for client in (first, second):
        refused = client.get(READ, headers={"Authorization": f"Bearer {leaked}"})
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert (refused.json()["type"].rsplit("/", 1)[1], refused.json()["detail"]) == ("unauthorized", "token revoked")
        # The gate refuses it before any body is read: a POST with a body is the same 401.
        posted = client.post("/v1/issuance/issues", json={"bank_code": AYIL, "amount": "1", "currency": "KGS"},
                             headers={"Authorization": f"Bearer {leaked}", "Idempotency-Key": "after-revoke"})
        assert posted.status_code == 401
        assert status(client, kept) == 200
    # Revoking again is no error and keeps the first reason.
    code, again = revoke(second, admin, {"jti": jti_of(leaked), "reason": "again"})
    assert (code, again["reason"]) == (201, "posted in a public chat")


def test_another_processs_revocation_holds_within_the_interval_not_at_once(servers: Servers) -> None:
    first, second = servers.clients()
    token = servers.token(Role.AUDITOR, "audit-copied")
    assert status(second, token) == 200  # the second process has its copy now
    code, output = token_cli("revoke", "--jti", jti_of(token), "--reason", "copied", "--data", str(servers.data_dir))
    assert code == 0 and json.loads(output)["kind"] == "token"
    # A third process wrote it: each process sees it at its next reload, at most the interval later.
    servers.clock.now_s += REVOCATIONS_REFRESH_S / 2
    assert status(second, token) == 200
    servers.clock.now_s += REVOCATIONS_REFRESH_S / 2
    assert (status(first, token), status(second, token)) == (401, 401)


def _signed(servers: Servers, subject: str, bank: str | None, iat: int, role: str = "bank_operator") -> str:
    """A token as the issuer signs it, issued at `iat`."""
    claims: dict[str, object] = {"iss": ISSUER, "aud": AUDIENCE, "sub": subject, "role": role, "iat": iat,
                                 "nbf": iat, "exp": int(time.time()) + 600, "jti": uuid.uuid4().hex}
    if bank is not None:
        claims["bank"] = bank
    return jwt.encode(claims, servers.first.issuer.key, algorithm=ALGORITHM)


def test_a_subject_cut_off_revokes_its_older_tokens_and_not_later_ones(servers: Servers) -> None:
    first, second = servers.clients()
    now = int(time.time())
    engine = domain_engine(servers.first.db_url)
    try:  # the cut-off taken a minute ago
        RevocationStore(engine, now_s=lambda: now - 60).cut_off("ayil-cashier", AYIL, "laptop stolen", "test")
    finally:
        engine.dispose()
    older = _signed(servers, "ayil-cashier", AYIL, now - 120)
    later = _signed(servers, "ayil-cashier", AYIL, now - 30)
    fresh = servers.token(Role.BANK_OPERATOR, "ayil-cashier", AYIL)
    other_bank = _signed(servers, "ayil-cashier", BAKAI, now - 120)  # the cut-off names AYIL only
    servers.clock.wait_refresh()
    for client in (first, second):
        assert status(client, older) == 401
        assert [status(client, t) for t in (later, fresh, other_bank)] == [200, 200, 200]
    # With no bank, every token of the subject issued up to now, at any bank.
    admin = servers.token(Role.CENTRAL_BANK_OPERATOR, "nbkr-security")
    code, body = revoke(second, admin, {"subject": "ayil-cashier", "reason": "all of them"})
    assert (code, body["kind"], body["bank_code"]) == (201, "subject", None)
    servers.clock.wait_refresh()
    assert [status(first, t) for t in (later, fresh, other_bank)] == [401, 401, 401]


def test_console_sign_out_makes_the_token_inside_useless_against_the_api(servers: Servers) -> None:
    first, second = servers.clients()
    token = servers.token(Role.CENTRAL_BANK_OPERATOR, "nbkr-console")
    browser = Browser.signed_in(servers.first, token, "/console/central-bank/participants")
    assert (status(first, token), status(second, token)) == (200, 200)
    assert browser.post("/console/sign-out").status_code == 303
    servers.clock.wait_refresh()
    assert (status(first, token), status(second, token)) == (401, 401)
    # Nor can the stolen token sign in to the console again.
    assert Browser.open(servers.first).post("/console/sign-in", {"token": token}, csrf=False).status_code == 401


def console_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["console", "sessions", *args])
    return result.exit_code, result.output


def test_ending_a_console_session_from_the_cli_with_tokens_ends_its_token_too(servers: Servers) -> None:
    first, second = servers.clients()
    page = "/console/central-bank/participants"
    stolen = servers.token(Role.CENTRAL_BANK_OPERATOR, "nbkr-stolen-laptop")
    bystander = servers.token(Role.CENTRAL_BANK_OPERATOR, "nbkr-desk")
    browser = Browser.signed_in(servers.first, stolen, page)
    Browser.signed_in(servers.first, bystander, page)
    data = ["--data", str(servers.data_dir)]
    # Without --tokens the session ends and the token inside it still works (the old way).
    code, output = console_cli("revoke", "--subject", "nbkr-stolen-laptop", "--reason", "laptop stolen", *data)
    assert (code, json.loads(output)) == (0, {"revoked": 1})
    servers.clock.wait_refresh()
    assert browser.get(page).headers["location"] == "/console/sign-in"
    assert (status(first, stolen), status(second, stolen)) == (200, 200)
    # With --tokens the subject's tokens are cut off too, on every process, live session or not.
    code, output = console_cli("revoke", "--subject", "nbkr-stolen-laptop", "--reason", "laptop stolen",
                               "--tokens", *data)
    assert (code, json.loads(output)) == (0, {"revoked": 0, "tokens_cut_off": ["nbkr-stolen-laptop"]})
    servers.clock.wait_refresh()
    assert (status(first, stolen), status(second, stolen)) == (401, 401)
    assert (status(first, bystander), status(second, bystander)) == (200, 200)
    assert Browser.open(servers.first).post("/console/sign-in", {"token": stolen}, csrf=False).status_code == 401
    # Bad input is refused before anything is written.
    assert console_cli("revoke", "--subject", "nbkr-desk", "--reason", " ", "--tokens", *data)[0] == 2
    servers.clock.wait_refresh()
    assert status(first, bystander) == 200


def test_ending_a_subjects_sessions_over_the_api_or_the_console_page_with_tokens_ends_its_tokens(
        servers: Servers) -> None:
    """The API route and the console's sessions page could end sessions only: the token
    inside stayed valid until it expired, and the central bank needed a second call."""
    first, second = servers.clients()
    page = "/console/central-bank/participants"
    admin = servers.token(Role.CENTRAL_BANK_OPERATOR, "nbkr-security-desk")
    by_api = servers.token(Role.CENTRAL_BANK_OPERATOR, "nbkr-api-leak")
    by_page = servers.token(Role.CENTRAL_BANK_OPERATOR, "nbkr-page-leak")
    bystander = servers.token(Role.CENTRAL_BANK_OPERATOR, "nbkr-bystander")
    for token in (by_api, by_page, bystander):
        Browser.signed_in(servers.first, token, page)

    def end(body: dict[str, object], key: str) -> dict[str, object]:
        answer = first.post("/v1/console/sessions/revocations", json=body,
                            headers={"Authorization": f"Bearer {admin}", "Idempotency-Key": key})
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    assert end({"subject": "nbkr-api-leak", "reason": "token leaked"}, "api-1") == {"revoked": 1,
                                                                                     "tokens_revoked": False}
    servers.clock.wait_refresh()
    assert status(first, by_api) == 200  # sessions only, as before
    assert end({"subject": "nbkr-api-leak", "reason": "token leaked", "tokens": True}, "api-2") == {
        "revoked": 0, "tokens_revoked": True}
    bad = first.post("/v1/console/sessions/revocations", json={"subject": "x", "reason": "r", "tokens": "yes"},
                     headers={"Authorization": f"Bearer {admin}", "Idempotency-Key": "api-3"})
    assert bad.status_code == 422  # a strict boolean
    desk = Browser.signed_in(servers.first, admin, "/console/central-bank/sessions")
    ended = desk.post("/console/central-bank/sessions/revocations",
                      {"subject": "nbkr-page-leak", "reason": "laptop lost", "tokens": "yes"})
    assert ended.status_code == 303
    servers.clock.wait_refresh()
    assert (status(first, by_api), status(second, by_api)) == (401, 401)
    assert (status(first, by_page), status(second, by_page)) == (401, 401)
    assert (status(first, bystander), status(first, admin)) == (200, 200)


def test_ending_every_console_session_with_tokens_cuts_off_each_subject_at_its_bank(servers: Servers) -> None:
    first, _ = servers.clients()
    page = "/console/central-bank/participants"
    central = servers.token(Role.CENTRAL_BANK_OPERATOR, "nbkr-night-shift")
    Browser.signed_in(servers.first, central, page)
    code, output = console_cli("revoke", "--all", "--reason", "key compromise drill", "--tokens",
                               "--data", str(servers.data_dir))
    assert code == 0
    assert "nbkr-night-shift" in json.loads(output)["tokens_cut_off"]
    servers.clock.wait_refresh()
    assert status(first, central) == 401
    with domain_engine(servers.first.db_url).connect() as conn:
        banks = conn.execute(select(tables.token_cutoffs.c.bank_code)
                             .where(tables.token_cutoffs.c.subject == "nbkr-night-shift")).scalars().all()
    assert banks == [tables.ANY_BANK]  # a central-bank session has no bank: any bank


@pytest.mark.parametrize(("who", "body", "expected"), [
    ("auditor", {"subject": "ayil-x", "reason": "r"}, 403),
    ("holder", {"subject": "ayil-x", "reason": "r"}, 403),
    (None, {"subject": "ayil-x", "reason": "r"}, 401),
    ("bank", {"jti": "0" * 32, "reason": "a bank cannot scope a token id"}, 403),
    ("bank", {"subject": "bakai-x", "bank_code": BAKAI, "reason": "another bank's"}, 403),
    ("admin", {"reason": "neither"}, 422),
    ("admin", {"jti": "0" * 32, "subject": "x", "reason": "both"}, 422),
    ("admin", {"jti": "NOT-HEX", "reason": "bad id"}, 422),
    ("admin", {"jti": "0" * 32, "bank_code": AYIL, "reason": "a bank without a subject"}, 422),
    ("admin", {"subject": "x", "reason": "  "}, 422),
    ("admin", {"subject": "x", "reason": "bad\u202ereason"}, 422),
    ("admin", {"subject": "s" * 65, "reason": "too long"}, 422),
    ("admin", {"subject": "x", "reason": "r", "role": "bank_operator"}, 422),
])
def test_who_may_revoke_and_bad_input_are_refused_and_revoke_nothing(
    servers: Servers, who: str | None, body: dict[str, str], expected: int
) -> None:
    first, _ = servers.clients()
    tokens = {"auditor": servers.token(Role.AUDITOR, "audit-r"), "bank": servers.token(Role.BANK_OPERATOR, "ayil-r",
                                                                                         AYIL),
              "holder": servers.token(Role.WALLET_HOLDER, "holder-r", AYIL),
              "admin": servers.token(Role.CENTRAL_BANK_OPERATOR, "nbkr-r")}
    before = _rows(servers)
    headers = {"Idempotency-Key": f"bad-{next(_keys)}"} | (
        {"Authorization": f"Bearer {tokens[who]}"} if who else {})
    answer = first.post(REVOCATIONS, json=body, headers=headers)
    assert answer.status_code == expected, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert _rows(servers) == before


def _rows(servers: Servers) -> int:
    engine = domain_engine(servers.first.db_url)
    try:
        with engine.begin() as conn:
            return sum(int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                       for t in (tables.revoked_tokens, tables.token_cutoffs))
    finally:
        engine.dispose()


def test_a_bank_cuts_off_its_own_banks_tokens_of_a_subject_only(servers: Servers) -> None:
    first, _ = servers.clients()
    bank = servers.token(Role.BANK_OPERATOR, "ayil-admin", AYIL)
    teller = servers.token(Role.BANK_OPERATOR, "shared-name", AYIL)
    elsewhere = servers.token(Role.BANK_OPERATOR, "shared-name", BAKAI)
    central = servers.token(Role.CENTRAL_BANK_OPERATOR, "shared-name")
    code, body = revoke(first, bank, {"subject": "shared-name", "reason": "teller left"})
    assert (code, body["bank_code"], body["revoked_by"]) == (201, AYIL, "bank_operator:AYIL:ayil-admin")
    servers.clock.wait_refresh()
    assert [status(first, t) for t in (teller, elsewhere, central)] == [401, 200, 200]
    auditor = servers.token(Role.AUDITOR, "audit-list")
    listed = first.get(REVOCATIONS, headers={"Authorization": f"Bearer {auditor}"})
    assert listed.status_code == 200
    assert {"kind": "subject", "subject": "shared-name", "bank_code": AYIL} in [
        {"kind": s["kind"], "subject": s["subject"], "bank_code": s["bank_code"]} for s in listed.json()["items"]]
    assert first.get(REVOCATIONS, headers={"Authorization": f"Bearer {bank}"}).status_code == 403


def test_the_revocations_come_in_pages_tokens_and_subjects_together_newest_first(servers: Servers) -> None:
    """The list answered every revocation in force at once: thousands in a busy month."""
    first, _ = servers.clients()
    admin = servers.token(Role.CENTRAL_BANK_OPERATOR, "nbkr-pages")
    for n in range(3):
        assert revoke(first, admin, {"jti": uuid.uuid4().hex, "reason": f"page {n}"})[0] == 201
        assert revoke(first, admin, {"subject": f"paged-{n}", "reason": f"page {n}"})[0] == 201
    auditor = {"Authorization": f"Bearer {servers.token(Role.AUDITOR, 'audit-pages')}"}
    seen, params = [], {"limit": 2}
    while True:
        page = first.get(REVOCATIONS, params=params, headers=auditor).json()
        assert len(page["items"]) <= 2
        seen += page["items"]
        if page["next_cursor"] is None:
            break
        params = {"limit": 2, "cursor": page["next_cursor"]}
    tokens, cutoffs = RevocationStore(domain_engine(servers.first.db_url)).listed()
    assert sorted(x["jti"] for x in seen if x["kind"] == "token") == sorted(t.jti for t in tokens)
    assert sorted((x["subject"], x["bank_code"] or "") for x in seen if x["kind"] == "subject") == sorted(
        (c.subject, c.bank_code or "") for c in cutoffs)
    assert [x["revoked_at"] for x in seen] == sorted((x["revoked_at"] for x in seen), reverse=True)
    assert len(seen) >= 6
    for bad in ({"limit": 0}, {"limit": 201}, {"cursor": "not-a-cursor"}):
        assert first.get(REVOCATIONS, params=bad, headers=auditor).status_code == 422


@pytest.mark.parametrize("args", [
    ["--reason", "neither"],
    ["--jti", "0" * 32, "--subject", "x", "--reason", "both"],
    ["--jti", "0" * 31, "--reason", "short id"],
    ["--jti", "0" * 32, "--bank", AYIL, "--reason", "bank without subject"],
    ["--subject", "x", "--reason", "   "],
    ["--subject", "x", "--reason", "x" * 201],
    ["--subject", "x", "--reason", "bad\u202ereason"],
    ["--subject", "s" * 65, "--reason", "too long"],
    ["--subject", " padded", "--reason", "spaces"],
    ["--subject", "x", "--bank", "B" * 17, "--reason", "bank too long"],
])
def test_a_bad_cli_revocation_is_a_typed_error_and_revokes_nothing(servers: Servers, args: list[str]) -> None:
    before = _rows(servers)
    code, output = token_cli("revoke", *args, "--data", str(servers.data_dir))
    assert code == 2
    assert output.startswith("error: ")
    assert _rows(servers) == before


def test_the_cli_lists_and_prunes_revocations(servers: Servers) -> None:
    data = ["--data", str(servers.data_dir)]
    engine = domain_engine(servers.first.db_url)
    try:  # revoked long ago: no token they revoke can still be valid
        long_ago = RevocationStore(engine, now_s=lambda: time.time() - TOKEN_TTL_S_MAX - 10)
        long_ago.revoke_token("a" * 32, "old leak", "test")
        long_ago.cut_off("gone-subject", None, "old leak", "test")
    finally:
        engine.dispose()
    assert token_cli("revoke", "--subject", "listed-subject", "--bank", AYIL, "--reason", "listed", *data)[0] == 0
    code, listed = token_cli("revocations", "list", *data)
    lines = [json.loads(line) for line in listed.splitlines()]
    assert code == 0
    assert {"kind": "subject", "subject": "listed-subject", "bank_code": AYIL} in [
        {k: line.get(k) for k in ("kind", "subject", "bank_code")} for line in lines]
    assert not any(line.get("jti") == "a" * 32 or line["subject"] == "gone-subject" for line in lines)
    before = _rows(servers)
    assert token_cli("revocations", "prune", *data) == (0, '{"pruned": 2}\n')
    assert _rows(servers) == before - 2
    assert token_cli("revocations", "prune", *data) == (0, '{"pruned": 0}\n')



def test_the_gate_reloads_the_revocations_in_a_worker_thread_not_on_the_event_loop(
    servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    revocation_list = servers.first.app.state.verifier.revocations
    real, on_event_loop = revocation_list._store, []

    class Watched:
        def current(self) -> Revocations:
            try:
                asyncio.get_running_loop()
                on_event_loop.append(True)
            except RuntimeError:
                on_event_loop.append(False)
            return real.current()

    monkeypatch.setattr(revocation_list, "_store", Watched())
    servers.clock.wait_refresh()
    first, _ = servers.clients()
    assert status(first, servers.token(Role.AUDITOR, "audit-loop")) == 200
    assert on_event_loop == [False]  # reloaded once, by the gate, in a worker thread



def test_a_token_is_never_accepted_unchecked_when_the_revocations_cannot_be_read(
    servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Unreadable:
        def current(self) -> Revocations:
            raise OperationalError("SELECT", {}, Exception("connection lost"))

    monkeypatch.setattr(servers.first.app.state.verifier.revocations, "_store", Unreadable())
    servers.clock.wait_refresh()
    first, _ = servers.clients()
    refused = first.get(READ, headers={"Authorization": f"Bearer {servers.token(Role.AUDITOR, 'audit-503')}"})
    assert (refused.status_code, refused.headers["content-type"]) == (503, "application/problem+json")
    assert first.get("/v1/policy").status_code == 200  # a request with no token reads nothing of it


@pytest.mark.postgres
def test_on_postgresql_one_processs_revocation_holds_in_the_other(postgres_url: str, tmp_path: Path) -> None:
    load_or_create_key(tmp_path)
    clock = FakeMonotonic()
    first, second = (build(db_url=postgres_url, key_path=tmp_path / KEY_FILE_NAME, monotonic_s=clock)
                     for _ in range(2))
    try:
        servers = Servers(first, second, clock, tmp_path)
        one, other = servers.clients()
        leaked, cut = (servers.token(Role.BANK_OPERATOR, subject, AYIL) for subject in ("pg-leaked", "pg-cut"))
        assert (status(other, leaked), status(other, cut)) == (200, 200)
        admin = servers.token(Role.CENTRAL_BANK_OPERATOR, "nbkr-pg")
        assert revoke(one, admin, {"jti": jti_of(leaked), "reason": "leaked"})[0] == 201
        assert revoke(one, admin, {"jti": jti_of(leaked), "reason": "twice"})[1]["reason"] == "leaked"
        assert revoke(one, admin, {"subject": "pg-cut", "bank_code": AYIL, "reason": "cut"})[0] == 201
        clock.wait_refresh()
        assert (status(other, leaked), status(other, cut)) == (401, 401)
        listed = other.get(REVOCATIONS, params={"limit": 1},
                           headers={"Authorization": f"Bearer {admin}"}).json()  # the union, paged, on PostgreSQL
        second_page = other.get(REVOCATIONS, params={"limit": 1, "cursor": listed["next_cursor"]},
                                headers={"Authorization": f"Bearer {admin}"}).json()
        assert sorted(x["kind"] for x in listed["items"] + second_page["items"]) == ["subject", "token"]
    finally:
        first.close()
        second.close()
