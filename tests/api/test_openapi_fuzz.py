"""Schemathesis against the served OpenAPI document, inside the suite: for every
operation, generated requests never get a 5xx, and every response matches the status
codes, content types and schemas the document declares. Bounded: 12 examples per
operation and role, as a bank operator and as the central bank, and for a route neither
may call, as the first role that may (USDKG's issuer operator, custodian, auditor): every
route is reached past its permission check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from digisom.api.app import routers
from digisom.api.runtime import build
from digisom.http.permissions import MATRIX, route_operations
from digisom.kernel.access import Role
from tests.api.world import World

EXAMPLES_PER_OPERATION = 12
ROLES = ("commercial_bank", "central_bank")
# The world's token for each role that may reach what the two above cannot.
OTHER_ROLES = {Role.ISSUER_OPERATOR: "issuer_operator", Role.CUSTODIAN: "custodian", Role.AUDITOR: "auditor",
               Role.TREASURY_OPERATOR: "treasury_operator"}


def _roles(allowed: frozenset[Role] | None) -> list[str]:
    """Who fuzzes an operation: the two roles, and one that passes its permission check if neither does."""
    if allowed is None or allowed & {Role.BANK_OPERATOR, Role.CENTRAL_BANK_OPERATOR}:
        return list(ROLES)
    return [*ROLES, *[token for role, token in OTHER_ROLES.items() if role in allowed][:1]]


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    runtime = build(data_dir=tmp_path_factory.mktemp("fuzz"))
    yield World.create(runtime).setup()
    runtime.close()


def test_no_server_error_and_every_response_matches_its_schema(fuzz_world: World) -> None:
    # Schemathesis' lazy pytest fixture does not run under pytest 9 yet, so the
    # operations are walked here, each with its own bounded Hypothesis run.
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_world.runtime.app)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30

    allowed = {(method, path): MATRIX[op] for method, path, op in route_operations(routers())}
    for operation in operations:
        for role in _roles(allowed.get((operation.method.upper(), operation.path))):
            headers = fuzz_world.headers(role)

            @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck),
                      database=None)
            @given(case=operation.as_strategy())
            def run(case: Any) -> None:
                case.call_and_validate(headers=headers, checks=checks)  # noqa: B023 - run right here

            try:
                run()
            except Exception as error:  # collect every operation's failure, then report
                failures[f"{role} {operation.label}"] = str(error)[:2000]
    assert not failures, "\n\n".join(f"{label}: {text}" for label, text in failures.items())


def test_the_openapi_document_is_served(fuzz_world: World) -> None:
    document = fuzz_world.client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert "Problem" in document["components"]["schemas"]
    # Versioned resources, and the operations probes where orchestrators and Prometheus expect them.
    assert {path for path in document["paths"] if not path.startswith("/v1/")} == {"/healthz", "/readyz", "/metrics"}

