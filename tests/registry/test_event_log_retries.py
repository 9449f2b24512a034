"""`EventLog.commit` decides again only after a lost race (a unique violation on the next
seq or the head's hash); a CHECK its change breaks is raised at once, nothing appended."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from digisom.kernel.db_errors import is_unique_violation
from digisom.registry import tables
from digisom.registry.chain import Event
from digisom.registry.log import APPEND_ATTEMPTS, Change, EventLog


def test_a_broken_check_is_raised_at_once_and_nothing_is_appended(log: EventLog) -> None:
    decided: list[int] = []

    def same_officer_twice(conn: Connection, appended: Sequence[Event]) -> None:
        conn.execute(tables.reviews.insert().values(  # four eyes: a CHECK refuses one officer twice
            event_seq=appended[0].seq, vasp_id="vasp-x", decision="grant", proposed_by="o-1", approved_by="o-1"))

    def decide(conn: Connection, events: Sequence[Event]) -> Change:
        decided.append(len(events))
        return Change([("note", {"n": 1})], same_officer_twice)

    with pytest.raises(IntegrityError) as raised:
        log.commit("vasp:x", "o-1", decide)
    assert not is_unique_violation(raised.value)
    assert decided == [0], "decided once: a retry cannot mend a CHECK"
    assert log.stream("vasp:x") == []


def test_a_lost_race_is_decided_again_on_the_new_head(log: EventLog) -> None:
    decided: list[int] = []

    def decide(conn: Connection, events: Sequence[Event]) -> Change:
        decided.append(len(events))
        if len(decided) == 1:  # another writer appends between this decision and its append
            conn.execute(tables.events.insert().values(
                seq=1, stream="other", kind="k", body="{}", actor="a", at="2026-12-14T09:00:00Z",
                prev_hash="00" * 32, hash="11" * 32, signature="22" * 64))
            conn.execute(tables.events.insert().values(  # and this one collides with it: seq 1 again
                seq=1, stream="other", kind="k", body="{}", actor="a", at="2026-12-14T09:00:00Z",
                prev_hash="00" * 32, hash="33" * 32, signature="22" * 64))
        return Change([("note", {"n": len(decided)})])

    appended = log.commit("vasp:y", "o-1", decide)
    assert decided == [0, 0] and len(decided) <= APPEND_ATTEMPTS
    assert [e.kind for e in appended] == ["note"] and log.stream("vasp:y") == appended
