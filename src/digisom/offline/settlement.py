"""Server-side settlement of offline payments: a pure function over uploads.

`settle(uploads, context, book)` re-verifies every uploaded payment, detects double
spending, and says what to pay, whom to revoke and what the issuing banks owe. It does
no I/O: the ledger integration turns `Payout`s into transfers (`transfer_id` is the
ledger's idempotency key), `revocations` into the next revocation list, and `Claim`s
into the banks' liabilities, and stores the returned `SettlementBook` for the next run.
`settle` is `collect` (decode, hand the signatures to the verifier) then
`settle_collected` (read the verdicts, apply the rules), which a backlog's runs call
apart so that the next run's signatures are being verified during this run's rules.

Rules (docs/offline.md, "Sync and the guarantee"):

1. Deduplicate: a payment is identified by (payer key id, counter, payment hash); the
   same payment from payer and payee, or uploaded twice, or decided in an earlier run,
   counts once.
2. Reject what is not a valid payment: unknown payer, bad signature, wrong currency,
   over the certificate's limits, outside its validity, to an unknown payee or to
   itself, or accepted by a payee whose revocation list already listed the payer.
3. Detect fraud per payer over everything ever seen with a valid signature: a counter
   used twice (clone, rollback), a link to a previous hash that is not the payment
   before it (fork), cumulative totals that do not add up, or spending beyond the
   funded allowance. Any finding revokes the device.
4. Pay each payer's valid payments in full or not at all, in (counter, payment hash)
   order: from the payer's offline reserve while it covers the whole amount; beyond
   that, only if the payer committed fraud and the payee is honest (its own upload
   holds a receipt, and it is not itself a fraudulent device), the reserve gives what
   it still holds and the issuing bank's guarantee the rest, as long as the guarantee
   stays within the device's cumulative offline limit; else unpaid. A payment that
   needs the guarantee but has no receipt from its payee yet is deferred. Earlier runs
   are final: a later run starts from what was already paid.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, unique
from types import MappingProxyType
from typing import Final, NamedTuple

from digisom.errors import invariant
from digisom.ledger.gc_pause import cyclic_gc_paused
from digisom.offline.accounts import payment_transfer_id
from digisom.offline.certificates import Certificate, RevocationList
from digisom.offline.errors import OfflineError, Reason
from digisom.offline.keys import signature_valid
from digisom.offline.payment import PAYMENT_CONTEXT, Payment, PaymentKey, decode_payment, genesis_hash
from digisom.offline.upload import Receipt, Upload
from digisom.offline.verify import check_content, check_time

# One settlement run handles at most this many distinct payloads; a larger backlog is
# split into runs by the caller (each run is final, so splitting changes nothing).
MAX_PAYLOADS_PER_RUN: Final = 2_000_000


@unique
class Verdict(Enum):
    """What happens to one distinct payment."""

    RESERVE = "reserve"  # paid from the payer's offline reserve
    GUARANTEE = "guarantee"  # paid under the issuing bank's guarantee (a claim on the bank)
    UNPAID = "unpaid"  # valid, but beyond both the reserve and the guarantee
    DEFERRED = "deferred"  # needs the guarantee; waits for the payee's own receipt
    REJECTED = "rejected"  # not a valid payment; never paid


@unique
class Fraud(Enum):
    """Evidence that a device (or a copy of its key) broke the offline rules."""

    DOUBLE_COUNTER = "double_counter"  # one counter, two payments: a clone or a rollback
    CHAIN_BREAK = "chain_break"  # a payment does not link to the payment before it
    CUMULATIVE_MISMATCH = "cumulative_mismatch"  # running totals that do not add up
    OVER_ALLOWANCE = "over_allowance"  # spent more than was ever funded


class Link(NamedTuple):
    """What the server remembers of one payment in a payer's chain."""

    payment_hash: bytes
    previous_hash: bytes
    amount_tyiyn: int
    cumulative_tyiyn: int


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of fraud evidence: which device, what, at which counter."""

    device_key_id: bytes
    fraud: Fraud
    counter: int


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict on one distinct payment (`reason` is set for rejections)."""

    key: PaymentKey
    payee_id: bytes
    amount_tyiyn: int
    verdict: Verdict
    reason: Reason | None = None


@dataclass(frozen=True, slots=True)
class Payout:
    """Money to move for one payment: from the payer's reserve or, under the guarantee,
    from the bank. A payment the reserve covers only in part has one payout of each.

    `transfer_id` is the ledger's idempotency key, derived from the payment's identity
    (payer key id, counter, payment hash) and the part (`accounts.payment_transfer_id`)."""

    transfer_id: int
    payment_hash: bytes
    payer_key_id: bytes
    counter: int
    payee_id: bytes
    amount_tyiyn: int
    source: Verdict
    bank_key_id: bytes


@dataclass(frozen=True, slots=True)
class Claim:
    """What an issuing bank owes for one fraudulent device in this run."""

    bank_key_id: bytes
    device_key_id: bytes
    amount_tyiyn: int


@dataclass(frozen=True, slots=True)
class DeviceBook:
    """Everything settlement remembers about one payer between runs."""

    chain: Mapping[int, tuple[Link, ...]] = field(default_factory=lambda: MappingProxyType({}))
    decided: frozenset[bytes] = frozenset()
    reserve_paid_tyiyn: int = 0
    guarantee_paid_tyiyn: int = 0
    findings: frozenset[Finding] = frozenset()


@dataclass(frozen=True, slots=True)
class SettlementBook:
    """Settlement's memory across runs, per payer key id."""

    devices: Mapping[bytes, DeviceBook] = field(default_factory=lambda: MappingProxyType({}))

    def device(self, key_id: bytes) -> DeviceBook:
        """The book of one device (empty if never seen)."""
        return self.devices.get(key_id, _EMPTY_DEVICE_BOOK)

    @property
    def fraudulent(self) -> frozenset[bytes]:
        """Key ids of every device with fraud findings."""
        return frozenset(key_id for key_id, book in self.devices.items() if book.findings)


_EMPTY_DEVICE_BOOK: Final = DeviceBook()

SignatureCheck = tuple[bytes, bytes, bytes]  # (public key, signature, message)
# Verdicts in the order of the checks. A verifier may answer with a lazy sequence (one
# that waits for other processes when read): settle reads none before it has handed
# over every chunk.
SignatureVerifier = Callable[[Sequence[SignatureCheck]], Sequence[bool]]
# Signatures handed to the verifier at a time: big enough that a process pool's
# hand-over costs little per check, small enough that the workers start early.
VERIFY_CHUNK: Final = 4_096


def verify_sequentially(checks: Sequence[SignatureCheck]) -> list[bool]:
    """The default `SignatureVerifier`: one Ed25519 verification after another."""
    return [signature_valid(public_key, signature, message) for public_key, signature, message in checks]


def revocation_history(lists: Iterable[RevocationList]) -> dict[bytes, int]:
    """Key id -> sequence of the first list that revoked it, from the lists ever issued."""
    first: dict[bytes, int] = {}
    for crl in sorted(lists, key=lambda crl: crl.sequence):
        for key_id in crl.revoked_key_ids:
            first.setdefault(key_id, crl.sequence)
    return first


@dataclass(frozen=True, slots=True)
class SettlementContext:
    """What the server knows besides the uploads, as of this run."""

    # Every device certificate ever issued (verified at issuance), by key id.
    devices: Mapping[bytes, Certificate]
    # Total ever moved into each device's offline reserve, in tyiyn.
    funded_tyiyn: Mapping[bytes, int]
    # Key id -> sequence of the first revocation list that listed it (`revocation_history`).
    revoked_at_sequence: Mapping[bytes, int]
    now_s: int
    verify_signatures: SignatureVerifier = verify_sequentially


@dataclass(frozen=True, slots=True)
class SettlementResult:
    """The outcome of one run: decisions, money to move, devices to revoke, claims."""

    decisions: tuple[Decision, ...]
    payouts: tuple[Payout, ...]
    claims: tuple[Claim, ...]
    findings: tuple[Finding, ...]
    revocations: frozenset[bytes]
    duplicates: int
    malformed: tuple[Reason, ...]
    book: SettlementBook


class Collected(NamedTuple):
    """A run's payloads decoded and deduplicated, their signatures handed to the verifier
    (`collect`); `settle_collected` applies the rules to it."""

    # Every distinct encoding of each payment: they differ only in the signature. Keeping
    # them all stops anyone from "squatting" a payment by uploading it with a bad signature first.
    payments: dict[PaymentKey, list[Payment]]
    receipts: dict[PaymentKey, Receipt]
    duplicates: int
    malformed: list[Reason]
    # Where each checked variant's verdict is: its index into the concatenated verdicts.
    check_index: dict[bytes, int]
    verdicts: list[Sequence[bool]]

    def signature_valid(self) -> Callable[[Payment], bool]:
        """The verdict on a checked variant's signature (waits for the verifier)."""
        flat = [ok for verdicts in self.verdicts for ok in verdicts]
        invariant(len(flat) == len(self.check_index), "one signature verdict per check")
        return lambda payment: flat[self.check_index[payment.encoded]]


def collect(
    uploads: Iterable[Upload], book: SettlementBook, certificates: Mapping[bytes, Certificate],
    verify_signatures: SignatureVerifier,
) -> Collected:
    """Decode and deduplicate every payload; keep receipts only from the payee itself.

    The signature of every payment to settle (a new variant of a known payer) is handed
    to `verify_signatures` in chunks while decoding goes on, so a verifier on other
    processes checks chunk N while this one decodes chunk N+1; no verdict is read here.
    It reads only the payers' own books (what they had decided) and the certificates: a
    run may be collected before an earlier run of other payers is settled and stored."""
    with cyclic_gc_paused():
        return _collect(uploads, book, certificates, verify_signatures)


def _collect(
    uploads: Iterable[Upload], book: SettlementBook, certificates: Mapping[bytes, Certificate],
    verify_signatures: SignatureVerifier,
) -> Collected:
    seen_payloads: dict[bytes, Payment | None] = {}
    payments: dict[PaymentKey, list[Payment]] = {}
    receipts: dict[PaymentKey, Receipt] = {}
    duplicates = 0
    malformed: list[Reason] = []
    check_index: dict[bytes, int] = {}  # encoded variant -> its place in the checks
    chunk: list[SignatureCheck] = []
    verdicts: list[Sequence[bool]] = []

    def check(payment: Payment) -> None:
        payer = certificates.get(payment.payer_key_id)
        if payer is None:
            return  # rejected as an unknown payer, no signature to check
        check_index[payment.encoded] = len(check_index)
        chunk.append((payer.subject_key, payment.signature, PAYMENT_CONTEXT + payment.body))
        if len(chunk) >= VERIFY_CHUNK:
            verdicts.append(verify_signatures(chunk.copy()))
            chunk.clear()

    def take(payload: bytes) -> Payment | None:
        nonlocal duplicates
        if payload in seen_payloads:
            duplicates += 1
            return seen_payloads[payload]
        if len(seen_payloads) >= MAX_PAYLOADS_PER_RUN:
            raise OfflineError(Reason.TOO_LARGE, f"more than {MAX_PAYLOADS_PER_RUN} payloads in one run")
        try:
            payment = decode_payment(payload)
        except OfflineError as error:
            seen_payloads[payload] = None
            malformed.append(error.reason)
            return None
        seen_payloads[payload] = payment
        if payment.payment_hash in book.device(payment.payer_key_id).decided:
            duplicates += 1  # decided in an earlier run
        elif payment.key in payments:
            duplicates += 1  # the same payment under another signature
            payments[payment.key].append(payment)
            check(payment)
        else:
            payments[payment.key] = [payment]
            check(payment)
        return payment

    for upload in uploads:
        for payload in upload.sent:
            take(payload)
        for receipt in upload.received:
            payment = take(receipt.payload)
            # Only the payee's own device can vouch for having accepted a payment.
            if payment is not None and payment.payee_id == upload.device_key_id:
                receipts.setdefault(payment.key, receipt)
    if chunk:
        verdicts.append(verify_signatures(chunk))
    return Collected(payments, receipts, duplicates, malformed, check_index, verdicts)


def _reject_reason(
    payment: Payment, payer: Certificate, receipt: Receipt | None, context: SettlementContext
) -> Reason | None:
    """Why a validly signed payment must not be paid, or None."""
    try:
        check_content(payment, payer)
        check_time(payment, context.now_s)
    except OfflineError as error:
        return error.reason
    if not payer.valid_at(payment.time_s):
        return Reason.CERTIFICATE_EXPIRED if payment.time_s >= payer.not_after_s else Reason.CERTIFICATE_NOT_YET_VALID
    if payment.payee_id == payment.payer_key_id:
        return Reason.SELF_PAYMENT
    if payment.payee_id not in context.devices:
        return Reason.WRONG_PAYEE
    if receipt is not None:
        for key_id in (payment.payer_key_id, payer.issuer_key_id):
            revoked_at = context.revoked_at_sequence.get(key_id)
            if revoked_at is not None and receipt.revocation_sequence >= revoked_at:
                # The payee's own list said "revoked" and it accepted anyway.
                return Reason.REVOKED
    return None


def _detect(device_key_id: bytes, chain: Mapping[int, tuple[Link, ...]], counters: Iterable[int]) -> set[Finding]:
    """Fraud findings at the given counters of one payer's chain."""
    findings: set[Finding] = set()
    for counter in counters:
        links = chain.get(counter, ())
        if len(links) > 1:
            findings.add(Finding(device_key_id, Fraud.DOUBLE_COUNTER, counter))
        if counter == 1:
            predecessors: dict[bytes, int] = {genesis_hash(device_key_id): 0}
        elif counter - 1 in chain:
            predecessors = {link.payment_hash: link.cumulative_tyiyn for link in chain[counter - 1]}
        else:
            continue  # a gap: the payment before has not been uploaded yet
        for link in links:
            if link.previous_hash not in predecessors:
                findings.add(Finding(device_key_id, Fraud.CHAIN_BREAK, counter))
            elif link.cumulative_tyiyn != predecessors[link.previous_hash] + link.amount_tyiyn:
                findings.add(Finding(device_key_id, Fraud.CUMULATIVE_MISMATCH, counter))
    return findings


def _over_allowance(device_key_id: bytes, chain: Mapping[int, tuple[Link, ...]], funded_tyiyn: int) -> Finding | None:
    """The counter at which the running total of distinct payments first exceeds the funding."""
    running_tyiyn = 0
    for counter in sorted(chain):
        for link in sorted(chain[counter]):
            running_tyiyn += link.amount_tyiyn
            if running_tyiyn > funded_tyiyn:
                return Finding(device_key_id, Fraud.OVER_ALLOWANCE, counter)
    return None


def settle(
    uploads: Iterable[Upload], context: SettlementContext, book: SettlementBook | None = None
) -> SettlementResult:
    """Verify, deduplicate and settle uploaded offline payments (see the module docstring)."""
    # Millions of short-lived acyclic objects: reference counting frees them, the
    # cyclic collector would only re-walk them (half the time outside verification).
    book = book or SettlementBook()
    with cyclic_gc_paused():
        return settle_collected(collect(uploads, book, context.devices, context.verify_signatures), context, book)


def settle_collected(collected: Collected, context: SettlementContext, book: SettlementBook) -> SettlementResult:
    """The second half of `settle`: read the verdicts of `collect`ed payments and apply
    the rules. `collected` came from `collect` over the same `book`'s payers and
    `context.devices`; the rest of `book` (other devices' fraud findings) and of `context`
    is read here only, so it may be newer than what `collect` saw."""
    with cyclic_gc_paused():
        return _settle(collected, context, book)


def _settle(collected: Collected, context: SettlementContext, book: SettlementBook) -> SettlementResult:
    decisions: list[Decision] = []

    # Signatures were handed to the verifier while decoding; their verdicts, in the
    # order of the payments and their variants (the first valid variant settles).
    signature_valid = collected.signature_valid()
    valid_keys: dict[PaymentKey, Payment] = {}
    invalid_keys: dict[PaymentKey, Payment] = {}
    for variants in collected.payments.values():
        if variants[0].payer_key_id not in context.devices:
            decisions.append(_decision(variants[0], Verdict.REJECTED, Reason.UNKNOWN_PAYER_CERTIFICATE))
            continue
        for payment in variants:
            if signature_valid(payment):
                valid_keys.setdefault(payment.key, payment)
            else:
                invalid_keys.setdefault(payment.key, payment)
    valid_by_payer: dict[bytes, list[Payment]] = {}
    for payment in valid_keys.values():
        valid_by_payer.setdefault(payment.payer_key_id, []).append(payment)
    for key, payment in invalid_keys.items():
        if key not in valid_keys:
            decisions.append(_decision(payment, Verdict.REJECTED, Reason.BAD_SIGNATURE))

    # Fraud detection over everything ever seen, before any payout: a payee that is
    # itself a fraudulent device must be known before the guarantee is handed out.
    chains: dict[bytes, dict[int, tuple[Link, ...]]] = {}
    new_findings: list[Finding] = []
    for payer_key_id, payments in valid_by_payer.items():
        previous = book.device(payer_key_id)
        chain = dict(previous.chain)
        for p in payments:
            links = chain.get(p.counter, ())
            # A payment deferred in an earlier run is already in the chain.
            if all(link.payment_hash != p.payment_hash for link in links):
                link = Link(p.payment_hash, p.previous_hash, p.amount_tyiyn, p.cumulative_tyiyn)
                chain[p.counter] = (*links, link)
        touched = {p.counter for p in payments} | {p.counter + 1 for p in payments}
        found = _detect(payer_key_id, chain, sorted(touched))
        over = _over_allowance(payer_key_id, chain, context.funded_tyiyn.get(payer_key_id, 0))
        if over is not None and not any(f.fraud is Fraud.OVER_ALLOWANCE for f in previous.findings):
            found.add(over)
        new_findings.extend(
            sorted(found - previous.findings, key=lambda f: (f.device_key_id, f.counter, f.fraud.value))
        )
        chains[payer_key_id] = chain
    fraudulent = book.fraudulent | {f.device_key_id for f in new_findings}

    payouts: list[Payout] = []
    claims: list[Claim] = []
    devices = dict(book.devices)
    for payer_key_id, payments in valid_by_payer.items():
        payer = context.devices[payer_key_id]
        previous = book.device(payer_key_id)
        funded_tyiyn = context.funded_tyiyn.get(payer_key_id, 0)
        reserve_tyiyn, guarantee_tyiyn = previous.reserve_paid_tyiyn, previous.guarantee_paid_tyiyn
        decided = set(previous.decided)
        for payment in sorted(payments, key=lambda p: (p.counter, p.payment_hash)):
            receipt = collected.receipts.get(payment.key)
            reason = _reject_reason(payment, payer, receipt, context)
            reserve_left_tyiyn = funded_tyiyn - reserve_tyiyn
            # The part the guarantee must add: what the reserve's remainder does not cover.
            beyond_tyiyn = payment.amount_tyiyn - reserve_left_tyiyn
            parts: list[tuple[Verdict, int]] = []
            if reason is not None:
                verdict = Verdict.REJECTED
            elif beyond_tyiyn <= 0:
                verdict = Verdict.RESERVE
                parts = [(Verdict.RESERVE, payment.amount_tyiyn)]
            elif payer_key_id not in fraudulent or payment.payee_id in fraudulent:
                # Without fraud the reserve covers every payment (rule 3 flags the excess);
                # a fraudulent payee gets nothing from the guarantee.
                verdict = Verdict.UNPAID
            elif guarantee_tyiyn + beyond_tyiyn > payer.cumulative_max_tyiyn:
                verdict = Verdict.UNPAID
            elif receipt is None:
                verdict = Verdict.DEFERRED
            else:
                verdict = Verdict.GUARANTEE
                # The reserve gives what it still holds, so the bank's claim is only the excess.
                parts = [(Verdict.RESERVE, reserve_left_tyiyn)] if reserve_left_tyiyn else []
                parts.append((Verdict.GUARANTEE, beyond_tyiyn))
            decisions.append(_decision(payment, verdict, reason))
            if verdict is not Verdict.DEFERRED:
                decided.add(payment.payment_hash)
            invariant(
                not parts or sum(amount for _source, amount in parts) == payment.amount_tyiyn,
                "a payment must be paid in full or not at all",
            )
            for source, amount_tyiyn in parts:
                if source is Verdict.RESERVE:
                    reserve_tyiyn += amount_tyiyn
                else:
                    guarantee_tyiyn += amount_tyiyn
                payouts.append(
                    Payout(
                        transfer_id=payment_transfer_id(
                            payer_key_id, payment.counter, payment.payment_hash, source.value
                        ),
                        payment_hash=payment.payment_hash,
                        payer_key_id=payer_key_id,
                        counter=payment.counter,
                        payee_id=payment.payee_id,
                        amount_tyiyn=amount_tyiyn,
                        source=source,
                        bank_key_id=payer.issuer_key_id,
                    )
                )
        invariant(reserve_tyiyn <= funded_tyiyn, "a reserve paid out more than was funded")
        invariant(guarantee_tyiyn <= payer.cumulative_max_tyiyn, "a guarantee paid beyond the offline limit")
        claimed_tyiyn = guarantee_tyiyn - previous.guarantee_paid_tyiyn
        if claimed_tyiyn:
            claims.append(Claim(payer.issuer_key_id, payer_key_id, claimed_tyiyn))
        findings = previous.findings | {f for f in new_findings if f.device_key_id == payer_key_id}
        devices[payer_key_id] = DeviceBook(
            chain=MappingProxyType(chains[payer_key_id]),
            decided=frozenset(decided),
            reserve_paid_tyiyn=reserve_tyiyn,
            guarantee_paid_tyiyn=guarantee_tyiyn,
            findings=frozenset(findings),
        )

    _check_conservation(payouts, claims)
    return SettlementResult(
        decisions=tuple(decisions),
        payouts=tuple(payouts),
        claims=tuple(claims),
        findings=tuple(new_findings),
        revocations=frozenset(f.device_key_id for f in new_findings) - book.fraudulent,
        duplicates=collected.duplicates,
        malformed=tuple(collected.malformed),
        book=SettlementBook(MappingProxyType(devices)),
    )


def _decision(payment: Payment, verdict: Verdict, reason: Reason | None = None) -> Decision:
    return Decision(payment.key, payment.payee_id, payment.amount_tyiyn, verdict, reason)


def _check_conservation(payouts: Sequence[Payout], claims: Sequence[Claim]) -> None:
    """Money is moved, never made: each payment paid once, guarantee payouts equal claims."""
    invariant(len({p.transfer_id for p in payouts}) == len(payouts), "a payment part was paid twice")
    guaranteed_tyiyn = sum(p.amount_tyiyn for p in payouts if p.source is Verdict.GUARANTEE)
    invariant(guaranteed_tyiyn == sum(c.amount_tyiyn for c in claims), "guarantee payouts differ from claims")
    invariant(all(p.amount_tyiyn > 0 for p in payouts), "a payout must move a positive amount")
