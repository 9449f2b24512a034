"""The compliance desk: the lists an operator loaded, screening against them, and every
decision recorded (`decisions.Decisions`) before anyone acts on it.

With no list loaded the desk still answers, explicitly: `clear` under the rule
`no_list_loaded`, recorded like any other decision, and `loaded()` says so. It never
passes a subject silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from digisom.compliance.decisions import Decisions, Review, ReviewOutcome
from digisom.compliance.errors import ScreeningInputInvalid
from digisom.compliance.model import Decision, SanctionsList, ScreeningResult, SubjectSchema
from digisom.compliance.releases import Releases
from digisom.compliance.screening import Screener

RULE_NO_LIST: Final = "no_list_loaded"
SUBJECT_KINDS: Final = ("name", "address")


@dataclass(frozen=True, slots=True)
class LoadedList:
    """What an examiner is told of one loaded list."""

    source: str
    version: str
    list_date: date
    entities: int


@dataclass(frozen=True, slots=True)
class Recorded:
    """A screening as recorded: its id in the decisions table and the result."""

    screening_id: int
    result: ScreeningResult


class ComplianceDesk:
    """Screens against fixed loaded lists and records every decision."""

    def __init__(self, lists: Sequence[SanctionsList], decisions: Decisions, releases: Releases) -> None:
        self._lists = tuple(lists)
        self._screener = Screener(self._lists) if self._lists else None
        self.decisions = decisions
        self.releases = releases  # the final decisions' outbox and this process's subscribers

    def loaded(self) -> list[LoadedList]:
        """The lists screened against, in load order (empty: no list is loaded)."""
        return [LoadedList(x.source, x.version, x.list_date, len(x.entities)) for x in self._lists]

    def screen_name(self, name: str, schema: SubjectSchema, *, context: str, requested_by: str) -> Recorded:
        """Screen and record a person's or organisation's name."""
        result = self._screener.screen_name(name, schema) if self._screener else _no_list(name)
        return self._record(result, name, "name", schema.value, context, requested_by)

    def screen_address(self, address: str, *, context: str, requested_by: str,
                       window: Iterable[tuple[str, str]] = ()) -> Recorded:
        """Screen and record a wallet address (one-hop exposure over `window`)."""
        result = self._screener.screen_address(address, window) if self._screener else _no_list(address)
        return self._record(result, address, "address", "Address", context, requested_by)

    def approve(self, review_id: int, officer: str, outcome: ReviewOutcome, reason: str) -> Review:
        """A second officer approves the proposed outcome: the review is decided once, then
        what was held on it is released or kept (what fails stays pending, retried by the
        next run of the releases). The API and the console both decide through here."""
        decided = self.decisions.approve(review_id, officer, outcome, reason)
        self.releases.run()
        return decided

    def _record(self, result: ScreeningResult, subject: str, kind: str, schema: str, context: str,
                requested_by: str) -> Recorded:
        screening_id = self.decisions.record(result, subject=subject.strip(), subject_kind=kind,
                                             subject_schema=schema, context=context, requested_by=requested_by)
        return Recorded(screening_id, result)


def _no_list(subject: str) -> ScreeningResult:
    if not subject.strip():
        raise ScreeningInputInvalid("the subject to screen must not be empty")
    return ScreeningResult(Decision.CLEAR, RULE_NO_LIST, 0, (), ())
