"""Four `digisom serve` processes on one PostgreSQL database, many clients paying between
wallets near their holding limits and balances, while banks send RTGS payments to each
other and devices funded from those wallets pay offline and sync: every invariant holds
across processes (no negative balance, no limit exceeded, no payment settled twice, no
interbank payment settled twice and the reserves agree with the settled ones, offline
funding and sync credited exactly once, circulation equals issuance, the ledger
verifies). The checks are `check` in bench/api_load.py, bench/rtgs_load.py and
bench/offline_load.py.

The default run is short (CI has two cores); the full one of the issue (200 clients for
30 s) is marked slow: `.venv/bin/pytest -m slow tests/api/test_many_processes.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
import psycopg
import pytest
from typer.testing import CliRunner

from bench import api_load, rtgs_load
from digisom.api.workers import WorkersUnsupported, worker_count
from digisom.cli.main import app
from digisom.stores.projection import projection_discrepancies
from tests.console.browser import CSRF_INPUT

pytestmark = pytest.mark.postgres


def _run(postgres_databases: Callable[[], str], tmp_path: Path, wallets: int, clients: int, duration_s: float,
         rtgs_clients: int, offline_pairs: int, serve_options: Sequence[str] = ()) -> api_load.LoadResult:
    url = postgres_databases()
    with api_load.running_server(4, url, tmp_path, rtgs_load.RTGS_CLOCK_ISO, serve_options) as api:
        world = api_load.build_world(api, tmp_path, wallet_count=wallets, rtgs=True, offline_pairs=offline_pairs)
        result = api_load.run_load(world, clients, duration_s, rtgs_clients=rtgs_clients)
        broken = api_load.check(world, url)
        _console_serves_a_session(api, world.operators["central"])
    errors = [status for status in (result.statuses + result.other_statuses) if status >= 500]
    assert not errors, (result.statuses, result.other_statuses, api_load.server_errors(tmp_path))
    assert result.accepted > 0, result.statuses
    assert result.rtgs_answers["ACSC"] > 0, result.rtgs_answers
    assert result.offline_fundings > 0 and result.offline_syncs > 0, result.other_statuses
    assert result.replays_mismatched == 0
    assert broken == []
    print(f"\n{result.accepted} payments, {result.rtgs_submissions} RTGS submissions {dict(result.rtgs_answers)}, "
          f"{result.offline_fundings} offline fundings, {result.offline_syncs} syncs in {result.duration_s:.1f} s")
    return result


def test_four_processes_keep_every_invariant(postgres_databases: Callable[[], str], tmp_path: Path) -> None:
    _run(postgres_databases, tmp_path, wallets=20, clients=40, duration_s=8, rtgs_clients=2, offline_pairs=2)


@pytest.mark.slow  # 30-60 s; the projection's fast tests are tests/stores/test_projection.py
def test_four_processes_projecting_transfers_behind_keep_every_invariant(
    postgres_databases: Callable[[], str], tmp_path: Path
) -> None:
    """The same with `--project-transfers-behind`: four writers, four projectors; once the
    server has stopped, the transfer table is exactly the journal's transfers."""
    url = postgres_databases()
    databases = iter([url])
    _run(lambda: next(databases), tmp_path, wallets=8, clients=10, duration_s=3, rtgs_clients=1, offline_pairs=1,
         serve_options=["--project-transfers-behind"])
    with psycopg.connect(url) as conn:
        assert projection_discrepancies(conn) == []
        projected, head = conn.execute("SELECT p.seq, h.seq FROM projection_head p, journal_head h").fetchone() or ()
    assert projected == head > 0


def test_projecting_behind_needs_postgresql(tmp_path: Path) -> None:
    refused = CliRunner().invoke(app, ["serve", "--project-transfers-behind", "--data", str(tmp_path), "--port", "0"])
    assert refused.exit_code == 2
    assert "needs --db postgresql" in refused.output


@pytest.mark.slow
def test_four_processes_keep_every_invariant_under_full_load(
    postgres_databases: Callable[[], str], tmp_path: Path
) -> None:
    _run(postgres_databases, tmp_path, wallets=50, clients=200, duration_s=30, rtgs_clients=10, offline_pairs=10)


def _console_serves_a_session(url: str, token: str, requests: int = 12) -> None:
    """Every process serves the console, and a session signed in on one is valid on the
    others (its cookie is sealed with a key derived from the platform key they share);
    once signed out, a copy of the cookie is refused by every process (the session's row
    in the shared database is revoked)."""
    with httpx.Client(base_url=url, follow_redirects=False, headers={"Origin": url}, timeout=30) as browser:
        signed_in = browser.post("/console/sign-in", data={"token": token})
        assert signed_in.status_code == 303, signed_in.text
        session = httpx.Cookies(browser.cookies)
        csrf_token = CSRF_INPUT.search(browser.get("/console").text)
        assert csrf_token is not None
        for _ in range(requests):  # a new connection each: any of the processes may accept it
            with httpx.Client(base_url=url, cookies=session, timeout=30) as another:
                page = another.get("/console/central-bank/participants")
            assert page.status_code == 200, page.text
            assert "BAKAI" in page.text  # a bank the load world registered
        assert browser.post("/console/sign-out", data={"csrf_token": csrf_token.group(1)}).status_code == 303
    for _ in range(requests):
        with httpx.Client(base_url=url, cookies=session, timeout=30) as another:
            refused = another.get("/console/central-bank/participants", follow_redirects=False)
        assert (refused.status_code, refused.headers.get("location")) == (303, "/console/sign-in")


def test_sqlite_serves_one_process(tmp_path: Path) -> None:
    assert worker_count(None, None) == 1
    assert worker_count(None, "sqlite:///digisom.db") == 1
    with pytest.raises(WorkersUnsupported):
        worker_count(3, "sqlite:///digisom.db")
    with pytest.raises(WorkersUnsupported):
        worker_count(2, None)
    refused = CliRunner().invoke(app, ["serve", "--workers", "2", "--data", str(tmp_path), "--port", "0"])
    assert refused.exit_code == 2
    assert "SQLite serves one API process" in refused.output
