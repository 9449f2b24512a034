"""The KGST issuer's bridge between the digital som and the KGST token.

Mint: a holder's digital som moves into the KGST reserve account (a pending ledger
transfer), the mint is sent on-chain, and the transfer posts on confirmation or voids on
failure. Redeem: KGST sent to the issuer's redemption address is seen by the event feed,
burned, and the reserve releases digital som to the holder's wallet. Every step is a
durable state of an operation row, so a crash anywhere and a restart neither mints twice
nor loses a redemption. The domain reaches the chain, the ledger and the wallets only
through the protocols in `ports`, wired by the entry point.
"""
