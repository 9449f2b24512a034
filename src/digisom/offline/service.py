"""`OfflineService`: the server side of offline payments over the ledger.

Use cases: register a device and certify its key (by the wallet's own bank), fund a
device's offline reserve from its wallet, sync a device (authenticate the signed
upload, settle, post the payouts to the ledger, return unspent value, revoke what was
caught), and publish the trust material (root, bank certificates, revocation list).

A sync is written in two steps, so nothing is lost and nothing paid twice: first, in
one database transaction, the settlement book, the run (status `pending`), claims,
returned value and revocations; then the run's ledger transfers, whose ids come from
the payments, and the run is marked `posted`. A crash in between leaves a pending run
that the next sync posts again (the ledger answers `exists` for what it already has).
A run whose posting is refused (a typed refusal, not a crash) is parked with its reason
for an operator (`parked_runs`): later syncs of every device go on, and since the book
already counts the run's payments as paid, the reserve keeps their value.

Returning unspent value is bound to a funding epoch: the request names the reserve's
funding total, and value goes back only while that total is current, once per epoch
(`offline_returns`), so a replayed request never sends a later funding back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection, Engine, select, update

from digisom.errors import invariant
from digisom.kernel.chart import CHART, LEDGER_KGS, Domain
from digisom.kernel.credit_plans import CreditLeg
from digisom.kernel.gateway import GatedLedger, LedgerWriter
from digisom.kernel.locks import SharedLock
from digisom.kernel.results import ACCOUNT_OK as _ACCOUNT_OK
from digisom.kernel.results import TRANSFER_OK as _LEDGER_OK
from digisom.ledger.gc_pause import cyclic_gc_paused
from digisom.ledger.model import PAGE_LIMIT_MAX, Transfer
from digisom.ledger.results import CreateTransferResult
from digisom.offline import authority, backlog, book_store, codec, payouts, posting, registry, revocations, settlement
from digisom.offline import tables as t
from digisom.offline.accounts import (
    OfflineTransferCode,
    guarantee_account,
    operation_transfer_id,
    reserve_account,
    reserve_account_id,
)
from digisom.offline.certificates import Certificate, RevocationList, Role, issue_certificate
from digisom.offline.errors import OfflineError, Reason
from digisom.offline.payment import referenced_key_ids
from digisom.offline.ports import WalletDirectory, WalletRef
from digisom.offline.registry import RegisteredDevice
from digisom.offline.settlement import (
    Collected,
    Decision,
    Finding,
    SettlementContext,
    SettlementResult,
    SignatureVerifier,
    Verdict,
    verify_sequentially,
)
from digisom.offline.sync_request import SyncRequest, decode_sync_request, verify_sync_request
from digisom.offline.upload import Upload

# Device certificates are short-lived so that a lost device stops working by itself.
DEVICE_VALIDITY_S_DEFAULT: Final = 90 * 86_400
DEVICE_VALIDITY_S_MAX: Final = 365 * 86_400


def wall_clock_s() -> int:
    """The wall clock in whole seconds."""
    return int(time.time())


@dataclass(frozen=True, slots=True)
class TrustMaterial:
    """What a device installs at provisioning and at every sync."""

    root: Certificate
    banks: tuple[Certificate, ...]
    revocations: RevocationList


@dataclass(frozen=True, slots=True)
class Funding:
    """A device's reserve after funding: net funded so far (funded minus returned)."""

    device_key_id: bytes
    amount_tyiyn: int
    funded_net_tyiyn: int


@dataclass(frozen=True, slots=True)
class ReturnClaim:
    """A device's request to return its unspent value: the total it says it spent, and
    the funding epoch it returns from (the reserve's funding total; None: unbound)."""

    spent_tyiyn: int
    funding_total_tyiyn: int | None


@dataclass(frozen=True, slots=True)
class ParkedRun:
    """A run whose posting was refused, set aside for an operator."""

    run_id: int
    reason: Reason
    detail: str
    parked_at: str


@dataclass(frozen=True, slots=True)
class RetryOutcome:
    """An operator's retry of a parked run: what it posted, or why it is still parked."""

    run_id: int
    transfers_posted: int
    parked: ParkedRun | None


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    """What one sync did. `returns_refused` says why a device asking for its unspent value
    got none; `parked` is set when this run's posting was refused (its value is kept)."""

    run_id: int
    result: SettlementResult
    decided: int
    paid_tyiyn: int
    guaranteed_tyiyn: int
    returned_tyiyn: Mapping[bytes, int]
    transfers_posted: int
    trust: TrustMaterial
    returns_refused: Mapping[bytes, Reason] = field(default_factory=dict)
    parked: ParkedRun | None = None
    # Wall seconds per step of this sync ("load", "settle", "store", "post"): where a
    # large run's time goes (bench/offline.py reports them).
    phases_s: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BacklogOutcome:
    """What `settle_backlog` did: one outcome per run, in order, and the wall seconds of
    each step summed over the runs ("post" ran beside the next runs' steps when
    pipelined; "post_wait" is what the runs' steps waited for it)."""

    runs: tuple[SyncOutcome, ...]
    phases_s: Mapping[str, float]

    @property
    def decisions(self) -> tuple[Decision, ...]:
        """Every run's decisions, run after run."""
        return tuple(d for run in self.runs for d in run.result.decisions)

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every run's new fraud findings."""
        return tuple(f for run in self.runs for f in run.result.findings)

    @property
    def revocations(self) -> frozenset[bytes]:
        """Every device revoked by the backlog."""
        return frozenset(k for run in self.runs for k in run.result.revocations)

    @property
    def transfers_posted(self) -> int:
        """Ledger transfers posted by every run."""
        return sum(run.transfers_posted for run in self.runs)

    @property
    def paid_tyiyn(self) -> int:
        """Paid by every run, reserve and guarantee."""
        return sum(run.paid_tyiyn for run in self.runs)


@dataclass(frozen=True, slots=True)
class _CollectedRun:
    """A run decoded, its signatures handed to the verifier; not settled yet."""

    uploads: Sequence[Upload]
    returns: Mapping[bytes, ReturnClaim]
    referenced: set[bytes]  # every key id the run names
    devices: dict[bytes, RegisteredDevice]
    own: book_store.LoadedBook  # the books of the run's payers (and returning devices) only
    collected: Collected
    phases_s: dict[str, float]


@dataclass(frozen=True, slots=True)
class _StoredRun:
    """A run settled and stored (pending), not yet posted."""

    run_id: int
    result: SettlementResult
    decided: int
    returned: dict[bytes, int]
    refused: dict[bytes, Reason]
    trust: TrustMaterial
    phases_s: dict[str, float]


class OfflineService:
    """The offline use cases over one database and one ledger. Thread-safe, and safe with
    several API processes: writes are serialised by one `SharedLock`, held from the checks
    (a certificate's cumulative limit, a funding's current total) until the ledger and the
    book recorded the outcome, in every process on a PostgreSQL database."""

    def __init__(
        self,
        engine: Engine,
        ledger: LedgerWriter,
        wallets: WalletDirectory,
        clock_s: Callable[[], int] = wall_clock_s,
        verify_signatures: SignatureVerifier = verify_sequentially,
    ) -> None:
        self._engine = engine
        self._ledger = GatedLedger(Domain.OFFLINE, CHART, ledger)  # the chart decides what it may post
        self._wallets = wallets
        self._clock_s = clock_s
        self._verify = verify_signatures
        self._lock = SharedLock("offline.writes", engine)

    # -- trust material ------------------------------------------------------------

    def trust(self) -> TrustMaterial:
        """The root, every bank certificate and the latest revocation list."""
        now_s = self._clock_s()
        with self._lock, self._engine.begin() as conn:
            return self._trust(conn, now_s)

    def _trust(self, conn: Connection, now_s: int) -> TrustMaterial:
        created_at = _iso(now_s)
        _signer, root = authority.root(conn, now_s, created_at)
        banks = tuple(authority.bank_certificates(conn).values())
        return TrustMaterial(root, banks, revocations.latest(conn, now_s, created_at))

    # -- registry ------------------------------------------------------------------

    def register_device(
        self,
        bank_code: str,
        wallet_id: str,
        public_key: bytes,
        per_payment_max_tyiyn: int,
        cumulative_max_tyiyn: int,
        validity_s: int = DEVICE_VALIDITY_S_DEFAULT,
    ) -> Certificate:
        """Certify a device key for a wallet; only the wallet's own bank may (`WRONG_BANK`)."""
        wallet = self._wallet(wallet_id)
        if wallet.bank_code != bank_code:
            raise OfflineError(Reason.WRONG_BANK, "a device is certified by its wallet's bank only")
        if not 0 < validity_s <= DEVICE_VALIDITY_S_MAX:
            raise OfflineError(Reason.MALFORMED, f"validity must be 1..{DEVICE_VALIDITY_S_MAX} s")
        now_s = self._clock_s()
        # Accounts first, outside the database transaction (on SQLite the ledger needs the
        # write lock too); an account left empty by a refused registration is harmless.
        accounts = [reserve_account(codec.key_id(public_key)), guarantee_account(bank_code)]
        results = self._ledger.create_accounts(accounts)
        if any(r not in _ACCOUNT_OK for r in results):
            raise OfflineError(Reason.LEDGER_REFUSED, f"accounts: {[r.name for r in results]}")
        with self._lock, self._engine.begin() as conn:
            signer, _bank_cert = authority.bank(conn, bank_code, now_s, _iso(now_s))
            cert = issue_certificate(
                signer, Role.DEVICE, public_key, now_s - authority.BACKDATE_S, now_s + validity_s,
                per_payment_max_tyiyn, cumulative_max_tyiyn,
            )
            registry.register(conn, RegisteredDevice(cert, wallet_id, bank_code), _iso(now_s))
        return cert

    def revoke_device(self, bank_code: str, device_key_id: bytes, reason: str) -> RevocationList:
        """The device's bank revokes it (reported lost or stolen); a new signed list.

        Its reserve stays: payments it made before the loss are still to come."""
        device = self.device(device_key_id)
        if device.bank_code != bank_code:
            raise OfflineError(Reason.WRONG_BANK, "a device is revoked by its own bank")
        now_s = self._clock_s()
        with self._lock, self._engine.begin() as conn:
            return revocations.revoke(conn, {device_key_id: reason}, now_s, _iso(now_s))

    def bank_of_wallet(self, wallet_id: str) -> str:
        """The bank that holds the wallet (`UNKNOWN_WALLET` otherwise)."""
        return self._wallet(wallet_id).bank_code

    def device(self, key_id: bytes) -> RegisteredDevice:
        """A registered device (`UNKNOWN_DEVICE` otherwise)."""
        with self._engine.connect() as conn:
            found = registry.get(conn, key_id)
        if found is None:
            raise OfflineError(Reason.UNKNOWN_DEVICE, key_id.hex())
        return found

    # -- funding -------------------------------------------------------------------

    def fund(self, wallet_id: str, device_key_id: bytes, amount_tyiyn: int, operation_id: str) -> Funding:
        """Move `amount_tyiyn` from the wallet to the device's offline reserve.

        Idempotent per `operation_id`. Refused for a device of another wallet, a revoked
        or expired certificate, a frozen or closed wallet, funding beyond the
        certificate's cumulative limit, or too little in the wallet."""
        if amount_tyiyn <= 0:
            raise OfflineError(Reason.NON_POSITIVE_AMOUNT)
        device = self.device(device_key_id)
        if device.wallet_id != wallet_id:
            raise OfflineError(Reason.UNKNOWN_DEVICE, "this device does not belong to that wallet")
        wallet = self._wallet(wallet_id)
        now_s = self._clock_s()
        with self._lock:
            with self._engine.connect() as conn:
                done = conn.execute(select(t.fundings).where(t.fundings.c.operation_id == operation_id)).first()
                net_tyiyn = self._funded_net(conn, [device_key_id])[device_key_id]
                revoked = revocations.revoked_at_sequence(conn, [device_key_id])
            if done is not None:
                if done.device_key_id != device_key_id or done.amount_tyiyn != amount_tyiyn:
                    raise OfflineError(Reason.MALFORMED, "this operation id was used for another funding")
                return Funding(device_key_id, amount_tyiyn, net_tyiyn)
            if revoked:
                raise OfflineError(Reason.REVOKED, device_key_id.hex())
            if not device.certificate.valid_at(now_s):
                raise OfflineError(Reason.CERTIFICATE_EXPIRED, device_key_id.hex())
            if not wallet.usable:
                raise OfflineError(Reason.WALLET_NOT_USABLE, wallet_id)
            if net_tyiyn + amount_tyiyn > device.certificate.cumulative_max_tyiyn:
                raise OfflineError(Reason.OVER_CUMULATIVE_LIMIT, "funding beyond the certificate's cumulative limit")
            transfer = Transfer(
                id=operation_transfer_id("fund", operation_id), debit_account_id=wallet.account_id,
                credit_account_id=reserve_account_id(device_key_id), amount=amount_tyiyn, ledger=LEDGER_KGS,
                code=int(OfflineTransferCode.OFFLINE_FUNDING),
            )
            # The ledger commits first (its own transaction); the funding row only records it.
            (result,) = self._ledger.create_transfers([transfer])
            if result is CreateTransferResult.exceeds_credits:
                raise OfflineError(Reason.INSUFFICIENT_FUNDS, "not enough in the wallet")
            if result not in _LEDGER_OK:
                raise OfflineError(Reason.LEDGER_REFUSED, result.name)
            with self._engine.begin() as conn:
                conn.execute(t.fundings.insert().values(
                    operation_id=operation_id, device_key_id=device_key_id, amount_tyiyn=amount_tyiyn,
                    created_at=_iso(now_s),
                ))
        return Funding(device_key_id, amount_tyiyn, net_tyiyn + amount_tyiyn)

    # -- sync ----------------------------------------------------------------------

    def sync(self, request: bytes) -> SyncOutcome:
        """Authenticate a device's signed upload, settle it and post it to the ledger."""
        return self.sync_verified(self.authenticate(request))

    def authenticate(self, request: bytes) -> SyncRequest:
        """Decode a sync request and check that its registered device signed it."""
        decoded = decode_sync_request(request)
        device = self.device(decoded.upload.device_key_id)
        verify_sync_request(decoded, device.certificate)
        return decoded

    def sync_verified(self, request: SyncRequest) -> SyncOutcome:
        """Settle an authenticated sync request (`authenticate`)."""
        returns = {}
        if request.return_unspent:
            returns[request.upload.device_key_id] = ReturnClaim(request.spent_tyiyn, request.funding_total_tyiyn)
        return self.settle_uploads([request.upload], returns)

    def settle_uploads(
        self, uploads: Sequence[Upload], returns: Mapping[bytes, ReturnClaim] | None = None
    ) -> SyncOutcome:
        """Settle already authenticated uploads in one run (the request path: `sync`).
        `returns` maps a device to its return claim: its unspent value goes back to its
        wallet if the claim names the current funding, unless it is fraudulent."""
        with self._lock:
            self._post_pending_runs()
            return self._post_stored(self._store_run(self._collect_run(uploads, returns or {})))

    def settle_backlog(
        self, uploads: Sequence[Upload], returns: Mapping[bytes, ReturnClaim] | None = None,
        run_payloads: int = backlog.RUN_PAYLOADS_DEFAULT, pipelined: bool = True,
    ) -> BacklogOutcome:
        """Settle a large backlog (a bulk import, the benchmark) as runs split by payer
        (`backlog.split_by_payer`), each stored then posted like `settle_uploads`' run.

        Pipelined, run N is posted on another thread while run N+1 is settled (its
        signatures verified) and stored: the ledger's work releases the GIL in the
        database, and nothing of run N+1 reads what run N's posting writes (its payers are
        others; the funding totals, which only fundings change, are read once, under the
        writes' lock). And run N+1 is decoded and its signatures handed to the verifier
        before run N's verdicts are read, so the verifying workers go on with it while this
        process applies run N's rules and stores it: decoding reads only run N+1's payers'
        books and the certificates, which run N does not write; what run N does write and
        run N+1's rules read (fraud findings, revocations) is read after run N is stored.
        On SQLite, whose database takes one writer at a time, the runs go one after the
        other. A device's return claim goes with the run of its payments."""
        returns = returns or {}
        parts = backlog.split_by_payer(uploads, run_payloads) or [[]]
        named = [_referenced(part) for part in parts]  # (payers, every key id named), once per run
        run_of = {payer: index for index, (payers, _) in enumerate(named) for payer in payers}
        part_returns: list[dict[bytes, ReturnClaim]] = [{} for _ in parts]
        for key_id, claim in returns.items():
            part_returns[run_of.get(key_id, len(parts) - 1)][key_id] = claim
        pipelined = pipelined and self._engine.dialect.name != "sqlite"
        phases_s: dict[str, float] = {}
        outcomes: list[SyncOutcome] = []
        # The collector stays off for the whole backlog, not only inside each run's steps:
        # every collection in between (the posting thread allocates all the time) re-walked
        # the runs' decoded payments, and re-enabling it after each step made the first
        # allocation collect everything the step had made. Measured on 200,030 payments:
        # this process's CPU 14.5-15.2 s before, 11.3-11.5 s after (docs/performance.md).
        with self._lock, cyclic_gc_paused(), \
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="offline-post") as poster:
            self._post_pending_runs()
            funding_totals = self._funding_totals(set(run_of) | set(returns))
            posting: Future[SyncOutcome] | None = None
            collected: _CollectedRun | None = None
            for index, (part, claims) in enumerate(zip(parts, part_returns, strict=True)):
                current = collected or self._collect_run(part, claims, named[index])
                # The next run's signatures go to the verifier before this run's verdicts
                # are read: the workers never wait for this run's rules and store.
                ahead = pipelined and index + 1 < len(parts)
                collected = (self._collect_run(parts[index + 1], part_returns[index + 1], named[index + 1])
                             if ahead else None)
                stored = self._store_run(current, funding_totals)
                if posting is not None:
                    outcomes.append(_waited(posting, phases_s))
                posting = poster.submit(self._post_stored, stored)
                if not pipelined:
                    outcomes.append(_waited(posting, phases_s))
                    posting = None
            if posting is not None:
                outcomes.append(_waited(posting, phases_s))
        for outcome in outcomes:
            for phase, seconds in outcome.phases_s.items():
                phases_s[phase] = phases_s.get(phase, 0.0) + seconds
        return BacklogOutcome(tuple(outcomes), phases_s)

    def _collect_run(self, uploads: Sequence[Upload], returns: Mapping[bytes, ReturnClaim],
                     named: tuple[set[bytes], set[bytes]] | None = None) -> _CollectedRun:
        """Load what decoding a run needs, decode it and hand its signatures to the
        verifier (`settlement.collect`); reads only. Call it holding the writes' lock.
        `named` is `_referenced(uploads)` when the caller has it already."""
        started = time.perf_counter()
        payers, referenced = named or _referenced(uploads)
        referenced = referenced | set(returns)
        with self._engine.connect() as conn:
            devices = registry.lookup(conn, referenced)
            own = book_store.load_own(conn, payers | set(returns))
        collecting = time.perf_counter()
        certificates = {k: d.certificate for k, d in devices.items()}
        collected = settlement.collect(uploads, own.book, certificates, self._verify)
        phases_s = {"load": collecting - started, "settle": time.perf_counter() - collecting}
        return _CollectedRun(uploads, returns, referenced, devices, own, collected, phases_s)

    def _store_run(self, run: _CollectedRun, funding_totals: Mapping[bytes, int] | None = None) -> _StoredRun:
        """Settle a collected run and store it (pending); call it holding the writes' lock."""
        phases_s = dict(run.phases_s)
        collected_s = phases_s["load"] + phases_s["settle"]
        now_s = self._clock_s()
        started = time.perf_counter()
        # The book's rows are many short-lived acyclic objects, made while the next run's
        # decoded payments are alive: the cyclic collector would only re-walk those.
        with cyclic_gc_paused(), self._engine.begin() as conn:
            run_id, result, decided, returned, refused = self._settle(conn, run, now_s, phases_s, funding_totals)
            trust = self._trust(conn, now_s)
        # Storing the run: the rest of its database transaction, the commit included.
        settled_s = phases_s["load"] + phases_s["settle"] - collected_s
        phases_s["store"] = time.perf_counter() - started - settled_s
        return _StoredRun(run_id, result, decided, returned, refused, trust, phases_s)

    def _post_stored(self, stored: _StoredRun) -> SyncOutcome:
        """Post a stored run (or park it) and say what the sync did."""
        started = time.perf_counter()
        result = stored.result
        posted, parked = self._post_or_park(stored.run_id, _paid_from(result))
        phases_s = {**stored.phases_s, "post": time.perf_counter() - started}
        return SyncOutcome(
            run_id=stored.run_id, result=result, decided=stored.decided,
            paid_tyiyn=sum(p.amount_tyiyn for p in result.payouts),
            guaranteed_tyiyn=sum(c.amount_tyiyn for c in result.claims),
            returned_tyiyn=stored.returned, transfers_posted=posted, trust=stored.trust,
            returns_refused=stored.refused, parked=parked, phases_s=phases_s,
        )

    def _settle(
        self, conn: Connection, run: _CollectedRun, now_s: int, phases_s: dict[str, float],
        funding_totals: Mapping[bytes, int] | None = None,
    ) -> tuple[int, SettlementResult, int, dict[bytes, int], dict[bytes, Reason]]:
        started = time.perf_counter()
        returns, devices = run.returns, run.devices
        # Read now, not when the run was collected: the runs stored since may have
        # found fraud or revoked devices.
        loaded = book_store.with_fraudulent(conn, run.own)
        if funding_totals is None:
            funding_totals = self._funding_totals(set(run.own.book.devices))  # its payers and returning devices
        bound, refused = _bind_returns(returns, funding_totals)
        context = SettlementContext(
            devices={k: d.certificate for k, d in devices.items()},
            funded_tyiyn={k: total - loaded.defunded_tyiyn.get(k, 0) for k, total in funding_totals.items()},
            # Banks too: revoking a bank's key revokes every device it certified.
            revoked_at_sequence=revocations.revoked_at_sequence(
                conn, run.referenced | {d.certificate.issuer_key_id for d in devices.values()}
            ),
            now_s=now_s,
            verify_signatures=self._verify,
        )
        settling = time.perf_counter()
        result = settlement.settle_collected(run.collected, context, loaded.book)
        phases_s["load"] += settling - started
        phases_s["settle"] += time.perf_counter() - settling
        returned = self._unspent(context.funded_tyiyn, result, bound)
        run_row = conn.execute(t.runs.insert().values(
            device_key_id=run.uploads[0].device_key_id if run.uploads else bytes(codec.KEY_ID_BYTES),
            status="pending", payments=len(result.decisions), created_at=_iso(now_s),
        ))
        inserted = tuple(run_row.inserted_primary_key or ())
        invariant(len(inserted) == 1, "a run row has an id")
        run_id = int(inserted[0])
        decided = book_store.save(conn, loaded, result, run_id, returned)
        for claim in result.claims:
            conn.execute(t.claims.insert().values(
                run_id=run_id, device_key_id=claim.device_key_id,
                bank_code=devices[claim.device_key_id].bank_code, amount_tyiyn=claim.amount_tyiyn,
            ))
        for key_id, amount_tyiyn in returned.items():
            conn.execute(t.defunds.insert().values(
                run_id=run_id, device_key_id=key_id, wallet_id=devices[key_id].wallet_id, amount_tyiyn=amount_tyiyn,
            ))
            # Its primary key refuses a second return in one funding epoch.
            conn.execute(t.returns.insert().values(
                device_key_id=key_id, funding_total_tyiyn=funding_totals[key_id], run_id=run_id,
            ))
        if result.revocations:
            why = {f.device_key_id: f.fraud.value for f in sorted(result.findings, key=lambda f: f.counter)}
            revocations.revoke(conn, {k: why[k] for k in result.revocations}, now_s, _iso(now_s))
        return run_id, result, decided, returned, refused

    @staticmethod
    def _unspent(
        funded: Mapping[bytes, int], result: SettlementResult, returns: Mapping[bytes, int]
    ) -> dict[bytes, int]:
        """What goes back to each wallet: the funding the device did not spend, as far as
        the server has seen and the device itself says; nothing for a fraudulent device
        (its reserve pays its clones' payees first)."""
        out = {}
        for key_id, spent_tyiyn in returns.items():
            book = result.book.device(key_id)
            if book.findings:
                continue
            seen_tyiyn = max((link.cumulative_tyiyn for links in book.chain.values() for link in links), default=0)
            left_tyiyn = funded.get(key_id, 0) - max(spent_tyiyn, seen_tyiyn, book.reserve_paid_tyiyn)
            if left_tyiyn > 0:
                out[key_id] = left_tyiyn
        return out

    # -- posting -------------------------------------------------------------------

    def parked_runs(self) -> list[ParkedRun]:
        """Runs whose posting was refused, oldest first, with their reasons (for an operator)."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(t.parked_runs).order_by(t.parked_runs.c.run_id)).all()
        return [ParkedRun(row.run_id, Reason(row.reason), row.detail, row.parked_at) for row in rows]

    def retry_parked(self, run_id: int) -> RetryOutcome:
        """Post a parked run again once its cause is fixed (a wallet unfrozen, a float
        topped up). Idempotent: the chains the ledger already has are not posted twice, and
        a run already posted answers `posted` with nothing moved. Still refused: parked
        again with the new reason. `UNKNOWN_RUN` for a run that does not exist."""
        with self._lock:
            with self._engine.connect() as conn:
                status = conn.execute(select(t.runs.c.status).where(t.runs.c.id == run_id)).scalar_one_or_none()
                parked = conn.execute(select(t.parked_runs.c.run_id).where(t.parked_runs.c.run_id == run_id)).first()
            if status is None:
                raise OfflineError(Reason.UNKNOWN_RUN, str(run_id))
            if status == "posted" and parked is None:
                return RetryOutcome(run_id, 0, None)
            with self._engine.begin() as conn:  # parked again below if still refused
                conn.execute(t.parked_runs.delete().where(t.parked_runs.c.run_id == run_id))
            posted, still = self._post_or_park(run_id)
        return RetryOutcome(run_id, posted, still)

    def _post_pending_runs(self) -> None:
        runs, parked = t.runs.c, t.parked_runs.c
        with self._engine.connect() as conn:
            pending = conn.execute(
                select(runs.id).where(runs.status == "pending", runs.id.not_in(select(parked.run_id))).order_by(runs.id)
            )
            run_ids = list(pending.scalars())
        for run_id in run_ids:
            self._post_or_park(run_id)

    def _post_or_park(
        self, run_id: int, paid: Sequence[posting.PaidPayment] | None = None
    ) -> tuple[int, ParkedRun | None]:
        """Post a run; a typed refusal parks it (a crash, any other error, leaves it pending
        for the next sync to post again)."""
        try:
            return self._post_run(run_id, paid), None
        except OfflineError as error:
            parked = ParkedRun(run_id, error.reason, error.detail[: t.PARKED_DETAIL_CHARS_MAX], _iso(self._clock_s()))
            with self._engine.begin() as conn:
                conn.execute(t.parked_runs.insert().values(
                    run_id=run_id, reason=parked.reason.value, detail=parked.detail, parked_at=parked.parked_at,
                ))
            return 0, parked

    def _post_run(self, run_id: int, paid: Sequence[posting.PaidPayment] | None = None) -> int:
        """Post a run's chains (those the ledger does not have yet) and mark it posted.

        `paid` is the run's paid payments when the caller has them in memory (a fresh run:
        nothing of it is in the ledger); a pending or parked run posted again reads them
        back from the book and drops the chains the ledger already has."""
        again = paid is None
        with self._engine.connect() as conn:
            if paid is None:
                paid = _paid_payments(conn, run_id)
            defunds = conn.execute(select(t.defunds).where(t.defunds.c.run_id == run_id)).all()
            ids = {p.payee_id for p in paid} | {p.payer_key_id for p in paid if p.guarantee_tyiyn}
            devices = registry.lookup(conn, ids)
        if again:
            paid, defunds = self._not_posted(run_id, paid, defunds)
        wallet_ids = sorted({devices[p.payee_id].wallet_id for p in paid} | {d.wallet_id for d in defunds})
        # Under the wallets' locks until posted: a payee frozen or closed since the payment
        # parks the run (its value kept) instead of crediting it, and the room under a
        # holding limit is read once for every credit of the run (`digisom.cbdc.credits`).
        with self._wallets.held_wallets(wallet_ids):
            posted = posting.post(self._ledger, self._chains(run_id, paid, defunds, devices))
        with self._engine.begin() as conn:
            conn.execute(update(t.runs).where(t.runs.c.id == run_id).values(status="posted"))
        return posted

    def _not_posted(self, run_id: int, paid: Sequence[posting.PaidPayment], defunds: Sequence[Any]
                    ) -> tuple[list[posting.PaidPayment], list[Any]]:
        """The payments and returns of a run whose chains the ledger does not have (a chain
        is linked: all of it is there or none)."""
        firsts = {p: payouts.payment_chain_ids(p) for p in paid}
        firsts_back = {d: payouts.defund_chain_ids(run_id, d.device_key_id) for d in defunds}
        wanted = [i for found in (*firsts.values(), *firsts_back.values()) for i in found]
        done: set[int] = set()
        for start in range(0, len(wanted), PAGE_LIMIT_MAX):
            done.update(tr.id for tr in self._ledger.lookup_transfers(wanted[start : start + PAGE_LIMIT_MAX]))
        return ([p for p, found in firsts.items() if done.isdisjoint(found)],
                [d for d, found in firsts_back.items() if done.isdisjoint(found)])

    def _chains(self, run_id: int, paid: Sequence[posting.PaidPayment], defunds: Sequence[Any],
                devices: Mapping[bytes, RegisteredDevice]) -> list[list[Transfer]]:
        """The run's chains, each credit planned by the digital som's rule; `WALLET_NOT_USABLE`
        (or `UNKNOWN_WALLET`) if a wallet may not receive now. Call it holding the wallets' locks."""
        def bank(p: posting.PaidPayment) -> str:
            return devices[p.payer_key_id].bank_code if p.guarantee_tyiyn else ""

        by_payment = [payouts.payment_parts(p, devices[p.payee_id].wallet_id, bank(p)) for p in paid]
        returns = [payouts.defund_part(d.device_key_id, d.wallet_id, d.amount_tyiyn) for d in defunds]
        credits = [credit for parts in (*by_payment, returns) for _part, credit in parts]
        plans = iter(self._wallets.plan_credits(credits))

        def planned(parts: Sequence[payouts.Part]) -> list[tuple[str, tuple[CreditLeg, ...]]]:
            out = []
            for part, credit in parts:
                plan = next(plans)
                if isinstance(plan, str):
                    reason = Reason.UNKNOWN_WALLET if plan == "wallet_not_found" else Reason.WALLET_NOT_USABLE
                    raise OfflineError(reason, f"wallet {credit.wallet_id} may not receive now: {plan}")
                out.append((part, plan))
            return out

        chains = [payouts.payment_chain(p, bank(p), self._wallets.bank_float_account_id(bank(p)) if bank(p) else 0,
                                        planned(parts)) for p, parts in zip(paid, by_payment, strict=True)]
        for d, part in zip(defunds, returns, strict=True):
            ((_part, legs),) = planned([part])
            chains.append(payouts.defund_chain(run_id, d.device_key_id, legs))
        return chains

    # -- helpers -------------------------------------------------------------------

    def _wallet(self, wallet_id: str) -> WalletRef:
        wallet = self._wallets.wallet(wallet_id)
        if wallet is None:
            raise OfflineError(Reason.UNKNOWN_WALLET, wallet_id)
        return wallet

    def _funded_net(self, conn: Connection, key_ids: Iterable[bytes]) -> dict[bytes, int]:
        """Per device: moved into its reserve minus returned."""
        ids = list(key_ids)
        defunded = book_store.load(conn, ids).defunded_tyiyn
        return {k: total - defunded.get(k, 0) for k, total in self._funding_totals(ids).items()}

    def _funding_totals(self, key_ids: Iterable[bytes]) -> dict[bytes, int]:
        """Per device: everything ever funded, the reserve's credits (only fundings credit
        it). It only grows, so it names the funding epoch a return request is bound to."""
        ids = list(key_ids)
        credits: dict[int, int] = {}
        account_ids = [reserve_account_id(k) for k in ids]
        for start in range(0, len(account_ids), PAGE_LIMIT_MAX):
            for account in self._ledger.lookup_accounts(account_ids[start : start + PAGE_LIMIT_MAX]):
                credits[account.id] = account.credits_posted
        return {k: credits.get(reserve_account_id(k), 0) for k in ids}


def _waited(posting: Future[SyncOutcome], phases_s: dict[str, float]) -> SyncOutcome:
    """A run's posting outcome, adding the time spent waiting for it to `post_wait`."""
    started = time.perf_counter()
    outcome = posting.result()
    phases_s["post_wait"] = phases_s.get("post_wait", 0.0) + time.perf_counter() - started
    return outcome


def _bind_returns(
    returns: Mapping[bytes, ReturnClaim], funding_totals: Mapping[bytes, int]
) -> tuple[dict[bytes, int], dict[bytes, Reason]]:
    """(device -> spent total for the returns bound to the current funding, device -> why
    the others are refused). A claim from before a later funding names an older total."""
    bound: dict[bytes, int] = {}
    refused: dict[bytes, Reason] = {}
    for key_id, claim in returns.items():
        if claim.funding_total_tyiyn is None:
            refused[key_id] = Reason.UNBOUND_RETURN
        elif claim.funding_total_tyiyn != funding_totals.get(key_id, 0):
            refused[key_id] = Reason.STALE_RETURN
        else:
            bound[key_id] = claim.spent_tyiyn
    return bound, refused


def _paid_from(result: SettlementResult) -> list[posting.PaidPayment]:
    """The run's paid payments, one per payment with its reserve and guarantee parts."""
    parts: dict[tuple[bytes, int, bytes], list[int]] = {}
    payees: dict[tuple[bytes, int, bytes], bytes] = {}
    for payout in result.payouts:
        key = (payout.payer_key_id, payout.counter, payout.payment_hash)
        amounts = parts.setdefault(key, [0, 0])
        amounts[0 if payout.source is Verdict.RESERVE else 1] += payout.amount_tyiyn
        payees[key] = payout.payee_id
    return [posting.PaidPayment(*key, payees[key], reserve, guarantee) for key, (reserve, guarantee) in parts.items()]


def _paid_payments(conn: Connection, run_id: int) -> list[posting.PaidPayment]:
    """A run's paid payments as stored in the book."""
    p = t.payments.c
    rows = conn.execute(
        select(p.payer_key_id, p.counter, p.payment_hash, p.payee_id, p.reserve_tyiyn, p.guarantee_tyiyn)
        .where(p.run_id == run_id, (p.reserve_tyiyn + p.guarantee_tyiyn) > 0)
        .order_by(p.payer_key_id, p.counter, p.payment_hash)
    )
    return [posting.PaidPayment(*row) for row in rows]


def _referenced(uploads: Sequence[Upload]) -> tuple[set[bytes], set[bytes]]:
    """(payer key ids, every key id an upload names): what a run must load."""
    payers: set[bytes] = set()
    referenced: set[bytes] = set()
    for upload in uploads:
        referenced.add(upload.device_key_id)
        for payload in (*upload.sent, *(r.payload for r in upload.received)):
            ids = referenced_key_ids(payload)
            if ids is not None:
                payers.add(ids[0])
                referenced.update(ids)
    return payers, referenced


def _iso(now_s: int) -> str:
    return datetime.fromtimestamp(now_s, UTC).isoformat().replace("+00:00", "Z")


