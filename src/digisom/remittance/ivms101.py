"""The travel rule's IVMS101 models as the remittance domain uses them. The models moved
to `digisom.kernel.ivms101` (the travel-rule exchange takes the same payloads); this
module keeps the remittance's names, and its `parse` answers a payload that does not
validate with the remittance's own problem type (`TravelRuleInvalid`)."""

from __future__ import annotations

from digisom.kernel import ivms101 as _shared
from digisom.kernel.ivms101 import TRAVEL_RULE_THRESHOLD_USD_CENTS_DEFAULT, IdentityPayload, canonical, legal_name
from digisom.remittance.errors import TravelRuleInvalid

__all__ = ["TRAVEL_RULE_THRESHOLD_USD_CENTS_DEFAULT", "IdentityPayload", "canonical", "legal_name", "parse"]


def parse(payload: object) -> IdentityPayload:
    """`payload` as an IVMS101 payload, or `TravelRuleInvalid` naming the first bad field."""
    return _shared.parse(payload, TravelRuleInvalid)
