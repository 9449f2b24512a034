"""Typed errors of proof of reserves: each names the input that caused it."""

from __future__ import annotations

from digisom.errors import DigisomError


class PorError(DigisomError):
    """Base of every proof-of-reserves error."""


class BalancesInvalid(PorError, ValueError):
    """The customer balances file cannot be used; the subclass says why."""


class EmptyBalances(BalancesInvalid):
    pass


class BalancesTooLarge(BalancesInvalid):
    pass


class MalformedLine(BalancesInvalid):
    pass


class CustomerIdInvalid(BalancesInvalid):
    pass


class NegativeBalance(BalancesInvalid):
    pass


class NonIntegerBalance(BalancesInvalid):
    pass


class DuplicateCustomer(BalancesInvalid):
    pass


class TotalOverflow(BalancesInvalid):
    pass


class TreeFileInvalid(PorError, ValueError):
    """A built tree directory is missing, truncated or not a tree."""


class UnknownCustomer(PorError, LookupError):
    """No such customer in the built tree."""


class ProofEncodingInvalid(PorError, ValueError):
    """Bytes that are not a proof's binary form."""
