"""/healthz, /readyz, /metrics and the request id (issue 20's observability): the probes
answer without a token, readiness fails naming the writer or the database, the metrics
need a scraper's token and count what happened by route template, and every response
and log line carries the request id."""

from __future__ import annotations

import json
import logging
import re

import pytest
from sqlalchemy import create_engine

from digisom.api.metrics import PlatformMetrics, build_ops
from digisom.http.observability import LOGGER_NAME
from digisom.http.ops import ReadinessCheck, failing_checks
from digisom.ledger.service import Ledger
from digisom.ledger.submitter import Submitter
from digisom.stores.memory import MemoryStore
from tests.api.world import World


def _sample(exposition: str, name: str, default: float | None = None, **labels: str) -> float:
    """The value of one sample in a Prometheus text exposition (missing: `default`, or the test fails)."""
    for line in exposition.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.rsplit(" ", 1)[0]))
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    if default is not None:
        return default
    raise AssertionError(f"no sample {name} {labels} in:\n{exposition}")


def test_probes_answer_without_a_token(world: World) -> None:
    assert world.ok(world.get(None, "/healthz")) == {"status": "ok", "failing": []}
    assert world.ok(world.get(None, "/readyz")) == {"status": "ok", "failing": []}


def test_readiness_names_a_stopped_writer_and_an_unreachable_database() -> None:
    submitter = Submitter(Ledger(MemoryStore()))
    unreachable = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    ops = build_ops(PlatformMetrics(), unreachable, submitter)
    try:
        assert failing_checks(ops.checks) == ["database"]
        submitter.close()
        assert failing_checks(ops.checks) == ["database", "ledger_writer"]
    finally:
        submitter.close()
        unreachable.dispose()


def test_a_check_that_raises_counts_as_failing() -> None:
    def broken() -> bool:
        raise RuntimeError("no answer")

    assert failing_checks([ReadinessCheck("ok", lambda: True), ReadinessCheck("broken", broken)]) == ["broken"]


def test_metrics_need_a_scrapers_token(world: World) -> None:
    assert world.get(None, "/metrics").status_code == 401
    assert world.get("pensioner", "/metrics").status_code == 403
    answered = world.get("auditor", "/metrics")
    assert answered.status_code == 200
    assert answered.headers["content-type"].startswith("text/plain; version=0.0.4")


def test_metrics_count_requests_by_route_template_and_ledger_batches(world: World) -> None:
    before = world.get("central_bank", "/metrics").text
    paid_before = _sample(before, "digisom_http_request_duration_seconds_count", default=0,
                          method="POST", route="/v1/payments", status="201")
    for _ in range(3):
        world.ok(world.pay("treasury", "treasury", "pensioner", 10), 201)
    wallet = world.wallets["pensioner"]
    world.ok(world.get("pensioner", f"/v1/wallets/{wallet}"))
    after = world.get("central_bank", "/metrics").text
    assert _sample(after, "digisom_http_request_duration_seconds_count",
                   method="POST", route="/v1/payments", status="201") == paid_before + 3
    assert _sample(after, "digisom_http_request_duration_seconds_count",
                   method="GET", route="/v1/wallets/{wallet_id}", status="200") >= 1
    assert wallet not in after  # ids never become labels
    assert _sample(after, "digisom_ledger_batch_events_count", kind="transfers") >= 3
    assert _sample(after, "digisom_ledger_writer_running") == 1
    assert _sample(after, "digisom_ledger_writer_queue_depth") >= 0
    # Wallet opening screened every holder (no list loaded here: `clear`, rule no_list): counted.
    assert _sample(after, "digisom_screening_decisions", decision="clear") >= 3
    assert _sample(after, "digisom_metrics_source_up", source="screening") == 1


def test_the_request_id_is_kept_or_made_and_on_every_log_line(world: World,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    given = world.client.get("/healthz", headers={"X-Request-Id": "lb-7f3a.42"})
    assert given.headers["x-request-id"] == "lb-7f3a.42"
    refused = world.client.get("/healthz", headers={"X-Request-Id": "not an id; DROP TABLE"})
    made = refused.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    denied = world.get("pensioner", "/metrics")
    assert denied.status_code == 403 and re.fullmatch(r"[0-9a-f]{32}", denied.headers["x-request-id"])
    lines = [json.loads(record.getMessage()) for record in caplog.records if record.name == LOGGER_NAME]
    by_id = {line["request_id"]: line for line in lines}
    assert by_id["lb-7f3a.42"]["route"] == "/healthz" and by_id["lb-7f3a.42"]["status"] == 200
    assert made in by_id and "DROP TABLE" not in json.dumps(lines)
    assert by_id[denied.headers["x-request-id"]]["status"] == 403
