"""`Bridge`: the issuer's mint and redemption machine.

Each operation is a row whose state is written before the next effect starts:

- requested: the row exists; nothing moved.
- pending_in_ledger: the hold (pending ledger transfers in one linked chain, ids derived
  from the operation: `holds`) is in the ledger: wallet -> reserve for a mint; for a
  redemption reserve -> wallet, the excess over the wallet's holding limit to the
  holder's linked deposit (the digital som's rule for every credit).
- sent: the transaction (mint or burn) is signed and recorded with its hash and nonce,
  then broadcast. Recorded first, so a restart broadcasts the very same transaction
  again: one nonce per operation, never a second mint.
- confirmed / failed: the transaction settled `confirmations` deep, or reverted.
- posted / voided: the hold posted (or voided); the operation is done.

`process()` resumes every open operation from its recorded state, so a crash at any
point and a restart end in the same place as a run without the crash. Every ledger call
is idempotent (same ids: `exists`), every broadcast resends a recorded transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final, Literal

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from digisom.errors import invariant
from digisom.kernel.chart import CHART, Domain
from digisom.kernel.clock import utc_now_iso
from digisom.kernel.credit_plans import WALLET_LEG, CreditLeg
from digisom.kernel.db_errors import reraise_unless_unique
from digisom.kernel.gateway import GatedLedger, LedgerWriter
from digisom.kernel.locks import SharedLock
from digisom.kernel.results import POST_OK as _POST_OK
from digisom.kernel.results import TRANSFER_OK as _HOLD_OK
from digisom.kernel.results import VOID_OK as _VOID_OK
from digisom.kernel.screening import ScreeningDecision
from digisom.ledger.model import Account
from digisom.ledger.results import CreateAccountResult, CreateTransferResult
from digisom.stablecoin import accounts, holds, repository, units
from digisom.stablecoin.accounts import StablecoinTransferCode
from digisom.stablecoin.errors import (
    AddressNotLinked,
    AddressSanctioned,
    AddressScreened,
    AddressUnderReview,
    BroadcastRefused,
    InsufficientFunds,
    InvalidAddress,
    InvalidAmount,
    NonceTaken,
    OperationConflict,
    OperationNotFound,
    TokenRefused,
    UnknownWallet,
)
from digisom.stablecoin.model import Kind, Operation, ReserveReport, State
from digisom.stablecoin.ports import (
    AddressPurpose,
    AddressScreening,
    IncomingTransfer,
    PreparedTx,
    RedemptionFeed,
    TokenGateway,
    WalletDirectory,
)
from digisom.stablecoin.tables import TEXT_CHARS_MAX

DEFAULT_CONFIRMATIONS: Final = 3
# Operations advanced per `process()` round; the rest wait for the next round.
OPERATIONS_PER_ROUND_MAX: Final = 1000

Observer = Callable[[Operation], None]


def mint_operation_id(key: str) -> str:
    """The operation a mint request names."""
    return f"mint|{key}"


def redeem_operation_id(tx_hash: str, log_index: int) -> str:
    """The operation a transfer to the redemption address names: one per (tx hash, log index)."""
    return f"redeem|{tx_hash.lower()}|{log_index}"


class Bridge:
    """Mints and redeems KGST against the digital som reserve."""

    def __init__(self, engine: Engine, ledger: LedgerWriter, token: TokenGateway, wallets: WalletDirectory,
                 feed: RedemptionFeed | None = None, confirmations: int = DEFAULT_CONFIRMATIONS,
                 clock: Callable[[], str] = utc_now_iso, observer: Observer | None = None, *,
                 screening: AddressScreening) -> None:
        """`screening` (no default: `ports.NO_ADDRESS_SCREENING` says "none") screens every
        mint's destination and every redemption's sender before the bridge acts."""
        if confirmations < 1:
            raise ValueError("confirmations must be at least 1")
        self._engine = engine
        self._ledger = GatedLedger(Domain.STABLECOIN, CHART, ledger)  # the chart decides what it may post
        self._token = token
        self._wallets = wallets
        self._feed = feed
        self._screening = screening
        self.confirmations = confirmations
        self._clock = clock
        self._observer = observer
        self.decimals = token.decimals()
        self.chain_id = token.chain_id
        self.reserve_account_id = accounts.reserve_account_id(self.chain_id, token.address)
        self.token_key = repository.token_key(self.chain_id, token.address)
        # One thread of one process at a time drives a token's operations (two would pick
        # the same nonce): on PostgreSQL the lock holds across every API process.
        self._lock = SharedLock(f"stablecoin.bridge\x00{self.token_key}", engine)
        created = self._ledger.create_accounts([accounts.reserve_account(self.chain_id, token.address)])
        invariant(created[0] in (CreateAccountResult.ok, CreateAccountResult.exists),
                  f"reserve account: {created[0].name}")

    # -- requests ---------------------------------------------------------------------

    def link_address(self, wallet_id: str, address: str) -> str:
        """Let `address` redeem into `wallet_id`; returns the checksummed address."""
        checked = self._address(address)
        self._usable_wallet(wallet_id)
        try:
            with self._engine.begin() as conn:
                repository.link(conn, checked, wallet_id, self._clock())
        except IntegrityError as error:
            reraise_unless_unique(error)
            with self._engine.connect() as conn:
                linked = repository.linked_wallet(conn, checked)
            if linked != wallet_id:
                raise AddressNotLinked(f"{checked} is linked to another wallet") from None
        return checked

    def request_mint(self, key: str, wallet_id: str, address: str, amount_tyiyn: int) -> Operation:
        """Convert `amount_tyiyn` of the wallet's digital som into KGST at `address`, and take
        the operation as far as it goes now. The same `key` again returns the same operation."""
        checked = self._address(address)
        if checked in (self._token.redemption_address, self._token.address):
            raise InvalidAddress(f"{checked} is the issuer's redemption address or the token itself, not a holder")
        amount_token_units = units.to_token_units(amount_tyiyn, self.decimals)
        self._usable_wallet(wallet_id)
        if not self._known(mint_operation_id(key)):  # a retry was screened when first asked
            self._screen_mint_destination(checked)
        now = self._clock()
        op = Operation(mint_operation_id(key), Kind.MINT, State.REQUESTED, wallet_id, checked, amount_tyiyn,
                       amount_token_units, created_at=now, updated_at=now)
        try:
            with self._engine.begin() as conn:
                repository.insert_operation(conn, self.token_key, op)
        except IntegrityError as error:
            reraise_unless_unique(error)
            existing = self.operation(op.id)
            if (existing.kind, existing.wallet_id, existing.address, existing.amount_tyiyn) != (
                Kind.MINT, wallet_id, checked, amount_tyiyn
            ):
                raise OperationConflict("this idempotency key was used for another operation") from None
            op = existing
        else:
            self._notify(op)
        with self._lock:  # read again under the lock: another thread may have moved it on
            done = self._advance(self.operation(op.id))
        if done.state is State.REJECTED:
            raise InsufficientFunds(done.failure or "refused") if "exceeds_credits" in (done.failure or "") \
                else UnknownWallet(done.failure or "refused")
        return done

    def bump(self, operation_id: str) -> Operation:
        """Replace a stuck transaction: same nonce, same call, higher fees."""
        with self._lock:
            op = self.operation(operation_id)
            if op.state is not State.SENT:
                raise OperationConflict(f"operation {operation_id} has no transaction in flight ({op.state.value})")
            replacement = self._token.replace(self._recorded(op))
            with self._engine.begin() as conn:
                repository.record_sent(conn, op.id, replacement, self._clock())
            self._token.broadcast(replacement)
        return self.operation(operation_id)

    def stuck(self, now: datetime, min_age_s: float) -> list[Operation]:
        """Operations whose transaction has been in flight for `min_age_s` or longer: candidates
        for `bump()` (reported by the operator's monitoring)."""
        def age_s(op: Operation) -> float:
            return (now - datetime.fromisoformat(op.updated_at.replace("Z", "+00:00"))).total_seconds()

        with self._engine.connect() as conn:
            ops = repository.open_operations(conn, self.token_key)
        return [op for op in ops if op.state is State.SENT and age_s(op) >= min_age_s]

    # -- the machine ------------------------------------------------------------------

    def process(self) -> ReserveReport:
        """One round: read new redemptions, advance every open operation, publish the
        reserve report. Stops with `InvariantViolation` if supply and reserve disagree."""
        with self._lock:
            if self._feed is not None:
                self._feed.poll(self._on_transfer, self._on_rollback)
            with self._engine.connect() as conn:
                ops = repository.open_operations(conn, self.token_key)[:OPERATIONS_PER_ROUND_MAX]
            for op in ops:
                self._advance(op)
            report = self.reserve_report()
        with self._engine.begin() as conn:
            repository.insert_report(conn, report)
        invariant(report.balanced, f"KGST supply and reserve disagree: {report}")
        return report

    def _advance(self, op: Operation) -> Operation:
        steps = {
            State.REQUESTED: self._hold,
            State.PENDING_IN_LEDGER: self._send,
            State.SENT: self._settle,
            State.CONFIRMED: self._post,
            State.FAILED: self._void,
        }
        while op.open:
            moved = steps[op.state](op)
            if moved is None:
                return op
            op = moved
        return op

    def _hold(self, op: Operation) -> Operation | None:
        # Under the wallet's lock: a freeze lands before the check or after the hold, and
        # two redemptions never both use the same room under the holding limit.
        with self._wallets.held(op.wallet_id or ""):
            return self._hold_locked(op)

    def _hold_locked(self, op: Operation) -> Operation:
        if self._ledger.lookup_transfers(holds.hold_ids(op.id)):
            # Placed before a crash: its split stands (planning again would see its own pending credit).
            return self._move(op, State.PENDING_IN_LEDGER)
        refused_state = State.REJECTED if op.kind is Kind.MINT else State.UNMATCHED
        legs = self._hold_legs(op)
        if isinstance(legs, str):
            # A redemption's tokens stay at the redemption address, recorded for the operator.
            return self._move(op, refused_state, f"{legs}: the wallet is unknown, frozen or closed")
        results = self._ledger.create_transfers(holds.hold_chain(op.id, legs))
        refused = [r for r in results if r not in _HOLD_OK]
        if not refused:
            return self._move(op, State.PENDING_IN_LEDGER)
        cause = next((r for r in refused if r is not CreateTransferResult.linked_event_failed), refused[0])
        return self._move(op, refused_state, f"the ledger refused the hold: {cause.name}")

    def _hold_legs(self, op: Operation) -> tuple[CreditLeg, ...] | str:
        """A mint's one leg (wallet -> reserve), or the redemption's credit as the digital
        som's rule lands it (what fits to the wallet, the rest to the linked deposit); or why
        the wallet may not take part now."""
        if op.kind is Kind.REDEEM:
            return self._wallets.plan_credit(op.wallet_id or "", op.amount_tyiyn, self.reserve_account_id,
                                             int(StablecoinTransferCode.KGST_REDEEM),
                                             int(StablecoinTransferCode.KGST_REDEEM_WATERFALL))
        wallet = self._wallets.wallet(op.wallet_id or "")
        if wallet is None or not wallet.usable:
            return "wallet_not_found" if wallet is None else wallet.refusal or "wallet_not_usable"
        return (CreditLeg(WALLET_LEG, wallet.account_id, self.reserve_account_id, op.amount_tyiyn,
                          int(StablecoinTransferCode.KGST_MINT)),)

    def _send(self, op: Operation) -> Operation | None:
        if op.kind is Kind.MINT:
            try:
                if not self._allowance_covers(op.amount_token_units):
                    return None
            except TokenRefused as error:
                return self._move(op, State.FAILED, f"the minter's allowance cannot be raised: {error.reason}")
        with self._engine.connect() as conn:
            recorded = repository.max_nonce(conn, self._token.redemption_address)
        nonce = max(self._token.next_nonce(), -1 if recorded is None else recorded + 1)
        try:
            if op.kind is Kind.MINT:
                tx = self._token.prepare_mint(op.address, op.amount_token_units, nonce)
            else:
                tx = self._token.prepare_burn(op.amount_token_units, nonce)
        except TokenRefused as error:
            return self._move(op, State.FAILED, f"the token refused: {error.reason}")
        with self._engine.begin() as conn:
            repository.record_sent(conn, op.id, tx, self._clock())
        sent = self.operation(op.id)
        self._notify(sent)
        self._broadcast(sent)
        return sent

    def _settle(self, op: Operation) -> Operation | None:
        with self._engine.connect() as conn:
            hashes = repository.attempt_hashes(conn, op.id)
        settled = self._token.outcome(hashes, self.confirmations)
        if settled is None:  # not settled yet: make sure the node has it, then look again
            delivered = self._broadcast(op)
            settled = self._token.outcome(hashes, self.confirmations)
            if settled is None and not delivered:
                return self._move(op, State.FAILED, "the nonce went to a transaction this bridge did not send")
            if settled is None:
                return None
        if settled.success:
            return self._move(op, State.CONFIRMED)
        return self._move(op, State.FAILED, f"transaction {settled.tx_hash} reverted")

    def _post(self, op: Operation) -> Operation:
        results = self._resolve(op, "post")
        invariant(all(r in _POST_OK for r in results), f"{op.id}: the confirmed hold did not post: {results}")
        return self._move(op, State.POSTED)

    def _void(self, op: Operation) -> Operation:
        results = self._resolve(op, "void")
        invariant(all(r in _VOID_OK for r in results), f"{op.id}: the failed hold did not void: {results}")
        return self._move(op, State.VOIDED)

    def _resolve(self, op: Operation, step: Literal["post", "void"]) -> list[CreateTransferResult]:
        """Post or void exactly the legs the operation's hold has in the ledger."""
        held = self._ledger.lookup_transfers(holds.hold_ids(op.id))
        invariant(bool(held), f"{op.id}: no hold in the ledger to {step}")
        return self._ledger.create_transfers(holds.resolve_chain(op.id, held, step))

    def _broadcast(self, op: Operation) -> bool:
        """Send the recorded transaction (again); False if its nonce went elsewhere."""
        try:
            self._token.broadcast(self._recorded(op))
        except NonceTaken:
            return False
        except BroadcastRefused as error:  # recorded for the operator; sent again next round
            with self._engine.begin() as conn:
                repository.set_state(conn, op.id, State.SENT, self._clock(), str(error))
        return True

    def _recorded(self, op: Operation) -> PreparedTx:
        """The operation's current signed transaction, as recorded."""
        invariant(op.tx_hash is not None and op.raw_tx is not None and op.nonce is not None,
                  f"{op.id}: sent without a transaction")
        return PreparedTx(op.tx_hash or "", op.nonce or 0, op.raw_tx or b"", self._token.redemption_address)

    def _allowance_covers(self, amount_token_units: int) -> bool:
        """Raise the minter's allowance to what the reserve backs and is not yet minted."""
        if self._token.minter_allowance() >= amount_token_units:
            return True
        reserve = self._reserve()
        backed_tyiyn = (reserve.credits_posted - reserve.debits_posted - reserve.debits_pending
                        + reserve.credits_pending)
        backed_units = units.to_token_units(backed_tyiyn, self.decimals) if backed_tyiyn > 0 else 0
        unminted = max(backed_units - self._token.total_supply(), 0)
        if unminted > self._token.minter_allowance():
            self._token.set_minter_allowance(unminted)
        return self._token.minter_allowance() >= amount_token_units

    def _move(self, op: Operation, state: State, failure: str | None = None) -> Operation:
        with self._engine.begin() as conn:
            repository.set_state(conn, op.id, state, self._clock(), failure)
        moved = self.operation(op.id)
        self._notify(moved)
        return moved

    def _notify(self, op: Operation) -> None:
        if self._observer is not None:
            self._observer(op)

    # -- redemptions ------------------------------------------------------------------

    def _on_transfer(self, transfer: IncomingTransfer) -> None:
        op_id = redeem_operation_id(transfer.tx_hash, transfer.log_index)
        with self._engine.connect() as conn:
            if repository.get_operation(conn, op_id) is not None:
                return  # seen before (a replay after a restart or a reorg)
            wallet_id = repository.linked_wallet(conn, transfer.sender)
        now = self._clock()
        state, failure, amount_tyiyn = State.REQUESTED, None, 0
        try:
            amount_tyiyn = units.to_tyiyn(transfer.amount_token_units, self.decimals)
        except InvalidAmount as error:
            state, failure = State.UNMATCHED, str(error)
        if wallet_id is None:
            state, failure = State.UNMATCHED, f"{transfer.sender} is linked to no wallet"
        if state is State.REQUESTED:
            # A stopped sender's tokens stay at the redemption address, still backed by the reserve.
            stopped = self._screened(transfer.sender, AddressPurpose.REDEMPTION_SENDER)
            if stopped is not None:
                state, failure = State.UNMATCHED, stopped
        op = Operation(op_id, Kind.REDEEM, state, wallet_id, transfer.sender, amount_tyiyn,
                       transfer.amount_token_units, source_tx_hash=transfer.tx_hash.lower(),
                       source_log_index=transfer.log_index, source_block=transfer.block_number, failure=failure,
                       created_at=now, updated_at=now)
        with self._engine.begin() as conn:
            repository.insert_operation(conn, self.token_key, op)
        self._notify(op)

    def release_reviewed(self, reference: str, cleared: bool, decision: str) -> list[str]:
        """A sender's screening review is finally decided (two officers; `decision` says who
        and why): each redemption left unmatched on it (failure `screening_review: <reference>...`)
        is requested again when cleared, so the next `process()` round redeems it into its
        wallet by the usual rule (a wallet frozen or closed meanwhile leaves it unmatched again);
        when confirmed it stays unmatched, its tokens at the redemption address and backed,
        its failure now `screening_confirmed: ...`. Idempotent: a retry finds nothing under review.
        Returns the operations moved."""
        prefix = f"{AddressScreened.REVIEW.value}: {reference}"
        with self._engine.connect() as conn:
            found = repository.unmatched_redemptions(conn, self.token_key, prefix)
        moved = []
        for op in found:
            was = op.failure or ""
            state = State.REQUESTED if cleared else State.UNMATCHED
            word = "screening_cleared" if cleared else "screening_confirmed"
            failure = f"{word}: {decision} | {was}"[:TEXT_CHARS_MAX]
            with self._engine.begin() as conn:
                if repository.reopen_unmatched(conn, op.id, was, state, failure, self._clock()):
                    moved.append(op.id)
            self._notify(self.operation(op.id))
        return moved

    # -- screening --------------------------------------------------------------------

    def _screened(self, address: str, purpose: AddressPurpose) -> str | None:
        """None if `address` screens clear, else the recorded reason prefixed by how it was stopped."""
        verdict = self._screening.screen_address(address, purpose)
        if verdict.decision is ScreeningDecision.CLEAR:
            return None
        stop = AddressScreened.HIT if verdict.decision is ScreeningDecision.HIT else AddressScreened.REVIEW
        return f"{stop.value}: {verdict.reason}"[:TEXT_CHARS_MAX]

    def _screen_mint_destination(self, address: str) -> None:
        stopped = self._screened(address, AddressPurpose.MINT_DESTINATION)
        if stopped is not None and stopped.startswith(AddressScreened.HIT.value):
            raise AddressSanctioned(f"{address}: {stopped}", address=address)
        if stopped is not None:
            raise AddressUnderReview(f"{address}: {stopped}", address=address)

    def _known(self, operation_id: str) -> bool:
        with self._engine.connect() as conn:
            return repository.get_operation(conn, operation_id) is not None

    def _on_rollback(self, block_number: int) -> None:
        with self._engine.begin() as conn:
            repository.forget_redemptions_after(conn, self.token_key, block_number)

    # -- reads ------------------------------------------------------------------------

    def operation(self, operation_id: str) -> Operation:
        """One operation."""
        with self._engine.connect() as conn:
            op = repository.get_operation(conn, operation_id)
        if op is None:
            raise OperationNotFound(f"no operation {operation_id}")
        return op

    def operations(self, after_seq: int = 0, limit: int = OPERATIONS_PER_ROUND_MAX) -> list[Operation]:
        """A page of operations, oldest first."""
        with self._engine.connect() as conn:
            return [op for _seq, op in repository.list_operations(conn, self.token_key, after_seq, limit)]

    def reserve_report(self) -> ReserveReport:
        """totalSupply against the reserve right now."""
        supply_units = self._token.total_supply()
        try:
            supply_tyiyn: int | None = units.to_tyiyn(supply_units, self.decimals)
        except InvalidAmount:
            supply_tyiyn = None
        reserve = self._reserve()
        return ReserveReport(
            self.chain_id, self._token.address, self.decimals, supply_units, supply_tyiyn,
            reserve.credits_posted - reserve.debits_posted, reserve.credits_pending, reserve.debits_pending,
            self._token.minter_allowance(), self._clock(),
        )

    def _reserve(self) -> Account:
        found = self._ledger.lookup_accounts([self.reserve_account_id])
        invariant(len(found) == 1, "the KGST reserve account is missing")
        return found[0]

    def _address(self, address: str) -> str:
        try:
            return self._token.normalize_address(address)
        except ValueError as error:
            raise InvalidAddress(str(error)) from None

    def _usable_wallet(self, wallet_id: str) -> None:
        wallet = self._wallets.wallet(wallet_id)
        if wallet is None or not wallet.usable:
            raise UnknownWallet(f"wallet {wallet_id!r} is unknown, frozen or closed")
