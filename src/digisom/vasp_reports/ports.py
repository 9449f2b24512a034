"""What the volume reports need from the State Register of Digital Assets and from VASP
licensing, declared here and filled by the composition root (`digisom.api.vasp_reports_wiring`):
this domain imports neither."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol


class LicenceStatus(StrEnum):
    """A VASP's licence as it stands now."""

    LICENSED = "licensed"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    NONE = "none"  # never licensed, or an application not (yet) granted


class AssetState(StrEnum):
    """An asset's entry in the register as it stands now."""

    REGISTERED = "registered"
    SUSPENDED = "suspended"
    DELISTED = "delisted"
    UNKNOWN = "unknown"  # not in the register (or only applied for)


@dataclass(frozen=True, slots=True)
class Licence:
    """A VASP's licence: its status, the raw 32-byte Ed25519 public key its reports are
    signed with, and the day from which it holds the licence (its first reportable month)."""

    vasp_id: str
    status: LicenceStatus
    public_key: bytes
    licensed_from: date


class Licences(Protocol):
    """VASP licensing, read only."""

    def licence(self, vasp_id: str) -> Licence | None:
        """The licence of `vasp_id` (any status), or None if it has none."""
        ...

    def licences(self) -> Sequence[Licence]:
        """Every VASP's licence, any status (who is expected to report a month)."""
        ...


class AssetStatus(Protocol):
    """The State Register of Digital Assets, read only."""

    def asset_state(self, symbol: str) -> AssetState:
        """The register's state of the asset with ticker `symbol` (UNKNOWN if none)."""
        ...
