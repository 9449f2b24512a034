"""The national crypto reserve: M-of-N custody, movement policy, books and publications.

docs/reserve.md describes the domain: the `ReserveMultisig` contract wallet (contracts/),
the off-chain policy (officers, amount bands, time lock, allow-list), proposals and
approvals signed as EIP-712 typed data over the exact multisig transaction, the reserve's
own ledger accounts, and publications with proof of control.
"""
