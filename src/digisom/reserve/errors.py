"""Typed errors of the reserve domain: each says which rule refused what."""

from __future__ import annotations

from digisom.errors import DigisomError


class ReserveError(DigisomError):
    """Base of every reserve error."""


class PolicyInvalid(ReserveError, ValueError):
    """The policy file cannot be used (names the key or value)."""


class SignatureInvalid(ReserveError, ValueError):
    """A signature that is malformed or not by the expected signer."""


class NotAnOfficer(ReserveError):
    """The signer or proposer is not an officer of the policy."""


class DuplicateApproval(ReserveError):
    """An officer already approved this proposal."""


class DestinationNotAllowed(ReserveError):
    """The destination is not on the policy's allow-list for the asset."""


class TimeLocked(ReserveError):
    """The movement's time lock has not passed yet."""


class NotEnoughApprovals(ReserveError):
    """Fewer valid approvals than the amount band requires."""


class ProposalNotOpen(ReserveError):
    """The proposal was executed, refused or expired: nothing more can happen to it."""


class ProposalUnknown(ReserveError, LookupError):
    """No proposal with this id."""


class ProposalExpired(ProposalNotOpen):
    """The proposal's approval window has passed."""


class MultisigRefused(ReserveError):
    """The contract wallet refused the transaction on chain."""


class PriceStale(ReserveError):
    """The signed price file is older than the staleness limit."""


class PriceInvalid(ReserveError, ValueError):
    """The price file is malformed, unsigned or signed by another key."""


class PublicationInvalid(ReserveError, ValueError):
    """A publication fails a check (names which)."""


class DescriptorInvalid(ReserveError, ValueError):
    """A Bitcoin watch-only descriptor that is malformed, has a wrong checksum or a bad address."""


class BitcoinUnavailable(ReserveError):
    """The Bitcoin balance source did not answer, or answered something unreadable."""


class PublicationExists(ReserveError):
    """A publication with this holdings root is already kept."""


class BlockUnavailable(ReserveError):
    """The chain reader cannot read state at the asked block (not kept)."""
