"""/v1/compliance through the API: without a list every screening is an explicit, recorded
`clear` under `no_list_loaded` and the lists route says none is loaded; with a list, a hit
with its matches and versions; a review decided with four eyes, once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from digisom.api.runtime import build
from tests.api.world import World

PROBLEMS = "https://digisom.kg/problems/"


@pytest.fixture
def listed_world(tmp_path: Path, ftm_file: Path) -> Iterator[World]:
    runtime = build(data_dir=tmp_path / "data", sanctions_lists=[ftm_file])
    yield World.create(runtime)
    runtime.close()


def test_without_a_list_the_answer_says_so_and_is_recorded(world: World) -> None:
    lists = world.ok(world.get(None, "/v1/compliance/lists"))
    assert lists == {"loaded": False, "rule_without_lists": "no_list_loaded", "lists": []}
    found = world.ok(world.post("officer", "/v1/compliance/screenings", {"name": "Sooronbai Jeenbekov"}), 201)
    assert (found["decision"], found["rule"], found["lists_loaded"]) == ("clear", "no_list_loaded", False)
    assert found["screening_id"] >= 1


def test_a_listed_name_and_address_are_hits_with_versions(listed_world: World) -> None:
    world = listed_world
    (loaded,) = world.ok(world.get(None, "/v1/compliance/lists"))["lists"]
    assert len(loaded["version"]) == 64 and loaded["entities"] >= 4
    hit = world.ok(world.post("commercial_bank", "/v1/compliance/screenings",
                              {"name": "Old Vector LLC", "schema": "Organization"}), 201)
    assert hit["decision"] == "hit" and hit["matches"][0]["id"] == "kg-company-1"
    assert hit["list_versions"] == [loaded["version"]]
    address = world.ok(world.post("officer", "/v1/compliance/screenings",
                                  {"address": "0xabcdef0123456789abcdef0123456789abcdef01"}), 201)
    assert (address["decision"], address["rule"]) == ("hit", "address-exact")


def test_a_review_needs_a_proposal_and_a_second_officers_approval_once(listed_world: World) -> None:
    world = listed_world
    world.ok(world.post("officer", "/v1/compliance/screenings", {"name": "Sooronbek Jeenbekov", "schema": "Person"}),
             201)
    (review,) = world.ok(world.get("officer", "/v1/compliance/reviews"))["items"]
    path = f"/v1/compliance/reviews/{review['review_id']}"
    assert world.post("officer", f"{path}/decision", {"outcome": "cleared", "reason": "x"}).status_code in (404, 405)
    proposal = {"outcome": "confirmed", "reason": "same person"}
    proposed = world.ok(world.post("officer", f"{path}/propose", proposal, "propose-1"))
    assert world.ok(world.post("officer", f"{path}/propose", proposal, "propose-1")) == proposed  # idempotent
    own = world.post("officer", f"{path}/approve", proposal)
    assert own.status_code == 403 and own.json()["type"] == PROBLEMS + "compliance-four-eyes"
    other = world.post("second_officer", f"{path}/approve", {"outcome": "cleared", "reason": "no"})
    assert other.status_code == 409 and other.json()["type"] == PROBLEMS + "compliance-proposal-mismatch"
    decided = world.ok(world.post("second_officer", f"{path}/approve", {"outcome": "confirmed", "reason": "agreed"},
                                  "approve-1"))
    assert (decided["status"], decided["decided_by"], decided["release"]["status"]) == \
        ("confirmed", world.ok(world.get("second_officer", path))["decided_by"], "done")
    assert [(s["action"], s["outcome"]) for s in decided["steps"]] == [("proposed", "confirmed"),
                                                                       ("approved", "confirmed")]
    again = world.post("second_officer", f"{path}/propose", {"outcome": "cleared", "reason": "changed my mind"})
    assert again.status_code == 409 and again.json()["type"] == PROBLEMS + "compliance-review-decided"
    assert world.ok(world.get("auditor", "/v1/compliance/reviews"))["items"] == []
    assert world.post("auditor", f"{path}/approve", proposal).status_code == 403


def test_bad_input_is_a_typed_problem(world: World) -> None:
    both = world.post("officer", "/v1/compliance/screenings", {"name": "x", "address": "0x1"})
    assert both.status_code == 422 and both.headers["content-type"] == "application/problem+json"
    assert world.get("partner", "/v1/compliance/reviews").status_code == 403


def test_the_review_queue_comes_a_page_at_a_time(listed_world: World) -> None:
    world = listed_world
    for n in range(3):  # a near match opens a review each time it is screened
        world.ok(world.post("officer", "/v1/compliance/screenings",
                            {"name": "Sooronbek Jeenbekov", "schema": "Person"}, f"s-{n}"), 201)
    everything = world.ok(world.get("officer", "/v1/compliance/reviews"))
    assert len(everything["items"]) == 3 and everything["next_cursor"] is None
    first = world.ok(world.get("officer", "/v1/compliance/reviews", limit=2))
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = world.ok(world.get("officer", "/v1/compliance/reviews", limit=2, cursor=first["next_cursor"]))
    assert second["next_cursor"] is None
    assert [r["review_id"] for r in first["items"] + second["items"]] == \
        [r["review_id"] for r in everything["items"]]
    for bad in ({"limit": 0}, {"limit": 201}, {"cursor": "nonsense"}):
        refused = world.get("officer", "/v1/compliance/reviews", **bad)
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
