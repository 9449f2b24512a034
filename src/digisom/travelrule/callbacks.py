"""The callbacks' deliverer: posts what the outbox owes (`travelrule.outbox`), one round
at a time (the serve process runs `run_once` every few seconds, `kernel.periodic`).

Each due row is posted as its exact body (`application/json`) with its delivery id
(`Digisom-Delivery-Id`, the same on every retry: the receiver's idempotency key) and an
Ed25519 signature over the body's bytes with the platform key (`Digisom-Signature`,
base64; the key is the one the public log's tree heads carry, `GET /v1/public/log/sth`).
A 2xx answer delivers it; anything else, a timeout or a refused address counts an attempt
and retries after an exponential backoff, until the last attempt marks it failed (the row
is kept).

No request follows a redirect. The host is resolved here and the connection made to the
address checked (TLS still verifies the URL's host name): a loopback, private,
link-local or otherwise non-global address is refused unless `allow_private_hosts`
(tests and development) says otherwise, so a callback URL cannot reach inside.
"""

from __future__ import annotations

import base64
import ipaddress
import logging
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from digisom.kernel.clock import utc_now
from digisom.kernel.periodic import Periodic
from digisom.travelrule import outbox

LOG: Final = logging.getLogger("digisom.travelrule.callbacks")
DELIVERY_ID_HEADER: Final = "Digisom-Delivery-Id"
SIGNATURE_HEADER: Final = "Digisom-Signature"
EVERY_S_DEFAULT: Final = 5.0


class CallbackRefused(Exception):
    """A callback URL this deliverer will not connect to."""


@dataclass(frozen=True, slots=True)
class CallbackSettings:
    """What an operator tunes."""

    timeout_s: float = 5.0
    attempts_max: int = 10  # 30 s, 1, 2, 4, 8, 16, 32 min, then hourly: about 4 hours in all
    backoff_first_s: float = 30.0
    backoff_max_s: float = 3600.0
    allow_private_hosts: bool = False  # tests and development only: loopback and private addresses
    tls_verify: ssl.SSLContext | None = None  # None: the system's trusted authorities

    def __post_init__(self) -> None:
        if self.timeout_s <= 0 or self.attempts_max < 1 or not 0 < self.backoff_first_s <= self.backoff_max_s:
            raise ValueError("callback settings: a positive timeout, at least one attempt, 0 < first <= max backoff")

    def backoff_s(self, attempts: int) -> float:
        """The wait after the `attempts`-th failed attempt (1: the first)."""
        return float(min(self.backoff_first_s * 2 ** min(attempts - 1, 32), self.backoff_max_s))

    @property
    def lease_s(self) -> float:
        """How long a claimed row stays out of other processes' rounds: past one post."""
        return self.timeout_s * 4 + 30.0


Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """The host's addresses, in the resolver's order."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def pinned_target(url: str, resolver: Resolver, allow_private_hosts: bool) -> tuple[httpx.URL, str]:
    """Where to connect for `url`: the URL with its host replaced by a checked address, and
    the host name (for the Host header and TLS); `CallbackRefused` if none may be used."""
    parsed = httpx.URL(url)
    if parsed.scheme != "https" or not parsed.host:
        raise CallbackRefused("not an https URL")
    try:
        found = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolver(parsed.host, parsed.port or 443)]
    except (OSError, ValueError) as error:
        raise CallbackRefused(f"cannot resolve {parsed.host}: {error}") from error
    if not found:
        raise CallbackRefused(f"{parsed.host} has no address")
    inside = [a for a in found if not _public(a)]
    if inside and not allow_private_hosts:  # any: a rebinding resolver may rotate between them
        raise CallbackRefused(f"{parsed.host} resolves to a non-public address ({inside[0]})")
    return parsed.copy_with(host=str(found[0])), parsed.host


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def signature_of(key: Ed25519PrivateKey, body: bytes) -> str:
    """The `Digisom-Signature` header's value: base64 of the Ed25519 signature over `body`."""
    return base64.b64encode(key.sign(body)).decode("ascii")


class CallbackDeliverer:
    """Posts the due callbacks of one database, signed with `key`."""

    def __init__(self, engine: Engine, key: Ed25519PrivateKey, settings: CallbackSettings = CallbackSettings(),
                 clock: Callable[[], datetime] = utc_now, resolver: Resolver = resolve) -> None:
        self._engine = engine
        self._key = key
        self._settings = settings
        self._clock = clock
        self._resolver = resolver

    def run_once(self) -> int:
        """One round: claim the due rows, post each, record how it went; how many were delivered."""
        with self._engine.connect() as conn:
            if not outbox.any_due(conn, self._clock()):
                return 0
        with self._engine.begin() as conn:
            claimed = outbox.claim(conn, self._clock(), self._settings.lease_s)
        if not claimed:
            return 0
        delivered = 0
        # No keep-alive: a connection opened for one host's name must not carry another's.
        with httpx.Client(timeout=self._settings.timeout_s, follow_redirects=False, trust_env=False,
                          verify=self._settings.tls_verify or True,
                          limits=httpx.Limits(max_keepalive_connections=0)) as client:
            for callback in claimed:
                error = self._post(client, callback)
                delivered += self._record(callback, error)
        return delivered

    def _post(self, client: httpx.Client, callback: outbox.Callback) -> str:
        """"" if the receiver took it, else why not."""
        body = callback.body.encode()
        try:
            target, host = pinned_target(callback.url, self._resolver, self._settings.allow_private_hosts)
            response = client.post(target, content=body, extensions={"sni_hostname": host}, headers={
                "Host": httpx.URL(callback.url).netloc.decode("ascii"), "Content-Type": "application/json",
                DELIVERY_ID_HEADER: callback.callback_id, SIGNATURE_HEADER: signature_of(self._key, body)})
        except CallbackRefused as refused:
            return f"refused: {refused}"
        except httpx.HTTPError as error:
            return f"{type(error).__name__}: {error}"
        if response.is_success:
            return ""
        return f"HTTP {response.status_code}"

    def _record(self, callback: outbox.Callback, error: str) -> int:
        now = self._clock()
        with self._engine.begin() as conn:
            if not error:
                outbox.record_delivered(conn, callback, now)
                return 1
            attempts = callback.attempts + 1
            retry_at = (None if attempts >= self._settings.attempts_max
                        else now + timedelta(seconds=self._settings.backoff_s(attempts)))
            outbox.record_failed(conn, callback, error, retry_at)
        LOG.warning("travel-rule callback %s attempt %d: %s%s", callback.callback_id, attempts, error,
                    "" if retry_at else " (given up)")
        return 0


class CallbackWorker(Periodic):
    """The serve process's thread that runs the deliverer every `every_s` seconds."""

    def __init__(self, deliverer: CallbackDeliverer, every_s: float = EVERY_S_DEFAULT) -> None:
        super().__init__("travelrule-callbacks", deliverer.run_once, every_s, LOG)
