"""`digisom serve --workers N`: several API processes on one PostgreSQL database.

The parent binds the socket, applies the migrations and creates the signing key once
(so the workers never race for them), then uvicorn's supervisor starts N processes that
each build their own runtime from the same settings and accept on the shared socket.
Every rule a lock protects holds across them (`digisom.kernel.locks`). SQLite serves one
process: its single write lock would serialise the workers anyway, and its file cannot
be shared safely by processes that each cache the ledger.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

import uvicorn
from uvicorn.supervisors import Multiprocess

from digisom.api.log_config import serve_log_config
from digisom.api.merchant_rail import MerchantRail, RailSettings
from digisom.api.reserve_serve import reserve_setup
from digisom.api.runtime import Runtime, build, database_url
from digisom.api.tracing import otlp_tracing
from digisom.api.transparency_wiring import chain_anchorer
from digisom.api.usdkg_chains import connect_tokens
from digisom.interbank.lsm import NAMED_RULES

if TYPE_CHECKING:
    from digisom.chain.usdkg import UsdkgChainToken

SETTINGS_ENV: Final = "DIGISOM_SERVE_SETTINGS"  # how the parent hands its settings to the workers
# The served default: a checkpoint of the public log every 5 minutes, signed, anchored only
# with a chain (`log_anchor_rpc_url`); 0 or None: no worker (`digisom log checkpoint` by hand).
LOG_CHECKPOINT_EVERY_S_DEFAULT: Final = 300.0
# Travel-rule callbacks owed are posted every few seconds; 0 or None: not posted.
TRAVELRULE_CALLBACKS_EVERY_S_DEFAULT: Final = 5.0


class WorkersUnsupported(ValueError):
    """More than one process asked for on SQLite."""


@dataclass(frozen=True)
class ServeSettings:
    """What each worker builds its runtime from (JSON-safe: it crosses a process spawn)."""

    data_dir: str
    db_url: str | None
    policy_path: str | None
    key_path: str | None
    tax_revenue_wallet: str | None
    # The RTGS's business clock pinned at this ISO 8601 moment (load tests and rehearsals
    # outside its hours: it takes payments on business days 09:00-16:00 Bishkek); None:
    # the wall clock. The digital som's own clock is never pinned.
    rtgs_clock_iso: str | None = None
    # USDKG's chains (`usdkg_chains.SPEC_FORM` each) and the minter's key file (None: the
    # environment's `$DIGISOM_CHAIN_KEY`, as `digisom chain deploy` reads it).
    usdkg_chain_specs: tuple[str, ...] = ()
    usdkg_key_file: str | None = None
    rates_file: str | None = None  # the National Bank's reference rates (CSV or JSON)
    sanctions_lists: tuple[str, ...] = ()  # list files screened against (FollowTheMoney or OFAC)
    otlp_endpoint: str | None = None  # where traces go by OTLP/HTTP; None: no tracing
    reserve_config: str | None = None  # the national crypto reserve (`api.reserve_serve`); None: none
    # The merchant rail (`digisom.api.merchant_rail`): one process only, never in `serve_workers`.
    merchant_rail: RailSettings | None = None
    lsm_rules: str = "lsm"  # the RTGS's settlement rules, a name in `interbank.lsm.NAMED_RULES`
    # The public log's checkpoint worker, and the chain (JSON-RPC URL) and key file it anchors with.
    log_checkpoint_every_s: float | None = LOG_CHECKPOINT_EVERY_S_DEFAULT
    log_anchor_rpc_url: str | None = None
    log_anchor_key_file: str | None = None
    travelrule_callbacks_every_s: float | None = TRAVELRULE_CALLBACKS_EVERY_S_DEFAULT
    project_transfers_behind: bool = False  # PostgreSQL: docs/adr/0012-transfer-projection.md

    def build_runtime(self) -> Runtime:
        """Open everything these settings name."""
        pinned = None
        if self.rtgs_clock_iso is not None:
            pinned = datetime.fromisoformat(self.rtgs_clock_iso)
            if pinned.tzinfo is None:
                raise ValueError("the RTGS clock needs a UTC offset, e.g. 2026-11-23T10:00:00+06:00")
        usdkg = self.usdkg_tokens()
        rail = None if self.merchant_rail is None else MerchantRail(
            self.merchant_rail, database_url(Path(self.data_dir), self.db_url), usdkg, self.usdkg_chain_specs,
            Path(self.rates_file) if self.rates_file else None)
        runtime = build(data_dir=Path(self.data_dir), db_url=self.db_url,
                        policy_path=Path(self.policy_path) if self.policy_path else None,
                        key_path=Path(self.key_path) if self.key_path else None,
                        tax_revenue_wallet=self.tax_revenue_wallet,
                        rtgs_clock=None if pinned is None else (lambda: pinned),
                        rtgs_rules=NAMED_RULES[self.lsm_rules],
                        usdkg_chains=usdkg, merchant_invoices=rail.invoices if rail else None,
                        remittance_chain=rail.rail2 if rail else None,
                        rates_path=Path(self.rates_file) if self.rates_file else None,
                        sanctions_lists=[Path(p) for p in self.sanctions_lists],
                        tracing=otlp_tracing(self.otlp_endpoint) if self.otlp_endpoint else None,
                        reserve=reserve_setup(Path(self.reserve_config)) if self.reserve_config else None,
                        log_anchorer=None if self.log_anchor_rpc_url is None else chain_anchorer(
                            self.log_anchor_rpc_url, Path(self.log_anchor_key_file) if self.log_anchor_key_file
                            else None),
                        log_checkpoint_every_s=self.log_checkpoint_every_s or None,
                        travelrule_callbacks_every_s=self.travelrule_callbacks_every_s or None,
                        project_transfers_behind=self.project_transfers_behind)
        if rail is None:
            return runtime
        runtime.app.state.merchant_rail = rail  # its chain and bridge, for the operator's tests
        rail.start()

        def close() -> None:
            rail.close()  # its worker writes through the runtime's stores: stop it first
            runtime.close()

        return replace(runtime, close=close)

    def usdkg_tokens(self) -> dict[int, UsdkgChainToken] | None:
        """The USDKG token on each configured chain, or None when none is."""
        if not self.usdkg_chain_specs:
            return None
        key_file = Path(self.usdkg_key_file) if self.usdkg_key_file else None
        return dict(connect_tokens(self.usdkg_chain_specs, key_file))


def worker_count(requested: int | None, db_url: str | None) -> int:
    """How many processes to run: `requested`, or one per core on PostgreSQL and one on
    SQLite; more than one on SQLite is refused."""
    on_sqlite = db_url is None or db_url.startswith("sqlite:")  # no --db: the data dir's SQLite file
    if requested is None:
        return 1 if on_sqlite else max(1, os.cpu_count() or 1)
    if requested > 1 and on_sqlite:
        raise WorkersUnsupported("SQLite serves one API process; give --db postgresql://... to run several")
    return requested


def serve_workers(settings: ServeSettings, sock: socket.socket, workers: int, app_factory: str) -> None:
    """Run `workers` API processes accepting on `sock` until a signal stops them.

    `app_factory` ("module:function") is what uvicorn calls in each process: the entry
    point's, which builds `worker_runtime()` and adds what this package may not import
    (the operator console)."""
    # Migrations and the key, once, before the workers start (no RTGS: nothing to pin here).
    replace(settings, rtgs_clock_iso=None).build_runtime().close()
    os.environ[SETTINGS_ENV] = json.dumps(asdict(settings))
    config = uvicorn.Config(app_factory, factory=True, workers=workers, log_level="info",
                            log_config=serve_log_config(), access_log=False)
    Multiprocess(config, sockets=[sock]).run()


def worker_runtime() -> Runtime:
    """The runtime of one worker process, from the settings `serve_workers` handed over;
    closed when the process shuts down."""
    fields = json.loads(os.environ[SETTINGS_ENV])
    fields["usdkg_chain_specs"] = tuple(fields.get("usdkg_chain_specs", ()))  # JSON gave a list
    settings = ServeSettings(**fields)
    runtime = settings.build_runtime()
    runtime.app.router.on_shutdown.append(runtime.close)
    return runtime
