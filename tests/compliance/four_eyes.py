"""Deciding a review through the API the only way there is: one officer proposes, another approves."""

from __future__ import annotations

from typing import Any

from tests.api.world import World


def decide(world: World, review_id: int, outcome: str, reason: str = "checked the documents",
           proposer: str = "officer", approver: str = "second_officer") -> Any:
    """Propose `outcome` as `proposer`, approve it as `approver`; the approved review."""
    path = f"/v1/compliance/reviews/{review_id}"
    world.ok(world.post(proposer, f"{path}/propose", {"outcome": outcome, "reason": reason}))
    return world.ok(world.post(approver, f"{path}/approve", {"outcome": outcome, "reason": f"agreed: {reason}"}))
