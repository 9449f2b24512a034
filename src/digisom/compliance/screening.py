"""Screening: a name or an address against the loaded lists, to a decision.

Thresholds (scores in thousandths, `scoring`): a name whose best match scores at least
`HIT_MIN_MILLI` is a `hit`; at least `REVIEW_MIN_MILLI` is a `review`; below, `clear`.
A wallet address is `hit` if a list holds it (exact, `addresses.normalize_address`).
docs/compliance.md gives the reasoning and the precision and recall measured at them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from digisom.compliance.addresses import ADDRESS_CHARS_MAX, one_hop_exposure
from digisom.compliance.errors import ScreeningInputInvalid
from digisom.compliance.index import ScreeningIndex
from digisom.compliance.model import Decision, Match, SanctionsList, ScreeningResult, SubjectSchema
from digisom.compliance.names import NAME_CHARS_MAX

# Same name up to one typo or spelling variant per two or three words: block and freeze.
HIT_MIN_MILLI: Final = 920
# A close resemblance an officer must look at (one word differs, a shared rare surname).
REVIEW_MIN_MILLI: Final = 800
MATCHES_MAX: Final = 10  # shown per result; the decision reads the best

RULE_NAME: Final = "name-similarity"
RULE_ADDRESS: Final = "address-exact"
RULE_ONE_HOP: Final = "address-one-hop"


def decide(score_milli: int) -> Decision:
    """The decision a best name score leads to."""
    if score_milli >= HIT_MIN_MILLI:
        return Decision.HIT
    if score_milli >= REVIEW_MIN_MILLI:
        return Decision.REVIEW
    return Decision.CLEAR


def _checked(text: str, limit: int, what: str) -> str:
    stripped = text.strip()
    if not stripped or len(stripped) > limit:
        raise ScreeningInputInvalid(f"the {what} to screen must be 1 to {limit} characters")
    return stripped


class Screener:
    """Screens names and addresses against a fixed set of loaded lists."""

    def __init__(self, lists: Sequence[SanctionsList]) -> None:
        self.index = ScreeningIndex(lists)

    def screen_name(self, name: str, schema: SubjectSchema = SubjectSchema.ANY) -> ScreeningResult:
        """The decision for a person's or organisation's name, with its matches (best first)."""
        matches = self.index.match_name(_checked(name, NAME_CHARS_MAX, "name"), schema, REVIEW_MIN_MILLI)
        best = matches[0].score_milli if matches else 0
        return self._result(decide(best), RULE_NAME, best, matches)

    def screen_address(self, address: str, window: Iterable[tuple[str, str]] = ()) -> ScreeningResult:
        """The decision for a wallet address: `hit` if listed; `review` if, in the
        follower's `window` of (from, to) transfers, it received from a listed address."""
        checked = _checked(address, ADDRESS_CHARS_MAX, "address")
        matches = self.index.match_address(checked)
        if matches:
            return self._result(Decision.HIT, RULE_ADDRESS, 1000, matches)
        exposure = one_hop_exposure(checked, window, self.index.addresses)
        if exposure.decision is Decision.CLEAR:
            return self._result(Decision.CLEAR, RULE_ADDRESS, 0, [])
        sources = [match for source in exposure.listed_sources for match in self.index.match_address(source)]
        return self._result(exposure.decision, RULE_ONE_HOP, 1000, sources)

    def _result(self, decision: Decision, rule: str, score_milli: int, matches: Sequence[Match]) -> ScreeningResult:
        return ScreeningResult(decision, rule, score_milli, tuple(matches[:MATCHES_MAX]), self.index.versions)
