"""Ledger store adapters: memory, SQLite and PostgreSQL implementations of `LedgerStore`.

Open one with `digisom.stores.url.open_store(url)`.
"""
