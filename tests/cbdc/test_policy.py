"""The KYC tier policy: the packaged default, operator files in TOML and JSON, and refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digisom.cbdc.errors import InvalidRequest
from digisom.cbdc.policy import PolicyError, load_policy, parse_policy


def test_the_default_policy_has_three_tiers() -> None:
    policy = load_policy()
    assert sorted(policy.tiers) == [0, 1, 2]
    assert policy.tier(0).balance_limit_tyiyn == 1_500_000
    assert policy.tier(2).monthly_inflow_limit_tyiyn is None


def test_an_operator_file_in_json_or_toml(tmp_path: Path) -> None:
    json_file = tmp_path / "policy.json"
    json_file.write_text(json.dumps({"tiers": {"0": {"name": "pilot", "balance_limit_tyiyn": 100}}}))
    assert load_policy(json_file).tier(0).balance_limit_tyiyn == 100
    toml_file = tmp_path / "policy.toml"
    toml_file.write_text('[tiers.0]\nname = "pilot"\npayment_limit_tyiyn = 5\n')
    assert load_policy(toml_file).tier(0).payment_limit_tyiyn == 5


@pytest.mark.parametrize(
    "text",
    [
        "not toml [",
        "[tiers]\n",
        '[tiers.zero]\nname = "x"\n',
        "[tiers.0]\nbalance_limit_tyiyn = -1\n",
        "[tiers.0]\nbalance_limit_tyiyn = 1.5\n",
        '[tiers.0]\nbalance_limit_tyiyn = "100"\n',
        "[tiers.0]\nholding = 3\n",
    ],
)
def test_a_malformed_policy_is_refused(text: str) -> None:
    with pytest.raises(PolicyError):
        parse_policy(text, "toml")


def test_an_unknown_tier_is_a_typed_refusal() -> None:
    with pytest.raises(InvalidRequest):
        load_policy().tier(9)
