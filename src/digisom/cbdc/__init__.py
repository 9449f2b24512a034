"""The digital som: two-tier issuance, wallets with KYC tiers and holding limits, payments.

The domain's rules and its own tables; it moves value only through the ledger
(`digisom.ledger`) and is driven by the entry points (`digisom.api`, `digisom.cli`).
"""
