"""Travel-rule callbacks: a held inquiry decided by two officers owes its sender one
signed callback (the outbox row written with the decision); the deliverer posts it to a
local HTTPS receiver, retries with backoff, gives up after the last attempt, and refuses
a private address unless the test setting allows it. An inquiry answered at once owes none."""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import Engine, func, select

from digisom.api.runtime import domain_engine
from digisom.kernel.clock import utc_now
from digisom.travelrule import outbox, tables
from digisom.travelrule.callbacks import (
    DELIVERY_ID_HEADER,
    SIGNATURE_HEADER,
    CallbackDeliverer,
    CallbackRefused,
    CallbackSettings,
    pinned_target,
    resolve,
)
from tests.api.world import World
from tests.compliance.four_eyes import decide
from tests.travelrule.test_api import inquire, ivms_payload, travel_rule_world

HELD_NAME = ("Jeenbekov", "Sooronbek")  # the synthetic list's near match: a review


@dataclass
class Receiver:
    """A local HTTPS server that answers each POST with the next status and keeps what came."""

    url: str
    client_tls: ssl.SSLContext
    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    delay_s: float = 0.0  # how long each answer takes (two deliverers then overlap)


def _tls(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for `localhost`: the server's context and a client's that trusts it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return server, ssl.create_default_context(cadata=cert_pem.decode())


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    server_tls, client_tls = _tls(tmp_path)
    found = Receiver("", client_tls)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            found.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            threading.Event().wait(found.delay_s)
            self.send_response(found.statuses.pop(0) if found.statuses else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = server_tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    found.url = f"https://localhost:{server.server_address[1]}/trp/callback"
    yield found
    server.shutdown()
    server.server_close()


# The flow on both databases (SKIP LOCKED claims on PostgreSQL); the rest on SQLite (suite budget).
DECISIONS = [pytest.param(("sqlite", "cleared", "approved", ""), id="sqlite-cleared"),
             pytest.param(("postgres", "confirmed", "rejected", "review_blocked"), id="postgres-confirmed",
                          marks=pytest.mark.postgres)]


@pytest.fixture
def cb_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    dialect = request.param[0] if hasattr(request, "param") else "sqlite"
    world = travel_rule_world(tmp_path, request.getfixturevalue("postgres_url") if dialect == "postgres" else None)
    yield world
    world.runtime.close()


@pytest.fixture
def engine(cb_world: World) -> Iterator[Engine]:
    found = domain_engine(cb_world.runtime.db_url)
    yield found
    found.dispose()


def _deliverer(world: World, engine: Engine, receiver: Receiver, later_s: float = 0.0,
               **settings: Any) -> CallbackDeliverer:
    """A deliverer signing with the platform key, its clock `later_s` ahead (past a backoff)."""
    chosen = CallbackSettings(**{"allow_private_hosts": True, "tls_verify": receiver.client_tls} | settings)
    return CallbackDeliverer(engine, world.runtime.issuer.key, chosen,
                             clock=lambda: utc_now() + dt.timedelta(seconds=later_s))


def _held_then_decided(world: World, url: str, outcome: str = "cleared", request_id: str = "inq-1") -> str:
    held = world.ok(inquire(world, request_id=request_id, ivms101=ivms_payload(HELD_NAME), callback_url=url), 201)
    assert held["status"] == "pending_review"
    (review,) = world.ok(world.get("officer", "/v1/compliance/reviews"))["items"]
    decide(world, review["review_id"], outcome, "checked the birth date")
    return str(held["inquiry_id"])


def _callbacks(engine: Engine) -> list[outbox.Callback]:
    with engine.connect() as conn:
        ids = conn.execute(select(tables.callbacks.c.inquiry_id)).scalars().all()
        return [c for c in (outbox.callback_for(conn, i) for i in ids) if c is not None]


@pytest.mark.parametrize("cb_world", DECISIONS, indirect=True)
def test_a_decided_held_inquiry_owes_one_signed_callback_without_ivms101(
        cb_world: World, engine: Engine, receiver: Receiver, request: pytest.FixtureRequest) -> None:
    world = cb_world
    _, outcome, status, reason = request.node.callspec.params["cb_world"]
    inquiry_id = _held_then_decided(world, receiver.url, outcome)
    (owed,) = _callbacks(engine)
    assert (owed.inquiry_id, owed.status, owed.attempts) == (inquiry_id, outbox.CallbackStatus.PENDING, 0)

    assert _deliverer(world, engine, receiver).run_once() == 1
    ((headers, body),) = receiver.received
    sent = json.loads(body)
    assert set(sent) == {"inquiry_id", "request_id", "status", "reason", "at"}
    assert (sent["inquiry_id"], sent["request_id"], sent["status"], sent["reason"]) == (
        inquiry_id, "inq-1", status, reason)
    assert body == owed.body.encode()  # the exact stored bytes, which the signature covers
    for personal in (*HELD_NAME, "ivms101", "originator", "naturalPerson"):
        assert personal not in body.decode()
    assert headers["content-type"] == "application/json"
    assert headers[DELIVERY_ID_HEADER.lower()] == owed.callback_id
    world.runtime.issuer.key.public_key().verify(base64.b64decode(headers[SIGNATURE_HEADER.lower()]), body)
    (done,) = _callbacks(engine)
    assert (done.status, done.attempts, done.last_error) == (outbox.CallbackStatus.DELIVERED, 1, "")
    assert done.delivered_at
    assert _deliverer(world, engine, receiver, later_s=7200).run_once() == 0  # delivered once, never again
    assert len(receiver.received) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("cb_world", [("postgres",)], indirect=True)
def test_two_processes_deliverers_post_each_callback_once(cb_world: World, engine: Engine,
                                                          receiver: Receiver) -> None:
    owed = {_held_then_decided(cb_world, receiver.url, request_id=f"inq-{n}") for n in range(4)}
    receiver.delay_s = 0.2  # the first deliverer is still posting while the second runs its round
    posting = threading.Event()

    def resolving(host: str, port: int) -> list[str]:  # called after the claim, before each post
        posting.set()
        return resolve(host, port)

    other_engine = domain_engine(cb_world.runtime.db_url)  # another process's connections
    try:
        first = CallbackDeliverer(engine, cb_world.runtime.issuer.key, CallbackSettings(
            allow_private_hosts=True, tls_verify=receiver.client_tls), resolver=resolving)
        delivered: list[int] = []
        thread = threading.Thread(target=lambda: delivered.append(first.run_once()))
        thread.start()
        assert posting.wait(10)
        delivered.append(_deliverer(cb_world, other_engine, receiver).run_once())  # while the first posts
        thread.join(30)
    finally:
        other_engine.dispose()
    posted = [json.loads(body)["inquiry_id"] for _headers, body in receiver.received]
    assert sorted(posted) == sorted(owed), "each callback posted exactly once"
    assert sorted(delivered) == [0, len(owed)]
    assert {c.status for c in _callbacks(engine)} == {outbox.CallbackStatus.DELIVERED}


def test_a_failed_post_is_retried_after_its_backoff(cb_world: World, engine: Engine, receiver: Receiver) -> None:
    world = cb_world
    _held_then_decided(world, receiver.url)
    receiver.statuses = [500]
    assert _deliverer(world, engine, receiver).run_once() == 0
    (failed,) = _callbacks(engine)
    assert (failed.status, failed.attempts, failed.last_error) == (outbox.CallbackStatus.PENDING, 1, "HTTP 500")
    assert failed.next_attempt_at > (utc_now() + dt.timedelta(seconds=25)).isoformat()  # about 30 s away
    assert _deliverer(world, engine, receiver).run_once() == 0  # not due yet: nothing posted
    assert len(receiver.received) == 1
    assert _deliverer(world, engine, receiver, later_s=31).run_once() == 1
    (done,) = _callbacks(engine)
    assert (done.status, done.attempts) == (outbox.CallbackStatus.DELIVERED, 2)
    first, second = receiver.received
    assert first == second  # the same delivery id, body and signature on the retry


def test_the_last_failed_attempt_gives_up_and_keeps_the_row(cb_world: World, engine: Engine,
                                                            receiver: Receiver) -> None:
    world = cb_world
    _held_then_decided(world, receiver.url)
    receiver.statuses = [503, 503]
    assert _deliverer(world, engine, receiver, attempts_max=2).run_once() == 0
    assert _deliverer(world, engine, receiver, later_s=60, attempts_max=2).run_once() == 0
    (gone,) = _callbacks(engine)
    assert (gone.status, gone.attempts, gone.last_error) == (outbox.CallbackStatus.FAILED, 2, "HTTP 503")
    assert _deliverer(world, engine, receiver, later_s=7200).run_once() == 0
    assert len(receiver.received) == 2


def test_a_private_address_is_refused_and_recorded_not_fetched(cb_world: World, engine: Engine,
                                                               receiver: Receiver) -> None:
    world = cb_world
    _held_then_decided(world, receiver.url)  # localhost: loopback
    assert _deliverer(world, engine, receiver, allow_private_hosts=False).run_once() == 0
    assert receiver.received == []
    (refused,) = _callbacks(engine)
    assert (refused.status, refused.attempts) == (outbox.CallbackStatus.PENDING, 1)
    assert refused.last_error.startswith("refused: localhost resolves to a non-public address")


def test_an_inquiry_answered_at_once_owes_no_callback(cb_world: World, engine: Engine) -> None:
    for request_id, name, status in (("at-once-1", ("Asanov", "Aibek"), "approved"),
                                     ("at-once-2", ("Jeenbekov", "Sooronbai"), "rejected")):  # a hit
        answered = cb_world.ok(inquire(cb_world, request_id=request_id, ivms101=ivms_payload(name),
                                       callback_url="https://mto.example/cb"), 201)
        assert answered["status"] == status
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tables.callbacks)).scalar_one() == 0


def test_served_with_a_period_the_worker_delivers(tmp_path: Path, receiver: Receiver) -> None:
    world = travel_rule_world(tmp_path, None, travelrule_callbacks_every_s=0.05, travelrule_callbacks=CallbackSettings(
        allow_private_hosts=True, tls_verify=receiver.client_tls))
    try:
        with world.client:  # the app's start-up starts the worker
            _held_then_decided(world, receiver.url)
            for _ in range(100):
                if receiver.received:
                    break
                threading.Event().wait(0.05)
        assert len(receiver.received) == 1
    finally:
        world.runtime.close()


@pytest.mark.parametrize("addresses", [["169.254.169.254"], ["10.0.0.5"], ["::1"], ["::ffff:127.0.0.1"],
                                       ["fe80::1%eth0"], ["93.184.215.14", "192.168.1.1"]])
def test_a_host_with_any_non_public_address_is_refused(addresses: list[str]) -> None:
    with pytest.raises(CallbackRefused, match="non-public address"):
        pinned_target("https://mto.example/cb", lambda _host, _port: addresses, allow_private_hosts=False)


def test_a_public_host_is_connected_to_at_the_address_checked() -> None:
    target, host = pinned_target("https://mto.example:8443/cb?x=1", lambda _h, _p: ["93.184.215.14"], False)
    assert (str(target), host) == ("https://93.184.215.14:8443/cb?x=1", "mto.example")
    with pytest.raises(CallbackRefused, match="not an https URL"):
        pinned_target("http://mto.example/cb", lambda _h, _p: ["93.184.215.14"], False)
