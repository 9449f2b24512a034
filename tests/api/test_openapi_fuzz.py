"""Schemathesis against the served OpenAPI document, inside the suite: for every
operation, generated requests never get a 5xx, and every response matches the status
codes, content types and schemas the document declares. Bounded: 12 examples per
operation and role, as a bank operator and as the central bank (between them they
reach every route past its permission check)."""

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

from digisom.api.runtime import build
from tests.api.world import World

EXAMPLES_PER_OPERATION = 12
ROLES = ("commercial_bank", "central_bank")


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

    for role in ROLES:
        headers = fuzz_world.headers(role)
        for operation in operations:

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
    assert all(path.startswith("/v1/") for path in document["paths"])

