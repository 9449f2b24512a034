"""The double-entry ledger: a pure engine (core), result codes, stores and the journal."""
