"""The console's pages (a CSRF token) and the API's answers (customers' data) are never
compressed, whatever the browser accepts: compression beside a secret and text an
attacker chooses is what BREACH reads the secret through. The portal's pages are
(tests/portal/test_compression.py)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from digisom.api.runtime import Runtime
from digisom.kernel.access import Role
from tests.portal.sent import sent

GZIP = {"Accept-Encoding": "gzip"}


def test_the_api_and_the_console_are_never_compressed(runtime: Runtime) -> None:
    client = TestClient(runtime.app)
    token = runtime.issuer.issue(Role.CENTRAL_BANK_OPERATOR, "gzip-check", ttl_s=600)
    answer = sent(client, "/openapi.json", GZIP)
    assert answer.status_code == 200 and len(answer.content) > 500
    assert "content-encoding" not in answer.headers
    listed = sent(client, "/v1/participants", {**GZIP, "Authorization": f"Bearer {token}"})
    assert listed.status_code == 200
    assert "content-encoding" not in listed.headers
    sign_in = sent(client, "/console/sign-in", GZIP)
    assert sign_in.status_code == 200 and len(sign_in.content) > 500
    assert "content-encoding" not in sign_in.headers
