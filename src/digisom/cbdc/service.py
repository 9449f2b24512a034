"""`CbdcService`: the one door the entry points use. Each method is one use case;
it checks the caller's scope, applies the domain's rules and returns frozen records.
The API parses, authorises the role, calls one method and renders the result."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import date

from digisom.cbdc import aliases, benefits, credits, issuance, participants, payments, qr, repository, wallets
from digisom.cbdc.context import Context
from digisom.cbdc.errors import Forbidden
from digisom.cbdc.model import (
    Alias,
    AliasTarget,
    BenefitExpiry,
    BenefitScheme,
    DailyReport,
    Hold,
    HolderKind,
    Identity,
    IssuanceEvent,
    IssuanceSummary,
    JournalEntry,
    MerchantProfile,
    Page,
    Participant,
    ParticipantKind,
    Payment,
    PaymentRequest,
    PublicAggregate,
    StatementEntry,
    Wallet,
    WalletView,
)
from digisom.cbdc.policy import Policy
from digisom.kernel.access import Actor, Role
from digisom.kernel.ttl_cache import TtlCache
from digisom.ledger import journal


class CbdcService:
    """The digital som's use cases over one `Context`."""

    def __init__(self, ctx: Context, public_cache: TtlCache[PublicAggregate] | None = None) -> None:
        """`public_cache` (the composition root's) serves the public aggregate for a short
        time to anyone who asks; without one, every call reads the ledger."""
        self.ctx = ctx
        self._public_cache = public_cache or TtlCache[PublicAggregate](0, lambda: 0.0)
        participants.bootstrap(ctx)
        # Before the first request: finish what a crash left between a row and the ledger.
        self.recovered = issuance.recover_pending(ctx) + payments.recover_pending(ctx)

    @property
    def policy(self) -> Policy:
        """The KYC tier policy in force."""
        return self.ctx.policy

    # participants
    def register_participant(
        self, participant_id: str, kind: ParticipantKind, name: str, bank_code: str | None
    ) -> Participant:
        """Register a bank, payment provider, treasury or ministry."""
        return participants.register(self.ctx, participant_id, kind, name, bank_code)

    def participant(self, participant_id: str) -> Participant:
        """One participant."""
        return participants.get(self.ctx, participant_id)

    def participants(self, after_seq: int, limit: int) -> Page[Participant]:
        """A page of participants."""
        return participants.page(self.ctx, after_seq, limit)

    # issuance
    def convert(self, actor: Actor, kind: str, bank_code: str, amount_tyiyn: int, key: str) -> IssuanceEvent:
        """Credit reserves, issue or redeem digital som."""
        if kind == "reserve_credit" and actor.role is not Role.CENTRAL_BANK_OPERATOR:
            raise Forbidden("only the central bank credits reserves")
        return issuance.convert(self.ctx, actor, kind, bank_code, amount_tyiyn, key)

    def issuance_summary(self) -> IssuanceSummary:
        """Circulation against the issuance liability."""
        return issuance.summary(self.ctx)

    def daily_report(self, day: str) -> DailyReport:
        """The daily issuance report."""
        return issuance.daily_report(self.ctx, day)

    def public_aggregate(self) -> PublicAggregate:
        """The published totals (from the cache while it is fresh)."""
        return self._public_cache.get(lambda: issuance.public_aggregate(self.ctx))

    # wallets
    def open_wallet(
        self, actor: Actor, key: str, holder_id: str, holder_kind: HolderKind, tier: int, full_name: str,
        phone: str, pin: str, merchant: MerchantProfile | None,
    ) -> Wallet:
        """A bank opens a wallet for its customer."""
        return wallets.open_wallet(self.ctx, actor, key, holder_id, holder_kind, tier, full_name, phone, pin, merchant)

    def wallet(self, actor: Actor, wallet_id: str) -> WalletView:
        """A wallet with balance and limits."""
        return wallets.view(self.ctx, actor, wallet_id)

    def public_body_wallet(self, wallet_id: str) -> tuple[Wallet, bool] | None:
        """The wallet and whether the treasury or a ministry holds it (`wallets.held_by_public_body`),
        or None if there is no such wallet: what a programme's source of funds is checked against."""
        with self.ctx.engine.connect() as conn:
            found = repository.get_wallet(conn, wallet_id)
        return None if found is None else (found, wallets.held_by_public_body(self.ctx, found))

    def wallets(self, actor: Actor, after_seq: int, limit: int) -> Page[Wallet]:
        """The wallets the caller may see."""
        return wallets.page(self.ctx, actor, after_seq, limit)

    def identity(self, actor: Actor, wallet_id: str) -> Identity:
        """The holder's identity (the wallet's bank only)."""
        return wallets.identity(self.ctx, actor, wallet_id)

    def set_tier(self, actor: Actor, wallet_id: str, tier: int) -> Wallet:
        """Move a wallet to another KYC tier."""
        return wallets.set_tier(self.ctx, actor, wallet_id, tier)

    def set_frozen(self, actor: Actor, wallet_id: str, frozen: bool, reason: str, legal_order_ref: str) -> Hold:
        """Freeze or unfreeze under a legal order."""
        return wallets.set_frozen(self.ctx, actor, wallet_id, frozen, reason, legal_order_ref)

    def release_screening_freeze(self, screening_ref: str, cleared: bool, decision: str) -> list[str]:
        """A holder's screening review is finally decided: unfreeze (cleared) or keep frozen
        (confirmed) the wallets opened frozen on it. For the composition root's review subscriber."""
        return wallets.release_screening_freeze(self.ctx, screening_ref, cleared, decision)

    def holds(self, actor: Actor, wallet_id: str) -> list[Hold]:
        """A wallet's freezes and unfreezes."""
        return wallets.holds(self.ctx, actor, wallet_id)

    def credit_deposit(self, actor: Actor, wallet_id: str, amount_tyiyn: int, key: str) -> WalletView:
        """Mirror money arriving on the holder's linked bank account."""
        return wallets.credit_deposit(self.ctx, actor, wallet_id, amount_tyiyn, key)

    def fund(self, actor: Actor, wallet_id: str, amount_tyiyn: int, key: str) -> WalletView:
        """Load a wallet from its linked bank account."""
        return wallets.fund(self.ctx, actor, wallet_id, amount_tyiyn, key)

    def close_wallet(self, actor: Actor, wallet_id: str, key: str) -> WalletView:
        """Close a wallet, sweeping its balance to the linked bank account."""
        return wallets.close(self.ctx, actor, wallet_id, key)

    def statement(self, actor: Actor, wallet_id: str, after_ns: int, limit: int) -> Page[StatementEntry]:
        """A page of the wallet's ledger transfers."""
        return wallets.statement(self.ctx, actor, wallet_id, after_ns, limit)

    # payments
    def pay(self, actor: Actor, key: str, payer_wallet_id: str, payee_wallet_id: str, amount_tyiyn: int,
            reference: str | None, benefit_scheme_id: str | None = None) -> Payment:
        """Pay another wallet, from the wallet or from one of its benefits (merchants of the scheme's categories)."""
        return payments.pay(self.ctx, actor, key, payer_wallet_id, payee_wallet_id, amount_tyiyn, reference,
                            benefit_scheme_id)

    def pay_qr(self, actor: Actor, key: str, payer_wallet_id: str, payload: str, amount_tyiyn: int | None,
               benefit_scheme_id: str | None = None) -> Payment:
        """Pay a merchant's QR code, from the wallet or from one of its benefits."""
        return payments.pay_qr(self.ctx, actor, key, payer_wallet_id, payload, amount_tyiyn, benefit_scheme_id)

    def refund(self, actor: Actor, key: str, payment_id: str, amount_tyiyn: int) -> Payment:
        """Refund part or all of a payment."""
        return payments.refund(self.ctx, actor, key, payment_id, amount_tyiyn)

    def payment(self, actor: Actor, payment_id: str) -> Payment:
        """One payment."""
        return payments.get(self.ctx, actor, payment_id)

    def payments(self, actor: Actor, wallet_id: str, after_seq: int, limit: int) -> Page[Payment]:
        """A page of a wallet's payments."""
        return payments.page(self.ctx, actor, wallet_id, after_seq, limit)

    def request_payment(self, actor: Actor, key: str, payee_wallet_id: str, payer_wallet_id: str,
                        amount_tyiyn: int, message: str | None) -> PaymentRequest:
        """Send a request to pay."""
        return payments.request(self.ctx, actor, key, payee_wallet_id, payer_wallet_id, amount_tyiyn, message)

    def payment_request(self, actor: Actor, request_id: str) -> PaymentRequest:
        """One request to pay."""
        return payments.get_request(self.ctx, actor, request_id)

    def payment_requests(self, actor: Actor, wallet_id: str, after_seq: int, limit: int) -> Page[PaymentRequest]:
        """A page of a wallet's requests to pay, sent and received."""
        return payments.request_page(self.ctx, actor, wallet_id, after_seq, limit)

    def answer_request(self, actor: Actor, request_id: str, accept: bool) -> PaymentRequest:
        """Pay or decline a request to pay."""
        return payments.answer_request(self.ctx, actor, request_id, accept)

    # QR
    def merchant_qr(self, actor: Actor, wallet_id: str, amount_tyiyn: int | None, bill_number: str | None) -> str:
        """A merchant's EMV QR payload."""
        return payments.merchant_qr(self.ctx, actor, wallet_id, amount_tyiyn, bill_number)

    def decode_qr(self, payload: str) -> qr.MerchantQr:
        """Decode and check a QR payload."""
        return qr.decode(payload)

    # the banks' alias directory
    def register_alias(self, actor: Actor, personal_number: str, wallet_id: str | None,
                       bank_account: str | None) -> Alias:
        """A bank registers or replaces its customer's alias (exactly one destination)."""
        return aliases.register(self.ctx, actor, personal_number, wallet_id, bank_account)

    def remove_alias(self, actor: Actor, personal_number: str) -> None:
        """A bank removes its customer's alias (idempotent)."""
        aliases.remove(self.ctx, actor, personal_number)

    def alias(self, actor: Actor, personal_number: str) -> Alias:
        """A bank reads its own customer's alias."""
        return aliases.get(self.ctx, actor, personal_number)

    def recipient_wallets(self, payees: Sequence[tuple[str, int]], benefit_scheme_id: str | None
                          ) -> dict[str, str]:
        """Trusted, for the treasury's disbursement wiring: the wallet each (number,
        account) pair resolved at upload still names (`credits.recipient_wallets`)."""
        return credits.recipient_wallets(self.ctx, payees, benefit_scheme_id)

    def held_wallets(self, wallet_ids: Sequence[str]) -> AbstractContextManager[None]:
        """Trusted: hold the wallets' locks (every API process) for a block that credits them."""
        return credits.held(self.ctx, wallet_ids)

    def plan_credits(self, requests: Sequence[credits.CreditRequest]
                     ) -> list[credits.CreditPlan | credits.CreditRefusal]:
        """Trusted: how each credit lands (wallet, waterfall) or why it may not
        (`credits.plan_credits`); call it holding `held_wallets`."""
        return credits.plan_credits(self.ctx, requests)

    def resolve_aliases(self, personal_numbers: Sequence[str]) -> dict[str, AliasTarget]:
        """Trusted, for the treasury's disbursement wiring: where each known number is paid
        (at most 8,190 per call, one query); unknown numbers and aliases to a frozen or
        closed wallet are absent."""
        return aliases.resolve(self.ctx, personal_numbers)

    # purpose-bound benefits
    def create_benefit_scheme(self, actor: Actor, key: str, name: str, categories: Sequence[str], expires_on: date,
                              treasury_wallet_id: str) -> BenefitScheme:
        """A treasury operator creates a scheme: merchant categories, last day, treasury wallet."""
        return benefits.create(self.ctx, actor, key, name, categories, expires_on, treasury_wallet_id)

    def benefit_scheme(self, scheme_id: str) -> BenefitScheme:
        """One scheme (its terms are not personal data: any authenticated role may read them)."""
        return benefits.load(self.ctx, scheme_id)

    def benefit_account_ids(self, scheme_id: str, wallet_ids: Sequence[str]) -> dict[str, int]:
        """Trusted, for the treasury's disbursement wiring: the ledger account of the scheme
        to credit for each active wallet among `wallet_ids` (at most 8,190), created
        idempotently; unknown, frozen and closed wallets are absent. `NotFound` for an
        unknown scheme, `BenefitExpired` after its last day."""
        return benefits.account_ids(self.ctx, scheme_id, wallet_ids)

    def expire_benefits(self, actor: Actor, scheme_id: str, key: str) -> BenefitExpiry:
        """Return an expired scheme's unspent benefits to its treasury wallet (resumable).
        The sweep's transfer ids derive from the scheme and wallets, not from `key`, so a
        retry under any key moves nothing twice; the API layer uses `key` to replay answers."""
        del key  # see above: the ledger's `exists` makes the sweep idempotent by itself
        return benefits.expire(self.ctx, actor, scheme_id)

    # ledger journal
    def journal(self, after_seq: int, limit: int) -> Page[JournalEntry]:
        """A page of the ledger's hash-chained journal."""
        records = self.ctx.ledger.journal(after_seq, limit)
        entries = []
        for record in records:
            decoded = journal.decode(record.payload)
            entries.append(
                JournalEntry(record.seq, record.prev_hash.hex(), record.hash.hex(), len(decoded.accounts),
                             len(decoded.transfers), record.payload.hex())
            )
        return Page(entries, records[-1].seq if len(records) == limit else None)
