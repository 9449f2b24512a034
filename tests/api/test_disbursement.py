"""Government payments through the API: programmes, uploads (refused with a row-level
report, or recorded), dual-control approval, background execution polled to completion,
the reconciliation report, and the public spending aggregates — on SQLite, and the whole
run on PostgreSQL too.

The treasury pays from its wallet at Bakai Bank; pensioners are paid to their wallets or,
without one, to their bank (Ayil Bank's float). The alias directory is a fake until the
digital som's `resolve_aliases` is wired (`tests/api/disbursement_fakes.py`).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from httpx import Response

from digisom.api.app import BODY_BYTES_MAX, BodyLimit
from digisom.api.runtime import Runtime, build
from digisom.cbdc.accounts import AccountCode, bank_account_id, wallet_account_id
from digisom.disbursement.http.routes import UPLOAD_BODY_BYTES_MAX
from digisom.disbursement.spending import MIN_PAYEES_PER_CELL
from digisom.kernel.access import Role
from tests.api.disbursement_fakes import FakeResolver, FakeTarget
from tests.api.world import AYIL, SOM, World
from tests.disbursement.test_pain001 import document, transaction

PERIOD = "2026-11"
BUDGET_SOM = 100_000
POLL_TIMEOUT_S = 60.0
NOWHERE_ACCOUNT = 987_654_321  # no such ledger account: the ledger rejects the payment


@dataclass(frozen=True)
class Payee:
    """A recipient in the test file."""

    pin: str
    som: int
    region: str
    channel: str  # wallet, bank_account, none, nowhere


def payees() -> list[Payee]:
    """7 paid in Naryn (3 wallets, 4 bank accounts), 2 paid in Talas (a small cell), one
    unclaimed and one rejected in Osh."""
    found = [Payee(f"2120319500{n:04d}", 1_000 + n, "Naryn", "wallet") for n in range(3)]
    found += [Payee(f"2120319501{n:04d}", 2_000 + n, "Naryn", "bank_account") for n in range(4)]
    found += [Payee(f"2120319502{n:04d}", 3_000 + n, "Talas", "bank_account") for n in range(2)]
    found += [Payee("21203195030000", 4_000, "Osh", "none"), Payee("21203195040000", 5_000, "Osh", "nowhere")]
    return found


def pension_file(rows: list[Payee]) -> bytes:
    lines = ["pin,amount_tyiyn,name,region"]
    lines += [f"{p.pin},{p.som * SOM},Pensioner {p.pin[-4:]},{p.region}" for p in rows]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def resolver() -> FakeResolver:
    return FakeResolver()


@pytest.fixture
def runtime(tmp_path: Path, resolver: FakeResolver) -> Iterator[Runtime]:
    built = build(data_dir=tmp_path / "data", alias_resolver=resolver)
    yield built
    built.close()


def treasury_world(world: World, resolver: FakeResolver) -> World:
    """Pensioners' wallets, the directory, a second treasury operator, the pensions programme."""
    world.tokens["treasury_supervisor"] = world.runtime.issuer.issue(Role.TREASURY_OPERATOR, "treasury-supervisor")
    ayil_float = bank_account_id(AYIL, AccountCode.BANK_FLOAT)
    for n, payee in enumerate(payees()):
        if payee.channel == "wallet":
            wallet = world.open_wallet("commercial_bank", f"pensioner-{n}", "individual", 1)
            resolver.targets[payee.pin] = FakeTarget("wallet", wallet_account_id(wallet), AYIL, wallet)
        elif payee.channel == "bank_account":
            resolver.targets[payee.pin] = FakeTarget("bank_account", ayil_float, AYIL, None, f"1280{n:012d}")
        elif payee.channel == "nowhere":
            resolver.targets[payee.pin] = FakeTarget("wallet", NOWHERE_ACCOUNT, AYIL, "w" + "z" * 24)
        else:
            resolver.targets[payee.pin] = FakeTarget("none", 0, AYIL)
    world.ok(world.post("treasury_operator", "/v1/disbursement/programmes", programme_body(world)), 201)
    return world


def programme_body(world: World, programme_id: str = "pensions") -> dict[str, str]:
    """The treasury's wallet pays the programme."""
    return {"id": programme_id, "name": "Pensions", "source_wallet_id": world.wallets["treasury"],
            "budget_tyiyn": str(BUDGET_SOM * SOM), "currency": "KGS"}


@pytest.fixture
def treasury(world: World, resolver: FakeResolver) -> World:
    return treasury_world(world, resolver)


def upload(world: World, data: bytes, who: str = "treasury_operator", key: str | None = None,
           media_type: str = "text/csv", programme: str = "pensions", period: str = PERIOD) -> Response:
    headers = {**world.headers(who, key or uuid.uuid4().hex), "Content-Type": media_type}
    return world.client.post(f"/v1/disbursement/programmes/{programme}/runs", params={"period": period},
                             content=data, headers=headers)


def approved_run(world: World, data: bytes) -> str:
    run_id = str(world.ok(upload(world, data), 201)["id"])
    world.ok(world.post("treasury_supervisor", f"/v1/disbursement/runs/{run_id}/approval"))
    return run_id


def execute_to_completion(world: World, run_id: str) -> dict[str, Any]:
    """Start execution, then poll the run until the worker finished it."""
    started = world.post("treasury_operator", f"/v1/disbursement/runs/{run_id}/execution")
    assert started.status_code == 202, started.text
    assert started.headers["location"] == f"/v1/disbursement/runs/{run_id}"
    deadline = time.monotonic() + POLL_TIMEOUT_S
    while True:
        run = world.ok(world.get("treasury_operator", f"/v1/disbursement/runs/{run_id}"))
        if run["status"] == "completed" and not run["worker_running"]:
            return run
        assert run["worker_error"] is None, run
        assert time.monotonic() < deadline, run
        time.sleep(0.05)


def remaining_tyiyn(world: World) -> int:
    return int(world.ok(world.get("auditor", "/v1/disbursement/programmes/pensions"))["remaining_tyiyn"])


def test_a_programme_is_the_treasurys_to_create_and_auditors_read_it(treasury: World) -> None:
    body = programme_body(treasury, "child-benefit")
    for who in ("commercial_bank", "auditor", "pensioner"):
        assert treasury.post(who, "/v1/disbursement/programmes", body).status_code == 403
    assert treasury.post(None, "/v1/disbursement/programmes", body).status_code == 401
    created = treasury.post("treasury_operator", "/v1/disbursement/programmes", body, key="child-1")
    assert treasury.ok(created, 201)["remaining_tyiyn"] == str(BUDGET_SOM * SOM)
    replayed = treasury.post("treasury_operator", "/v1/disbursement/programmes", body, key="child-1")
    assert replayed.status_code == 201 and replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == created.json()
    again = treasury.post("treasury_operator", "/v1/disbursement/programmes", body, key="child-2")
    assert again.status_code == 409 and again.json()["type"].endswith("/conflict")
    assert treasury.get("auditor", "/v1/disbursement/programmes/child-benefit").json()["name"] == "Pensions"
    assert treasury.get("commercial_bank", "/v1/disbursement/programmes/child-benefit").status_code == 403
    assert treasury.get("auditor", "/v1/disbursement/programmes/nothing").status_code == 404


def test_a_bad_file_is_refused_whole_with_its_row_level_report(treasury: World) -> None:
    rows = payees()
    lines = pension_file(rows).decode().splitlines()
    fields = lines[2].split(",")
    lines[2] = ",".join([fields[0], "2x0", *fields[2:]])  # line 3: a non-numeric amount
    lines.append("99999999999999,100,Stranger,Chui")  # line 13: not in the directory
    refused = upload(treasury, ("\n".join(lines) + "\n").encode())
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert refused.headers["content-type"] == "application/problem+json"
    assert problem["type"].endswith("/file-refused")
    assert [(e["line"], e["reason"]) for e in problem["errors"]] == [(3, "non_numeric_amount"), (13, "unknown_pin")]
    assert problem["errors_left_off"] == 0
    # Nothing was recorded: the right file, with a new key, goes through whole.
    assert remaining_tyiyn(treasury) == BUDGET_SOM * SOM
    run = treasury.ok(upload(treasury, pension_file(rows)), 201)
    assert (run["status"], run["rows"]) == ("uploaded", len(rows))


def test_uploads_take_csv_or_pain001_of_any_real_size_and_nothing_else(treasury: World) -> None:
    assert upload(treasury, b"{}", media_type="application/json").status_code == 415
    # Far over the app's global body limit: this route has its own.
    big = pension_file(payees()[:1]) + b"".join(b"# padding\n" for _ in range(BODY_BYTES_MAX // 10 + 1))
    assert len(big) > BODY_BYTES_MAX
    assert upload(treasury, big).status_code == 422  # read and checked (the padding rows are malformed)
    pain = document(transaction(payees()[0].pin, "850.50"))
    run = treasury.ok(upload(treasury, pain, media_type="application/xml"), 201)
    assert (run["rows"], run["total_tyiyn"]) == (1, "85050")


@pytest.mark.parametrize(("path", "limit"), [("/v1/disbursement/programmes/pensions/runs", UPLOAD_BODY_BYTES_MAX),
                                             ("/v1/taxes", BODY_BYTES_MAX)])
def test_the_upload_route_has_its_own_body_limit(path: str, limit: int) -> None:
    sent: list[dict[str, Any]] = []
    statuses: list[int] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        sent.append(scope)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    for length, passed in ((limit, True), (limit + 1, False)):
        scope = {"type": "http", "method": "POST", "path": path, "headers": [(b"content-length", str(length).encode())]}
        asyncio.run(BodyLimit(app)(scope, receive, send))
        assert bool(sent) is passed and (passed or statuses[-1] == 413)
        sent.clear()


def test_dual_control_execution_and_the_report(treasury: World) -> None:
    run_through(treasury)


def run_through(world: World) -> None:
    """Upload, approve (not by the uploader), execute in the background, report; on any store."""
    rows = payees()
    run = world.ok(upload(world, pension_file(rows), key="pensions-2026-11"), 201)
    run_id = run["id"]
    replay = upload(world, pension_file(rows), key="pensions-2026-11")
    assert replay.headers["idempotent-replayed"] == "true" and replay.json() == run
    reused = upload(world, pension_file(rows[:3]), key="pensions-2026-11")
    assert reused.status_code == 422 and reused.json()["type"].endswith("/idempotency-key-reused")

    early = world.post("treasury_operator", f"/v1/disbursement/runs/{run_id}/execution")
    assert early.status_code == 409 and early.json()["type"].endswith("/wrong-state")
    own = world.post("treasury_operator", f"/v1/disbursement/runs/{run_id}/approval")
    assert own.status_code == 403 and own.json()["type"].endswith("/dual-control")
    assert world.post("auditor", f"/v1/disbursement/runs/{run_id}/approval").status_code == 403
    approved = world.ok(world.post("treasury_supervisor", f"/v1/disbursement/runs/{run_id}/approval", key="ap-1"))
    assert (approved["status"], approved["approved_by"]) == ("approved", "treasury-supervisor")
    assert world.post("treasury_supervisor", f"/v1/disbursement/runs/{run_id}/approval",
                      key="ap-1").headers["idempotent-replayed"] == "true"

    treasury_before = world.balance("treasury")
    circulation = world.assert_balanced()
    done = execute_to_completion(world, run_id)
    paid = [p for p in rows if p.channel in ("wallet", "bank_account")]
    paid_tyiyn = sum(p.som for p in paid) * SOM
    assert done["batches_done"] >= 1
    expected = {
        "paid": {"count": len(paid), "amount_tyiyn": str(paid_tyiyn)},
        "unclaimed": {"count": 1, "amount_tyiyn": str(4_000 * SOM)},
        "rejected": {"count": 1, "amount_tyiyn": str(5_000 * SOM)},
    }
    assert {status: done["payments"][status] for status in expected} == expected
    assert all(v == {"count": 0, "amount_tyiyn": "0"} for k, v in done["payments"].items() if k not in expected)
    assert world.balance("treasury") == treasury_before - paid_tyiyn
    for n, payee in enumerate(rows):
        if payee.channel == "wallet":
            assert world.balance(f"pensioner-{n}") == payee.som * SOM
    assert world.assert_balanced() == circulation  # wallet to wallet or bank float: nothing created
    assert remaining_tyiyn(world) == BUDGET_SOM * SOM - paid_tyiyn

    # Again: nothing more is paid; a completed run answers 200 with its final figures.
    again = world.post("treasury_operator", f"/v1/disbursement/runs/{run_id}/execution")
    assert again.status_code == 200 and again.json()["payments"] == done["payments"]
    assert world.balance("treasury") == treasury_before - paid_tyiyn

    as_csv = world.client.get(f"/v1/disbursement/runs/{run_id}/report",
                              headers={**world.headers("auditor"), "Accept": "text/csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [(r["pin"], r["status"]) for r in lines] == [
        (p.pin, {"wallet": "paid", "bank_account": "paid", "none": "unclaimed", "nowhere": "rejected"}[p.channel])
        for p in rows]
    assert all(len(r["transfer_id"]) == 32 for r in lines if r["status"] == "paid")
    as_json = world.ok(world.get("treasury_operator", f"/v1/disbursement/runs/{run_id}/report"))
    assert as_json["summary"]["paid"] == {"count": len(paid), "amount_tyiyn": str(paid_tyiyn)}
    # The directory names a wallet the digital som does not know: refused before the ledger.
    assert as_json["lines"][-1]["reason"] == "recipient_unknown"
    assert world.get("commercial_bank", f"/v1/disbursement/runs/{run_id}/report").status_code == 403


def test_public_spending_shows_no_person_and_suppresses_small_cells(treasury: World) -> None:
    rows = payees()
    run_id = approved_run(treasury, pension_file(rows))
    before = treasury.ok(treasury.get(None, "/v1/public/spending"))
    assert before["items"] == []  # an approved run not yet completed is not published
    execute_to_completion(treasury, run_id)
    # December: a second, still unexecuted run is not counted either.
    treasury.ok(upload(treasury, pension_file(rows), period="2026-12"), 201)

    response = treasury.get(None, "/v1/public/spending")
    page = treasury.ok(response)
    assert page["min_payees_per_cell"] == MIN_PAYEES_PER_CELL == 5
    naryn = [p for p in rows if p.region == "Naryn"]
    assert page["items"] == [
        {"programme_id": "pensions", "period": PERIOD, "region": "Naryn", "suppressed": False,
         "payees": len(naryn), "paid_tyiyn": str(sum(p.som for p in naryn) * SOM)},
        {"programme_id": "pensions", "period": PERIOD, "region": "Talas", "suppressed": True,
         "payees": None, "paid_tyiyn": None},
    ]  # Osh paid nobody (unclaimed, rejected): no cell
    for payee in rows:
        assert payee.pin not in response.text and f"Pensioner {payee.pin[-4:]}" not in response.text
        assert str(payee.som * SOM) not in response.text
    filtered = treasury.ok(treasury.get(None, "/v1/public/spending", programme="pensions", period="2026-10"))
    assert filtered["items"] == []
    first = treasury.ok(treasury.get(None, "/v1/public/spending", limit=1))
    assert [c["region"] for c in first["items"]] == ["Naryn"]
    second = treasury.ok(treasury.get(None, "/v1/public/spending", limit=1, cursor=first["next_cursor"]))
    assert [c["region"] for c in second["items"]] == ["Talas"]


@pytest.mark.postgres
def test_execution_to_completion_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    resolver = FakeResolver()
    built = build(data_dir=tmp_path / "data", db_url=postgres_url, alias_resolver=resolver)
    try:
        run_through(treasury_world(World.create(built).setup(), resolver))
    finally:
        built.close()


def test_a_report_document_is_json_with_amounts_as_strings(treasury: World) -> None:
    run_id = approved_run(treasury, pension_file(payees()[:2]))
    pending = treasury.client.get(f"/v1/disbursement/runs/{run_id}/report", headers=treasury.headers("auditor"))
    document = json.loads(pending.text)
    assert (document["status"], document["currency"]) == ("approved", "KGS")
    assert [line["status"] for line in document["lines"]] == ["pending", "pending"]
    assert all(isinstance(line["amount_tyiyn"], str) for line in document["lines"])
