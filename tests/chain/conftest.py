"""Chain adapter fixtures, shared with the bridge tests: KGST compiled once, the anvil node."""

from __future__ import annotations

from tests.stablecoin.conftest import anvil_chain, anvil_node, artifact

__all__ = ["anvil_chain", "anvil_node", "artifact"]
