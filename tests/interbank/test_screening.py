"""Screening of a pacs.008's debtor and creditor names in the RTGS, on SQLite and
PostgreSQL: a hit is refused (RJCT RR04) before the queue and kept; a review is held out
of the queue (`held_for_screening`, PDNG), never settles, survives end-of-day checks and
duplicates, and an officer's decision releases it into the queue or rejects it with its
notice; pacs.009 is not screened. Then through the API with the compliance desk and a
synthetic list: the decisions recorded, the stops visible, a decided review releasing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from digisom.api.runtime import Runtime, build
from digisom.http.services import filled
from digisom.interbank.errors import RtgsConflict
from digisom.interbank.http.slots import RTGS
from digisom.interbank.iso20022 import ReasonCode, build_pacs008
from digisom.interbank.ports import PartyRole
from digisom.interbank.records import StopStatus
from tests.api.world import AYIL, BAKAI, World
from tests.compliance.conftest import FTM_ENTITIES
from tests.interbank.rtgs_world import (
    COMMERCIAL_BANK,
    OTHER_COMMERCIAL_BANK,
    PENDING,
    REJECTED,
    SETTLED,
    Clock,
    RtgsWorld,
    payment_xml,
    status_of,
)
from tests.interbank.test_api import send

A, B = COMMERCIAL_BANK, OTHER_COMMERCIAL_BANK


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RtgsWorld]:
    url = f"sqlite:///{tmp_path / 'rtgs.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    built = RtgsWorld.open(url)
    built.rtgs.fund(A, 1_000_00, "opening-reserves")
    yield built
    built.close()


def test_both_names_are_screened_and_a_clear_payment_settles(world: RtgsWorld) -> None:
    assert world.rtgs.submit(world.pacs008(A, B, 400_00)).status is SETTLED
    assert world.parties.screened == [("Treasury", PartyRole.DEBTOR), ("Pensioner", PartyRole.CREDITOR)]
    assert world.rtgs.screening_stops() == []
    # Bank to bank (pacs.009): the parties are the participants; not screened.
    world.parties.hits.add("Treasury")
    assert world.rtgs.submit(world.pacs009(A, B, 100_00)).status is SETTLED
    assert len(world.parties.screened) == 2


def test_a_listed_name_is_refused_before_the_queue_and_the_decision_kept(world: RtgsWorld) -> None:
    world.parties.hits.add("Pensioner")
    message = world.pacs008(A, B, 400_00)
    answer = world.rtgs.submit(message, sender_bank=A)
    assert (answer.status, answer.reason_code) == (REJECTED, ReasonCode.REGULATORY_REASON.value)
    assert world.cash(A) == 1_000_00 and world.rtgs.payments(world.clock().date()) == []
    (stop,) = world.rtgs.screening_stops()
    assert (stop.status, stop.creditor_decision, stop.debtor_decision) == (StopStatus.REFUSED, "hit", "clear")
    assert stop.creditor_reason.endswith("listed") and stop.officer is None
    again = world.rtgs.submit(message, sender_bank=A)
    assert again.duplicate and (again.status, again.reason_code) == (REJECTED, "RR04")
    assert len(world.rtgs.screening_stops()) == 1 and len(world.parties.screened) == 2, "a duplicate is not re-screened"


def test_a_review_is_held_out_of_the_queue_until_an_officer_clears_it(world: RtgsWorld) -> None:
    world.parties.reviews.add("Treasury")
    order = world.order(A, B, 400_00)
    answer = world.rtgs.submit(build_pacs008(order), sender_bank=A)
    assert answer.status is PENDING and answer.held_seq is not None and answer.payment_seq is None
    assert status_of(answer.xml).reason_detail == "held for a compliance review"
    assert world.rtgs.run_lsm() == 0 and world.cash(A) == 1_000_00 and world.cash(B) == 0
    assert world.rtgs.payments(world.clock().date()) == [], "never in the settlement queue"
    (held,) = world.rtgs.screening_stops(StopStatus.HELD)
    assert (held.seq, held.debtor_decision, held.amount_tyiyn) == (answer.held_seq, "review", 400_00)
    # The same message, or another one with its end-to-end id: pending, nothing new held.
    for again in (build_pacs008(order), build_pacs008(replace(order, message_id="MSG-RESENT"))):
        duplicate = world.rtgs.submit(again, sender_bank=A)
        assert duplicate.duplicate and duplicate.status is PENDING
    assert len(world.rtgs.screening_stops()) == 1
    released = world.rtgs.release_screened(held.seq, True, "officer-bakyt")
    assert released.status is SETTLED and released.payment_seq is not None
    assert (world.cash(A), world.cash(B)) == (600_00, 400_00)
    (stop,) = world.rtgs.screening_stops()
    assert (stop.status, stop.officer, stop.payment_seq) == (StopStatus.RELEASED, "officer-bakyt", released.payment_seq)
    with pytest.raises(RtgsConflict):
        world.rtgs.release_screened(held.seq, False, "officer-bakyt")
    assert world.rtgs.submit(build_pacs008(order), sender_bank=A).status is SETTLED, "now the payment's own status"
    assert (world.cash(A), world.cash(B)) == (600_00, 400_00), "settled once"


def test_a_confirmed_review_is_rejected_with_its_notice(world: RtgsWorld) -> None:
    world.parties.reviews.add("Pensioner")
    message = world.pacs008(A, B, 400_00)
    held = world.rtgs.submit(message, sender_bank=A)
    answer = world.rtgs.release_screened(held.held_seq or 0, False, "officer-bakyt")
    assert (answer.status, answer.reason_code) == (REJECTED, "RR04")
    assert world.cash(A) == 1_000_00 and world.rtgs.payments(world.clock().date()) == []
    notices = [status_of(m.xml) for m in world.rtgs.messages(A, 0, 50) if m.message_type.startswith("pacs.002")]
    assert [(n.status, n.reason_code) for n in notices] == [(PENDING, None), (REJECTED, "RR04")]
    assert world.rtgs.screening_stops()[0].status is StopStatus.REJECTED
    assert world.rtgs.submit(message, sender_bank=A).status is REJECTED


def test_a_customer_payment_without_names_is_refused(world: RtgsWorld) -> None:
    nameless = world.rtgs.submit(build_pacs008(replace(world.order(A, B, 100_00), debtor_name=None)))
    assert (nameless.status, nameless.reason_code) == (REJECTED, "RR02")
    no_creditor = world.rtgs.submit(build_pacs008(replace(world.order(A, B, 100_00), creditor_name=None)))
    assert (no_creditor.status, no_creditor.reason_code) == (REJECTED, "RR03")
    assert world.cash(A) == 1_000_00


# -- through the API, with the compliance desk ---------------------------------------------


@pytest.fixture
def desk_runtime(tmp_path: Path) -> Iterator[Runtime]:
    listed = tmp_path / "list.ftm.json"
    listed.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in FTM_ENTITIES), encoding="utf-8")
    built = build(data_dir=tmp_path / "data", rtgs_clock=Clock(), sanctions_lists=[listed])
    yield built
    built.close()


def test_the_desk_screens_the_names_and_a_decided_review_releases(desk_runtime: Runtime) -> None:
    world = World.create(desk_runtime).setup()
    for code, bic in ((AYIL, "AYILKG22"), (BAKAI, None)):
        world.ok(world.post("central_bank", "/v1/interbank/banks", {"bank_code": code, "name": code, "bic": bic}), 201)
    rtgs = filled(desk_runtime.app, RTGS).get()
    def pacs008(number: int, debtor: str) -> bytes:  # payment_xml's debtor is Naryn Grocery
        return payment_xml(AYIL, BAKAI, 100_00, number).replace(b"Naryn Grocery", debtor.encode())

    assert send(world, "commercial_bank", pacs008(1, "Naryn Grocery"))[2] == "ACSC"
    status, report, header = send(world, "commercial_bank", pacs008(2, "Sooronbai Jeenbekov"))
    assert (status, header) == (200, "RJCT") and report is not None and report.reason_code == "RR04"
    assert send(world, "commercial_bank", pacs008(3, "Sooronbek Jeenbekov"))[2] == "PDNG"
    engine = create_engine(desk_runtime.db_url)
    with engine.connect() as conn:
        recorded = {(r.subject, r.decision, r.context) for r in conn.execute(
            text("SELECT subject, decision, context FROM compliance_screenings"))}
    engine.dispose()
    assert {("Sooronbai Jeenbekov", "hit", "interbank_message:debtor"),
            ("Sooronbek Jeenbekov", "review", "interbank_message:debtor"),
            ("Pension Fund", "clear", "interbank_message:creditor")} <= recorded
    stops = world.ok(world.get("officer", "/v1/interbank/screening-stops"))["items"]
    assert [(s["debtor_name"], s["status"]) for s in stops] == [("Sooronbai Jeenbekov", "refused"),
                                                                ("Sooronbek Jeenbekov", "held_for_screening")]
    assert world.get("commercial_bank", "/v1/interbank/screening-stops").status_code == 403
    before = rtgs.liquidity(BAKAI)[0]
    (review,) = world.ok(world.get("officer", "/v1/compliance/reviews"))["items"]
    # One officer's proposal releases nothing; the second officer's approval does, through the
    # release the composition root subscribed for the RTGS's screening contexts.
    path = f"/v1/compliance/reviews/{review['review_id']}"
    world.ok(world.post("officer", f"{path}/propose", {"outcome": "cleared", "reason": "another person"}))
    assert world.ok(world.get("officer", "/v1/interbank/screening-stops", status="released"))["items"] == []
    assert rtgs.liquidity(BAKAI)[0] == before
    world.ok(world.post("second_officer", f"{path}/approve", {"outcome": "cleared", "reason": "agreed"}))
    held = world.ok(world.get("officer", "/v1/interbank/screening-stops", status="released"))["items"]
    approver = "compliance_officer:-:officer-bakyt"
    assert [(s["debtor_name"], s["officer"]) for s in held] == [("Sooronbek Jeenbekov", approver)]
    assert rtgs.liquidity(BAKAI)[0] == before + 100_00
