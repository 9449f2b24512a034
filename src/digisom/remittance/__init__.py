"""Inbound remittances: foreign partners' prefunded digital som positions, corridors,
quotes against the National Bank's reference rate, payouts to wallets (rail 1), sanctions
screening through a port and the travel rule (IVMS101). docs/remittance.md."""
