"""VASP licensing on each dialect: documents by SHA-256, the application, four eyes (in
the code and, independently, in the database's CHECK), licence numbers once, suspension,
reinstatement, revocation and expiry as `licence_for` (the volume reports' port) sees them."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError

from digisom.registry import chain, tables
from digisom.registry.documents import DOCUMENT_BYTES_MAX, Documents
from digisom.registry.errors import (
    BadSha256,
    DocumentTooLarge,
    DuplicateLicenceNumber,
    FourEyesViolation,
    IllegalTransition,
    InvalidEntry,
    UnknownDocument,
    UnknownVasp,
)
from digisom.registry.licensing import Activity, Decision, Licensing, ProposalIn, VaspStatus
from tests.registry.conftest import NOW

AIDA, NURLAN = "registrar:-:registrar-aida", "registrar:-:registrar-nurlan"
VASP = "vasp-ala-too"
CHARTER = b"Ala-Too Exchange LLC charter"
KEY = "cd" * 32
TODAY = NOW.date()


@pytest.fixture
def documents(engine: Engine) -> Documents:
    return Documents(engine, lambda: NOW)


def _grant(number: str = "KG-VASP-0001", expires_on: date | None = None) -> ProposalIn:
    return ProposalIn(Decision.GRANT, number, frozenset({Activity.EXCHANGE, Activity.CUSTODY}),
                      ("quarterly AML audit",), expires_on or TODAY + timedelta(days=365), "documents complete")


def _applied(licensing: Licensing, documents: Documents, vasp_id: str = VASP) -> None:
    ref = documents.store(vasp_id, "charter.pdf", CHARTER, hashlib.sha256(CHARTER).hexdigest())
    licensing.apply(vasp_id, "Ala-Too Exchange LLC", "1 Chui Avenue, Bishkek", frozenset({Activity.EXCHANGE}), KEY,
                    [ref.sha256], f"vasp:-:{vasp_id}")


def _licensed(licensing: Licensing, documents: Documents, vasp_id: str = VASP, number: str = "KG-VASP-0001") -> None:
    _applied(licensing, documents, vasp_id)
    proposal = licensing.propose(vasp_id, _grant(number), AIDA).proposal
    assert proposal is not None
    licensing.approve(vasp_id, proposal.seq, NURLAN)


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_an_application_proposed_by_one_registrar_and_approved_by_another_is_a_public_licence(
        licensing: Licensing, documents: Documents, engine: Engine) -> None:
    _applied(licensing, documents)
    vasp = licensing.vasp(VASP)
    assert vasp.status is VaspStatus.APPLIED and licensing.licence_for(VASP) is None
    assert [d.sha256 for d in vasp.application.documents] == [hashlib.sha256(CHARTER).hexdigest()]
    proposed = licensing.propose(VASP, _grant(), AIDA)
    assert proposed.status is VaspStatus.PROPOSED and licensing.licences() == []
    assert proposed.proposal is not None
    licensing.approve(VASP, proposed.proposal.seq, NURLAN)
    (licence,) = licensing.licences()
    assert licence == licensing.licence_for(VASP)
    assert (licence.number, licence.status, licence.proposed_by, licence.approved_by) == (
        "KG-VASP-0001", VaspStatus.LICENSED, AIDA, NURLAN)
    assert licence.activities == {Activity.EXCHANGE, Activity.CUSTODY} and licence.public_key == KEY
    assert licence.active_on(TODAY)
    with engine.connect() as conn:
        review = conn.execute(select(tables.reviews)).one()
    assert (review.vasp_id, review.decision, review.proposed_by, review.approved_by) == (VASP, "grant", AIDA, NURLAN)
    kinds = [e.kind for e in licensing.history(VASP)]
    assert kinds == ["vasp.applied", "vasp.review_proposed", "vasp.review_approved"]
    assert chain.verify_chain([e.as_json() for e in licensing.log.everything()],
                              bytes.fromhex(licensing.log.public_key_hex)) == []


def test_the_proposer_cannot_approve_and_nothing_is_written(licensing: Licensing, documents: Documents,
                                                            engine: Engine) -> None:
    _applied(licensing, documents)
    proposal = licensing.propose(VASP, _grant(), AIDA).proposal
    assert proposal is not None
    head = licensing.log.head_seq()
    with pytest.raises(FourEyesViolation) as refused:
        licensing.approve(VASP, proposal.seq, AIDA)
    assert refused.value.status == 403
    assert licensing.log.head_seq() == head and licensing.licence_for(VASP) is None
    assert _count(engine, tables.reviews) == 0 and _count(engine, tables.licence_numbers) == 0
    assert licensing.vasp(VASP).status is VaspStatus.PROPOSED  # a second registrar still can
    with pytest.raises(IllegalTransition):
        licensing.approve(VASP, proposal.seq + 1, NURLAN)  # only the pending proposal
    assert licensing.approve(VASP, proposal.seq, NURLAN).status is VaspStatus.LICENSED


def test_the_database_refuses_a_review_approved_by_its_proposer(licensing: Licensing, documents: Documents,
                                                                 engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(tables.reviews.insert().values(event_seq=99, vasp_id=VASP, decision="grant",
                                                    proposed_by=AIDA, approved_by=AIDA))
    _licensed(licensing, documents)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE registry_reviews SET approved_by = proposed_by"))
    with engine.connect() as conn:
        assert conn.execute(select(tables.reviews.c.approved_by)).scalar_one() == NURLAN


def test_a_licence_number_is_granted_once(licensing: Licensing, documents: Documents, engine: Engine) -> None:
    _licensed(licensing, documents, VASP, "KG-VASP-0001")
    _applied(licensing, documents, "vasp-issyk")
    with pytest.raises(DuplicateLicenceNumber):
        licensing.propose("vasp-issyk", _grant("KG-VASP-0001"), AIDA)
    # Two proposals for one number, pending at once: the second approval is refused.
    _applied(licensing, documents, "vasp-osh")
    _applied(licensing, documents, "vasp-naryn")
    first = licensing.propose("vasp-osh", _grant("KG-VASP-0002"), AIDA).proposal
    second = licensing.propose("vasp-naryn", _grant("KG-VASP-0002"), AIDA).proposal
    assert first is not None and second is not None
    licensing.approve("vasp-osh", first.seq, NURLAN)
    head = licensing.log.head_seq()
    with pytest.raises(DuplicateLicenceNumber):
        licensing.approve("vasp-naryn", second.seq, NURLAN)
    assert licensing.log.head_seq() == head and licensing.licence_for("vasp-naryn") is None
    with pytest.raises(IntegrityError), engine.begin() as conn:  # and the table's key, independently
        conn.execute(tables.licence_numbers.insert().values(number="KG-VASP-0002", vasp_id="vasp-naryn"))


def test_documents_are_checked_and_a_refused_one_is_not_stored(licensing: Licensing, documents: Documents,
                                                                engine: Engine) -> None:
    big = b"x" * (DOCUMENT_BYTES_MAX + 1)
    with pytest.raises(DocumentTooLarge) as refused:
        documents.store(VASP, "big.pdf", big, hashlib.sha256(big).hexdigest())
    assert refused.value.status == 413
    with pytest.raises(BadSha256):
        documents.store(VASP, "charter.pdf", CHARTER, hashlib.sha256(b"another document").hexdigest())
    with pytest.raises(BadSha256):
        documents.store(VASP, "charter.pdf", CHARTER, "ABC")
    assert _count(engine, tables.documents) == 0
    with pytest.raises(UnknownDocument):  # an application names only documents uploaded for this VASP
        licensing.apply(VASP, "Ala-Too Exchange LLC", "Bishkek", frozenset({Activity.EXCHANGE}), KEY,
                        [hashlib.sha256(CHARTER).hexdigest()], "vasp:-:vasp-ala-too")
    assert licensing.log.head_seq() == 0
    with pytest.raises(IntegrityError), engine.begin() as conn:  # the size CHECK, independently
        conn.execute(tables.documents.insert().values(vasp_id=VASP, sha256="0" * 64, name="n", size_bytes=0,
                                                      content=b"", stored_at="2026-12-14T09:00:00Z"))


def test_suspension_reinstatement_and_revocation_carry_reasons_into_licence_for(
        licensing: Licensing, documents: Documents) -> None:
    with pytest.raises(UnknownVasp):
        licensing.suspend(VASP, "no such VASP yet", AIDA)
    _applied(licensing, documents)
    with pytest.raises(IllegalTransition):
        licensing.suspend(VASP, "not licensed yet", AIDA)
    proposal = licensing.propose(VASP, _grant(), AIDA).proposal
    assert proposal is not None
    licensing.approve(VASP, proposal.seq, NURLAN)
    licensing.suspend(VASP, "May report not filed", AIDA)
    licence = licensing.licence_for(VASP)
    assert licence is not None and (licence.status, licence.status_reason) == (VaspStatus.SUSPENDED,
                                                                                "May report not filed")
    assert not licence.active_on(TODAY)
    assert [x.number for x in licensing.licences(VaspStatus.SUSPENDED)] == ["KG-VASP-0001"]
    assert licensing.licences(VaspStatus.LICENSED) == []
    licensing.reinstate(VASP, "report filed", NURLAN)
    licence = licensing.licence_for(VASP)
    assert licence is not None and licence.status is VaspStatus.LICENSED and licence.active_on(TODAY)
    assert licence.status_reason == "report filed"
    licensing.revoke(VASP, "customer funds commingled", AIDA)
    licence = licensing.licence_for(VASP)
    assert licence is not None and (licence.status, licence.status_reason) == (VaspStatus.REVOKED,
                                                                                "customer funds commingled")
    assert not licence.active_on(TODAY)
    for final in (licensing.reinstate, licensing.suspend, licensing.revoke):
        with pytest.raises(IllegalTransition):
            final(VASP, "again", NURLAN)
    with pytest.raises(InvalidEntry):
        licensing.revoke(VASP, "", AIDA)  # a reason is required
    kinds = [e.kind for e in licensing.history(VASP)]
    assert kinds[-3:] == ["vasp.suspended", "vasp.reinstated", "vasp.revoked"]


def test_a_licence_expires_after_its_last_day(licensing: Licensing, documents: Documents) -> None:
    _applied(licensing, documents)
    with pytest.raises(InvalidEntry):
        licensing.propose(VASP, _grant(expires_on=TODAY), AIDA)  # expiry is after today
    last_day = TODAY + timedelta(days=30)
    proposal = licensing.propose(VASP, _grant(expires_on=last_day), AIDA).proposal
    assert proposal is not None
    licensing.approve(VASP, proposal.seq, NURLAN)
    licence = licensing.licence_for(VASP)
    assert licence is not None and licence.expires_on == last_day.isoformat()
    assert licence.active_on(last_day) and not licence.active_on(last_day + timedelta(days=1))


def test_a_refused_application_may_be_filed_again(licensing: Licensing, documents: Documents) -> None:
    _applied(licensing, documents)
    refusal = ProposalIn(Decision.REFUSE, "", frozenset(), (), None, "owners not disclosed")
    proposal = licensing.propose(VASP, refusal, AIDA).proposal
    assert proposal is not None
    refused = licensing.approve(VASP, proposal.seq, NURLAN)
    assert (refused.status, refused.status_reason, refused.licence) == (VaspStatus.REFUSED, "owners not disclosed",
                                                                       None)
    _applied(licensing, documents)
    assert licensing.vasp(VASP).status is VaspStatus.APPLIED
