"""Chain adapter fixtures: KGST compiled once per session (shared with the bridge tests)."""

from __future__ import annotations

from tests.stablecoin.conftest import artifact

__all__ = ["artifact"]
