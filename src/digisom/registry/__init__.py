"""A minimal State Register of Digital Assets: one entry per registered asset (issuer,
asset, chain, contract, decimals, reserve report), readable by anyone. The full register
(licences, audits, suspensions) comes later."""
