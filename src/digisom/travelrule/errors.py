"""The travel-rule exchange's typed refusals, each of one kind of `digisom.kernel.errors`."""

from __future__ import annotations

from digisom.kernel.errors import Conflict, DomainError, Invalid, NotFound
from digisom.kernel.ivms101 import Ivms101Invalid


class TravelRuleError(DomainError):
    """Base of the exchange's errors (of no kind itself)."""


class InquiryInvalid(TravelRuleError, Invalid):
    """An inquiry out of its limits (asset, amount, beneficiary); `field` names it."""

    slug = "travel-rule-inquiry-invalid"
    title = "The travel-rule inquiry is not valid"

    def __init__(self, detail: str, field: str) -> None:
        super().__init__(detail, field=field)
        self.field = field


class InquiryIvms101Invalid(TravelRuleError, Ivms101Invalid):
    """The inquiry's IVMS101 payload does not validate; `field` names the first bad field."""

    slug = "travel-rule-ivms101-invalid"
    title = "The inquiry's IVMS101 data is not valid"


class InquiryIvms101Missing(TravelRuleError, Invalid):
    """No IVMS101 data for a transfer at or above the threshold."""

    slug = "travel-rule-ivms101-missing"
    title = "IVMS101 data is required for this amount"


class InquiryNotFound(TravelRuleError, NotFound):
    """No such inquiry, or not the caller's (the two answer alike)."""

    slug = "travel-rule-inquiry-not-found"
    title = "No such travel-rule inquiry"


class InquiryConflict(TravelRuleError, Conflict):
    """The sender's inquiry id used with another body, or a confirmation with another reference."""

    slug = "travel-rule-inquiry-conflict"
    title = "The inquiry was sent or confirmed with other details"


class InquiryNotApproved(TravelRuleError, Conflict):
    """A confirmation of an inquiry that is rejected or still under review."""

    slug = "travel-rule-inquiry-not-approved"
    title = "The inquiry is not approved"
