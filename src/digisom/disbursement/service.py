"""The disbursement service: programmes and budget lines, uploading, approving and
executing runs.

A run is refused whole at upload if any row is bad (`FileRefused`), so nothing is ever
half-paid for bad input. One operator uploads, a different one approves (dual control).

A programme pays only from an active wallet of the treasury or a ministry, named by its
wallet id: checked when the programme is created and again for each batch it pays,
under the source wallet's lock held until the batch is posted (`SourceWallets.held_usable`),
so a wallet frozen or closed since stops the run before anything more moves
(`SourceWalletRefused`), and a freeze cannot land between the check and the posting.
The wallet is asked of the digital som through `SourceWallets`.

A payment to a wallet obeys the digital som's rules for every credit
(`digisom.cbdc.credits`), decided per batch under the recipients' wallet locks: a wallet
frozen or closed since the upload is not paid (`rejected`, reason `recipient_frozen` or
`recipient_closed`; the money stays with the source and a re-payment may try again), and
what exceeds a wallet's holding limit goes to the holder's linked bank deposit
(`DISBURSEMENT_WATERFALL`), in one linked chain with the payment's own transfer.

Executing pays batch by batch through the ledger. Each payment's transfer id is derived
from (programme, period, PIN), and each batch's outcome is recorded (payment statuses,
the budget line, the run's progress) in one transaction after the ledger committed. A
crash between the two is safe: the resumed run resubmits the same batch, the ledger
answers `exists` for what it already holds, and only payments still `pending` in the
domain's tables move the budget line, so nobody is paid or counted twice.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, Connection, Engine, Integer, RowMapping, any_, bindparam, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError

from digisom.disbursement import tables
from digisom.disbursement.model import (
    PERIOD_PATTERN,
    REPAYABLE,
    AlreadyExists,
    DualControl,
    FileFormat,
    InvalidInput,
    KeyReused,
    NotFound,
    OverBudget,
    PaymentStatus,
    Programme,
    Progress,
    Repayment,
    Return,
    ReturnRefused,
    Run,
    RunStatus,
    SourceRefusal,
    SourceWalletRefused,
    TransferCode,
    WrongState,
    leg_transfer_id,
    return_transfer_id,
    transfer_id,
)
from digisom.disbursement.pain001 import parse_pain001
from digisom.disbursement.parsing import (
    FILE_LEVEL_LINE,
    FileRefused,
    PaymentRow,
    Reason,
    ResolvedRow,
    RowError,
    check_rows,
    parse_csv,
    report,
)
from digisom.disbursement.ports import (
    DIRECTORY_LOOKUP_MAX,
    Channel,
    Credit,
    CreditLeg,
    CreditRefusal,
    Destination,
    Payee,
    RecipientDirectory,
    SourceWallet,
    SourceWallets,
    TransferSink,
)
from digisom.disbursement.reconciliation import Reconciliation, ReportLine
from digisom.disbursement.spending import status_totals_in
from digisom.kernel.chart import LEDGER_KGS
from digisom.kernel.db_errors import reraise_unless_unique
from digisom.kernel.results import TRANSFER_OK as _PAID
from digisom.ledger.gc_pause import cyclic_gc_paused
from digisom.ledger.model import BATCH_EVENTS_MAX, Transfer, TransferFlags
from digisom.ledger.results import CreateTransferResult

# Rows inserted or looked up per statement: bounded so no statement grows with the file.
ROWS_PER_STATEMENT: Final = 5000
IDEMPOTENCY_KEY_CHARS_MAX: Final = 128
# The payment's first transfer already exists with another split (the wallet's room changed
# since a crash): its linked chain was applied whole, so the payment was made.
_MADE: Final = _PAID | frozenset(r for r in CreateTransferResult if r.name.startswith("exists_with_different"))
_LINKED: Final = int(TransferFlags.LINKED)
_SCHEME_ID: Final = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9._-]{{0,{tables.ID_CHARS_MAX - 1}}}$")
_PAYMENT_COLUMNS: Final = (
    "run_id",
    "programme_id",
    "period",
    "pin",
    "line",
    "amount_tyiyn",
    "name",
    "region",
    "channel",
    "account_id",
    "transfer_id",
    "status",
    "reason",
)
_COPY_PAYMENTS: Final = f"COPY {tables.payments.name} ({', '.join(_PAYMENT_COLUMNS)}) FROM STDIN"
# Read once, not per row: an enum member's `.value` costs a descriptor call.
_CHANNEL_VALUES: Final = {channel: channel.value for channel in Channel}
_PENDING: Final = PaymentStatus.PENDING.value
_WALLET: Final = Channel.WALLET.value
_NONE: Final = Channel.NONE.value
# What executing a batch reads of each payment.
_BATCH_COLUMNS: Final = ("seq", "line", "status", "pin", "amount_tyiyn", "channel", "account_id", "transfer_id")


def _now() -> str:
    return datetime.now(UTC).isoformat()


class DisbursementService:
    """Programmes, runs and payments over the domain's tables; takes its ports as arguments."""

    def __init__(
        self,
        engine: Engine,
        directory: RecipientDirectory,
        ledger: TransferSink,
        sources: SourceWallets,
        clock: Callable[[], str] = _now,
    ) -> None:
        self._engine = engine
        self._directory = directory
        self._ledger = ledger
        self._sources = sources
        self._clock = clock

    # -- programmes ------------------------------------------------------------------

    def create_programme(
        self, programme_id: str, name: str, source_wallet_id: str, budget_tyiyn: int, *, benefit_scheme: str = ""
    ) -> Programme:
        """A new programme paying from `source_wallet_id`, an active wallet of the treasury
        or a ministry (else `SourceWalletRefused`).

        With `benefit_scheme` (a purpose-bound benefit of the digital som domain, e.g. a
        school-supplies grant), the directory resolves wallet holders to their benefit
        account of that scheme; "" pays ordinary cash.
        """
        if not programme_id or len(programme_id) > tables.ID_CHARS_MAX:
            raise InvalidInput(f"a programme id is 1 to {tables.ID_CHARS_MAX} characters")
        if type(budget_tyiyn) is not int or budget_tyiyn < 0:
            raise InvalidInput("a budget is a non-negative integer of tyiyn")
        if benefit_scheme and not _SCHEME_ID.match(benefit_scheme):
            raise InvalidInput(f"a benefit scheme id is 1 to {tables.ID_CHARS_MAX} letters, digits, '.', '_' or '-'")
        account_id = self._source_account(source_wallet_id)
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    tables.programmes.insert().values(
                        id=programme_id,
                        name=name[: tables.TEXT_CHARS_MAX],
                        ledger_account_id=str(account_id),
                        source_wallet_id=source_wallet_id,
                        budget_tyiyn=budget_tyiyn,
                        remaining_tyiyn=budget_tyiyn,
                        created_at=self._clock(),
                        benefit_scheme=benefit_scheme,
                    )
                )
        except IntegrityError as error:
            reraise_unless_unique(error)
            raise AlreadyExists(f"programme {programme_id!r} exists") from None
        return self.programme(programme_id)

    def _source_account(self, wallet_id: str) -> int:
        """The ledger account of `wallet_id` if it may fund a programme now; else `SourceWalletRefused`."""
        found = self._sources.source_wallet(wallet_id) if 0 < len(wallet_id) <= tables.ID_CHARS_MAX else None
        return _usable_source(found, wallet_id)

    # -- runs ------------------------------------------------------------------------

    def programme(self, programme_id: str) -> Programme:
        """One programme with what remains on its budget line."""
        with self._engine.connect() as conn:
            return _programme(conn, programme_id)

    def programmes(self, offset: int, limit: int) -> list[Programme]:
        """Programmes in the order they were created, `limit` from `offset` (a console's list)."""
        query = select(tables.programmes.c.id).order_by(tables.programmes.c.seq).offset(offset).limit(limit)
        with self._engine.connect() as conn:
            return [_programme(conn, found) for found in conn.execute(query).scalars()]

    def runs_of(self, programme_id: str, offset: int, limit: int) -> list[Run]:
        """A programme's runs, the latest upload first, `limit` from `offset`."""
        runs = tables.runs
        query = (select(runs).where(runs.c.programme_id == programme_id).order_by(runs.c.seq.desc())
                 .offset(offset).limit(limit))
        with self._engine.connect() as conn:
            _programme(conn, programme_id)
            return [_run(row) for row in conn.execute(query).mappings()]

    def upload(
        self,
        operator: str,
        idempotency_key: str,
        programme_id: str,
        period: str,
        data: bytes,
        file_format: FileFormat = FileFormat.CSV,
    ) -> Run:
        """Check a file (CSV or pain.001) and record it as a run awaiting approval, or raise
        `FileRefused`.

        The same operator and key again return the same run without reading the file twice.
        """
        _check_operator(operator)
        _check_key(idempotency_key)
        if not PERIOD_PATTERN.match(period):
            raise InvalidInput("a period is a month, YYYY-MM")
        run_id = _run_id(operator, idempotency_key)
        file_sha256 = hashlib.sha256(data).hexdigest()
        with self._engine.connect() as conn:
            existing = conn.execute(select(tables.runs).where(tables.runs.c.id == run_id)).mappings().first()
            if existing is not None:
                return _same_upload(existing, file_sha256)
            programme = _programme(conn, programme_id)
            committed_tyiyn = _committed_tyiyn(conn, programme_id)
        parse = parse_pain001 if file_format is FileFormat.PAIN001 else parse_csv
        with cyclic_gc_paused():
            parsed, errors = parse(data)
            errors.extend(self._already_in_period(programme_id, period, parsed))
            rows = check_rows(
                parsed, errors, self._directory, programme.remaining_tyiyn - committed_tyiyn, programme.benefit_scheme
            )
        total_tyiyn = sum(r.row.amount_tyiyn for r in rows)
        try:
            with self._engine.begin() as conn:
                # Checked again under the programme's row lock: two uploads racing for the
                # last of a budget line must not both pass (SQLite's write lock does the same).
                locked = _programme(conn, programme_id, for_update=True)
                available_tyiyn = locked.remaining_tyiyn - _committed_tyiyn(conn, programme_id)
                if total_tyiyn > available_tyiyn:
                    raise FileRefused(report([_over_budget(total_tyiyn, available_tyiyn)]))
                conn.execute(
                    tables.runs.insert().values(
                        id=run_id,
                        programme_id=programme_id,
                        period=period,
                        status=RunStatus.UPLOADED.value,
                        uploaded_by=operator,
                        rows=len(rows),
                        total_tyiyn=total_tyiyn,
                        batches_done=0,
                        file_sha256=file_sha256,
                        uploaded_at=self._clock(),
                    )
                )
                _insert_payments(conn, (_payment(run_id, programme_id, period, r) for r in rows))
        except IntegrityError as error:
            reraise_unless_unique(error)
            # A race: the same upload twice at once, or another run for this period took a
            # recipient between our check and our insert. The database kept the rule.
            with self._engine.connect() as conn:
                existing = conn.execute(select(tables.runs).where(tables.runs.c.id == run_id)).mappings().first()
            if existing is not None:
                return _same_upload(existing, file_sha256)
            errors = self._already_in_period(programme_id, period, [r.row for r in rows])
            if not errors:
                raise
            raise FileRefused(report(errors)) from None
        return self.run(run_id)

    def approve(self, operator: str, run_id: str) -> Run:
        """Approve an uploaded run; its uploader may not (dual control). Approving twice is a no-op."""
        _check_operator(operator)
        with self._engine.begin() as conn:
            run = _load_run(conn, run_id)
            if run.uploaded_by == operator:
                raise DualControl("the operator who uploaded a run may not approve it")
            if run.status is not RunStatus.UPLOADED:
                if run.approved_by == operator:
                    return run
                raise WrongState(f"run {run_id} is {run.status.value}, not uploaded")
            conn.execute(
                tables.runs.update()
                .where(tables.runs.c.id == run_id, tables.runs.c.status == RunStatus.UPLOADED.value)
                .values(status=RunStatus.APPROVED.value, approved_by=operator, approved_at=self._clock())
            )
            return _load_run(conn, run_id)

    def run(self, run_id: str) -> Run:
        """One run."""
        with self._engine.connect() as conn:
            return _load_run(conn, run_id)

    def execute(
        self,
        run_id: str,
        batch_size: int = BATCH_EVENTS_MAX,
        on_batch: Callable[[Progress], None] | None = None,
    ) -> Progress:
        """Pay an approved run (or resume one that stopped); returns its final progress.

        `on_batch` is told the progress after each recorded batch (a CLI progress bar, an API).
        """
        if not 1 <= batch_size <= BATCH_EVENTS_MAX:
            raise InvalidInput(f"a batch is 1 to {BATCH_EVENTS_MAX} payments")
        with self._engine.connect() as conn:
            unlocked = _load_run(conn, run_id)
            if unlocked.status is RunStatus.COMPLETED:
                return _progress(conn, run_id)
            source_wallet_id = _programme(conn, unlocked.programme_id).source_wallet_id
        # Before the run is marked executing: a refused source leaves an approved run approved.
        self._source_account(source_wallet_id)
        with self._engine.begin() as conn:
            run = _load_run(conn, run_id, for_update=True)
            if run.status is RunStatus.COMPLETED:
                return _progress(conn, run_id)
            if run.status not in (RunStatus.APPROVED, RunStatus.EXECUTING):
                raise WrongState(f"run {run_id} is {run.status.value}; it must be approved first")
            conn.execute(
                tables.runs.update().where(tables.runs.c.id == run_id).values(status=RunStatus.EXECUTING.value)
            )
            programme = _programme(conn, run.programme_id)
            progress = _progress(conn, run_id)
            first_pending_line = _first_pending_line(conn, run_id)
        for batch in self._pending_batches(run_id, batch_size, first_pending_line):
            payees = [Payee(p["pin"], int(p["account_id"]), p["amount_tyiyn"])
                      for p in batch if p["channel"] == _WALLET]
            # Under the locks of the source and the payees' wallets until the batch is
            # posted: a freeze lands before the check (and is seen) or after the posting.
            with self._sources.held_usable(programme.source_wallet_id, payees, programme.benefit_scheme) as held:
                account_id = _usable_source(held.source, programme.source_wallet_id)
                credits = dict(zip((p.pin for p in payees), held.credits, strict=True))
                with cyclic_gc_paused():  # a batch's objects are acyclic and freed with it (`ledger.gc_pause`)
                    outcomes = self._pay(account_id, batch, credits)
            with cyclic_gc_paused():
                progress = self._record(run, outcomes, progress)
            if on_batch is not None:
                on_batch(progress)
        with self._engine.begin() as conn:
            conn.execute(
                tables.runs.update()
                .where(tables.runs.c.id == run_id)
                .values(status=RunStatus.COMPLETED.value, completed_at=self._clock())
            )
            return _progress(conn, run_id)

    def progress(self, run_id: str) -> Progress:
        """How far a run has got."""
        with self._engine.connect() as conn:
            _load_run(conn, run_id)
            return _progress(conn, run_id)

    def reconciliation(self, run_id: str) -> Reconciliation:
        """The run's report: every recipient paid, unclaimed, rejected (or still pending)."""
        payments = tables.payments
        lines: list[ReportLine] = []
        with self._engine.connect() as conn:
            run = _load_run(conn, run_id)
            progress = _progress(conn, run_id)
            after_seq = 0
            while True:
                page = list(
                    conn.execute(
                        select(payments)
                        .where(payments.c.run_id == run_id, payments.c.seq > after_seq)
                        .order_by(payments.c.seq)
                        .limit(ROWS_PER_STATEMENT)
                    ).mappings()
                )
                if not page:
                    break
                after_seq = page[-1]["seq"]
                lines.extend(_report_line(p) for p in page)
        lines.sort(key=lambda line: line.line)
        returns = tuple(self.returns(run_id))
        return Reconciliation(run.id, run.programme_id, run.period, progress, tuple(lines), returns)

    def _pending_batches(
        self, run_id: str, batch_size: int, first_line: int | None
    ) -> Iterator[list[RowMapping]]:
        """The run's pending payments in file order from `first_line`, a page of at most
        `batch_size` lines at a time.

        Pages follow the index on (run, line) and leave out in Python what is no longer
        pending: `status` is in no index (see `tables.payments`), and a page only holds
        payments already recorded when another executor of the run got there first.
        """
        if first_line is None:
            return
        payments = tables.payments
        after_line = first_line - 1
        while True:
            with self._engine.connect() as conn:
                # `.all()` fetches the page in one call; iterating fetched row by row (~0.4 s per 100,000).
                page = (
                    conn.execute(
                        select(*(payments.c[name] for name in _BATCH_COLUMNS))
                        .where(payments.c.run_id == run_id, payments.c.line > after_line)
                        .order_by(payments.c.line)
                        .limit(batch_size)
                    )
                    .mappings()
                    .all()
                )
            if not page:
                return
            after_line = page[-1]["line"]
            batch = [p for p in page if p["status"] == _PENDING]
            if batch:
                yield batch

    def _pay(
        self, source_account_id: int, batch: Sequence[RowMapping], credits: Mapping[str, Credit]
    ) -> list[tuple[RowMapping, PaymentStatus, str]]:
        """Post one batch, paid from `source_account_id`: a wallet's payment as the legs in
        `credits` (its refusal moves nothing), a bank account's as one transfer. Each payment's
        outcome and reason; its first transfer carries the payment's own id."""
        chains: list[tuple[str, list[Transfer]]] = []
        refused: dict[str, str] = {}
        for p in batch:
            if p["channel"] == _NONE:
                continue
            credit = credits.get(p["pin"]) if p["channel"] == _WALLET else None
            if isinstance(credit, CreditRefusal):
                refused[p["pin"]] = credit.value
                continue
            legs = credit or (CreditLeg(source_account_id, int(p["account_id"]), p["amount_tyiyn"],
                                        int(TransferCode.DISBURSEMENT)),)
            chains.append((p["pin"], _chain(int(p["transfer_id"], 16), legs)))
        by_pin = self._submit(chains)
        outcomes: list[tuple[RowMapping, PaymentStatus, str]] = []
        for payment in batch:
            result = by_pin.get(payment["pin"])
            if payment["pin"] in refused:
                outcomes.append((payment, PaymentStatus.REJECTED, refused[payment["pin"]]))
            elif result is None:
                outcomes.append((payment, PaymentStatus.UNCLAIMED, "no wallet and no bank account"))
            elif result in _MADE:
                outcomes.append((payment, PaymentStatus.PAID, ""))
            else:
                outcomes.append((payment, PaymentStatus.REJECTED, result.name))
        return outcomes

    def _submit(self, chains: Sequence[tuple[str, list[Transfer]]]) -> dict[str, CreateTransferResult]:
        """Submit whole chains in ledger batches; the result of each chain's first transfer, by PIN."""
        by_pin: dict[str, CreateTransferResult] = {}
        start = 0
        while start < len(chains):
            end, events = start, 0
            while end < len(chains) and events + len(chains[end][1]) <= BATCH_EVENTS_MAX:
                events += len(chains[end][1])
                end += 1
            part = chains[start:end]
            results = iter(self._ledger.create_transfers([t for _, chain in part for t in chain]))
            for pin, chain in part:
                first = next(results)
                for _ in chain[1:]:
                    next(results)
                by_pin[pin] = first
            start = end
        return by_pin

    def _record(
        self, run: Run, outcomes: Sequence[tuple[RowMapping, PaymentStatus, str]], known: Progress
    ) -> Progress:
        """Record one batch's outcomes; only payments still pending move, so a replay is a no-op.

        The new progress is `known` (this executor's after its previous batch) plus what
        this batch moved, or counted afresh if another executor recorded a batch meanwhile:
        counting a run's payments per batch would grow with the run (1,000,000 rows x 123).
        """
        payments = tables.payments
        by_outcome: dict[tuple[PaymentStatus, str], list[int]] = {}
        for payment, status, reason in outcomes:
            by_outcome.setdefault((status, reason), []).append(payment["seq"])
        moved = dict.fromkeys(PaymentStatus, 0)
        paid_tyiyn = 0
        with self._engine.begin() as conn:
            current = _load_run(conn, run.id, for_update=True)
            # One statement per distinct outcome (paid, unclaimed, each rejection), by
            # primary key, and only rows still pending: the replay of a batch moves nothing.
            for (status, reason), seqs in by_outcome.items():
                amounts = (
                    conn.execute(
                        payments.update()
                        .where(_seq_in(conn, seqs), payments.c.status == PaymentStatus.PENDING.value)
                        .values(status=status.value, reason=reason, batch=current.batches_done)
                        .returning(payments.c.amount_tyiyn)
                    )
                    .scalars()
                    .all()
                )
                moved[status] += len(amounts)
                if status is PaymentStatus.PAID:
                    paid_tyiyn += sum(amounts)
            if paid_tyiyn:
                conn.execute(
                    tables.programmes.update()
                    .where(tables.programmes.c.id == run.programme_id)
                    .values(remaining_tyiyn=tables.programmes.c.remaining_tyiyn - paid_tyiyn)
                )
            conn.execute(
                tables.runs.update()
                .where(tables.runs.c.id == run.id)
                .values(batches_done=tables.runs.c.batches_done + 1)
            )
            if current.batches_done != known.batches_done:
                return _progress(conn, run.id)
        return replace(
            known,
            pending=known.pending - sum(moved.values()),
            paid=known.paid + moved[PaymentStatus.PAID],
            unclaimed=known.unclaimed + moved[PaymentStatus.UNCLAIMED],
            rejected=known.rejected + moved[PaymentStatus.REJECTED],
            paid_tyiyn=known.paid_tyiyn + paid_tyiyn,
            batches_done=current.batches_done + 1,
        )

    def _already_in_period(self, programme_id: str, period: str, rows: Sequence[PaymentRow]) -> list[RowError]:
        payments = tables.payments
        taken: set[str] = set()
        with self._engine.connect() as conn:
            in_period = payments.c.programme_id == programme_id, payments.c.period == period
            if conn.execute(select(payments.c.seq).where(*in_period).limit(1)).first() is None:
                return []  # the period's first run: no PIN to look up (100,000 PINs: 1.3 s)
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                pins = [r.pin for r in rows[start : start + ROWS_PER_STATEMENT]]
                taken.update(
                    conn.execute(
                        select(payments.c.pin).where(
                            payments.c.programme_id == programme_id,
                            payments.c.period == period,
                            payments.c.pin.in_(pins),
                        )
                    ).scalars()
                )
        return [
            RowError(r.line, Reason.ALREADY_IN_PERIOD, f"already in a run for {period}", r.pin)
            for r in rows
            if r.pin in taken
        ]

    # -- returns and re-payment ------------------------------------------------------

    def record_return(self, operator: str, run_id: str, pin: str, reason: str, idempotency_key: str) -> Return:
        """A receiving bank sent a paid payment back (account closed, name mismatch, wallet
        closed): take the money back from the account that was credited to the programme's
        treasury account, mark the payment `returned` with `reason` and restore the budget
        line. Only a paid payment can be returned, and each attempt only once.

        The return transfer's id derives from (programme, period, PIN, attempt), so a retry
        after a crash, with this key or another, meets `exists` in the ledger and records
        the same return. The same operator and key again return the same `Return`.
        """
        _check_operator(operator)
        _check_key(idempotency_key)
        if not reason or len(reason) > tables.REASON_CHARS_MAX or not reason.isprintable():
            raise InvalidInput(f"a return reason is 1 to {tables.REASON_CHARS_MAX} printable characters")
        return_id = _derived_id("ret", operator, idempotency_key)
        returns, payments = tables.returns, tables.payments
        with self._engine.connect() as conn:
            existing = conn.execute(select(returns).where(returns.c.id == return_id)).mappings().first()
            if existing is not None:
                return _same_return(existing, run_id, pin)
            run = _load_run(conn, run_id)
            programme = _programme(conn, run.programme_id)
            payment = _payment_of(conn, run_id, pin)
        if payment["status"] != PaymentStatus.PAID.value:
            raise WrongState(f"the payment to {pin} is {payment['status']}; only a paid payment can be returned")
        attempt = payment["attempt"]
        transfer = Transfer(
            id=return_transfer_id(run.programme_id, run.period, pin, attempt),
            debit_account_id=int(payment["account_id"]),
            credit_account_id=programme.ledger_account_id,
            amount=payment["amount_tyiyn"],
            ledger=LEDGER_KGS,
            code=int(TransferCode.DISBURSEMENT_RETURN),
        )
        (result,) = self._ledger.create_transfers([transfer])
        if result not in _PAID:
            # The ledger remembers a failed id: this attempt's return cannot be retried.
            raise ReturnRefused(f"the ledger refused the return of {pin}: {result.name}")
        try:
            with self._engine.begin() as conn:
                _load_run(conn, run_id, for_update=True)  # run before programme, as `execute` locks them
                _programme(conn, run.programme_id, for_update=True)
                marked = conn.execute(
                    payments.update()
                    .where(
                        payments.c.seq == payment["seq"],
                        payments.c.status == PaymentStatus.PAID.value,
                        payments.c.attempt == attempt,
                    )
                    .values(status=PaymentStatus.RETURNED.value, reason=reason)
                ).rowcount
                if marked != 1:
                    raise WrongState(f"the payment to {pin} was returned meanwhile")
                conn.execute(
                    returns.insert().values(
                        id=return_id,
                        payment_seq=payment["seq"],
                        run_id=run_id,
                        pin=pin,
                        attempt=attempt,
                        amount_tyiyn=payment["amount_tyiyn"],
                        reason=reason,
                        returned_transfer_id=payment["transfer_id"],
                        transfer_id=f"{transfer.id:032x}",
                        recorded_by=operator,
                        recorded_at=self._clock(),
                    )
                )
                conn.execute(
                    tables.programmes.update()
                    .where(tables.programmes.c.id == run.programme_id)
                    .values(remaining_tyiyn=tables.programmes.c.remaining_tyiyn + payment["amount_tyiyn"])
                )
        except IntegrityError as error:
            reraise_unless_unique(error)
            # The same key raced us and won; the database kept one return per attempt.
            with self._engine.connect() as conn:
                existing = conn.execute(select(returns).where(returns.c.id == return_id)).mappings().first()
            if existing is None:
                raise
            return _same_return(existing, run_id, pin)
        return self.returns(run_id, pin)[-1]

    def credited_account_id(self, run_id: str, pin: str) -> int:
        """The ledger account the run's payment to `pin` credits (0 if it has none): an
        entry point checks it before letting a bank return that payment."""
        with self._engine.connect() as conn:
            _load_run(conn, run_id)
            return int(_payment_of(conn, run_id, pin)["account_id"])

    def returns(self, run_id: str, pin: str | None = None) -> list[Return]:
        """The run's returns (of one recipient if `pin`), oldest first."""
        returns = tables.returns
        query = select(returns).where(returns.c.run_id == run_id)
        if pin is not None:
            query = query.where(returns.c.pin == pin)
        with self._engine.connect() as conn:
            _load_run(conn, run_id)
            return [_return(row) for row in conn.execute(query.order_by(returns.c.seq)).mappings()]

    def repay(self, operator: str, run_id: str, idempotency_key: str) -> Repayment:
        """Try again for a completed run's unclaimed, refused and returned recipients: resolve
        them through the directory again (they may have opened a wallet since) and pay those
        who now have a destination, each under a new attempt number and so a new transfer id.

        The budget line is checked as on upload. The chosen payments become `pending` and
        the run `executing` in one transaction, then `execute` pays them: a crash is resumed
        by calling `repay` again with the same key (or `execute`), and the ledger answers
        `exists` for what it already holds. Recipients still without a destination keep
        their status. The same operator and key again return the same request's figures.
        """
        _check_operator(operator)
        _check_key(idempotency_key)
        repayment_id = _derived_id("rep", operator, idempotency_key)
        with self._engine.connect() as conn:
            existing = (
                conn.execute(select(tables.repayments).where(tables.repayments.c.id == repayment_id)).mappings().first()
            )
            run = _load_run(conn, run_id)
            programme = _programme(conn, run.programme_id)
        if existing is not None:
            if existing["run_id"] != run_id:
                raise KeyReused("this idempotency key named another run's re-payment")
            return _repayment(existing, self.execute(run_id))
        if run.status is not RunStatus.COMPLETED:
            raise WrongState(f"run {run_id} is {run.status.value}; re-pay a completed run (resume with execute)")
        chosen = self._resolve_repayable(run_id, programme.benefit_scheme)
        payments = tables.payments
        try:
            with self._engine.begin() as conn:
                if _load_run(conn, run_id, for_update=True).status is not RunStatus.COMPLETED:
                    raise WrongState(f"run {run_id} is being paid; resume it with execute")
                locked = _programme(conn, run.programme_id, for_update=True)
                for start in range(0, len(chosen), ROWS_PER_STATEMENT):
                    # Only from the status and attempt we read: a payment changed since is left alone.
                    conn.execute(
                        payments.update()
                        .where(
                            payments.c.seq == bindparam("b_seq"),
                            payments.c.status == bindparam("b_status"),
                            payments.c.attempt == bindparam("b_attempt"),
                        )
                        .values(
                            status=PaymentStatus.PENDING.value,
                            reason="",
                            attempt=bindparam("b_next"),
                            channel=bindparam("b_channel"),
                            account_id=bindparam("b_account"),
                            transfer_id=bindparam("b_transfer"),
                        ),
                        [
                            _next_attempt(run, p, destination)
                            for p, destination in chosen[start : start + ROWS_PER_STATEMENT]
                        ],
                    )
                recipients, total_tyiyn = conn.execute(
                    select(func.count(), func.coalesce(func.sum(payments.c.amount_tyiyn), 0)).where(
                        payments.c.run_id == run_id, payments.c.status == PaymentStatus.PENDING.value
                    )
                ).one()
                committed_tyiyn = _committed_tyiyn(conn, run.programme_id)  # includes these
                if committed_tyiyn > locked.remaining_tyiyn:
                    available_tyiyn = locked.remaining_tyiyn - (committed_tyiyn - total_tyiyn)
                    raise OverBudget(
                        f"re-paying {recipients} recipients takes {total_tyiyn} tyiyn; "
                        f"the budget line has {available_tyiyn} tyiyn available"
                    )
                if recipients:
                    conn.execute(
                        tables.runs.update().where(tables.runs.c.id == run_id).values(status=RunStatus.EXECUTING.value)
                    )
                conn.execute(
                    tables.repayments.insert().values(
                        id=repayment_id,
                        run_id=run_id,
                        requested_by=operator,
                        recipients=recipients,
                        total_tyiyn=int(total_tyiyn),
                        requested_at=self._clock(),
                    )
                )
        except IntegrityError as error:
            reraise_unless_unique(error)
            # The same request raced us; the database kept one. Resume it.
            with self._engine.connect() as conn:
                raced = (
                    conn.execute(select(tables.repayments).where(tables.repayments.c.id == repayment_id))
                    .mappings()
                    .first()
                )
            if raced is None or raced["run_id"] != run_id:
                raise
            return _repayment(raced, self.execute(run_id))
        return Repayment(repayment_id, run_id, recipients, int(total_tyiyn), self.execute(run_id))

    def _resolve_repayable(self, run_id: str, benefit_scheme: str) -> list[tuple[RowMapping, Destination]]:
        """The run's repayable payments that the directory now resolves to a destination."""
        payments = tables.payments
        chosen: list[tuple[RowMapping, Destination]] = []
        after_seq = 0
        while True:
            # A page at a time, with no connection held while the directory answers.
            with self._engine.connect() as conn:
                page = list(
                    conn.execute(
                        select(payments.c.seq, payments.c.pin, payments.c.status, payments.c.attempt)
                        .where(
                            payments.c.run_id == run_id,
                            payments.c.seq > after_seq,
                            payments.c.status.in_([s.value for s in REPAYABLE]),
                        )
                        .order_by(payments.c.seq)
                        .limit(DIRECTORY_LOOKUP_MAX)
                    ).mappings()
                )
            if not page:
                return chosen
            after_seq = page[-1]["seq"]
            found = self._directory.resolve([p["pin"] for p in page], benefit_scheme)
            for payment in page:
                destination = found.get(payment["pin"])
                if destination is not None and destination.channel is not Channel.NONE:
                    chosen.append((payment, destination))


def _chain(payment_transfer_id: int, legs: Sequence[CreditLeg]) -> list[Transfer]:
    """One payment's linked chain: the first transfer has the payment's id, the others ids
    derived from it (a resumed batch names the same ids)."""
    return [
        Transfer(
            id=payment_transfer_id if index == 0 else leg_transfer_id(payment_transfer_id, index),
            debit_account_id=leg.debit_account_id,
            credit_account_id=leg.credit_account_id,
            amount=leg.amount_tyiyn,
            ledger=LEDGER_KGS,
            code=leg.code,
            flags=_LINKED if index < len(legs) - 1 else 0,
        )
        for index, leg in enumerate(legs)
    ]


def _usable_source(found: SourceWallet | None, wallet_id: str) -> int:
    """The ledger account of the source wallet `found` if it may fund a programme; else `SourceWalletRefused`."""
    if found is None:
        raise SourceWalletRefused(f"no wallet {wallet_id!r} to pay from", SourceRefusal.NOT_FOUND)
    if not found.government:
        raise SourceWalletRefused(f"wallet {wallet_id} is not a wallet of the treasury or a ministry",
                                  SourceRefusal.NOT_GOVERNMENT)
    if found.frozen:
        raise SourceWalletRefused(f"wallet {wallet_id} is frozen", SourceRefusal.FROZEN)
    if found.closed:
        raise SourceWalletRefused(f"wallet {wallet_id} is closed", SourceRefusal.CLOSED)
    return found.account_id


def _same_upload(existing: RowMapping, file_sha256: str) -> Run:
    if existing["file_sha256"] != file_sha256:
        raise KeyReused("this idempotency key named another file; upload this one with a new key")
    return _run(existing)


def _over_budget(total_tyiyn: int, available_tyiyn: int) -> RowError:
    detail = f"total {total_tyiyn} tyiyn exceeds the budget line's {available_tyiyn} tyiyn"
    return RowError(FILE_LEVEL_LINE, Reason.TOTAL_OVER_BUDGET, detail)


def _report_line(payment: RowMapping) -> ReportLine:
    status = PaymentStatus(payment["status"])
    # Only payments handed to the ledger name a transfer an auditor can look up.
    reached_ledger = status in (PaymentStatus.PAID, PaymentStatus.REJECTED, PaymentStatus.RETURNED)
    return ReportLine(
        payment["line"],
        payment["pin"],
        payment["name"],
        payment["region"],
        payment["amount_tyiyn"],
        status,
        payment["channel"],
        payment["reason"],
        payment["transfer_id"] if reached_ledger else "",
        payment["attempt"],
    )


def _check_operator(operator: str) -> None:
    if not operator or len(operator) > tables.OPERATOR_CHARS_MAX:
        raise InvalidInput(f"an operator is named by 1 to {tables.OPERATOR_CHARS_MAX} characters")


def _run_id(operator: str, idempotency_key: str) -> str:
    digest = hashlib.blake2b(f"{operator}\x1f{idempotency_key}".encode(), digest_size=15).hexdigest()
    return f"run_{digest}"


def _payment(run_id: str, programme_id: str, period: str, resolved: ResolvedRow) -> tuple[Any, ...]:
    """One payment's row, in `_PAYMENT_COLUMNS` order."""
    row = resolved.row
    return (
        run_id,
        programme_id,
        period,
        row.pin,
        row.line,
        row.amount_tyiyn,
        row.name,
        row.region,
        _CHANNEL_VALUES[resolved.destination.channel],
        str(resolved.destination.account_id),
        f"{transfer_id(programme_id, period, row.pin):032x}",
        _PENDING,
        "",
    )


def _insert_payments(conn: Connection, rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert payment rows in the caller's transaction: one COPY on PostgreSQL (as one
    pipelined INSERT per row, 100,000 rows took 2.7 s under the profiler), bounded
    multi-row INSERTs elsewhere. A broken constraint raises SQLAlchemy's `IntegrityError`
    on both paths."""
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection  # psycopg's connection, in this transaction
        if driver is None:
            raise RuntimeError("the connection was closed under the upload")
        with driver.cursor() as cursor:
            try:
                with cursor.copy(_COPY_PAYMENTS) as copy:
                    for row in rows:
                        copy.write_row(row)
            except conn.dialect.dbapi.IntegrityError as broken:  # type: ignore[union-attr]
                # Past SQLAlchemy, so wrapped here as it would have: the caller's race handling.
                raise IntegrityError(_COPY_PAYMENTS, None, broken) from broken
            # Fresh statistics, or the planner takes the new rows for a few hundred and scans
            # the table for each batch (200,000 payees: a batch's UPDATE took 128 ms by
            # sequential scan, 61 ms by primary key; its page 84 ms, 3 ms by index).
            cursor.execute(f"ANALYZE {tables.payments.name}")
        return
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(dict(zip(_PAYMENT_COLUMNS, row, strict=True)))
        if len(chunk) == ROWS_PER_STATEMENT:
            conn.execute(tables.payments.insert(), chunk)
            chunk = []
    if chunk:
        conn.execute(tables.payments.insert(), chunk)


def _seq_in(conn: Connection, seqs: list[int]) -> ColumnElement[bool]:
    """`payments.seq IN seqs`; on PostgreSQL one array parameter instead of thousands."""
    if conn.dialect.name == "postgresql":
        return tables.payments.c.seq == any_(bindparam("seqs", seqs, type_=postgresql.ARRAY(Integer)))
    return tables.payments.c.seq.in_(seqs)


def _programme(conn: Connection, programme_id: str, for_update: bool = False) -> Programme:
    query = select(tables.programmes).where(tables.programmes.c.id == programme_id)
    row = conn.execute(query.with_for_update() if for_update else query).mappings().first()
    if row is None:
        raise NotFound(f"no programme {programme_id!r}")
    return Programme(
        row["id"],
        row["name"],
        int(row["ledger_account_id"]),
        row["budget_tyiyn"],
        row["remaining_tyiyn"],
        row["benefit_scheme"],
        row["source_wallet_id"],
    )


def _committed_tyiyn(conn: Connection, programme_id: str) -> int:
    """Tyiyn promised to runs of this programme and not yet paid (or released as unclaimed)."""
    payments = tables.payments
    total = conn.execute(
        select(func.coalesce(func.sum(payments.c.amount_tyiyn), 0)).where(
            payments.c.programme_id == programme_id, payments.c.status == PaymentStatus.PENDING.value
        )
    ).scalar_one()
    return int(total)


def _first_pending_line(conn: Connection, run_id: str) -> int | None:
    """The file line of the run's first pending payment; None when none is left."""
    payments = tables.payments
    line = conn.execute(
        select(func.min(payments.c.line)).where(
            payments.c.run_id == run_id, payments.c.status == PaymentStatus.PENDING.value
        )
    ).scalar_one()
    return None if line is None else int(line)


def _load_run(conn: Connection, run_id: str, for_update: bool = False) -> Run:
    query = select(tables.runs).where(tables.runs.c.id == run_id)
    # On PostgreSQL the row lock makes two executors of one run take turns (SQLite's
    # BEGIN IMMEDIATE already does).
    row = conn.execute(query.with_for_update() if for_update else query).mappings().first()
    if row is None:
        raise NotFound(f"no run {run_id!r}")
    return _run(row)


def _run(row: RowMapping) -> Run:
    return Run(
        row["id"],
        row["programme_id"],
        row["period"],
        RunStatus(row["status"]),
        row["uploaded_by"],
        row["approved_by"],
        row["rows"],
        row["total_tyiyn"],
        row["batches_done"],
    )


def _progress(conn: Connection, run_id: str) -> Progress:
    run = _load_run(conn, run_id)
    totals = status_totals_in(conn, run_id)
    return Progress(
        run_id,
        run.status,
        run.rows,
        totals[PaymentStatus.PENDING].count,
        totals[PaymentStatus.PAID].count,
        totals[PaymentStatus.UNCLAIMED].count,
        totals[PaymentStatus.REJECTED].count,
        totals[PaymentStatus.PAID].amount_tyiyn,
        run.batches_done,
        totals[PaymentStatus.RETURNED].count,
    )


def _check_key(idempotency_key: str) -> None:
    if not idempotency_key or len(idempotency_key) > IDEMPOTENCY_KEY_CHARS_MAX:
        raise InvalidInput(f"an idempotency key is 1 to {IDEMPOTENCY_KEY_CHARS_MAX} characters")


def _derived_id(prefix: str, operator: str, idempotency_key: str) -> str:
    digest = hashlib.blake2b(f"{prefix}\x1f{operator}\x1f{idempotency_key}".encode(), digest_size=15).hexdigest()
    return f"{prefix}_{digest}"


def _payment_of(conn: Connection, run_id: str, pin: str) -> RowMapping:
    payments = tables.payments
    row = conn.execute(select(payments).where(payments.c.run_id == run_id, payments.c.pin == pin)).mappings().first()
    if row is None:
        raise NotFound(f"no payment to {pin!r} in run {run_id!r}")
    return row


def _next_attempt(run: Run, payment: RowMapping, destination: Destination) -> dict[str, Any]:
    attempt = payment["attempt"] + 1
    return {
        "b_seq": payment["seq"],
        "b_status": payment["status"],
        "b_attempt": payment["attempt"],
        "b_next": attempt,
        "b_channel": destination.channel.value,
        "b_account": str(destination.account_id),
        "b_transfer": f"{transfer_id(run.programme_id, run.period, payment['pin'], attempt):032x}",
    }


def _return(row: RowMapping) -> Return:
    return Return(
        row["id"],
        row["run_id"],
        row["pin"],
        row["attempt"],
        row["amount_tyiyn"],
        row["reason"],
        row["returned_transfer_id"],
        row["transfer_id"],
    )


def _same_return(existing: RowMapping, run_id: str, pin: str) -> Return:
    if (existing["run_id"], existing["pin"]) != (run_id, pin):
        raise KeyReused("this idempotency key named another payment's return")
    return _return(existing)


def _repayment(row: RowMapping, progress: Progress) -> Repayment:
    return Repayment(row["id"], row["run_id"], row["recipients"], row["total_tyiyn"], progress)
