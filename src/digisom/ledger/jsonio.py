"""The ledger's JSON boundary: one account or transfer per JSON object.

Ids and amounts are decimal strings (u128 does not fit a JSON number safely); flags are
lists of names. Anything that cannot become an event gets a typed result code and a
message, never an exception; the rest of the batch goes on by its own rules.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final

from digisom.ledger.model import (
    ACCOUNT_FLAG_NAMES,
    TRANSFER_FLAG_NAMES,
    U16_MAX,
    U32_MAX,
    U64_MAX,
    U128_MAX,
    Account,
    AccountFlags,
    Transfer,
    TransferFlags,
    flag_names,
)
from digisom.ledger.results import CreateAccountResult, CreateTransferResult

# A transfer as JSON is under 1 KiB; anything far larger is refused before parsing.
JSON_LINE_MAX_BYTES: Final = 4096
_DIGITS_MAX: Final = 39  # u128 has 39 decimal digits


class _Bad(Exception):
    """A field that cannot be used; carries the boundary code's name."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


ParsedAccount = Account | tuple[CreateAccountResult, str]
ParsedTransfer = Transfer | tuple[CreateTransferResult, str]


def parse_account_line(line: str | bytes) -> ParsedAccount:
    """One JSON line -> an `Account` event, or (result code, message)."""
    try:
        obj = _object(line)
        return Account(
            id=_uint(obj, "id", U128_MAX, required=True),
            ledger=_uint(obj, "ledger", U32_MAX, required=True),
            code=_uint(obj, "code", U16_MAX, required=True),
            flags=_flags(obj, ACCOUNT_FLAG_NAMES),
            user_data_128=_uint(obj, "user_data_128", U128_MAX),
            user_data_64=_uint(obj, "user_data_64", U64_MAX),
            user_data_32=_uint(obj, "user_data_32", U32_MAX),
        )
    except _Bad as bad:
        return CreateAccountResult[bad.code], str(bad)


def parse_transfer_line(line: str | bytes) -> ParsedTransfer:
    """One JSON line -> a `Transfer` event, or (result code, message)."""
    try:
        obj = _object(line)
        return Transfer(
            id=_uint(obj, "id", U128_MAX, required=True),
            debit_account_id=_uint(obj, "debit_account_id", U128_MAX),
            credit_account_id=_uint(obj, "credit_account_id", U128_MAX),
            amount=_uint(obj, "amount", U128_MAX, required=True),
            ledger=_uint(obj, "ledger", U32_MAX),
            code=_uint(obj, "code", U16_MAX),
            flags=_flags(obj, TRANSFER_FLAG_NAMES),
            pending_id=_uint(obj, "pending_id", U128_MAX),
            timeout_s=_uint(obj, "timeout_s", U32_MAX),
            user_data_128=_uint(obj, "user_data_128", U128_MAX),
            user_data_64=_uint(obj, "user_data_64", U64_MAX),
            user_data_32=_uint(obj, "user_data_32", U32_MAX),
        )
    except _Bad as bad:
        return CreateTransferResult[bad.code], str(bad)


def account_json(account: Account) -> dict[str, object]:
    """An account as the CLI prints it: u128 values as decimal strings."""
    return {
        "id": str(account.id),
        "ledger": account.ledger,
        "code": account.code,
        "flags": flag_names(account.flags, ACCOUNT_FLAG_NAMES),
        "debits_pending": str(account.debits_pending),
        "debits_posted": str(account.debits_posted),
        "credits_pending": str(account.credits_pending),
        "credits_posted": str(account.credits_posted),
        "timestamp": str(account.timestamp),
    }


def transfer_json(transfer: Transfer) -> dict[str, object]:
    """A transfer as the CLI and API print it."""
    return {
        "id": str(transfer.id),
        "debit_account_id": str(transfer.debit_account_id),
        "credit_account_id": str(transfer.credit_account_id),
        "amount": str(transfer.amount),
        "ledger": transfer.ledger,
        "code": transfer.code,
        "flags": flag_names(transfer.flags, TRANSFER_FLAG_NAMES),
        "pending_id": str(transfer.pending_id),
        "timeout_s": transfer.timeout_s,
        "timestamp": str(transfer.timestamp),
    }


def _object(line: str | bytes) -> Mapping[str, object]:
    if len(line) > JSON_LINE_MAX_BYTES:
        raise _Bad("malformed", f"line longer than {JSON_LINE_MAX_BYTES} bytes")
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError) as error:
        raise _Bad("malformed", f"not JSON: {error}") from None
    if not isinstance(obj, dict):
        raise _Bad("malformed", "not a JSON object")
    return obj


def _uint(obj: Mapping[str, object], name: str, maximum: int, *, required: bool = False) -> int:
    """A field as an unsigned integer: a decimal string, or a JSON integer for small fields."""
    value = obj.get(name)
    if value is None:
        if required:
            raise _Bad("malformed", f"{name} is missing")
        return 0
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _Bad("invalid_integer", f"{name} must be a decimal string")
    if isinstance(value, str):
        if not (0 < len(value) <= _DIGITS_MAX and value.isascii() and value.isdigit()):
            raise _Bad("invalid_integer", f"{name} must be a non-negative decimal integer, got {value[:48]!r}")
        value = int(value)
    if not 0 <= value <= maximum:
        raise _Bad("invalid_integer", f"{name} must be within 0..{maximum}")
    return value


def _flags(obj: Mapping[str, object], names: Mapping[str, AccountFlags] | Mapping[str, TransferFlags]) -> int:
    raw = obj.get("flags", [])
    if not isinstance(raw, list) or not all(isinstance(name, str) for name in raw):
        raise _Bad("malformed", "flags must be a list of names")
    flags = 0
    for name in raw:
        bit = names.get(name)
        if bit is None:
            raise _Bad("unknown_flag", f"unknown flag {name[:48]!r}")
        flags |= bit
    return flags
