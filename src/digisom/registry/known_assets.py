"""The applications of the platform's own assets, as their issuers file them: the KGST
bridge and the USDKG issuer register their deployments through `AssetRegister.ensure_registered`
with these (the register, not a constant, is then what is published)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from digisom.registry.assets import AssetApplication, AssetKind, Deployment

KGST_ISSUER: Final = "KGST issuer (licensed virtual asset issuer)"
USDKG_ISSUER: Final = "USDKG issuer (gold-backed stablecoin issuer)"


def kgst_application(chain_id: int, contract_address: str, decimals: int, white_paper_sha256: str,
                     issuer_licence: str) -> AssetApplication:
    """KGST: the som stablecoin, BEP-20, 1:1 with the som, backed by digital som."""
    return AssetApplication("KGST", "KGST Kyrgyz Som stablecoin", AssetKind.FIAT_BACKED, KGST_ISSUER, issuer_licence,
                            "1 KGST = 1 KGS, reserve held in digital som",
                            (Deployment(chain_id, contract_address, decimals, "BEP-20"),), white_paper_sha256)


def usdkg_application(deployments: Mapping[int, str], decimals: int, white_paper_sha256: str,
                      issuer_licence: str) -> AssetApplication:
    """USDKG: the gold-backed dollar token, one ERC-20 contract per chain (chain id -> address)."""
    chains = tuple(Deployment(chain_id, address, decimals, "ERC-20")
                   for chain_id, address in sorted(deployments.items()))
    return AssetApplication("USDKG", "USDKG gold-backed dollar token", AssetKind.COMMODITY_BACKED, USDKG_ISSUER,
                            issuer_licence, "1 USDKG = 1 USD, reserve held in allocated gold bars", chains,
                            white_paper_sha256)
