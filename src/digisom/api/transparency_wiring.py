"""Wiring of the transparency log: its table, its routes' slot, and its checkpoint with a
source per domain that publishes (each read through that domain's own functions or
tables, turned into records here, so the log's domain knows no other).

Record ids are stable: the same published thing gets the same id, so a checkpoint that
finds nothing new appends nothing. A figure that can change (a run's totals after
returns, public spending) carries a digest of its content in its id: a change is a new
record, the old one stays in the log."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from sqlalchemy import Engine, func, select

from digisom.cbdc.service import CbdcService
from digisom.disbursement import spending
from digisom.disbursement import tables as disbursement_tables
from digisom.disbursement.model import PaymentStatus, RunStatus
from digisom.http.services import Slot, provide
from digisom.kernel.canonical_json import canonical_json
from digisom.ledger.store import LedgerStore
from digisom.por import publication
from digisom.registry.log import EventLog
from digisom.reserve import tables as reserve_tables
from digisom.stablecoin import tables as stablecoin_tables
from digisom.transparency import migrations
from digisom.transparency.checkpoint import Anchorer, Checkpoints, JournalHead, Publication, Source
from digisom.transparency.http.slots import TRANSPARENCY_LOG
from digisom.transparency.log import TransparencyLog
from digisom.transparency.sth import TreeHead
from digisom.transparency.worker import CheckpointWorker
from digisom.usdkg import tables as usdkg_tables
from digisom.vasp_reports import repository as vasp_repository
from digisom.vasp_reports import tables as vasp_tables
from digisom.vasp_reports.aggregates import latest_versions, month_aggregates, publishable
from digisom.vasp_reports.report import canonical_bytes

# The operator's (and tests') handle: run a checkpoint now.
CHECKPOINT: Final = Slot[Callable[[], TreeHead]]("transparency.checkpoint")
DIGEST_HEX_CHARS: Final = 16
POR_ROOTS_MAX: Final = 100_000


def _digest(body: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(body, ascii_only=True).encode()).hexdigest()[
        :DIGEST_HEX_CHARS]


@dataclass(frozen=True)
class Sources:
    """What publishes, in the order a checkpoint logs it (runs before the spending they add up to)."""

    engine: Engine
    service: CbdcService
    register: EventLog
    journal_seq: Callable[[], int]

    def all(self) -> list[Source]:
        return [self.issuance, self.disbursement_runs, self.public_spending, self.register_events,
                self.usdkg_audits, self.usdkg_coverage, self.por_roots, self.kgst_reserve, self.vasp_volumes,
                self.reserve_publications]

    def issuance(self) -> Iterator[Publication]:
        """Circulation against the issuance liability, per holding code, at the journal's head."""
        summary = self.service.issuance_summary()
        body = {"journal_seq": self.journal_seq(), "circulation_tyiyn": str(summary.circulation_tyiyn),
                "issuance_liability_tyiyn": str(summary.issuance_liability_tyiyn), "currency": "KGS",
                "by_code_tyiyn": {name: str(v) for name, v in sorted(summary.audit.by_code_tyiyn.items())}}
        yield Publication(f"issuance_report:{_digest(body)}", "issuance_report", body)

    def disbursement_runs(self) -> Iterator[Publication]:
        """Each completed run's totals per payment status (no payee)."""
        runs = disbursement_tables.runs
        found: list[Publication] = []
        # Read all, then yield: the caller appends between items, and on SQLite a connection
        # held open here holds the write lock (every transaction is BEGIN IMMEDIATE).
        with self.engine.connect() as conn:
            done = conn.execute(select(runs.c.id, runs.c.programme_id, runs.c.period, runs.c.rows, runs.c.total_tyiyn)
                                .where(runs.c.status == RunStatus.COMPLETED.value).order_by(runs.c.seq)).all()
            for run_id, programme_id, period, rows, total_tyiyn in done:
                totals = spending.status_totals_in(conn, run_id)
                body = {"run_id": run_id, "programme_id": programme_id, "period": period, "rows": rows,
                        "total_tyiyn": str(total_tyiyn), "currency": "KGS",
                        "by_status": {status.value: {"count": t.count, "amount_tyiyn": str(t.amount_tyiyn)}
                                      for status, t in sorted(totals.items())}}
                found.append(Publication(f"disbursement_run:{run_id}:{_digest(body)}", "disbursement_run", body))
        yield from found

    def public_spending(self) -> Iterator[Publication]:
        """What each programme paid over its completed runs (the sum of its spending cells,
        suppressed ones included), and the cells as published."""
        payments, runs = disbursement_tables.payments, disbursement_tables.runs
        with self.engine.connect() as conn:
            paid = conn.execute(
                select(payments.c.programme_id, func.count(), func.sum(payments.c.amount_tyiyn))
                .join(runs, runs.c.id == payments.c.run_id)
                .where(payments.c.status == PaymentStatus.PAID.value, runs.c.status == RunStatus.COMPLETED.value)
                .group_by(payments.c.programme_id).order_by(payments.c.programme_id)).all()
        if not paid:
            return
        cells = spending.spending(self.engine)
        body = {"currency": "KGS", "min_payees_per_cell": spending.MIN_PAYEES_PER_CELL,
                "programmes": {p: {"payees": int(n), "paid_tyiyn": str(int(total))} for p, n, total in paid},
                "cells": [{"programme_id": c.programme_id, "period": c.period, "region": c.region,
                           "payees": c.payees, "paid_tyiyn": None if c.paid_tyiyn is None else str(c.paid_tyiyn)}
                          for c in cells]}
        yield Publication(f"public_spending:{_digest(body)}", "public_spending", body)

    def register_events(self) -> Iterator[Publication]:
        """The State Register's signed events (assets) and licence events (VASPs), each as exported."""
        for event in self.register.everything():
            kind = "licence_event" if event.stream.startswith("vasp:") else "register_event"
            yield Publication(f"{kind}:{event.seq}", kind, event.as_json())

    def usdkg_audits(self) -> Iterator[Publication]:
        """Each signed USDKG gold audit: its date, auditor, findings, report digest and resolution."""
        audits = usdkg_tables.audits
        with self.engine.connect() as conn:
            rows = conn.execute(select(audits).where(audits.c.signed_at.is_not(None))
                                .order_by(audits.c.audit_id)).mappings().all()
        for row in rows:
            body = {"audit_id": int(row["audit_id"]), "audit_date": row["audit_date"], "auditor": row["auditor"],
                    "bars_counted": int(row["bars_counted"]), "findings": int(row["findings"]),
                    "report_sha256": row["report_sha256"], "signed_at": row["signed_at"],
                    "resolution": row["resolution"], "resolved_at": row["resolved_at"]}
            yield Publication(f"usdkg_audit:{row['audit_id']}:{_digest(body)}", "usdkg_audit", body)

    def usdkg_coverage(self) -> Iterator[Publication]:
        """Each daily USDKG coverage report, as published (its text and digest)."""
        reports = usdkg_tables.coverage_reports
        with self.engine.connect() as conn:
            rows = conn.execute(select(reports).order_by(reports.c.report_date)).mappings().all()
        for row in rows:
            body = {"report_date": row["report_date"], "report": row["report"], "report_sha256": row["report_sha256"]}
            yield Publication(f"usdkg_coverage:{row['report_date']}", "usdkg_coverage", body)

    def por_roots(self) -> Iterator[Publication]:
        """Each published proof-of-reserves root with the reserves check's verdict."""
        for found in reversed(publication.listed(self.engine, None, 0, POR_ROOTS_MAX)):
            root = {**found.root, "total": str(found.root["total"])}
            body = {"custodian_id": found.custodian_id, "root": root, "published_at": found.published_at,
                    "reserves_hold": bool(found.reserve_check.get("holds", False))}
            yield Publication(f"por_root:{found.root['root']}", "por_root", body)


    def kgst_reserve(self) -> Iterator[Publication]:
        """Each published KGST reserve report: the token's supply against its som reserve,
        with what is in flight (the stablecoin bridge's own report, as stored)."""
        reports = stablecoin_tables.reserve_reports
        with self.engine.connect() as conn:
            rows = conn.execute(select(reports).order_by(reports.c.seq)).mappings().all()
        for row in rows:
            body = {"chain_id": int(row["chain_id"]), "token_address": row["token_address"],
                    "decimals": int(row["decimals"]), "supply_token_units": row["supply_token_units"],
                    "supply_tyiyn": None if row["supply_tyiyn"] is None else str(row["supply_tyiyn"]),
                    "reserve_tyiyn": str(row["reserve_tyiyn"]),
                    "mint_in_flight_tyiyn": str(row["mint_in_flight_tyiyn"]),
                    "redeem_in_flight_tyiyn": str(row["redeem_in_flight_tyiyn"]),
                    "balanced": bool(row["balanced"]), "at": row["at"], "currency": "KGS"}
            yield Publication(f"kgst_reserve:{row['seq']}", "kgst_reserve", body)

    def vasp_volumes(self) -> Iterator[Publication]:
        """Each month's VASP volume aggregates over the latest version of each licensed
        exchange's signed report, and which versions (by digest) they add up; only months
        that enough exchanges reported (`vasp_reports.aggregates.publishable`)."""
        found: list[Publication] = []
        with self.engine.connect() as conn:  # read whole, then yielded (`disbursement_runs` says why)
            periods = conn.execute(select(vasp_tables.versions.c.period).distinct()
                                   .order_by(vasp_tables.versions.c.period)).scalars().all()
            for period in periods:
                latest = latest_versions(v.report for v in vasp_repository.of_period(conn, period))
                if not publishable(latest):
                    continue  # too few exchanges: the figures would be one exchange's own
                body = {**month_aggregates(period, latest),
                        "versions": [{"vasp_id": r.vasp_id, "version": r.version,
                                      "report_sha256": hashlib.sha256(canonical_bytes(r)).hexdigest()}
                                     for r in latest]}
                found.append(Publication(f"vasp_volume:{period}:{_digest(body)}", "vasp_volume", body))
        yield from found

    def reserve_publications(self) -> Iterator[Publication]:
        """Each national crypto reserve publication (holdings at a block, their root, the
        proofs of control), as published at /v1/reserve/publications."""
        publications = reserve_tables.publications
        with self.engine.connect() as conn:
            rows = conn.execute(select(publications.c.publication_id, publications.c.document)
                                .order_by(publications.c.published_at_s, publications.c.publication_id)).all()
        for root, document in rows:
            yield Publication(f"reserve_publication:{root}", "reserve_publication",
                              {"publication": json.loads(document)})


def chain_anchorer(rpc_url: str, key_file: Path | None, confirmations: int = 1) -> Anchorer:
    """Anchors on the chain at `rpc_url` from the key in `key_file` (None: the
    environment's `$DIGISOM_CHAIN_KEY`); the EVM stack loads only here."""
    from digisom.chain.anchor import ChainAnchorer  # noqa: PLC0415
    from digisom.chain.keys import load_key  # noqa: PLC0415
    from digisom.chain.rpc import RpcChain  # noqa: PLC0415
    from digisom.chain.transactor import Transactor  # noqa: PLC0415

    return ChainAnchorer(Transactor(RpcChain.connect(rpc_url), load_key(key_file)), confirmations)


def journal_head(store: LedgerStore) -> Callable[[], JournalHead]:
    """The ledger journal's head as `store` last committed it."""

    def read() -> JournalHead:
        head = store.head()
        return JournalHead(head.seq, head.hash.hex())

    return read


def attach(app: FastAPI, engine: Engine, key: Ed25519PrivateKey, clock: Callable[[], datetime],
           sources: Sequence[Source], head: Callable[[], JournalHead], anchorer: Anchorer | None,
           checkpoint_every_s: float | None = None) -> TransparencyLog:
    """Migrate the log's tables, fill its routes' slot and the checkpoint's (one at a time
    across processes); with `checkpoint_every_s`, run the checkpoint worker with the app."""
    migrations.migrate(engine)
    log = TransparencyLog(engine, key, clock)
    provide(app, TRANSPARENCY_LOG, log)
    checkpoints = Checkpoints(log, sources, head, anchorer)
    provide(app, CHECKPOINT, checkpoints.run)
    if checkpoint_every_s:
        worker = CheckpointWorker(checkpoints.run, checkpoint_every_s)
        app.state.log_checkpoint_worker = worker
        app.router.on_startup.append(worker.start)
        app.router.on_shutdown.append(worker.stop)
    return log


def checkpoint_worker_of(app: FastAPI) -> CheckpointWorker | None:
    """The app's checkpoint worker (None: not run here)."""
    found = getattr(app.state, "log_checkpoint_worker", None)
    return found if isinstance(found, CheckpointWorker) else None
