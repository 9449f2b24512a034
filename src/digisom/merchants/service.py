"""`InvoiceService`: invoices priced in som, paid on chain, settled through the KGST bridge.

The life of an invoice (docs/merchants.md has the diagram and every reason text):

1. `create`: the price in tyiyn, the asset (KGST 1:1; USDKG at the reference rate, the
   quote expiring with the invoice), a per-invoice address (`addresses`), an EIP-681 link.
2. `process` polls each listed token's follower (confirmed transfers only, at the
   configured depth) and records each transfer to an invoice address as a payment,
   screening its sender (context `merchant_payment`). On-time payments fill the price in
   chain order; what is over, or late, is refundable.
3. Paid in full and every payer clear: the invoice key signs an EIP-3009 sweep of exactly
   the price to the bridge's redemption address (the address linked to the merchant's
   wallet first); the relayer submits it; the bridge burns the tokens and releases the
   reserve into the wallet; the invoice is `settled` when the bridge posted the credit.
4. Excess over the price is refunded to its sender at once (after screening); an invoice
   underpaid at expiry or paid only late is `refund_due` and refunded on the merchant's
   `refund`. A stopped payer stops the invoice: nothing moves until compliance decides.

Exactly once: a payment is keyed by (chain, tx hash, log index); every move out of an
invoice address is an EIP-3009 authorization with a nonce derived from the move, recorded
before it is sent, so a retry re-sends the same authorization and the token refuses a
second use; the bridge's redemption is keyed by the sweep's (tx hash, log index).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from digisom.errors import invariant
from digisom.kernel.clock import utc_now
from digisom.kernel.db_errors import reraise_unless_unique
from digisom.merchants import repository as repo
from digisom.merchants import tables as t
from digisom.merchants.addresses import InvoiceKeys
from digisom.merchants.authorization import UINT256_MAX, Authorization, TokenDomain, parse, sign, verify
from digisom.merchants.errors import (
    AssetUnavailable,
    AuthorizationRefused,
    IdempotencyConflict,
    InvoiceClosed,
    InvoiceInvalid,
    InvoiceNotFound,
    QuoteUnavailable,
    RefundRefused,
    WalletRefused,
)
from digisom.merchants.links import TransferLink, eip681
from digisom.merchants.model import (
    Asset,
    Invoice,
    InvoiceDetail,
    InvoiceStatus,
    Move,
    MoveKind,
    MoveState,
    Payment,
    Transfer,
)
from digisom.merchants.ports import (
    CreditState,
    Decision,
    MerchantWallets,
    PayerScreening,
    QuoteRedemption,
    Settlement,
    TokenRail,
    UsdRates,
)

AMOUNT_TYIYN_MAX: Final = 10**15  # ten trillion som: far above any till, far below BIGINT
EXPIRY_S_DEFAULT: Final = 900
EXPIRY_S_MIN: Final = 60
EXPIRY_S_MAX: Final = 7 * 86_400
# A payment confirmed this long after expiry still counts as on time: the payer sent it
# before expiry, and the confirmation depth took the rest.
GRACE_S_DEFAULT: Final = 120
# A payer's authorization must stay valid this long after it is submitted (mining, depth).
AUTH_VALID_FOR_MIN_S: Final = 60
# A move's transaction not mined after this long is sent again (dropped, or re-orged out);
# sooner, it is most likely still waiting in the pool.
RESEND_AFTER_S_DEFAULT: Final = 300
RATE_SCALE: Final = 10**6
TYIYN_PER_SOM: Final = 100
SOM_DECIMALS: Final = 2
KEY_CHARS_MAX: Final = t.ID_CHARS_MAX
# Looked at every round (their next step); open ones only once expired (a payment
# advances its invoice when it comes), any other while a move out of its address is on its way.
ACTIVE: Final = (InvoiceStatus.PAID, InvoiceStatus.SETTLING, InvoiceStatus.REFUNDING)
AWAITING: Final = (InvoiceStatus.OPEN, InvoiceStatus.UNDERPAID)
_RECOMPUTABLE: Final = (InvoiceStatus.OPEN, InvoiceStatus.UNDERPAID, InvoiceStatus.EXPIRED, InvoiceStatus.PAID,
                        InvoiceStatus.REFUND_DUE, InvoiceStatus.REFUNDED)
# A re-org is looked at in these (a move sent, not confirmed, is undone with its payment).
_ROLLBACK_VISIBLE: Final = (*_RECOMPUTABLE, InvoiceStatus.SETTLING, InvoiceStatus.REFUNDING)


@dataclass(frozen=True, slots=True)
class PayerView:
    """What the payer needs, and nothing of the merchant's wallet or bank."""

    invoice_id: str
    status: InvoiceStatus
    reason: str
    amount_tyiyn: int
    asset: Asset
    chain_id: int
    token_address: str
    pay_address: str
    pay_units: int
    decimals: int
    rate_som_e6: int | None
    expires_at: str
    received_units: int
    refunded_units: int
    link: str


def payment_link(invoice: Invoice) -> str:
    """The invoice's EIP-681 link."""
    return eip681(TransferLink(invoice.token_address, invoice.chain_id, invoice.pay_address, invoice.pay_units))


def kgst_units(amount_tyiyn: int, decimals: int) -> int:
    """KGST is 1:1 with the som: tyiyn in token units (exact, or refused)."""
    if decimals >= SOM_DECIMALS:
        return amount_tyiyn * int(10 ** (decimals - SOM_DECIMALS))
    step = int(10 ** (SOM_DECIMALS - decimals))
    if amount_tyiyn % step:
        raise InvoiceInvalid(f"the token has {decimals} decimals: the price must be a multiple of {step} tyiyn")
    return amount_tyiyn // step


def usd_units(amount_tyiyn: int, decimals: int, som_e6: int) -> int:
    """The som price in a dollar token at `som_e6`, rounded up: the merchant never gets less."""
    numerator = amount_tyiyn * int(10**decimals) * RATE_SCALE
    return int(-(-numerator // (TYIYN_PER_SOM * som_e6)))


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _nonce(*parts: str) -> str:
    return "0x" + hashlib.sha256("|".join(("digisom-merchant-move", *parts)).encode()).hexdigest()


class InvoiceService:
    """Merchant invoices on one database, over the listed tokens' rails."""

    def __init__(self, engine: Engine, wallets: MerchantWallets, rails: Mapping[Asset, TokenRail],
                 keys: InvoiceKeys, screening: PayerScreening, settlement: Settlement,
                 rates: UsdRates | None = None, clock: Callable[[], datetime] = utc_now,
                 grace_s: int = GRACE_S_DEFAULT, resend_after_s: int = RESEND_AFTER_S_DEFAULT,
                 redemption: QuoteRedemption | None = None) -> None:
        self._engine = engine
        self._wallets = wallets
        self._rails = dict(rails)
        self._keys = keys
        self._screening = screening
        self._settlement = settlement
        self._rates = rates
        self._clock = clock
        self._grace = timedelta(seconds=grace_s)
        self._resend_after = timedelta(seconds=resend_after_s)
        self._redemption = redemption  # USDKG: the issuer's redemption at the quote

    # -- merchant ---------------------------------------------------------------------

    def create(self, merchant_id: str, key: str, wallet_id: str, amount_tyiyn: int, asset: Asset | str,
               description: str = "", expires_in_s: int = EXPIRY_S_DEFAULT) -> Invoice:
        """A new invoice; the same `key` from the same merchant answers the same invoice."""
        chosen = self._check_request(key, amount_tyiyn, asset, description, expires_in_s)
        with self._engine.connect() as conn:
            known = repo.invoice_by_key(conn, merchant_id, key)
            if known is not None:
                return self._same_request(repo.load(conn, known), wallet_id, amount_tyiyn, chosen)
        wallet = self._wallets.merchant_wallet(wallet_id)
        if wallet is None or not wallet.usable:
            raise WalletRefused(f"wallet {wallet_id!r} is not a usable merchant wallet"
                                f"{'' if wallet is None else ': ' + wallet.refusal}")
        rail = self._rails[chosen]
        now = self._clock()
        rate = None
        if chosen is Asset.KGST:
            pay_units = kgst_units(amount_tyiyn, rail.decimals)
        else:
            if self._rates is None:
                raise QuoteUnavailable("no reference rates are configured to quote USDKG")
            try:
                quoted = self._rates.usd(now.date())
            except Exception as error:  # the rates port's own typed error, whatever its domain
                raise QuoteUnavailable(f"no usable USD reference rate: {error}") from None
            rate = quoted.som_e6
            pay_units = usd_units(amount_tyiyn, rail.decimals, rate)
        invoice_id = "inv-" + secrets.token_hex(12)
        values = {
            "invoice_id": invoice_id, "merchant_id": merchant_id, "idempotency_key": key, "wallet_id": wallet_id,
            "bank_code": wallet.bank_code, "amount_tyiyn": amount_tyiyn, "asset": chosen.value,
            "chain_id": rail.chain_id, "token_address": rail.address, "pay_address": self._keys.address(invoice_id),
            "pay_units": str(pay_units), "decimals": rail.decimals, "rate_som_e6": rate,
            "description": description, "created_at": now.isoformat(),
            "expires_at": (now + timedelta(seconds=expires_in_s)).isoformat(),
            "status": InvoiceStatus.OPEN.value, "reason": "waiting for payment", "settled_tyiyn": 0,
            "updated_at": now.isoformat(),
        }
        try:
            with self._engine.begin() as conn:
                repo.insert_invoice(conn, values)
        except IntegrityError as error:  # the same key, created meanwhile by another request
            reraise_unless_unique(error)
            with self._engine.connect() as conn:
                raced = repo.invoice_by_key(conn, merchant_id, key)
                if raced is None:
                    raise
                return self._same_request(repo.load(conn, raced), wallet_id, amount_tyiyn, chosen)
        return self.invoice(invoice_id)

    def _check_request(self, key: str, amount_tyiyn: int, asset: Asset | str, description: str,
                       expires_in_s: int) -> Asset:
        if not key.strip() or len(key) > KEY_CHARS_MAX:
            raise InvoiceInvalid(f"an idempotency key of 1..{KEY_CHARS_MAX} characters is required")
        if not _integer(amount_tyiyn) or not 0 < amount_tyiyn <= AMOUNT_TYIYN_MAX:
            raise InvoiceInvalid(f"amount_tyiyn must be an integer 1..{AMOUNT_TYIYN_MAX}")
        if len(description) > t.TEXT_CHARS_MAX:
            raise InvoiceInvalid(f"the description is longer than {t.TEXT_CHARS_MAX} characters")
        if not _integer(expires_in_s) or not EXPIRY_S_MIN <= expires_in_s <= EXPIRY_S_MAX:
            raise InvoiceInvalid(f"expires_in_s must be an integer {EXPIRY_S_MIN}..{EXPIRY_S_MAX}")
        try:
            chosen = Asset(asset)
        except ValueError:
            raise AssetUnavailable(f"{asset!r} is not a listed token (KGST, USDKG)") from None
        if chosen not in self._rails:
            raise AssetUnavailable(f"{chosen.value} has no rail configured here")
        return chosen

    @staticmethod
    def _same_request(found: Invoice, wallet_id: str, amount_tyiyn: int, asset: Asset) -> Invoice:
        if (found.wallet_id, found.amount_tyiyn, found.asset) != (wallet_id, amount_tyiyn, asset):
            raise IdempotencyConflict(f"the key was used for invoice {found.invoice_id} with other terms")
        return found

    def invoice(self, invoice_id: str, merchant_id: str | None = None, bank_code: str | None = None) -> Invoice:
        """One invoice; `merchant_id` / `bank_code` limit it to that merchant's or bank's."""
        with self._engine.connect() as conn:
            row = repo.invoice_row(conn, invoice_id)
            found = None if row is None else repo.load(conn, row)
        if found is None or merchant_id not in (None, found.merchant_id) or bank_code not in (None, found.bank_code):
            raise InvoiceNotFound(f"no invoice {invoice_id}")
        return found

    def invoices(self, merchant_id: str | None = None, bank_code: str | None = None, limit: int = 100,
                 offset: int = 0) -> list[InvoiceDetail]:
        """A page of the invoices (of a merchant, of a bank's merchants), oldest first, with
        their payments and moves."""
        c = t.invoices.c
        conditions = [c.merchant_id == merchant_id] if merchant_id is not None else []
        conditions += [c.bank_code == bank_code] if bank_code is not None else []
        with self._engine.connect() as conn:
            return repo.invoices_where(conn, *conditions, limit=limit, offset=offset)

    def payments(self, invoice_id: str) -> list[Payment]:
        with self._engine.connect() as conn:
            return repo.payments(conn, invoice_id)

    def moves(self, invoice_id: str) -> list[Move]:
        with self._engine.connect() as conn:
            return repo.moves(conn, invoice_id)

    def detail(self, invoice: Invoice) -> InvoiceDetail:
        """`invoice` with its payments and moves."""
        with self._engine.connect() as conn:
            return InvoiceDetail(invoice, repo.payments(conn, invoice.invoice_id), repo.moves(conn, invoice.invoice_id))

    def payer_view(self, invoice_id: str) -> PayerView:
        i = self.invoice(invoice_id)
        return PayerView(i.invoice_id, i.status, i.reason, i.amount_tyiyn, i.asset, i.chain_id, i.token_address,
                         i.pay_address, i.pay_units, i.decimals, i.rate_som_e6, i.expires_at, i.received_units,
                         i.refunded_units, payment_link(i))

    def refund(self, merchant_id: str | None, invoice_id: str) -> Invoice:
        """Send every unsettled token of a `refund_due` invoice back to its sender (each
        screened first). Idempotent: a refund already under way answers the invoice."""
        invoice = self.invoice(invoice_id, merchant_id)
        if invoice.status in (InvoiceStatus.REFUNDING, InvoiceStatus.REFUNDED):
            return invoice
        if invoice.status is not InvoiceStatus.REFUND_DUE:
            raise RefundRefused(f"invoice {invoice_id} is {invoice.status.value}: nothing to refund "
                                f"({invoice.reason})")
        refunds = self._refund_moves(invoice, {p.payment_id: p.amount_units for p in self.payments(invoice_id)})
        if not refunds:
            raise RefundRefused(f"invoice {invoice_id}: every sender is stopped by screening; "
                                f"the tokens stay at {invoice.pay_address}")
        self._set(invoice, InvoiceStatus.REFUNDING, f"refunding {sum(m.amount_units for m in refunds)} units")
        self._drive_moves(invoice)
        return self.invoice(invoice_id)

    # -- payer ------------------------------------------------------------------------

    def submit_authorization(self, invoice_id: str, fields: dict[str, object]) -> str:
        """Check a payer's EIP-3009 authorization off chain and submit it (the platform pays
        the gas); the transaction hash. The payment itself is counted when the follower sees
        its transfer, like any other. The same authorization again answers the same hash."""
        auth = parse(dict(fields))
        invoice = self.invoice(invoice_id)
        if not invoice.status.open_for_payment:
            raise InvoiceClosed(f"invoice {invoice_id} is {invoice.status.value}: {invoice.reason}")
        now = self._clock()
        if now > datetime.fromisoformat(invoice.expires_at):
            raise InvoiceClosed(f"invoice {invoice_id} expired at {invoice.expires_at}")
        rail = self._rail(invoice)
        due = invoice.pay_units - invoice.received_units
        verify(auth, TokenDomain(rail.name, rail.chain_id, rail.address), invoice.pay_address, due,
               int(now.timestamp()), AUTH_VALID_FOR_MIN_S)
        move = Move(f"payer|{invoice_id}|{auth.source}|{auth.nonce}", invoice_id, MoveKind.PAYER, auth.source,
                    auth.to, auth.value, auth.nonce, auth.valid_after, auth.valid_before, auth.signature,
                    MoveState.SIGNED, "", "")
        with self._engine.begin() as conn:
            known = {m.move_id: m for m in repo.moves(conn, invoice_id)}
            if move.move_id not in known:
                repo.insert_move(conn, move, now.isoformat())
        if move.move_id in known and known[move.move_id].tx_hash:
            return known[move.move_id].tx_hash
        return self._send(rail, move)

    # -- compliance -------------------------------------------------------------------

    def release_screening(self, reference: str, cleared: bool, note: str) -> list[str]:
        """Two officers decided the review of a screening whose `reference` (e.g.
        "screening:42 ") starts the payments' reasons. Cleared: those payments count as clear
        and each invoice they stopped goes on (settles, or is refunded as due). Confirmed: the
        invoice stays `stopped`, the tokens held at its address (no refund to a listed
        address). The invoices touched; none when already done (idempotent)."""
        with self._engine.connect() as conn:
            held = repo.payments_stopped_by(conn, reference)
        now = self._clock().isoformat()
        for payment in held:
            invoice = self.invoice(payment.invoice_id)
            with self._engine.begin() as conn:
                repo.set_screening(conn, invoice.chain_id, payment, Decision.CLEAR.value if cleared
                                   else Decision.HIT.value, f"{reference}{note}")
                if not cleared:
                    repo.set_status(conn, invoice.invoice_id, InvoiceStatus.STOPPED,
                                    f"payer {payment.sender}: {note}; the tokens stay held at {invoice.pay_address}: "
                                    "nothing settled, nothing refunded", now)
        for invoice_id in dict.fromkeys(p.invoice_id for p in held):
            invoice = self.invoice(invoice_id)
            if cleared and invoice.status is InvoiceStatus.STOPPED:
                self.advance(self._set(invoice, InvoiceStatus.OPEN, f"released by compliance: {note}"))
        return list(dict.fromkeys(p.invoice_id for p in held))

    # -- the worker -------------------------------------------------------------------

    def process(self) -> None:
        """One round: new confirmed transfers and re-orgs, expiries, then the next step of each
        invoice that has one (paid, settling, refunding, or a move out of its address on its way)."""
        for rail in self._rails.values():
            rail.poll(lambda transfers, r=rail: self._on_transfers(r, transfers),  # type: ignore[misc]
                      lambda fork, r=rail: self._on_rollback(r, fork))  # type: ignore[misc]
        expired_before = (self._clock() - self._grace).isoformat()
        # Only invoices with a next step, found by id through the indexes (status, expiry,
        # move state); each is loaded once, when its turn comes.
        with self._engine.connect() as conn:
            due = repo.invoice_ids_due(conn, [s.value for s in AWAITING], expired_before, [s.value for s in ACTIVE])
        for invoice_id in due:
            self.advance(self.invoice(invoice_id))

    def advance(self, invoice: Invoice) -> Invoice:
        """Take one invoice as far as it goes now."""
        invoice = self._recompute(invoice)
        if self._drive_moves(invoice):  # a move changed: its invoice is read again (refunded units)
            invoice = self.invoice(invoice.invoice_id)
        if invoice.status is InvoiceStatus.PAID:
            invoice = self._sweep(invoice)
        if invoice.status is InvoiceStatus.SETTLING:
            invoice = self._check_credit(invoice)
        if invoice.status in (InvoiceStatus.PAID, InvoiceStatus.SETTLING, InvoiceStatus.SETTLED):
            self._refund_excess(invoice)
        if invoice.status is InvoiceStatus.REFUNDING:
            invoice = self._check_refunds(invoice)
        return invoice

    def _on_transfers(self, rail: TokenRail, transfers: list[Transfer]) -> None:
        with self._engine.connect() as conn:
            at = repo.invoices_at(conn, rail.address, {tr.to for tr in transfers})
        paid: list[str] = []
        for transfer in transfers:
            invoice_id = at.get(transfer.to)
            if invoice_id is None:
                continue
            paid.append(invoice_id)
            invoice = self.invoice(invoice_id)
            now = self._clock()
            late = now > datetime.fromisoformat(invoice.expires_at) + self._grace
            screening = self._screening.screen_address(transfer.source)
            payment = Payment(invoice_id, transfer.tx_hash.lower(), transfer.log_index, transfer.block_number,
                              transfer.source, transfer.amount_units, now.isoformat(), late,
                              screening.decision.value, screening.reason)
            with self._engine.begin() as conn:
                repo.insert_payment(conn, rail.chain_id, payment)
        for invoice_id in dict.fromkeys(paid):
            self.advance(self.invoice(invoice_id))

    def _on_rollback(self, rail: TokenRail, fork: int) -> None:
        """A re-org dropped the blocks above `fork`: forget their payments (they come again
        if the new chain has them). A sweep or refund already sent for them cannot happen
        without them: it is marked failed (its authorization stays the same, so it is sent
        again if the payment returns and can never move twice) and the invoice recomputed,
        its reason saying so. A move already confirmed is left to the operator."""
        with self._engine.connect() as conn:
            dropped = repo.payments_after(conn, rail.chain_id, fork, t.invoices.c.token_address == rail.address,
                                          t.invoices.c.status.in_([s.value for s in _ROLLBACK_VISIBLE]))
        now = self._clock().isoformat()
        touched: dict[str, str] = {}
        for payment in dropped:
            note = (f"a re-org removed payment {payment.payment_id} at block {payment.block_number}; counted again "
                    "if it is mined again")
            with self._engine.begin() as conn:
                moves = [m for m in repo.moves(conn, payment.invoice_id) if m.kind is not MoveKind.PAYER]
                if any(m.state is MoveState.CONFIRMED for m in moves):
                    continue
                repo.delete_payment(conn, rail.chain_id, payment)
                for move in moves:
                    if move.state in (MoveState.SIGNED, MoveState.SENT):
                        repo.set_move(conn, move.move_id, MoveState.FAILED, move.tx_hash,
                                      f"{note}: this {move.kind.value} cannot happen without it", now)
                if moves:
                    note += f"; nothing was settled (the {moves[0].kind.value} is held until then)"
                row = repo.invoice_row(conn, payment.invoice_id)
                invariant(row is not None, f"payment of unknown invoice {payment.invoice_id}")
                status = InvoiceStatus(row.status)  # type: ignore[union-attr]
                repo.set_status(conn, payment.invoice_id, InvoiceStatus.OPEN if moves else status, note, now)
            touched[payment.invoice_id] = note
        for invoice_id, note in touched.items():
            invoice = self._recompute(self.invoice(invoice_id))
            if note not in invoice.reason:
                self._set(invoice, invoice.status, f"{note}; {invoice.reason}")

    def _recompute(self, invoice: Invoice) -> Invoice:
        """The status the payments give, while nothing has moved out of the address yet."""
        if invoice.status not in _RECOMPUTABLE or any(m.kind is not MoveKind.PAYER and m.state is not MoveState.FAILED
                                                      for m in self.moves(invoice.invoice_id)):
            return invoice
        paid = self.payments(invoice.invoice_id)
        stopped = [p for p in paid if p.screening in (Decision.HIT.value, Decision.REVIEW.value)]
        on_time = sum(p.amount_units for p in paid if not p.late)
        expired = self._clock() > datetime.fromisoformat(invoice.expires_at) + self._grace
        if stopped:
            status, reason = InvoiceStatus.STOPPED, (f"payer {stopped[0].sender} stopped by screening "
                                                     f"({stopped[0].screening}): nothing moves until compliance "
                                                     f"decides; {stopped[0].reason}")
        elif on_time >= invoice.pay_units:
            status, reason = InvoiceStatus.PAID, (f"received {on_time} of {invoice.pay_units} units"
                                                  + (f"; the excess {on_time - invoice.pay_units} is refunded"
                                                     if on_time > invoice.pay_units else ""))
        elif invoice.status is InvoiceStatus.REFUNDED and invoice.refunded_units >= invoice.received_units:
            return invoice
        elif paid and (expired or any(p.late for p in paid)):
            late = sum(p.amount_units for p in paid if p.late)
            status, reason = InvoiceStatus.REFUND_DUE, (
                f"expired at {invoice.expires_at}: received {on_time} of {invoice.pay_units} units on time"
                + (f" and {late} after expiry" if late else "") + "; not settled, to be refunded to the sender")
        elif expired:
            status, reason = InvoiceStatus.EXPIRED, f"expired at {invoice.expires_at} with nothing received"
        elif on_time:
            status, reason = InvoiceStatus.UNDERPAID, (
                f"received {on_time} of {invoice.pay_units} units; {invoice.pay_units - on_time} more before "
                f"{invoice.expires_at}")
        else:
            return invoice if invoice.status is InvoiceStatus.OPEN else self._set(invoice, InvoiceStatus.OPEN,
                                                                                  "waiting for payment")
        if (status, reason) == (invoice.status, invoice.reason):
            return invoice
        return self._set(invoice, status, reason)

    def _sweep(self, invoice: Invoice) -> Invoice:
        if invoice.asset is Asset.KGST:
            self._settlement.link(invoice.pay_address, invoice.wallet_id)
            to, via = self._settlement.redemption_address, "KGST redemption address for the merchant's wallet"
        elif self._redemption is None:
            return self._set(invoice, InvoiceStatus.PAID, "paid; no USDKG issuer is configured here to redeem at "
                             "the quote: the tokens are held at the invoice address")
        else:
            to, via = self._redemption.redemption_address, "USDKG issuer's redemption address, at the quote"
        move = self._signed_move(invoice, MoveKind.SWEEP, to, invoice.pay_units, f"sweep|{invoice.invoice_id}")
        invoice = self._set(invoice, InvoiceStatus.SETTLING, f"paid; {invoice.pay_units} units swept to the {via}")
        self._send_or_fail(self._rail(invoice), move)
        return invoice

    def _check_credit(self, invoice: Invoice) -> Invoice:
        sweep = next((m for m in self.moves(invoice.invoice_id) if m.kind is MoveKind.SWEEP), None)
        invariant(sweep is not None, f"{invoice.invoice_id}: settling without a sweep")
        if sweep is None or not sweep.tx_hash:
            return invoice
        if sweep.state is MoveState.FAILED:
            return self._set(invoice, InvoiceStatus.FAILED, f"the sweep failed: {sweep.reason}; the tokens "
                                                            f"stay at {invoice.pay_address}")
        if invoice.asset is Asset.USDKG:
            return self._redeem_at_quote(invoice, sweep)
        # The bridge credits only a sweep it saw confirmed at its own depth, and only after
        # its burn confirmed: its posted credit is the settlement, whatever our depth says yet.
        credit = self._settlement.credit(sweep.tx_hash)
        if credit is None or credit.state is CreditState.PENDING:
            return invoice
        if credit.state is CreditState.REFUSED:
            return self._set(invoice, InvoiceStatus.FAILED, f"the bridge did not credit the wallet: {credit.reason}; "
                                                            "the tokens are at the redemption address, backed")
        return self._set(invoice, InvoiceStatus.SETTLED, f"settled: {invoice.amount_tyiyn} tyiyn credited to the "
                                                         "merchant's wallet", settled_tyiyn=invoice.amount_tyiyn)

    def _redeem_at_quote(self, invoice: Invoice, sweep: Move) -> Invoice:
        """USDKG: once the sweep is confirmed at our depth, the issuer burns it and pays the
        price (fixed by the quote when the invoice was made) into the merchant's wallet."""
        if sweep.state is not MoveState.CONFIRMED or self._redemption is None:
            return invoice
        credit = self._redemption.redeem(invoice.invoice_id, invoice.chain_id, invoice.pay_units, invoice.wallet_id,
                                         invoice.amount_tyiyn)
        if credit.state is CreditState.PENDING:
            return self._set(invoice, InvoiceStatus.SETTLING, f"swept; the issuer's redemption waits: {credit.reason}")
        if credit.state is CreditState.REFUSED:
            return self._set(invoice, InvoiceStatus.FAILED, f"the USDKG issuer did not settle: {credit.reason}; the "
                                                            "tokens are at the issuer's redemption address")
        return self._set(invoice, InvoiceStatus.SETTLED,
                         f"settled: {invoice.pay_units} USDKG units redeemed at {invoice.rate_som_e6} som-e6 per "
                         f"USD; {invoice.amount_tyiyn} tyiyn credited to the merchant's wallet",
                         settled_tyiyn=invoice.amount_tyiyn)

    def _refund_excess(self, invoice: Invoice) -> None:
        """What is over the price (and anything late) goes back to its sender at once."""
        due = invoice.pay_units
        excess: dict[str, int] = {}
        for p in self.payments(invoice.invoice_id):
            applied = 0 if p.late else min(p.amount_units, due)
            due -= applied
            if p.amount_units > applied:
                excess[p.payment_id] = p.amount_units - applied
        if excess:
            self._refund_moves(invoice, excess)
            self._drive_moves(invoice)

    def _refund_moves(self, invoice: Invoice, amounts: Mapping[str, int]) -> list[Move]:
        known = {m.move_id for m in self.moves(invoice.invoice_id)}
        made = []
        for p in self.payments(invoice.invoice_id):
            move_id = f"refund|{invoice.invoice_id}|{p.payment_id}"
            if p.payment_id not in amounts or move_id in known:
                continue
            screening = self._screening.screen_address(p.sender)
            if screening.decision is not Decision.CLEAR:
                self._set(invoice, invoice.status, f"{invoice.reason}; refund to {p.sender} stopped by screening "
                                                   f"({screening.decision.value}): {screening.reason}")
                continue
            made.append(self._signed_move(invoice, MoveKind.REFUND, p.sender, amounts[p.payment_id], move_id))
        return made

    def _check_refunds(self, invoice: Invoice) -> Invoice:
        refunds = [m for m in self.moves(invoice.invoice_id) if m.kind is MoveKind.REFUND]
        if refunds and all(m.state is MoveState.CONFIRMED for m in refunds):
            return self._set(invoice, InvoiceStatus.REFUNDED, f"refunded {sum(m.amount_units for m in refunds)} "
                                                              "units to the senders; nothing was settled")
        return invoice

    # -- moves out of an invoice address ----------------------------------------------

    def _signed_move(self, invoice: Invoice, kind: MoveKind, to: str, amount_units: int, move_id: str) -> Move:
        """Sign (deterministically: the nonce comes from the move) and record before sending."""
        rail = self._rail(invoice)
        auth = sign(self._keys.key(invoice.invoice_id), TokenDomain(rail.name, rail.chain_id, rail.address), to,
                    amount_units, 0, UINT256_MAX, _nonce(move_id))
        move = Move(move_id, invoice.invoice_id, kind, auth.source, auth.to, amount_units, auth.nonce,
                    auth.valid_after, auth.valid_before, auth.signature, MoveState.SIGNED, "", "")
        try:
            with self._engine.begin() as conn:
                repo.insert_move(conn, move, self._clock().isoformat())
        except IntegrityError as error:
            reraise_unless_unique(error)  # else recorded by an earlier round: the same authorization
        return move

    def _drive_moves(self, invoice: Invoice) -> bool:
        """Send the signed moves and settle the sent ones; whether any was written."""
        rail = self._rails.get(invoice.asset)
        if rail is None:
            return False
        written = False
        for move in self.moves(invoice.invoice_id):
            if move.state is MoveState.SIGNED and move.kind is not MoveKind.PAYER:
                self._send_or_fail(rail, move)
                written = True
            elif move.state is MoveState.SENT:
                written = self._settle_move(rail, move) or written
        return written

    def _send(self, rail: TokenRail, move: Move) -> str:
        auth = Authorization(move.source, move.to, move.amount_units, move.valid_after, move.valid_before,
                             move.nonce, move.signature)
        tx_hash = rail.submit(auth)
        with self._engine.begin() as conn:
            repo.set_move(conn, move.move_id, MoveState.SENT, tx_hash, "", self._clock().isoformat())
        return tx_hash

    def _send_or_fail(self, rail: TokenRail, move: Move) -> None:
        """Send a move out of an invoice address, or record why the token refuses it (the
        tokens are gone: a re-org took the payment) instead of stopping the round. If the
        authorization was used, an earlier copy is on chain: its recorded hash is followed."""
        recorded = next((m for m in self.moves(move.invoice_id) if m.move_id == move.move_id), move)
        try:
            self._send(rail, recorded)
        except AuthorizationRefused as error:
            used = bool(recorded.tx_hash) and rail.authorization_used(recorded.source, recorded.nonce)
            with self._engine.begin() as conn:
                repo.set_move(conn, move.move_id, MoveState.SENT if used else MoveState.FAILED, recorded.tx_hash,
                              "" if used else str(error), self._clock().isoformat())

    def _settle_move(self, rail: TokenRail, move: Move) -> bool:
        """Record a sent move's outcome (or send it again); whether anything was written."""
        outcome = rail.outcome(move.tx_hash)
        now = self._clock().isoformat()
        if outcome is True:
            with self._engine.begin() as conn:
                repo.set_move(conn, move.move_id, MoveState.CONFIRMED, move.tx_hash, "", now)
        elif outcome is False:
            with self._engine.begin() as conn:
                repo.set_move(conn, move.move_id, MoveState.FAILED, move.tx_hash,
                              f"transaction {move.tx_hash} reverted", now)
        elif (self._clock() - datetime.fromisoformat(move.updated_at) >= self._resend_after
              and not rail.authorization_used(move.source, move.nonce)):
            # Not mined for long: dropped from the pool or re-orged out. The same authorization
            # again (a second copy mined too would revert: the token takes a nonce once).
            self._send_or_fail(rail, move)
        else:
            return False
        return True

    def _rail(self, invoice: Invoice) -> TokenRail:
        rail = self._rails.get(invoice.asset)
        if rail is None or rail.address != invoice.token_address:
            raise AssetUnavailable(f"{invoice.asset.value} at {invoice.token_address} has no rail configured here")
        return rail

    def _set(self, invoice: Invoice, status: InvoiceStatus, reason: str, settled_tyiyn: int = 0) -> Invoice:
        with self._engine.begin() as conn:
            repo.set_status(conn, invoice.invoice_id, status, reason, self._clock().isoformat(), settled_tyiyn)
        return self.invoice(invoice.invoice_id)
