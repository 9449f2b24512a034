"""The standing adversarial suite (docs/security.md, "Probes"): every finding of a
security review as a regression test, and the attacks already refused, so that they
stay refused. Fixtures come from tests/api (a runtime on a fresh data directory and
its world of banks, wallets and tokens)."""

from __future__ import annotations

from tests.api.conftest import any_store_runtime, any_store_world, runtime, world

__all__ = ["any_store_runtime", "any_store_world", "runtime", "world"]
