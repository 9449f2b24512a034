"""USDKG, the gold-backed dollar stablecoin: the issuer's off-chain domain.

The LBMA Good Delivery bar register with custodian-signed movements, gold prices, the
coverage rule that gates minting, the twice-yearly audits and the per-address bar
lookup. The token itself and the chains it lives on are the chain adapter's; this
package reads their supply through the `SupplyReader` port (docs/usdkg.md).
"""
