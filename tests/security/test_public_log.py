"""The public transparency log refuses bad input with a typed problem and changes nothing:
an unknown or malformed record id, a page past the end or too large, sizes the log never
signed or that cannot be a prefix, numbers past any tree, and writes on read-only routes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from digisom.api.runtime import build
from digisom.api.transparency_wiring import CHECKPOINT
from digisom.http.services import filled
from digisom.transparency.http.slots import TRANSPARENCY_LOG
from tests.api.world import World

LOG = "/v1/public/log"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One world for the module (nothing here may change it; each test checks it did not)."""
    runtime = build(data_dir=tmp_path_factory.mktemp("log") / "data")
    yield World.create(runtime).setup()
    runtime.close()


@pytest.fixture(scope="module")
def signed(world: World) -> int:
    """The size of the log's signed tree head."""
    return filled(world.runtime.app, CHECKPOINT)().tree_size


@pytest.mark.parametrize(("path", "params", "status", "problem"), [
    ("/records/issuance_report:0000", {}, 404, "log-not-found"),
    ("/records/" + "a" * 201, {}, 422, "invalid-request"),
    ("/records/bad%20id", {}, 422, "invalid-request"),
    ("/records/..%2F..%2Fetc%2Fpasswd", {}, 404, None),  # an encoded slash is no record id: no route
    ("/entries", {"start": 10_000, "end": 10_001}, 422, "log-out-of-range"),
    ("/entries", {"start": 0, "end": 101}, 422, "log-out-of-range"),
    ("/entries", {"start": 2, "end": 1}, 422, "log-out-of-range"),
    ("/entries", {"start": -1, "end": 1}, 422, "invalid-request"),
    ("/entries", {"start": "zero", "end": 1}, 422, "invalid-request"),
    ("/entries", {"start": 0, "end": 2**63}, 422, "invalid-request"),
    ("/sth/999999", {}, 404, "log-not-found"),
    ("/sth/-1", {}, 422, "invalid-request"),
    ("/consistency", {"first": 2, "second": 1}, 422, "log-out-of-range"),
    ("/consistency", {"first": 0, "second": 999_999}, 404, "log-not-found"),
    ("/consistency", {"first": 1}, 422, "invalid-request"),
    ("/anchors", {"after": -2}, 422, "invalid-request"),
])
def test_bad_input_is_a_typed_problem_and_changes_nothing(world: World, signed: int, path: str,
                                                           params: dict[str, object], status: int,
                                                           problem: str | None) -> None:
    log = filled(world.runtime.app, TRANSPARENCY_LOG)
    response = world.client.get(LOG + path, params=params)  # no token: the log is public
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if problem is not None:
        assert response.json()["type"].endswith("/" + problem)
    assert "Traceback" not in response.text
    assert (log.size(), log.newest_head().tree_size) == (signed, signed)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_the_log_cannot_be_written_over_http(world: World, signed: int, method: str) -> None:
    response = world.client.request(method, f"{LOG}/sth", headers=world.headers("central_bank", "k-1"))
    assert response.status_code == 405
    assert filled(world.runtime.app, TRANSPARENCY_LOG).size() == signed
