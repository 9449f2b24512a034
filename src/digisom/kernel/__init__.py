"""What every domain shares: the chart of accounts, id derivation, the ledger gateway,
the error hierarchy and the clock (DESIGN.md, layer "kernel").

Domains import the kernel; the kernel imports only the ledger and money, never a domain.
"""
