"""A register entry."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class AssetEntry:
    """One digital asset in the register. `entry_id` is `<symbol>@<chain id>:<contract address>`."""

    symbol: str
    asset: str
    issuer: str
    peg: str
    standard: str
    chain_id: int
    contract_address: str
    decimals: int
    reserve_report_url: str
    registered_at: str

    @property
    def entry_id(self) -> str:
        """The entry's stable id."""
        return f"{self.symbol}@{self.chain_id}:{self.contract_address.lower()}"

    def public(self) -> dict[str, object]:
        """The entry as published (JSON-ready)."""
        return {"entry_id": self.entry_id, **asdict(self)}
