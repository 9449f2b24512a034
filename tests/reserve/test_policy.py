"""The policy file: every malformed or loosening entry is refused with the key it names,
and `mismatches` names every difference from a deployed wallet."""

from __future__ import annotations

import pytest

from digisom.reserve.errors import PolicyInvalid
from digisom.reserve.policy import parse_policy
from tests.reserve.reserve_world import BNB, OFFICERS, policy_text

WALLET = "0x" + "ab" * 20


def test_a_valid_policy_reads_back() -> None:
    policy = parse_policy(policy_text(56, WALLET))
    bnb = policy.asset("BNB")
    assert [b.approvals for b in bnb.bands] == [2, 3]
    assert bnb.band_for(BNB) == bnb.bands[0] and bnb.band_for(BNB + 1) == bnb.bands[1]
    assert bnb.band_for(100 * BNB + 1) is None
    assert bnb.large_units() == BNB + 1
    assert policy.officer_at(policy.officers[OFFICERS[0]].address.lower()) == policy.officers[OFFICERS[0]]


@pytest.mark.parametrize(("old", "new", "names"), [
    ("approvals = 3", "approvals = 4", "approvals"),  # more than there are officers
    ("approvals = 3", "approvals = 1", "must rise"),
    ('up_to_units = "100000000000000000000"', 'up_to_units = "1"', "must rise"),
    ("time_lock_s = 600", "time_lock_s = 0", "time_lock_s"),
    ("chain_id = 56", 'chain_id = "56"', "chain_id"),
    ('decimals = 18', 'decimals = 1.5', "decimals"),
    ('symbol = "BNB"', 'symbol = "bnb!"', "symbol"),
    ("approval_window_s = 3600", "approval_window_s = 1", "approval_window_s"),
])
def test_bad_entries_are_refused_by_name(old: str, new: str, names: str) -> None:
    text = policy_text(56, WALLET)
    assert old in text
    with pytest.raises(PolicyInvalid, match=names):
        parse_policy(text.replace(old, new, 1))


def test_not_toml_and_bad_addresses_are_refused() -> None:
    with pytest.raises(PolicyInvalid, match="not TOML"):
        parse_policy("chain_id = = 1")
    with pytest.raises(PolicyInvalid, match="wallet"):
        parse_policy(policy_text(56, "0x1234"))
    with pytest.raises(PolicyInvalid, match="listed twice"):
        parse_policy(policy_text(56, WALLET, (OFFICERS[0], OFFICERS[0], OFFICERS[1])))
