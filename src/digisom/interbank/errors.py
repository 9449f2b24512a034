"""The RTGS's typed refusals outside ISO 20022 messages (the entry points map them to
HTTP problems or CLI exit codes). A refused message is not an error: it is a pacs.002."""

from __future__ import annotations

from digisom.kernel import errors as kinds


class RtgsError(kinds.DomainError):
    """Base of the RTGS's refusals; each class below is of one kind (`digisom.kernel.errors`).
    A refusal is not kept as an idempotency key's answer: the RTGS's own ids come from the
    message (MsgId), and a refused request changed nothing, so a retry may succeed later."""

    stored_with_key = False


class NotYourBank(RtgsError, kinds.Forbidden):
    """The caller may act for its own bank only (e.g. the debtor agent is another bank)."""


class UnknownBank(RtgsError, kinds.NotFound):
    """No participant with that bank code."""


class StopNotFound(RtgsError, kinds.NotFound):
    """No payment stopped by screening with that number."""


class RtgsConflict(RtgsError, kinds.Conflict):
    """The request contradicts what exists (a bank code or BIC taken, a key reused)."""


class InvalidRequest(RtgsError, kinds.Invalid):
    """An input outside its limits."""


class DayNotOver(RtgsError, kinds.Conflict):
    """End of day asked before the interbank cut-off, or for a day the RTGS does not open."""

    slug = "day-not-over"
    title = "The business day cannot close now"
