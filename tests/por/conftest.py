"""The API fixtures of tests/api (a runtime on a fresh data directory and its world of tokens)."""

from __future__ import annotations

from tests.api.conftest import any_store_runtime, any_store_world, runtime, world

__all__ = ["any_store_runtime", "any_store_world", "runtime", "world"]
