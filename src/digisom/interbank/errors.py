"""The RTGS's typed refusals outside ISO 20022 messages (the entry points map them to
HTTP problems or CLI exit codes). A refused message is not an error: it is a pacs.002."""

from __future__ import annotations

from digisom.errors import DigisomError


class RtgsError(DigisomError):
    """Base of the RTGS's refusals."""


class NotYourBank(RtgsError):
    """The caller may act for its own bank only (e.g. the debtor agent is another bank)."""


class UnknownBank(RtgsError):
    """No participant with that bank code."""


class RtgsConflict(RtgsError):
    """The request contradicts what exists (a bank code or BIC taken, a key reused)."""


class InvalidRequest(RtgsError):
    """An input outside its limits."""


class DayNotOver(RtgsError):
    """End of day asked before the interbank cut-off, or for a day the RTGS does not open."""
