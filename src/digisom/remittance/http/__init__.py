"""The remittance domain's HTTP routes: /v1/remittances (partners, corridors, quotes, send, status, returns)."""
