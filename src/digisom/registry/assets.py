"""The State Register of Digital Assets: entries, their statuses and allowed transitions,
and the current view as the fold of the signed log.

Stream `asset:<SYMBOL>`: `asset.applied` (the entry), `asset.status` (a transition with
its reason), `asset.report` (a reserve or audit report: URL and SHA-256), `asset.chain`
(a further deployment). The current view of an asset is `fold(events)`, nothing else."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, select

from digisom.registry import tables
from digisom.registry.chain import Event
from digisom.registry.errors import AssetExists, BadSha256, IllegalTransition, InvalidEntry, UnknownAsset
from digisom.registry.log import Change, EventLog

STREAM_PREFIX: Final = "asset:"
SYMBOL_PATTERN: Final = re.compile(r"^[A-Z0-9]{2,16}$")
SHA256_PATTERN: Final = re.compile(r"^[0-9a-f]{64}$")
ADDRESS_PATTERN: Final = re.compile(r"^0x[0-9a-fA-F]{40}$")
DECIMALS_MAX: Final = 36
TEXT_CHARS_MAX: Final = 200
URL_CHARS_MAX: Final = 400
REPORTS_MAX: Final = 500


class AssetKind(StrEnum):
    """What backs the asset."""

    FIAT_BACKED = "fiat_backed"
    COMMODITY_BACKED = "commodity_backed"
    OTHER = "other"


class AssetStatus(StrEnum):
    """Where an entry stands."""

    APPLIED = "applied"
    REGISTERED = "registered"
    SUSPENDED = "suspended"
    DELISTED = "delisted"


# status -> the statuses it may become (delisted is final).
TRANSITIONS: Final[Mapping[AssetStatus, frozenset[AssetStatus]]] = {
    AssetStatus.APPLIED: frozenset({AssetStatus.REGISTERED, AssetStatus.DELISTED}),
    AssetStatus.REGISTERED: frozenset({AssetStatus.SUSPENDED, AssetStatus.DELISTED}),
    AssetStatus.SUSPENDED: frozenset({AssetStatus.REGISTERED, AssetStatus.DELISTED}),
    AssetStatus.DELISTED: frozenset(),
}


class ReportKind(StrEnum):
    """A published report about an asset."""

    RESERVE = "reserve"
    AUDIT = "audit"


@dataclass(frozen=True, slots=True)
class Deployment:
    """The asset on one chain."""

    chain_id: int
    contract_address: str
    decimals: int
    standard: str

    def as_json(self) -> dict[str, Any]:
        return {"chain_id": self.chain_id, "contract_address": self.contract_address, "decimals": self.decimals,
                "standard": self.standard}


@dataclass(frozen=True, slots=True)
class Report:
    """A reserve or audit report: where it is, and the SHA-256 of what was published."""

    kind: ReportKind
    url: str
    sha256: str

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "url": self.url, "sha256": self.sha256}


@dataclass(frozen=True, slots=True)
class AssetApplication:
    """What an issuer asks to have registered."""

    symbol: str
    name: str
    kind: AssetKind
    issuer: str
    issuer_licence: str
    peg: str
    chains: tuple[Deployment, ...]
    white_paper_sha256: str

    def as_json(self) -> dict[str, Any]:
        return {"symbol": self.symbol, "name": self.name, "kind": self.kind.value, "issuer": self.issuer,
                "issuer_licence": self.issuer_licence, "peg": self.peg,
                "chains": [c.as_json() for c in self.chains], "white_paper_sha256": self.white_paper_sha256}


@dataclass(frozen=True, slots=True)
class AssetEntry:
    """An asset as it stands: the fold of its events."""

    application: AssetApplication
    status: AssetStatus
    reports: tuple[Report, ...]
    status_reason: str
    applied_at: str
    updated_at: str
    last_seq: int

    def as_json(self) -> dict[str, Any]:
        return {**self.application.as_json(), "status": self.status.value, "status_reason": self.status_reason,
                "reports": [r.as_json() for r in self.reports], "applied_at": self.applied_at,
                "updated_at": self.updated_at, "last_seq": self.last_seq}


def check_sha256(value: str, what: str) -> str:
    """`value` if it is a lower-case hex SHA-256, else `BadSha256` naming `what`."""
    if not SHA256_PATTERN.fullmatch(value):
        raise BadSha256(f"{what} is not a SHA-256 (64 lower-case hex digits)", field=what)
    return value


def _text(value: str, what: str, chars_max: int = TEXT_CHARS_MAX) -> str:
    if not 0 < len(value) <= chars_max or any(ord(c) < 32 for c in value):
        raise InvalidEntry(f"{what} needs 1..{chars_max} printable characters", field=what)
    return value


def checked(application: AssetApplication) -> AssetApplication:
    """`application` if every field is within its rules, else a typed refusal."""
    if not SYMBOL_PATTERN.fullmatch(application.symbol):
        raise InvalidEntry("symbol: 2..16 upper-case letters or digits", field="symbol")
    for name in ("name", "issuer", "issuer_licence", "peg"):
        _text(getattr(application, name), name)
    check_sha256(application.white_paper_sha256, "white_paper_sha256")
    seen: set[int] = set()
    for deployment in application.chains:
        check_deployment(deployment)
        if deployment.chain_id in seen:
            raise InvalidEntry(f"chain {deployment.chain_id} is listed twice", field="chains")
        seen.add(deployment.chain_id)
    if not application.chains:
        raise InvalidEntry("an asset names at least one chain", field="chains")
    return application


def check_deployment(deployment: Deployment) -> Deployment:
    """`deployment` if well-formed."""
    if not 0 < deployment.chain_id < 2**63 or not ADDRESS_PATTERN.fullmatch(deployment.contract_address):
        raise InvalidEntry("a chain needs a positive chain id and a 0x-prefixed 20-byte address", field="chains")
    if not 0 <= deployment.decimals <= DECIMALS_MAX:
        raise InvalidEntry(f"decimals 0..{DECIMALS_MAX}", field="decimals")
    _text(deployment.standard, "standard", 32)
    return deployment


def check_report(report: Report) -> Report:
    """`report` if well-formed."""
    if not report.url.startswith("https://"):
        raise InvalidEntry("a report URL is https://", field="url")
    _text(report.url, "url", URL_CHARS_MAX)
    check_sha256(report.sha256, "sha256")
    return report


def _application(body: Mapping[str, Any]) -> AssetApplication:
    return AssetApplication(body["symbol"], body["name"], AssetKind(body["kind"]), body["issuer"],
                            body["issuer_licence"], body["peg"],
                            tuple(Deployment(c["chain_id"], c["contract_address"], c["decimals"], c["standard"])
                                  for c in body["chains"]), body["white_paper_sha256"])


def fold(events: Sequence[Event]) -> AssetEntry | None:
    """The entry as its events leave it (None before it was applied for)."""
    entry: AssetEntry | None = None
    for event in events:
        if event.kind == "asset.applied":
            entry = AssetEntry(_application(event.body), AssetStatus.APPLIED, (), "", event.at, event.at, event.seq)
            continue
        if entry is None:
            continue
        if event.kind == "asset.status":
            entry = replace(entry, status=AssetStatus(event.body["status"]), status_reason=event.body["reason"])
        elif event.kind == "asset.report":
            report = Report(ReportKind(event.body["kind"]), event.body["url"], event.body["sha256"])
            entry = replace(entry, reports=(*entry.reports, report))
        elif event.kind == "asset.chain":
            chains = (*entry.application.chains, Deployment(**event.body))
            entry = replace(entry, application=replace(entry.application, chains=chains))
        entry = replace(entry, updated_at=event.at, last_seq=event.seq)
    return entry


def _project(conn: Connection, entry: AssetEntry) -> None:
    """The old readers' view (`registry_assets`): a row per chain of a registered asset,
    inserted once, never changed."""
    app = entry.application
    latest = next((r.url for r in reversed(entry.reports) if r.kind is ReportKind.RESERVE), "")
    for deployment in app.chains:
        entry_id = f"{app.symbol}@{deployment.chain_id}:{deployment.contract_address.lower()}"
        if conn.execute(select(tables.assets.c.entry_id).where(tables.assets.c.entry_id == entry_id)).first():
            continue
        conn.execute(tables.assets.insert().values(
            entry_id=entry_id, symbol=app.symbol, asset=app.name, issuer=app.issuer, peg=app.peg,
            standard=deployment.standard, chain_id=deployment.chain_id,
            contract_address=deployment.contract_address, decimals=deployment.decimals,
            reserve_report_url=latest, registered_at=entry.updated_at))


def stream_of(symbol: str) -> str:
    """The log stream of the asset `symbol`."""
    return STREAM_PREFIX + symbol


class AssetRegister:
    """The register's writes (by a registrar, each a signed event) and its public reads."""

    def __init__(self, log: EventLog) -> None:
        self.log = log

    @classmethod
    def on(cls, engine: Engine, key: Ed25519PrivateKey, clock: Callable[[], datetime]) -> AssetRegister:
        """The register on `engine`, signing with `key`."""
        return cls(EventLog(engine, key, clock))

    def apply(self, application: AssetApplication, actor: str) -> AssetEntry:
        """Enter an application (status `applied`); the same application again answers the entry."""
        checked(application)

        def decide(_conn: Connection, events: Sequence[Event]) -> Change:
            entry = fold(events)
            if entry is not None:
                if entry.application != application:
                    raise AssetExists(f"{application.symbol} is in the register with other contents")
                return Change(())
            return Change((("asset.applied", application.as_json()),))

        self.log.commit(stream_of(application.symbol), actor, decide)
        return self.entry(application.symbol)

    def transition(self, symbol: str, status: AssetStatus, reason: str, actor: str) -> AssetEntry:
        """Move the entry to `status` if its current status allows it."""
        _text(reason, "reason", 2000)

        def decide(_conn: Connection, events: Sequence[Event]) -> Change:
            entry = self._existing(symbol, events)
            if status not in TRANSITIONS[entry.status]:
                raise IllegalTransition(symbol, entry.status.value, status.value)
            after = replace(entry, status=status)

            def project(conn: Connection, _events: Sequence[Event]) -> None:
                if status is AssetStatus.REGISTERED:
                    _project(conn, after)
            return Change((("asset.status", {"status": status.value, "reason": reason}),), project)

        self.log.commit(stream_of(symbol), actor, decide)
        return self.entry(symbol)

    def add_report(self, symbol: str, report: Report, actor: str) -> AssetEntry:
        """Publish a reserve or audit report of a listed (not delisted) asset."""
        check_report(report)

        def decide(_conn: Connection, events: Sequence[Event]) -> Change:
            entry = self._existing(symbol, events)
            if entry.status is AssetStatus.DELISTED:
                raise IllegalTransition(symbol, entry.status.value, "reported on")
            if report in entry.reports:
                return Change(())
            if len(entry.reports) >= REPORTS_MAX:
                raise InvalidEntry(f"{symbol} has {REPORTS_MAX} reports already", field="reports")
            return Change((("asset.report", report.as_json()),))

        self.log.commit(stream_of(symbol), actor, decide)
        return self.entry(symbol)

    def add_chain(self, symbol: str, deployment: Deployment, actor: str) -> AssetEntry:
        """Record a further deployment of a listed asset; the same one again changes nothing."""
        check_deployment(deployment)

        def decide(_conn: Connection, events: Sequence[Event]) -> Change:
            entry = self._existing(symbol, events)
            if entry.status is AssetStatus.DELISTED:
                raise IllegalTransition(symbol, entry.status.value, "deployed on another chain")
            listed = {c.chain_id: c for c in entry.application.chains}
            if deployment.chain_id in listed:
                if listed[deployment.chain_id] != deployment:
                    raise AssetExists(f"{symbol} is registered on chain {deployment.chain_id} with another contract")
                return Change(())
            return Change((("asset.chain", deployment.as_json()),))

        self.log.commit(stream_of(symbol), actor, decide)
        return self.entry(symbol)

    def ensure_registered(self, application: AssetApplication, actor: str, reason: str) -> AssetEntry:
        """The KGST bridge's and the USDKG issuer's registration of their deployments: the
        entry applied for if absent, each deployment of `application` recorded, and an entry
        still `applied` registered; a suspended or delisted asset stays so (an entry already
        there keeps its contents: only new chains are added)."""
        checked(application)
        if fold(self.log.stream(stream_of(application.symbol))) is None:
            self.apply(application, actor)
        for deployment in application.chains:
            self.add_chain(application.symbol, deployment, actor)
        entry = self.entry(application.symbol)
        if entry.status is AssetStatus.APPLIED:
            entry = self.transition(application.symbol, AssetStatus.REGISTERED, reason, actor)
        return entry

    def _existing(self, symbol: str, events: Sequence[Event]) -> AssetEntry:
        entry = fold(events)
        if entry is None:
            raise UnknownAsset(f"no asset {symbol!r} in the register", symbol=symbol)
        return entry

    def entry(self, symbol: str) -> AssetEntry:
        """The asset as it stands."""
        return self._existing(symbol, self.log.stream(stream_of(symbol)))

    def history(self, symbol: str) -> list[Event]:
        """Every event of the asset, in order."""
        events = self.log.stream(stream_of(symbol))
        self._existing(symbol, events)
        return events

    def entries(self) -> list[AssetEntry]:
        """Every asset as it stands, by symbol."""
        folded = (fold(events) for events in self.log.streams(STREAM_PREFIX).values())
        return sorted((e for e in folded if e is not None), key=lambda e: e.application.symbol)

    def adopt_legacy(self, actor: str) -> list[str]:
        """Bring the first register's rows (`registry_assets`, from before the log) into the
        log as registered entries, once each: the symbols adopted now."""
        with self.log.engine.connect() as conn:
            rows = conn.execute(select(tables.assets).order_by(tables.assets.c.symbol, tables.assets.c.chain_id)).all()
        by_symbol: dict[str, list[Any]] = {}
        for row in rows:
            by_symbol.setdefault(row.symbol, []).append(row)
        adopted: list[str] = []
        for symbol, found in by_symbol.items():
            if fold(self.log.stream(stream_of(symbol))) is not None or not SYMBOL_PATTERN.fullmatch(symbol):
                continue
            first = found[0]
            chains = tuple(Deployment(int(r.chain_id), r.contract_address, int(r.decimals), r.standard) for r in found)
            # The first register kept no kind, licence or white paper: `other`, said so, and an all-zero hash.
            application = AssetApplication(symbol, first.asset, AssetKind.OTHER, first.issuer,
                                           "not recorded (first register)", first.peg, chains, "0" * 64)
            self.apply(application, actor)
            self.transition(symbol, AssetStatus.REGISTERED, f"adopted from the first register ({first.registered_at})",
                            actor)
            for url in sorted({r.reserve_report_url for r in found if r.reserve_report_url.startswith("https://")}):
                self.add_report(symbol, Report(ReportKind.RESERVE, url, "0" * 64), actor)
            adopted.append(symbol)
        return adopted
