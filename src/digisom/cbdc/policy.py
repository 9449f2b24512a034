"""The KYC tier policy: per tier, the holding (balance) limit, the monthly inflow limit
and the per-payment limit. It comes from a TOML or JSON file an operator can change;
the default ships in the package (`policy_default.toml`)."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Final

from digisom.cbdc.errors import InvalidRequest
from digisom.errors import DigisomError

# A policy file is a few lines; refuse anything that is clearly not one.
POLICY_FILE_BYTES_MAX: Final = 64 * 1024
TIERS_MAX: Final = 16
# Upper bound for any configured limit: 10^15 tyiyn (10 trillion som) fits every database integer.
LIMIT_TYIYN_MAX: Final = 10**15
_LIMIT_KEYS: Final = ("balance_limit_tyiyn", "monthly_inflow_limit_tyiyn", "payment_limit_tyiyn")


class PolicyError(DigisomError):
    """The policy file is malformed."""


@dataclass(frozen=True, slots=True)
class TierPolicy:
    """One KYC tier's limits; None means no limit of that kind."""

    tier: int
    name: str
    balance_limit_tyiyn: int | None
    monthly_inflow_limit_tyiyn: int | None
    payment_limit_tyiyn: int | None


@dataclass(frozen=True, slots=True)
class Policy:
    """All tiers, by number."""

    tiers: Mapping[int, TierPolicy]

    def tier(self, number: int) -> TierPolicy:
        """The tier `number`, or `InvalidRequest` if the policy has none."""
        try:
            return self.tiers[number]
        except KeyError:
            raise InvalidRequest(f"no KYC tier {number}; the policy has {sorted(self.tiers)}") from None


def load_policy(path: Path | None = None) -> Policy:
    """Read a policy from `path` (.toml or .json), or the packaged default when None."""
    if path is None:
        text = resources.files("digisom.cbdc").joinpath("policy_default.toml").read_text(encoding="utf-8")
        return parse_policy(text, "toml")
    if path.stat().st_size > POLICY_FILE_BYTES_MAX:
        raise PolicyError(f"{path.name} is larger than {POLICY_FILE_BYTES_MAX} bytes")
    return parse_policy(path.read_text(encoding="utf-8"), "json" if path.suffix == ".json" else "toml")


def parse_policy(text: str, kind: str) -> Policy:
    """Parse and validate a policy document ("toml" or "json")."""
    try:
        data = json.loads(text) if kind == "json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as error:
        raise PolicyError(f"policy is not valid {kind}: {error}") from None
    raw_tiers = data.get("tiers") if isinstance(data, dict) else None
    if not isinstance(raw_tiers, dict) or not 0 < len(raw_tiers) <= TIERS_MAX:
        raise PolicyError(f"policy needs a [tiers] table with 1..{TIERS_MAX} tiers")
    tiers = {}
    for key, body in raw_tiers.items():
        if not (isinstance(key, str) and key.isascii() and key.isdigit()) or not isinstance(body, dict):
            raise PolicyError(f"tier {key!r}: tiers are numbered tables, e.g. [tiers.0]")
        number = int(key)
        name = body.get("name", f"tier {number}")
        if not isinstance(name, str) or len(name) > 100:
            raise PolicyError(f"tier {number}: name must be a string of at most 100 characters")
        limits = {}
        for limit_key in _LIMIT_KEYS:
            value = body.get(limit_key)
            if value is not None and (type(value) is not int or not 0 <= value <= LIMIT_TYIYN_MAX):
                raise PolicyError(f"tier {number}: {limit_key} must be an integer 0..{LIMIT_TYIYN_MAX} (tyiyn)")
            limits[limit_key] = value
        unknown = set(body) - {"name", *_LIMIT_KEYS}
        if unknown:
            raise PolicyError(f"tier {number}: unknown keys {sorted(unknown)}")
        tiers[number] = TierPolicy(number, name, **limits)
    return Policy(tiers)
