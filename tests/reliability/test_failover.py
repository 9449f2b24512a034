"""The failover harness (bench/failover.py), short: three Patroni-managed PostgreSQL
nodes with synchronous replication, 2 API processes, the primary killed once under
load. Runs in the default suite: CI must exercise the real component. Without Patroni
and etcd (and no apt-get to install them) it fails; it never skips."""

from __future__ import annotations

import pytest

from bench import failover

pytestmark = pytest.mark.postgres


def test_a_killed_primary_loses_and_duplicates_no_acknowledged_payment() -> None:
    figures = failover.run(failovers=1, partitions=0, clients=8, wallets=8)
    assert figures["failovers"] == 1
    assert figures["acknowledged"] > 0
    assert figures["lost"] == 0
    assert figures["duplicated"] == 0
    assert figures["broken"] == []
    assert figures["server_errors"] == 0  # a lost primary is a 503 (retried), never a 500
    assert figures["max_unavailable_s"] <= failover.UNAVAILABLE_TARGET_S
