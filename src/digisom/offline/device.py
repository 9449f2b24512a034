"""A simulated device wallet: pays and receives offline, uploads at sync.

The device never reads a clock: every operation takes `now_s`. Its state can be
exported (`snapshot`) and restored (`Device.from_state`); tests and the benchmark use
that to play a cloned device or a counter rollback, which is exactly what software key
protection cannot prevent and what settlement must detect.

Onward spending: value received offline is not spendable before the device syncs.
`receive` never raises the device's allowance; the payee is credited online at sync.
See docs/offline.md for why the bound is zero in the pilot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from digisom.offline.certificates import Certificate, RevocationList, TrustStore, decode_certificate
from digisom.offline.codec import MAX_UINT
from digisom.offline.errors import OfflineError, Reason
from digisom.offline.keys import Signer
from digisom.offline.payment import Payment, PaymentKey, decode_payment, genesis_hash, sign_payment, signature_matches
from digisom.offline.upload import Receipt, Upload
from digisom.offline.verify import PayerView, check_content, check_continuity, check_time


@dataclass(frozen=True, slots=True)
class DeviceState:
    """Everything a device remembers, as an immutable value."""

    certificate: Certificate
    trust: TrustStore
    funded_tyiyn: int
    spent_tyiyn: int
    counter: int
    previous_hash: bytes
    sent: tuple[bytes, ...]
    received: tuple[Receipt, ...]
    payers: Mapping[bytes, PayerView]
    payer_certificates: Mapping[bytes, Certificate]
    received_keys: frozenset[PaymentKey]
    # Everything ever funded (returns do not lower it): the funding epoch a return names.
    funding_total_tyiyn: int = 0


class Device:
    """One device wallet. Not thread-safe: a device does one thing at a time."""

    def __init__(self, signer: Signer, state: DeviceState) -> None:
        if signer.public_key != state.certificate.subject_key:
            raise OfflineError(Reason.WRONG_ISSUER, "the certificate does not certify this key")
        self._signer = signer
        self._certificate = state.certificate
        self._trust = state.trust
        self._funded_tyiyn = state.funded_tyiyn
        self._funding_total_tyiyn = state.funding_total_tyiyn
        self._spent_tyiyn = state.spent_tyiyn
        self._counter = state.counter
        self._previous_hash = state.previous_hash
        self._sent = list(state.sent)
        self._received = list(state.received)
        self._payers = dict(state.payers)
        self._payer_certificates = dict(state.payer_certificates)
        self._received_keys = set(state.received_keys)

    @classmethod
    def provision(cls, signer: Signer, certificate: Certificate, trust: TrustStore, now_s: int) -> Device:
        """A fresh device with a verified certificate and nothing funded yet."""
        trust.verify_device(certificate, now_s)
        state = DeviceState(
            certificate=certificate,
            trust=trust,
            funded_tyiyn=0,
            spent_tyiyn=0,
            counter=0,
            previous_hash=genesis_hash(certificate.key_id),
            sent=(),
            received=(),
            payers=MappingProxyType({}),
            payer_certificates=MappingProxyType({}),
            received_keys=frozenset(),
        )
        return cls(signer, state)

    @classmethod
    def from_state(cls, signer: Signer, state: DeviceState) -> Device:
        """A device restored from a snapshot (a backup, or an attacker's copy)."""
        return cls(signer, state)

    def snapshot(self) -> DeviceState:
        """The device's whole state as an immutable value."""
        return DeviceState(
            certificate=self._certificate,
            trust=self._trust,
            funded_tyiyn=self._funded_tyiyn,
            spent_tyiyn=self._spent_tyiyn,
            counter=self._counter,
            previous_hash=self._previous_hash,
            sent=tuple(self._sent),
            received=tuple(self._received),
            payers=MappingProxyType(dict(self._payers)),
            payer_certificates=MappingProxyType(dict(self._payer_certificates)),
            received_keys=frozenset(self._received_keys),
            funding_total_tyiyn=self._funding_total_tyiyn,
        )

    @property
    def device_id(self) -> bytes:
        """The 8-byte id payers put in the payee field: this device's key id."""
        return self._certificate.key_id

    @property
    def certificate(self) -> Certificate:
        """This device's certificate, shown to a payee on first contact."""
        return self._certificate

    @property
    def balance_tyiyn(self) -> int:
        """Offline value this device may still spend: funded minus spent."""
        return self._funded_tyiyn - self._spent_tyiyn

    @property
    def funding_total_tyiyn(self) -> int:
        """Everything ever funded into this device's reserve; a sync request that returns
        unspent value signs it, binding the return to the current funding."""
        return self._funding_total_tyiyn

    @property
    def received_unsynced_tyiyn(self) -> int:
        """Value received offline and not yet uploaded; not spendable (no onward spending)."""
        return sum(decode_payment(receipt.payload).amount_tyiyn for receipt in self._received)

    def fund(self, amount_tyiyn: int) -> None:
        """Add an allowance the ledger has moved to this device's offline reserve (online)."""
        if amount_tyiyn <= 0:
            raise OfflineError(Reason.NON_POSITIVE_AMOUNT)
        if self._funded_tyiyn + amount_tyiyn > self._certificate.cumulative_max_tyiyn:
            # Funding beyond what the certificate lets the device ever spend would strand value.
            raise OfflineError(Reason.OVER_CUMULATIVE_LIMIT, "funding beyond the certificate's cumulative limit")
        self._funded_tyiyn += amount_tyiyn
        self._funding_total_tyiyn += amount_tyiyn

    def defund(self, amount_tyiyn: int) -> None:
        """Give up unspent allowance that sync returns to the wallet (online); the device
        stops spending it before the upload that asks for it is signed."""
        if not 0 < amount_tyiyn <= self.balance_tyiyn:
            raise OfflineError(Reason.INSUFFICIENT_ALLOWANCE, f"{amount_tyiyn} of {self.balance_tyiyn}")
        self._funded_tyiyn -= amount_tyiyn

    @property
    def spent_tyiyn(self) -> int:
        """Everything this device has spent offline under its key (its cumulative total)."""
        return self._spent_tyiyn

    def pay(self, payee_id: bytes, amount_tyiyn: int, now_s: int) -> bytes:
        """Sign a payment of `amount_tyiyn` to `payee_id` and return its wire form."""
        if amount_tyiyn <= 0:
            raise OfflineError(Reason.NON_POSITIVE_AMOUNT)
        if payee_id == self.device_id:
            raise OfflineError(Reason.SELF_PAYMENT)
        self._trust.check_current(self._certificate, now_s)
        if amount_tyiyn > self._certificate.per_payment_max_tyiyn:
            raise OfflineError(Reason.OVER_PAYMENT_LIMIT)
        if self._spent_tyiyn + amount_tyiyn > self._certificate.cumulative_max_tyiyn:
            raise OfflineError(Reason.OVER_CUMULATIVE_LIMIT)
        if amount_tyiyn > self.balance_tyiyn:
            raise OfflineError(Reason.INSUFFICIENT_ALLOWANCE, f"{amount_tyiyn} > {self.balance_tyiyn}")
        if self._counter >= MAX_UINT:
            raise OfflineError(Reason.COUNTER_EXHAUSTED)
        payment = sign_payment(
            self._signer,
            payee_id=payee_id,
            amount_tyiyn=amount_tyiyn,
            counter=self._counter + 1,
            previous_hash=self._previous_hash,
            time_s=now_s,
            cumulative_tyiyn=self._spent_tyiyn + amount_tyiyn,
        )
        # State changes only after signing succeeded: a failure leaves the device unchanged.
        self._counter = payment.counter
        self._previous_hash = payment.payment_hash
        self._spent_tyiyn = payment.cumulative_tyiyn
        self._sent.append(payment.encoded)
        return payment.encoded

    def receive(self, payload: bytes, now_s: int, payer_certificate: bytes | None = None) -> Payment:
        """Verify a payment fully offline and, if it passes, keep it for upload.

        Checks, in this order (the first failure is the reason): encoding; payee is this
        device; the payer's certificate (presented now or seen before) chains to the
        root, is within its validity and not revoked as of the last sync; signature;
        currency and limits of the payer's certificate; date; not a replay; counter
        strictly increasing and chain continuous as far as this device has seen the payer.
        """
        payment = decode_payment(payload)
        if payment.payee_id != self.device_id:
            raise OfflineError(Reason.WRONG_PAYEE)
        if payment.payer_key_id == self.device_id:
            raise OfflineError(Reason.SELF_PAYMENT)
        certificate = self._payer_certificate(payment.payer_key_id, payer_certificate, now_s)
        self._trust.check_current(certificate, now_s)
        if not signature_matches(payment, certificate.subject_key):
            raise OfflineError(Reason.BAD_SIGNATURE, "payment")
        check_content(payment, certificate)
        check_time(payment, now_s)
        if payment.key in self._received_keys:
            raise OfflineError(Reason.REPLAY, f"counter {payment.counter}")
        check_continuity(payment, self._payers.get(payment.payer_key_id))
        self._payers[payment.payer_key_id] = PayerView(payment.counter, payment.payment_hash, payment.cumulative_tyiyn)
        self._received_keys.add(payment.key)
        self._received.append(Receipt(payment.encoded, now_s, self._trust.revocations.sequence))
        return payment

    def _payer_certificate(self, payer_key_id: bytes, presented: bytes | None, now_s: int) -> Certificate:
        """The payer's verified certificate: from the cache, or verified now and cached."""
        cached = self._payer_certificates.get(payer_key_id)
        if cached is not None and (presented is None or presented == cached.encoded):
            return cached
        if presented is None:
            raise OfflineError(Reason.UNKNOWN_PAYER_CERTIFICATE, payer_key_id.hex())
        certificate = decode_certificate(presented)
        if certificate.key_id != payer_key_id:
            raise OfflineError(Reason.UNKNOWN_PAYER_CERTIFICATE, "presented certificate is not the payer's")
        self._trust.verify_device(certificate, now_s)
        self._payer_certificates[payer_key_id] = certificate
        return certificate

    def upload(self) -> Upload:
        """Everything sent and received since the last acknowledged sync."""
        return Upload(self.device_id, tuple(self._sent), tuple(self._received))

    def acknowledge(self, upload: Upload) -> None:
        """Forget what the server has confirmed; kept until then, so a lost upload is resent."""
        sent, received = set(upload.sent), set(upload.received)
        self._sent = [payload for payload in self._sent if payload not in sent]
        self._received = [receipt for receipt in self._received if receipt not in received]

    def sync(self, banks: Iterable[Certificate], revocations: RevocationList, now_s: int) -> None:
        """Install the bank certificates and the revocation list distributed at sync.

        Cached payer certificates stay: `receive` checks expiry and revocation against
        the current store at every payment, so a newly revoked payer is refused."""
        self._trust = self._trust.with_sync(banks, revocations, now_s)
