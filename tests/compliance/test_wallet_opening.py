"""Screening where a wallet opens (issue 16): the holder's name is screened and recorded
under `wallet_opening`; a listed holder is refused with no wallet written, a close
resemblance opens the wallet frozen with a hold naming its review, a clear holder passes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from digisom.api.runtime import build
from tests.api.world import World

PROBLEMS = "https://digisom.kg/problems/"


@pytest.fixture
def listed_world(tmp_path: Path, ftm_file: Path) -> Iterator[World]:
    runtime = build(data_dir=tmp_path / "data", sanctions_lists=[ftm_file])
    yield World.create(runtime).setup()
    runtime.close()


def _open(world: World, name: str, key: str, kind: str = "individual") -> Any:
    body = {"holder_id": key, "holder_kind": kind, "tier": 1,
            "identity": {"full_name": name, "phone": "+996555000222", "pin": "4321"}}
    return world.post("commercial_bank", "/v1/wallets", body, key)


def _bank_wallets(world: World) -> list[dict[str, Any]]:
    return list(world.ok(world.get("commercial_bank", "/v1/wallets", limit=100))["items"])


def test_a_listed_holder_is_refused_and_nothing_is_written(listed_world: World) -> None:
    world = listed_world
    before = _bank_wallets(world)
    for attempt in ("open-listed", "open-listed"):  # a retry is screened and refused again
        refused = world.post("commercial_bank", "/v1/wallets", {
            "holder_id": "listed", "holder_kind": "individual", "tier": 1,
            "identity": {"full_name": "Жээнбеков Сооронбай", "phone": "+996555000222", "pin": "4321"}}, attempt)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert problem["type"] == PROBLEMS + "holder-sanctioned"
        assert problem["screening"].startswith("compliance-screening:")
    assert _bank_wallets(world) == before
    organisation = _open(world, "Old Vector LLC", "open-vector", "government")
    assert organisation.status_code == 422 and organisation.json()["type"] == PROBLEMS + "holder-sanctioned"


def test_a_close_resemblance_opens_frozen_with_a_hold_naming_the_review(listed_world: World) -> None:
    world = listed_world
    wallet = world.ok(_open(world, "Sooronbek Jeenbekov", "open-resembling"), 201)
    assert wallet["status"] == "frozen"
    (hold,) = world.ok(world.get("commercial_bank", f"/v1/wallets/{wallet['id']}/holds"))["items"]
    assert (hold["action"], hold["actor"]) == ("freeze", "system:holder-screening")
    screening_id = int(hold["legal_order_ref"].removeprefix("compliance-screening:"))
    (review,) = world.ok(world.get("officer", "/v1/compliance/reviews"))["items"]
    assert review["screening_id"] == screening_id and review["subject"] == "Sooronbek Jeenbekov"
    # The retry returns the same wallet without a second screening or review.
    assert world.ok(_open(world, "Sooronbek Jeenbekov", "open-resembling"), 201)["id"] == wallet["id"]
    assert len(world.ok(world.get("officer", "/v1/compliance/reviews"))["items"]) == 1
    # Frozen means frozen: it takes no money until a legal authority lifts the hold.
    funded = world.post("commercial_bank", f"/v1/wallets/{wallet['id']}/deposit-credits",
                        {"amount_tyiyn": "100", "currency": "KGS"})
    assert funded.status_code == 409 and funded.json()["type"] == PROBLEMS + "wallet-frozen"


def test_a_clear_holder_opens_active(listed_world: World) -> None:
    world = listed_world
    wallet = world.ok(_open(world, "Aigul Toktosunova", "open-clear"), 201)
    assert wallet["status"] == "active"
    assert world.ok(world.get("commercial_bank", f"/v1/wallets/{wallet['id']}/holds"))["items"] == []
    assert world.ok(world.get("officer", "/v1/compliance/reviews"))["items"] == []
