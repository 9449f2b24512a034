"""Rail 1: a partner's prefunded position -> the recipient's digital som wallet (or bank
account through the alias directory), with screening, limits, the travel rule and
idempotency by the partner's reference. Every refusal leaves the money where it was."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import event

from digisom.cbdc.accounts import AccountCode, bank_account_id, deposit_account_id, wallet_account_id
from digisom.kernel.chart import CHART, LEDGER_KGS, Domain
from digisom.kernel.gateway import DebitNotAllowed, GatedLedger
from digisom.ledger.model import Transfer
from digisom.remittance import accounts
from digisom.remittance.errors import (
    CurrencyNotServed,
    QuoteExpired,
    ReferenceConflict,
    Returned,
    TravelRuleInvalid,
    TravelRuleMissing,
)
from digisom.remittance.model import Status
from digisom.remittance.service import QUOTE_TTL_S_DEFAULT
from tests.cbdc.conftest import COMMERCIAL_BANK
from tests.remittance.conftest import PARTNER, PREFUND_TYIYN, RUB_CORRIDOR, World
from tests.remittance.test_ivms101 import valid_payload

POSITION = accounts.position_account_id(PARTNER)


def test_a_migrant_sends_roubles_and_the_mother_receives_som_in_her_wallet(world: World) -> None:
    mother = world.wallet("mother")
    quote = world.remit.quote(PARTNER, "RUB", 15_000_00)
    assert (quote.fee_pct_minor, quote.fees_minor, quote.pay_minor) == (45_00, 45_00, 15_045_00)
    assert quote.receive_tyiyn == 16_260_78  # 15,000 RUB at 1.0895 less 0.5%: 1.084052
    paid = world.remit.send(world.request(quote.quote_id, recipient_wallet_id=mother))
    assert paid.status is Status.PAID
    assert (paid.to_wallet_tyiyn, paid.waterfall_tyiyn) == (quote.receive_tyiyn, 0)
    assert world.balance(wallet_account_id(mother)) == quote.receive_tyiyn
    assert world.remit.position_tyiyn(PARTNER) == PREFUND_TYIYN - quote.receive_tyiyn
    assert world.circulation().balanced
    assert world.circulation().held_tyiyn("remittance_positions") == PREFUND_TYIYN - quote.receive_tyiyn


def test_the_excess_over_the_holding_limit_goes_to_the_linked_deposit(world: World) -> None:
    mother = world.wallet("mother", tier=0)  # holds at most 15,000 som
    quote = world.remit.quote(PARTNER, "RUB", 20_000_00)
    paid = world.remit.send(world.request(quote.quote_id, recipient_wallet_id=mother))
    assert paid.to_wallet_tyiyn == 15_000_00
    assert paid.waterfall_tyiyn == quote.receive_tyiyn - 15_000_00
    assert world.balance(deposit_account_id(mother)) == paid.waterfall_tyiyn
    assert world.circulation().balanced


def test_a_frozen_wallet_is_returned_and_nothing_moves(world: World) -> None:
    mother = world.wallet("mother")
    world.cbdc.service.set_frozen(COMMERCIAL_BANK, mother, True, "court order", "case-1")
    quote = world.remit.quote(PARTNER, "RUB", 5_000_00)
    with pytest.raises(Returned) as refused:
        world.remit.send(world.request(quote.quote_id, recipient_wallet_id=mother))
    assert refused.value.reason == "wallet_frozen"
    assert world.balance(wallet_account_id(mother)) == 0
    assert world.remit.position_tyiyn(PARTNER) == PREFUND_TYIYN


def test_a_personal_number_pays_the_bank_account_the_directory_names(world: World) -> None:
    world.cbdc.service.register_alias(COMMERCIAL_BANK, "21204199000123", None, "KG0112345")
    float_id = bank_account_id("AYIL", AccountCode.BANK_FLOAT)
    before = world.balance(float_id)
    quote = world.remit.quote(PARTNER, "RUB", 5_000_00)
    paid = world.remit.send(world.request(quote.quote_id, recipient_personal_number="21204199000123"))
    assert (paid.channel, paid.to_bank_tyiyn) == ("bank_account", quote.receive_tyiyn)
    assert world.balance(float_id) == before + quote.receive_tyiyn
    unknown = world.remit.quote(PARTNER, "RUB", 5_000_00)
    with pytest.raises(Returned, match="recipient_unknown"):
        world.remit.send(world.request(unknown.quote_id, recipient_personal_number="11503198500077"))


def test_an_expired_quote_is_refused_and_nothing_is_recorded(world: World) -> None:
    mother = world.wallet("mother")
    quote = world.remit.quote(PARTNER, "RUB", 5_000_00)
    world.clock.advance(QUOTE_TTL_S_DEFAULT)
    request = world.request(quote.quote_id, recipient_wallet_id=mother)
    with pytest.raises(QuoteExpired):
        world.remit.send(request)
    assert world.balance(wallet_account_id(mother)) == 0
    assert world.remit.position_tyiyn(PARTNER) == PREFUND_TYIYN


def test_a_currency_the_corridor_does_not_take_is_refused(world: World) -> None:
    with pytest.raises(CurrencyNotServed):
        world.remit.quote(PARTNER, "KZT", 5_000_00)  # the partner has no tenge corridor
    with pytest.raises(CurrencyNotServed):
        world.remit.quote(PARTNER, "XAU", 1)


def test_a_partner_over_its_monthly_limit_is_returned_with_its_money_in_place(world: World) -> None:
    # The limit is 40 million som; the corridor's transfer max 300,000 RUB (~325,000 som).
    senders = iter(range(1000))
    wallets = [world.wallet(f"holder-{i}", tier=2) for i in range(2)]
    refused = None
    for i in range(200):
        quote = world.remit.quote(PARTNER, "RUB", 300_000_00)
        try:
            world.remit.send(world.request(quote.quote_id, recipient_wallet_id=wallets[i % 2],
                                           sender_id=f"s-{next(senders)}", travel_rule=valid_payload()))
        except Returned as error:
            refused = error
            break
    assert refused is not None and refused.reason == "partner_month_limit"
    paid = PREFUND_TYIYN - world.remit.position_tyiyn(PARTNER)
    assert paid <= 40_000_000_00
    assert sum(world.balance(wallet_account_id(w)) + world.balance(deposit_account_id(w)) for w in wallets) == paid


def test_a_sender_over_the_monthly_corridor_limit_is_returned(world: World) -> None:
    mother = world.wallet("mother", tier=2)
    for _ in range(3):  # 900,000 RUB of 1,000,000
        quote = world.remit.quote(PARTNER, "RUB", 300_000_00)
        world.remit.send(world.request(quote.quote_id, recipient_wallet_id=mother, travel_rule=valid_payload()))
    quote = world.remit.quote(PARTNER, "RUB", 200_000_00)
    with pytest.raises(Returned, match="sender_month_limit"):
        world.remit.send(world.request(quote.quote_id, recipient_wallet_id=mother, travel_rule=valid_payload()))


def test_a_screening_hit_returns_and_a_review_holds_until_the_review_is_released(world: World) -> None:
    mother = world.wallet("mother")
    world.screener.hits.add("Old Vector LLC")
    world.screener.reviews.add("Gulnara Asanova")
    hit = world.remit.quote(PARTNER, "RUB", 5_000_00)
    with pytest.raises(Returned, match="screening_hit"):
        world.remit.send(world.request(hit.quote_id, recipient_wallet_id=mother, sender_name="Old Vector LLC"))
    held_quote = world.remit.quote(PARTNER, "RUB", 5_000_00)
    held = world.remit.send(world.request(held_quote.quote_id, recipient_wallet_id=mother))
    assert held.status is Status.PENDING_REVIEW
    assert world.balance(wallet_account_id(mother)) == 0
    assert [r.remittance_id for r in world.remit.review_queue()] == [held.remittance_id]
    cleared = world.remit.release_reviewed(held.remittance_id, True, "second-officer", "compliance review 1")
    assert cleared.status is Status.PAID
    again = world.remit.release_reviewed(held.remittance_id, False, "second-officer", "a retry of another decision")
    assert again.status is Status.PAID  # released once: a retry answers it as it stands
    assert world.balance(wallet_account_id(mother)) == held_quote.receive_tyiyn
    blocked_quote = world.remit.quote(PARTNER, "RUB", 5_000_00)
    blocked = world.remit.send(world.request(blocked_quote.quote_id, recipient_wallet_id=mother))
    assert world.remit.release_reviewed(blocked.remittance_id, False, "second-officer", "compliance review 2").reason \
        == "review_blocked"
    assert world.balance(wallet_account_id(mother)) == held_quote.receive_tyiyn
    assert world.remit.position_tyiyn(PARTNER) == PREFUND_TYIYN - held_quote.receive_tyiyn


def test_the_same_reference_answers_once_and_another_body_is_a_conflict(world: World) -> None:
    mother = world.wallet("mother")
    quote = world.remit.quote(PARTNER, "RUB", 5_000_00)
    request = world.request(quote.quote_id, reference="zk-0001", recipient_wallet_id=mother)
    first = world.remit.send(request)
    assert world.remit.send(request) == first
    assert world.remit.send_many([request, request]) == [first, first]
    assert world.balance(wallet_account_id(mother)) == quote.receive_tyiyn
    with pytest.raises(ReferenceConflict):
        world.remit.send(world.request(quote.quote_id, reference="zk-0001", recipient_wallet_id=mother,
                                       sender_name="Someone Else"))
    with pytest.raises(ReferenceConflict):  # a quote pays once
        world.remit.send(world.request(quote.quote_id, reference="zk-0002", recipient_wallet_id=mother))


def test_the_travel_rule_is_required_from_usd_1000_and_validated(world: World) -> None:
    mother = world.wallet("mother", tier=2)
    big = world.remit.quote(PARTNER, "RUB", 100_000_00)  # about USD 1,246
    assert big.usd_equivalent_cents >= 1_000_00
    with pytest.raises(TravelRuleMissing):
        world.remit.send(world.request(big.quote_id, recipient_wallet_id=mother))
    bad = valid_payload()
    bad["originator"]["originatorPersons"][0]["naturalPerson"]["geographicAddress"][0]["country"] = "Russia"
    with pytest.raises(TravelRuleInvalid) as invalid:
        world.remit.send(world.request(big.quote_id, recipient_wallet_id=mother, travel_rule=bad))
    assert invalid.value.field == "originator.originatorPersons.0.naturalPerson.geographicAddress.0.country"
    assert world.balance(wallet_account_id(mother)) == 0
    paid = world.remit.send(world.request(big.quote_id, recipient_wallet_id=mother, travel_rule=valid_payload()))
    assert '"originatingVASP"' in paid.travel_rule
    small = world.remit.quote(PARTNER, "RUB", 5_000_00)
    assert world.remit.send(world.request(small.quote_id, recipient_wallet_id=mother)).status is Status.PAID


def test_the_position_never_pays_more_than_it_holds(world: World) -> None:
    mother = world.wallet("mother", tier=2)
    world.remit.defund(PARTNER, "defund-1", PREFUND_TYIYN - 1_000_00)
    quote = world.remit.quote(PARTNER, "RUB", 5_000_00)
    with pytest.raises(Returned, match="position_insufficient"):
        world.remit.send(world.request(quote.quote_id, recipient_wallet_id=mother))
    assert world.remit.position_tyiyn(PARTNER) == 1_000_00
    assert world.circulation().balanced


def test_the_chart_lets_the_remittance_domain_debit_only_positions_for_payouts(world: World) -> None:
    gated = GatedLedger(Domain.REMITTANCE, CHART, world.reader)
    mother = world.wallet("mother")
    theft = Transfer(accounts.transfer_id("x", "y"), wallet_account_id(mother), POSITION, 1, LEDGER_KGS,
                     int(accounts.RemittanceTransferCode.REMITTANCE_PAYOUT))
    with pytest.raises(DebitNotAllowed):
        gated.check([theft])


def test_a_corridor_reconfigured_after_its_quotes_keeps_them(world: World) -> None:
    """Reconfiguring replaces the corridor's terms in place: its quotes and remittances still
    point at it (a delete and insert broke their foreign keys, which the app's engine enforces)."""
    engine = world.cbdc.engine
    engine.dispose()
    event.listen(engine, "connect", lambda dbapi_conn, _record: dbapi_conn.execute("PRAGMA foreign_keys = ON"))
    mother = world.wallet("mother")
    paid = world.remit.send(world.request(world.remit.quote(PARTNER, "RUB", 5_000_00).quote_id,
                                          recipient_wallet_id=mother))
    first = world.remit.quote(PARTNER, "RUB", 5_000_00)
    world.remit.configure_corridor(replace(RUB_CORRIDOR, fee_bps=RUB_CORRIDOR.fee_bps + 10))
    again = world.remit.quote(PARTNER, "RUB", 5_000_00)
    assert again.fee_pct_minor > first.fee_pct_minor  # the new terms apply
    assert world.remit.remittance(PARTNER, paid.remittance_id).status == paid.status
