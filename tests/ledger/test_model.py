"""The model's constants are what their types say: mypyc-compiled code checks types at
run time, so a value typed `AccountFlags` that is really an `int` stops the import."""

from __future__ import annotations

from digisom.ledger.model import (
    ACCOUNT_FLAG_NAMES,
    ACCOUNT_FLAGS_KNOWN,
    TRANSFER_FLAG_NAMES,
    TRANSFER_FLAGS_KNOWN,
    AccountFlags,
    TransferFlags,
)


def test_known_flags_are_flags_holding_every_named_bit() -> None:
    assert type(ACCOUNT_FLAGS_KNOWN) is AccountFlags
    assert type(TRANSFER_FLAGS_KNOWN) is TransferFlags
    assert all(bit in ACCOUNT_FLAGS_KNOWN for bit in ACCOUNT_FLAG_NAMES.values())
    assert all(bit in TRANSFER_FLAGS_KNOWN for bit in TRANSFER_FLAG_NAMES.values())
    assert int(ACCOUNT_FLAGS_KNOWN) == 0b101111
    assert int(TRANSFER_FLAGS_KNOWN) == 0xFF
