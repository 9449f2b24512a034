"""Interbank settlement: ISO 20022 messages (`iso20022`) and the RTGS queue with its
liquidity-saving mechanism (`queue`, `lsm`). Pure code: no I/O, no ledger access yet."""
