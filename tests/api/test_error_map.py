"""The one error map: any domain's refusal, raised anywhere in a route, is answered by
http/problems.py from the error's class (its kind's status unless the class fixed another)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from digisom.cbdc.errors import LimitExceeded
from digisom.disbursement.taxes import PaymentRefused
from digisom.http import problems
from digisom.interbank.errors import NotYourBank
from digisom.kernel.errors import DomainError
from digisom.offline.errors import OfflineError, Reason
from digisom.stablecoin.errors import BroadcastRefused

CASES: list[tuple[DomainError, int, str, dict[str, str]]] = [
    (LimitExceeded("balance_limit_tyiyn", 100, 30, "over the balance limit"), 422, "limit-exceeded",
     {"limit": "balance_limit_tyiyn", "limit_tyiyn": "100", "remaining_tyiyn": "30", "currency": "KGS"}),
    (PaymentRefused("the ledger refused the payment", "exceeds_credits"), 409, "payment-refused",
     {"result": "exceeds_credits"}),
    (NotYourBank("the debtor agent of this message is not your bank"), 403, "forbidden", {}),
    (OfflineError(Reason.UNKNOWN_DEVICE, "key 0a of bank B"), 404, "offline-unknown-device",
     {"reason": "unknown_device"}),
    (BroadcastRefused("no gas money"), 503, "broadcast-refused", {}),
]


@pytest.mark.parametrize(("error", "status", "slug", "members"), CASES, ids=lambda v: type(v).__name__)
def test_every_domain_refusal_becomes_its_problem(
    error: DomainError, status: int, slug: str, members: dict[str, str]
) -> None:
    app = FastAPI()
    problems.install(app)

    @app.get("/refuse")
    def refuse() -> None:
        raise error

    response = TestClient(app).get("/refuse")
    assert response.status_code == status
    assert response.headers["content-type"] == problems.PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["type"] == problems.PROBLEM_BASE + slug and body["status"] == status
    assert body["title"] == error.title and body["detail"] == error.problem_detail()
    assert {k: body[k] for k in members} == members
    assert "key 0a" not in response.text  # an offline "not found" names nothing of the id
