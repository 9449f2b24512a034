"""Merchant crypto payments: invoices priced in som, paid on chain in KGST (or quoted in
USDKG), settled into the merchant's digital som wallet through the KGST bridge
(docs/merchants.md)."""
