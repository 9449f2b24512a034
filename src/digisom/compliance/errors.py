"""Compliance's typed errors: each is of one kind (`digisom.kernel.errors`) and names a
stable problem slug, prefixed `compliance-`."""

from __future__ import annotations

from digisom.kernel import errors as kinds


class ComplianceError(kinds.DomainError):
    """Base of compliance's operating errors: a refusal, never a half-loaded list."""


class ListFileTooLarge(ComplianceError, kinds.Invalid):
    """A list file over its byte, line or entity limit; nothing of it was loaded."""

    slug = "compliance-list-too-large"
    title = "The list file is over its size limit"
    status = 413


class ListParseError(ComplianceError, kinds.Invalid):
    """A list file that does not parse; `line` is the first bad line (1-based), nothing was loaded."""

    slug = "compliance-list-malformed"
    title = "The list file does not parse"

    def __init__(self, source: str, line: int, reason: str) -> None:
        super().__init__(f"{source} line {line}: {reason}", source=source, line=line)
        self.source = source
        self.line = line
        self.reason = reason


class ScreeningInputInvalid(ComplianceError, kinds.Invalid):
    """A name or address to screen that is empty or over its length limit."""

    slug = "compliance-subject-invalid"
    title = "The name or address to screen is not valid"


class ReviewNotFound(ComplianceError, kinds.NotFound):
    """No review with that id."""

    slug = "compliance-review-not-found"
    title = "No such review"


class ReviewAlreadyDecided(ComplianceError, kinds.Conflict):
    """The review was decided already (by someone else, perhaps at the same moment)."""

    slug = "compliance-review-decided"
    title = "The review was already decided"


class ProposalMismatch(ComplianceError, kinds.Conflict):
    """An approval whose outcome is not the one proposed (reject the proposal instead)."""

    slug = "compliance-proposal-mismatch"
    title = "The approval does not match the proposal"


class FourEyesViolation(ComplianceError, kinds.Forbidden):
    """An officer approving or rejecting a proposal they made, or a review they opened."""

    slug = "compliance-four-eyes"
    title = "A second officer must decide this review"
