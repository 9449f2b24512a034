"""Wiring: open the ledger stores, the domain database, the writer thread, the signing
key, and build the app. The CLI, the demo and the tests build the API through here.

One database holds the ledger and the digital som's tables: a SQLite file in the data
directory by default, or PostgreSQL (`--db postgresql://...`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

from fastapi import FastAPI
from sqlalchemy import Engine, create_engine, event

from digisom.api import (
    disbursement_wiring,
    interbank_wiring,
    merchants_wiring,
    records_wiring,
    registry_wiring,
    remittance_wiring,
    reserve_wiring,
    screening_wiring,
    transparency_wiring,
    travelrule_wiring,
    vasp_reports_wiring,
)
from digisom.api.app import create_app
from digisom.api.metrics import PlatformMetrics, build_ops
from digisom.api.money import MONEY_CHART
from digisom.api.signing_key import load_key, load_or_create_key
from digisom.cbdc.accounts import wallet_account_id
from digisom.cbdc.context import Context
from digisom.cbdc.ledger_port import LedgerPort
from digisom.cbdc.migrations import migrate
from digisom.cbdc.policy import load_policy
from digisom.cbdc.service import CbdcService
from digisom.compliance.desk import ComplianceDesk
from digisom.console import sessions as console_sessions
from digisom.http import migrations as http_migrations
from digisom.http.auth import TokenIssuer
from digisom.http.observability import ObserveRequests
from digisom.http.ops import OPS
from digisom.http.revocation_check import REVOCATIONS_REFRESH_S, RevocationList, RevokingVerifier
from digisom.http.revocations import TOKEN_REVOCATIONS, RevocationStore
from digisom.http.services import filled, provide
from digisom.interbank.http.slots import RTGS
from digisom.interbank.lsm import LSM_RULES, SettlementRules
from digisom.kernel.clock import utc_now
from digisom.kernel.ttl_cache import TtlCache
from digisom.ledger.service import Ledger
from digisom.ledger.store import LedgerStore
from digisom.ledger.submitter import BatchObservers, Submitter
from digisom.merchants.service import InvoiceService
from digisom.por.reserves import HolderBalances as PorHolderBalances
from digisom.remittance.http.slots import ChainInbound
from digisom.remittance.rates import FileRates
from digisom.remittance.service import Settings as RemittanceSettings
from digisom.stores.failover import report_lost_primary, with_connect_timeout
from digisom.stores.private_files import private_dir, private_file
from digisom.stores.url import open_store, sqlalchemy_url
from digisom.transparency.checkpoint import Anchorer
from digisom.travelrule.callbacks import CallbackSettings
from digisom.travelrule.service import Settings as TravelRuleSettings
from digisom.usdkg.issuer import HolderBalances
from digisom.vasp_reports.ports import AssetStatus, Licences

if TYPE_CHECKING:  # tracing's packages, and the EVM stack, load only where they are configured
    from digisom.api.tracing import Tracing
    from digisom.chain.usdkg import UsdkgChainToken

DB_FILE_NAME: Final = "digisom.db"
SQLITE_BUSY_TIMEOUT_MS: Final = 10_000
# Anyone may read the public aggregate: at most one computation per second per process.
PUBLIC_AGGREGATE_TTL_S: Final = 1.0


@dataclass(frozen=True)
class Runtime:
    """A built API and what it holds open."""

    app: FastAPI
    service: CbdcService
    issuer: TokenIssuer
    db_url: str
    close: Callable[[], None]


def database_url(data_dir: Path | None, db_url: str | None) -> str:
    """The ledger URL: `db_url` if given, else the SQLite file in `data_dir` (the
    directory 0700 and the file 0600, created so before SQLite opens it; its WAL and
    shared-memory files take the database file's mode)."""
    if db_url:
        return db_url
    if data_dir is None:
        raise ValueError("give a data directory or a database URL")
    return f"sqlite:///{private_file(private_dir(data_dir) / DB_FILE_NAME)}"


def domain_engine(url: str) -> Engine:
    """A SQLAlchemy engine on the ledger's database, for the domain's tables."""
    if url.startswith("sqlite:///"):
        engine = create_engine(url)

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we say BEGIN ourselves, below
            dbapi_conn.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            dbapi_conn.execute("PRAGMA foreign_keys = ON")

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # Take the write lock up front: a deferred transaction that later writes
            # could fail with SQLITE_BUSY instead of waiting.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.startswith(("postgresql://", "postgres://")):
        # Several hosts: the pool connects to the primary; a lost one is a 503, not a 500.
        engine = create_engine(with_connect_timeout(sqlalchemy_url(url)), pool_pre_ping=True)
        report_lost_primary(engine)
        return engine
    raise ValueError(f"the digital som needs sqlite:/// or postgresql://, not {url.split(':', 1)[0]}")


def build(
    *,
    data_dir: Path | None = None,
    db_url: str | None = None,
    policy_path: Path | None = None,
    key_path: Path | None = None,
    ledger_store: LedgerStore | None = None,
    project_transfers_behind: bool = False,
    alias_resolver: disbursement_wiring.AliasResolver | None = None,
    tax_revenue_wallet: str | None = None,
    clock: Callable[[], datetime] = utc_now,
    rtgs_clock: Callable[[], datetime] | None = None,
    rtgs_rules: SettlementRules = LSM_RULES,
    public_ttl_s: float = PUBLIC_AGGREGATE_TTL_S,
    monotonic_s: Callable[[], float] = time.monotonic,
    usdkg_chains: Mapping[int, UsdkgChainToken] | None = None,
    usdkg_holders: HolderBalances | None = None,
    rates_path: Path | None = None,
    sanctions_lists: Sequence[Path] = (),
    remittance_settings: RemittanceSettings | None = None,
    tracing: Tracing | None = None,
    vasp_licences: Licences | None = None,
    vasp_assets: AssetStatus | None = None,
    travelrule_settings: TravelRuleSettings | None = None,
    por_chain: PorHolderBalances | None = None,
    merchant_invoices: Callable[[Engine, Context, ComplianceDesk], InvoiceService] | None = None,
    remittance_chain: ChainInbound | None = None,
    reserve: reserve_wiring.ReserveSetup | None = None,
    log_anchorer: Anchorer | None = None,
    log_checkpoint_every_s: float | None = None,
    travelrule_callbacks: CallbackSettings | None = None,
    travelrule_callbacks_every_s: float | None = None,
    revocations_refresh_s: float = REVOCATIONS_REFRESH_S,
) -> Runtime:
    """Open everything and build the app. `ledger_store` (tests) replaces the URL's store
    for the ledger while the domain's tables still use the URL's database. `alias_resolver`
    (tests) replaces the digital som's alias directory for disbursements;
    `tax_revenue_wallet` is the treasury wallet that takes taxes and fees. `clock` (the
    demo, tests) is the digital som's wall clock: what day a benefit expires is read from it;
    `rtgs_clock` (load tests, rehearsals) the RTGS's business clock, if not that one; the
    RTGS settles by `rtgs_rules` (`interbank.lsm.NAMED_RULES`).
    The public aggregate is served from a cache for `public_ttl_s` of `monotonic_s`.
    USDKG reads its supply from and mints on `usdkg_chains` (chain id -> the token there)
    and looks up holders in `usdkg_holders`.
    Remittance quotes read `rates_path` (none: every quote is refused, rate missing);
    screening loads `sanctions_lists` now (a file that does not parse stops the build);
    travel-rule inquiries need IVMS101 data from `travelrule_settings`' threshold.
    With `tracing`, requests, domain statements and ledger batches are spans; the runtime
    owns it and shuts it down on close.
    VASP volume reports read the register's licences and assets, or `vasp_licences` and
    `vasp_assets` (tests) where given.
    Proof of reserves checks published reserves on `por_chain` (none: published as not checked).
    Merchant invoices are served by `merchant_invoices(engine, ctx, desk)` (none: no rail, every
    create refused as asset-unavailable); rail 2's routes by `remittance_chain` (none: rail 2
    does not run here, its list is empty and a link refused).
    The national crypto reserve runs on `reserve` (none: its reads are empty, its writes 503).
    The public log's tree heads are anchored by `log_anchorer` (none: not anchored), and
    checkpointed by a worker every `log_checkpoint_every_s` while the app runs (none: only
    on demand, `digisom log checkpoint`).
    Travel-rule callbacks are posted with `travelrule_callbacks` by a worker every
    `travelrule_callbacks_every_s` while the app runs (none: the outbox only fills).
    With `project_transfers_behind` (PostgreSQL), the writer's commits leave the transfer
    rows to a projector (docs/adr/0012-transfer-projection.md).
    A revoked token is refused once this process's copy of the revocations is reloaded:
    at most `revocations_refresh_s` of `monotonic_s` after it was revoked."""
    url = database_url(data_dir, db_url)
    writer_store = ledger_store or open_store(url, project_behind=project_transfers_behind)
    reader_store = ledger_store or open_store(url)
    engine = domain_engine(url)
    migrate(engine)
    http_migrations.migrate(engine)
    metrics = PlatformMetrics()
    if tracing is not None:
        tracing.trace_engine(engine)
    batch_observer = metrics if tracing is None else BatchObservers(metrics, tracing.batch_observer())
    submitter = Submitter(Ledger(writer_store), observer=batch_observer)
    if key_path is not None:
        key = load_key(key_path)
    else:
        key = load_or_create_key(data_dir if data_dir is not None else Path.cwd())
    desk = screening_wiring.build_desk(engine, sanctions_lists, clock)
    # Every wallet's holder is screened by the desk (with no list loaded it records `no_list_loaded`).
    ctx = Context(engine, LedgerPort(submitter, Ledger(reader_store)), load_policy(policy_path),
                  screening_wiring.HolderScreener(desk), clock=clock, money=MONEY_CHART)
    service = CbdcService(ctx, TtlCache(public_ttl_s, monotonic_s))
    revocations = RevocationStore(engine)
    verifier = RevokingVerifier(key.public_key(),
                                revocations=RevocationList(revocations, revocations_refresh_s, monotonic_s))
    app = create_app(service, verifier, rtgs_clock=rtgs_clock, usdkg_chains=usdkg_chains,
                     usdkg_holders=usdkg_holders, tracer_provider=tracing.provider if tracing else None,
                     por_chain=por_chain, interbank_screening=interbank_wiring.InterbankPartyScreener(desk),
                     reserve=reserve_wiring.with_books(reserve, remittance_wiring.SubmittedLedger(submitter,
                                                                                            Ledger(reader_store))),
                     rtgs_rules=rtgs_rules)
    registry = registry_wiring.attach(app, engine, key, clock)
    provide(app, OPS, build_ops(metrics, engine, submitter))
    provide(app, TOKEN_REVOCATIONS, revocations)
    console_sessions.attach(app, engine)  # the console's sign-in sessions, if it is mounted
    app.add_middleware(ObserveRequests, observer=metrics)  # outside the gate: it times the gate's refusals too
    # The digital som resolves aliases for disbursements (`CbdcService.resolve_aliases`).
    resolver = alias_resolver or cast(disbursement_wiring.AliasResolver, service)
    revenue = wallet_account_id(tax_revenue_wallet) if tax_revenue_wallet else None
    disbursement = disbursement_wiring.build_disbursement(engine, submitter, Ledger(reader_store), resolver, service,
                                                          revenue)
    disbursement_wiring.attach(app, disbursement, ctx)
    rates = FileRates.from_path(rates_path) if rates_path is not None else FileRates([])
    remittance_settings = remittance_settings or RemittanceSettings()
    travelrule = travelrule_wiring.build_travelrule(engine, desk, rates, remittance_settings.rate_age_max_days,
                                                    travelrule_wiring.RegisterStanding(registry.licensing),
                                                    settings=travelrule_settings, clock=clock)
    remittance = remittance_wiring.build_remittance(
        engine, submitter, Ledger(reader_store), ctx, rates, screening_wiring.RemittanceScreener(desk),
        remittance_settings, clock, travelrule_wiring.RemittanceInquiries(travelrule))
    travelrule_wiring.attach(app, travelrule)
    travelrule_wiring.attach_callbacks(app, engine, key, travelrule_callbacks, travelrule_callbacks_every_s, clock)
    reads = remittance_wiring.attach(app, remittance, engine, chain=remittance_chain)
    screening_wiring.attach(app, desk, remittance, reads, service,
                            {travelrule_wiring.CONTEXT: travelrule_wiring.InquiryReleases(desk, travelrule),
                             **interbank_wiring.RtgsScreeningReleases(desk, filled(app, RTGS).get).contexts()})
    merchants_wiring.attach(app, (merchant_invoices or merchants_wiring.build_invoices)(engine, ctx, desk))
    vasp_reports_wiring.attach(app, engine, clock,
                               vasp_licences or vasp_reports_wiring.RegisterLicences(registry.licensing, clock),
                               vasp_assets or vasp_reports_wiring.RegisterAssets(registry.assets))
    head = transparency_wiring.journal_head(reader_store)
    transparency_wiring.attach(app, engine, key, clock,
                               transparency_wiring.Sources(engine, service, registry.log, lambda: head().seq).all(),
                               head, log_anchorer, log_checkpoint_every_s)
    records_wiring.attach(app)  # the portal's record pages read the log

    def close() -> None:
        disbursement.close()  # its worker writes through the submitter: stop it first
        submitter.close()
        writer_store.close()
        if reader_store is not writer_store:
            reader_store.close()
        engine.dispose()
        if tracing is not None:
            tracing.close()

    return Runtime(app, service, TokenIssuer(key), url, close)
