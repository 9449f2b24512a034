"""Offline checks of a payment's content and of its place in the payer's chain.

Shared by the payee's device (`device`) and the server (`settlement`) so that both
apply the same rules. Pure functions: state goes in as arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from digisom.money import KGS
from digisom.offline.certificates import Certificate
from digisom.offline.errors import OfflineError, Reason
from digisom.offline.payment import Payment, genesis_hash

# Tolerated difference between the payer's and the payee's clocks. Device clocks drift
# while offline for days; an hour keeps honest devices working and future-dating useless.
MAX_CLOCK_SKEW_S: Final = 3600


@dataclass(frozen=True, slots=True)
class PayerView:
    """The latest payment a verifier has accepted from one payer."""

    counter: int
    payment_hash: bytes
    cumulative_tyiyn: int


def check_content(payment: Payment, payer: Certificate) -> None:
    """Currency, amount, per-payment and cumulative limits of the payer's certificate,
    and the start of the chain. The signature is checked separately."""
    if payment.currency_numeric != KGS.numeric:
        raise OfflineError(Reason.WRONG_CURRENCY, str(payment.currency_numeric))
    if payment.amount_tyiyn <= 0:
        raise OfflineError(Reason.NON_POSITIVE_AMOUNT)
    if payment.amount_tyiyn > payer.per_payment_max_tyiyn:
        raise OfflineError(Reason.OVER_PAYMENT_LIMIT, f"{payment.amount_tyiyn} > {payer.per_payment_max_tyiyn}")
    if payment.cumulative_tyiyn > payer.cumulative_max_tyiyn:
        raise OfflineError(Reason.OVER_CUMULATIVE_LIMIT, f"{payment.cumulative_tyiyn} > {payer.cumulative_max_tyiyn}")
    if payment.cumulative_tyiyn < payment.amount_tyiyn:
        raise OfflineError(Reason.CUMULATIVE_MISMATCH, "cumulative below the amount")
    if payment.counter == 1:
        if payment.previous_hash != genesis_hash(payment.payer_key_id):
            raise OfflineError(Reason.CHAIN_FORK, "first payment does not start the chain")
        if payment.cumulative_tyiyn != payment.amount_tyiyn:
            raise OfflineError(Reason.CUMULATIVE_MISMATCH, "first payment's cumulative must equal its amount")


def check_time(payment: Payment, now_s: int) -> None:
    """Refuse a payment dated further in the future than the tolerated clock skew."""
    if payment.time_s > now_s + MAX_CLOCK_SKEW_S:
        raise OfflineError(Reason.PAYMENT_FROM_FUTURE, f"{payment.time_s} > {now_s} + {MAX_CLOCK_SKEW_S}")


def check_continuity(payment: Payment, last: PayerView | None) -> None:
    """Counter strictly increasing and the chain continuous, as far as `last` shows.

    The verifier knows only the latest payment it accepted from this payer. The next
    counter must link to it by hash and add its amount to the cumulative total; after a
    gap (payments to others in between) the cumulative total must have grown by at
    least this amount. A replay of an accepted payment is caught by the caller's set
    of received payment keys before this check.
    """
    if last is None:
        return
    if payment.counter == last.counter:
        raise OfflineError(Reason.CHAIN_FORK, f"counter {payment.counter} used for two payments")
    if payment.counter < last.counter:
        raise OfflineError(Reason.COUNTER_ROLLBACK, f"{payment.counter} after {last.counter}")
    if payment.counter == last.counter + 1:
        if payment.previous_hash != last.payment_hash:
            raise OfflineError(Reason.CHAIN_FORK, f"counter {payment.counter} does not link to its predecessor")
        if payment.cumulative_tyiyn != last.cumulative_tyiyn + payment.amount_tyiyn:
            raise OfflineError(Reason.CUMULATIVE_MISMATCH, f"counter {payment.counter}")
    elif payment.cumulative_tyiyn < last.cumulative_tyiyn + payment.amount_tyiyn:
        raise OfflineError(Reason.CUMULATIVE_MISMATCH, f"counter {payment.counter} after a gap")
