"""A request that meets a lost database primary is a typed 503 with Retry-After, never a 500."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from digisom.http import problems
from digisom.ledger.store import CommitInDoubt, StoreUnavailable


def test_a_lost_primary_is_a_typed_503_with_retry_after() -> None:
    app = FastAPI()
    problems.install(app)

    @app.post("/lost")
    def lost() -> None:
        raise StoreUnavailable("the primary was lost")

    @app.post("/doubt")
    def doubt() -> None:
        raise CommitInDoubt("COMMIT sent, answer lost")

    client = TestClient(app)
    for path in ("/lost", "/doubt"):
        answer = client.post(path)
        assert answer.status_code == 503
        assert answer.headers["Retry-After"] == str(problems.RETRY_AFTER_S)
        assert answer.json()["type"] == problems.PROBLEM_BASE + "database-unavailable"
        assert "primary" not in answer.text  # no internals in the answer
