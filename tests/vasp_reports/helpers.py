"""Reports, keys and registers for the volume-report tests: an exchange licensed from
2026-01 reporting KGST, USDKG and BTC pairs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from digisom.vasp_reports import signing
from digisom.vasp_reports.ports import AssetState, Licence, LicenceStatus
from digisom.vasp_reports.report import FORMAT, canonical_bytes, parse_report
from digisom.vasp_reports.static_registers import StaticAssets, StaticLicences

EXCHANGE = "vasp-ala-too"
SECOND_EXCHANGE = "vasp-issyk"
LICENSED_FROM = date(2026, 1, 10)
# December 2026: November is the latest reportable month, due by 15 December (UTC+6).
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def report(vasp_id: str = EXCHANGE, period: str = "2026-11", version: int = 1, reason: str = "",
           pairs: list[dict[str, Any]] | None = None, assets: list[dict[str, Any]] | None = None,
           customers: int = 1200, totals: dict[str, Any] | None = None) -> dict[str, Any]:
    """A report as JSON; totals are the lines' sums unless given."""
    if pairs is None:
        pairs = [pair("BTC", "KGST", 150_000_000, 1_312_500_000_00, 42),
                 pair("KGST", "KGS", 900_000_000, 900_000_000, 310),
                 pair("USDKG", "USD", 5_000_000_000, 43_700_000_000, 12)]
    if assets is None:
        assets = [asset("BTC", 200_000_000, 50_000_000), asset("KGS", 80_000_000_00, 20_000_000_00),
                  asset("KGST", 10_000_000, 7_000_000)]
    if totals is None:
        totals = {"volume_tyiyn": str(sum(int(p["volume_tyiyn"]) for p in pairs)),
                  "trades": sum(p["trades"] for p in pairs)}
    return {"format": FORMAT, "vasp_id": vasp_id, "period": period, "version": version, "reason": reason,
            "customers": customers, "pairs": pairs, "assets": assets, "totals": totals}


def pair(base: str, quote: str, volume_base_units: int, volume_tyiyn: int, trades: int) -> dict[str, Any]:
    """A pair line."""
    return {"base": base, "quote": quote, "volume_base_units": str(volume_base_units),
            "volume_tyiyn": str(volume_tyiyn), "trades": trades}


def asset(symbol: str, deposits_units: int, withdrawals_units: int) -> dict[str, Any]:
    """An asset line."""
    return {"asset": symbol, "deposits_units": str(deposits_units), "withdrawals_units": str(withdrawals_units)}


def sign(key: Ed25519PrivateKey, data: dict[str, Any]) -> bytes:
    """`key`'s signature over the report's canonical bytes (which must parse)."""
    return key.sign(canonical_bytes(parse_report(data)))


@dataclass
class Registers:
    """The register and licensing as the tests set them: two licensed exchanges."""

    keys: dict[str, Ed25519PrivateKey] = field(default_factory=dict)
    licences: StaticLicences = field(default_factory=StaticLicences)
    assets: StaticAssets = field(default_factory=lambda: StaticAssets({
        "BTC": AssetState.REGISTERED, "KGST": AssetState.REGISTERED, "USDKG": AssetState.REGISTERED,
        "A7A5": AssetState.DELISTED, "ETH": AssetState.SUSPENDED}))

    def __post_init__(self) -> None:
        for vasp_id in (EXCHANGE, SECOND_EXCHANGE):
            self.license(vasp_id)

    def license(self, vasp_id: str, status: LicenceStatus = LicenceStatus.LICENSED,
                licensed_from: date = LICENSED_FROM) -> Ed25519PrivateKey:
        """Give `vasp_id` a licence (a new key unless it has one) with `status`."""
        key = self.keys.setdefault(vasp_id, Ed25519PrivateKey.generate())
        self.licences.put(Licence(vasp_id, status, signing.public_bytes(key), licensed_from))
        return key

    def signed(self, data: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
        """`data` with its VASP's signature."""
        return data, sign(self.keys[data["vasp_id"]], data)
