"""USDKG's data: frozen records, integer units (`units.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum, unique


@unique
class BarStatus(Enum):
    """Where a bar is: counted in the reserve only while in a vault."""

    IN_VAULT = "in_vault"
    IN_TRANSIT = "in_transit"
    WITHDRAWN = "withdrawn"


@unique
class MovementKind(Enum):
    """A signed movement of bars: arrival (an imported weight list), dispatch to another
    vault, receipt there, withdrawal from the reserve (redemption, sale)."""

    ARRIVE = "arrive"
    DISPATCH = "dispatch"
    RECEIVE = "receive"
    WITHDRAW = "withdraw"


@unique
class SignerRole(Enum):
    """Who signs what: custodians their bars' movements, auditors their audits, price
    signers the price files an operator uploads."""

    CUSTODIAN = "custodian"
    AUDITOR = "auditor"
    PRICE_SIGNER = "price_signer"


@dataclass(frozen=True, slots=True)
class WeightListBar:
    """One row of an LBMA weight list, checked."""

    serial: str
    brand: str
    gross_moz: int
    fineness_tenths: int
    fine_moz: int
    year: int


@dataclass(frozen=True, slots=True)
class Bar:
    """A bar of the register, as it stands."""

    serial: str
    brand: str
    year: int
    gross_moz: int
    fineness_tenths: int
    fine_moz: int
    vault: str
    custodian: str
    status: BarStatus


@dataclass(frozen=True, slots=True)
class PriceQuote:
    """A gold price: US cents per troy ounce, as of a moment, from a named source."""

    price_cents_per_oz: int
    as_of: datetime
    source: str
